"""Rebuild the "Module terms" part of docs/glossary.md from each module page's Glossary section."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
ORDER = [
    ("procedures", "Procedure catalogue"),
    ("dossiers", "One-stop dossiers"),
    ("citizen-pages", "Citizen pages: lookup, kiosk, online submission, forms"),
    ("ticketing", "Service hall: queue tickets"),
    ("ratings", "Satisfaction ratings"),
    ("feedback", "Citizen feedback and Q&A"),
    ("attendance", "Timekeeping"),
    ("workplans", "Work programs"),
    ("scorecard", "Scorecard"),
    ("audit", "Audit trail"),
]
HEADER = (
    "\n## Module terms\nCollected from each module's page (`docs/modules/<app>.md`, section Glossary): "
    "edit them there and run `make glossary`.\n"
)


def main() -> None:
    parts = [HEADER]
    for name, title in ORDER:
        page = ROOT / "docs" / "modules" / f"{name}.md"
        if not page.exists():
            continue
        match = re.search(r"^## Glossary[^\n]*\n(.*?)(?=^## |\Z)", page.read_text(), re.S | re.M)
        if match:
            parts.append(f"\n### {title} (`docs/modules/{name}.md`)\n\n{match.group(1).strip()}\n")
    glossary = ROOT / "docs" / "glossary.md"
    head = glossary.read_text().split("\n## Module terms")[0].rstrip()
    glossary.write_text(head + "\n" + "".join(parts))


if __name__ == "__main__":
    main()
