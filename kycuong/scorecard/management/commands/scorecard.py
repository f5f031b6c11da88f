"""`kycuong scorecard compute|show|rank`: compute indicator sets, print a unit's scorecard or a ranking."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kycuong.core.errors import DomainError
from kycuong.core.periods import parse_period, period_containing


class Command(BaseCommand):
    help = ("Scorecards: `compute --set dvc766 --period 2026-10`, `show --set dvc766 --period 2026-10 --unit H26.P04 "
            "--json`, `rank --set dvc766 --period 2026-10 --group local`")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        compute = sub.add_parser("compute", help="compute and store a set for every unit of the tree")
        compute.add_argument("--set", dest="set_code", required=True)
        compute.add_argument("--period", action="append", default=[],
                             help="2026-W43, 2026-10, 2026-Q4 or 2026; repeat for several")
        compute.add_argument("--weeks", type=int, default=0, help="also the last N weeks up to today")
        compute.add_argument("--months", type=int, default=0, help="also the last N months up to today")
        show = sub.add_parser("show", help="print one unit's scorecard")
        show.add_argument("--set", dest="set_code", required=True)
        show.add_argument("--period", required=True)
        show.add_argument("--unit", required=True, help="unit code, e.g. H26.P04")
        show.add_argument("--json", action="store_true", help="print the JSON object of docs/scorecard.md")
        rank = sub.add_parser("rank", help="print a ranking")
        rank.add_argument("--set", dest="set_code", required=True)
        rank.add_argument("--period", required=True)
        rank.add_argument("--group", default="local", help="departments | local (wards and communes)")
        rank.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc

    def _compute(self, options: dict[str, Any]) -> None:
        from django.utils import timezone

        from kycuong.scorecard.services import indicator_set_get, scorecard_compute

        indicator_set_get(options["set_code"])
        periods = [parse_period(label) for label in options["period"]]
        today = timezone.localdate()
        for kind, count in (("week", options["weeks"]), ("month", options["months"])):
            p = period_containing(today, kind)
            for _i in range(count):
                periods.append(p)
                p = p.previous()
        if not periods:
            raise CommandError("--period (or --weeks/--months) is required")
        for period in periods:
            summary = scorecard_compute(set_code=options["set_code"], period=period)
            self.stdout.write(f"{summary.set_code} {summary.period}: {summary.units} units, {summary.results} results "
                              f"in {summary.seconds:.2f}s")

    def _show(self, options: dict[str, Any]) -> None:
        from kycuong.scorecard.selectors import unit_scorecard

        data = unit_scorecard(set_code=options["set_code"], period=options["period"], unit_code=options["unit"])
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        total = "—" if data["total"] is None else f"{data['total']:.1f}"
        self.stdout.write(f"{data['set']} {data['period']} {data['unit']}: {total}")
        for row in data["indicators"]:
            pts = "—" if not row["applicable"] else f"{row['points']:.1f}"
            frac = f"{row['numerator']}/{row['denominator']}" if row["numerator"] is not None else "không có dữ liệu"
            self.stdout.write(f"  {row['code']:<32} {frac:>18}  {pts:>5} / {row['max_points']}")

    def _rank(self, options: dict[str, Any]) -> None:
        from kycuong.scorecard.selectors import ranking

        rows = ranking(set_code=options["set_code"], period=options["period"], group=options["group"])
        if options["json"]:
            self.stdout.write(json.dumps([{"rank": r.rank, "previous_rank": r.previous_rank, "unit": r.code,
                                           "name": r.name, "total": r.total} for r in rows], ensure_ascii=False))
            return
        for r in rows:
            total = "—" if r.total is None else f"{r.total:.1f}"
            change = "" if r.change is None else f"{r.change:+d}"
            self.stdout.write(f"{r.rank or '—':>4} {change:>4}  {r.code:<16} {total:>6}  {r.name}")
