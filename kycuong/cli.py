"""`kycuong` console script: a thin wrapper over Django's management commands.

`kycuong demo`, `kycuong import units FILE`, `kycuong export dossiers --period 2026-10`,
`kycuong scorecard show ...`, `kycuong audit verify` (the audit trail's hash chain) and every Django
command (`kycuong migrate`, ...).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["kycuong", *argv])
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
