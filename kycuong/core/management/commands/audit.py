from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kycuong.core.auditchain import chain_verify


class Command(BaseCommand):
    help = "Audit trail tools: kycuong audit verify (recompute the hash chain; exit 1 at the first broken row)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify", help="recompute the hash chain of the audit trail")

    def handle(self, *args: Any, **options: Any) -> None:
        report = chain_verify()
        broken = report.broken
        if broken is not None:
            where = (_("dòng nhật ký id=%(id)s (#%(seq)s)") % {"id": broken.event_id, "seq": broken.seq}
                     if broken.event_id is not None else _("cuối chuỗi (#%(seq)s)") % {"seq": broken.seq})
            raise CommandError(
                _("Chuỗi nhật ký bị phá ở %(where)s: %(detail)s. %(count)s dòng trước đó nguyên vẹn.")
                % {"where": where, "detail": broken.detail, "count": report.count},
                returncode=1,
            )
        self.stdout.write(
            _("Chuỗi nhật ký nguyên vẹn: %(count)s dòng, đầu chuỗi #%(seq)s %(hash)s")
            % {"count": report.count, "seq": report.head_seq, "hash": report.head_hash}
        )
