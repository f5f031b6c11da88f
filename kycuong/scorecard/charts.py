"""Server-side SVG charts: no JavaScript, no external asset, safe under the CSP (script-src 'self').

Every chart is accompanied on the page by its numbers (a table and a CSV link).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#1d4f91", "#b3261e", "#1e7b34", "#b26a00", "#6a3d9a", "#00838f", "#5d4037", "#c2185b"]


def line_chart(*, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], y_max: float = 100.0,
               width: int = 640, height: int = 220, title: str = "", unit: str = "") -> SafeString:
    """A line chart; None values leave a gap (a period never computed or not applicable)."""
    left, right, top, bottom = 44, 12, 24 if title else 10, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n)

    def y(v: float) -> float:
        return top + plot_h - plot_h * max(0.0, min(v, y_max)) / (y_max or 1)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
             f'role="img" aria-label="{escape(title)}" class="chart">']
    if title:
        parts.append(f'<text x="{left}" y="16" font-size="14" font-weight="700" fill="#1b1b1b">{escape(title)}</text>')
    for k in range(5):
        tick = y_max * k / 4
        yy = y(tick)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#e3e5e8"/>')
        parts.append(f'<text x="{left - 6}" y="{yy + 4:.1f}" font-size="11" text-anchor="end" fill="#555">'
                     f'{tick:g}{escape(unit)}</text>')
    step = max(1, (len(labels) + 7) // 8)
    for i, label in enumerate(labels):
        last = i == len(labels) - 1 and (i % step) * 2 >= step
        if i % step == 0 or last:
            parts.append(f'<text x="{x(i):.1f}" y="{height - 14}" font-size="11" text-anchor="middle" fill="#555">'
                         f'{escape(label)}</text>')
    for s_idx, (name, values) in enumerate(series):
        color = PALETTE[s_idx % len(PALETTE)]
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, value in enumerate(values):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x(i):.1f},{y(value):.1f}")
        if segment:
            segments.append(segment)
        for seg in segments:
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2.5" points="{" ".join(seg)}"/>')
        for i, value in enumerate(values):
            if value is not None:
                parts.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="3.5" fill="{color}">'
                             f'<title>{escape(name)} — {escape(labels[i])}: {value:.1f}{escape(unit)}</title></circle>')
    if len(series) > 1:
        lx = left
        for s_idx, (name, _values) in enumerate(series):
            color = PALETTE[s_idx % len(PALETTE)]
            parts.append(f'<rect x="{lx}" y="{height - 10}" width="10" height="10" fill="{color}"/>'
                         f'<text x="{lx + 14}" y="{height - 1}" font-size="11" fill="#1b1b1b">{escape(name)}</text>')
            lx += 20 + 7 * len(name)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text node above is escaped


def bar_chart(*, items: Sequence[tuple[str, float | None]], x_max: float = 100.0, width: int = 1000,
              bar: int = 16, title: str = "", label: str = "") -> SafeString:
    """Horizontal bars (a ranking); None shows as "—". `label` names the chart for screen readers
    when the page already shows its title."""
    left, right, top = 220, 60, 24 if title else 6
    height = top + len(items) * (bar + 6) + 6
    plot_w = width - left - right
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="{escape(title or label)}" class="chart">']
    if title:
        parts.append(f'<text x="4" y="16" font-size="14" font-weight="700" fill="#1b1b1b">{escape(title)}</text>')
    for i, (label, value) in enumerate(items):
        yy = top + i * (bar + 6)
        short = label if len(label) <= 30 else label[:29] + "…"
        parts.append(f'<text x="{left - 6}" y="{yy + bar - 5}" font-size="12" text-anchor="end" fill="#1b1b1b">'
                     f'{escape(short)}</text>')
        if value is None:
            parts.append(f'<text x="{left + 4}" y="{yy + bar - 5}" font-size="12" fill="#555">—</text>')
            continue
        w = plot_w * max(0.0, min(value, x_max)) / (x_max or 1)
        color = "#1e7b34" if value >= 90 else "#b26a00" if value >= 70 else "#b3261e"
        parts.append(f'<rect x="{left}" y="{yy}" width="{w:.1f}" height="{bar}" fill="{color}"/>')
        parts.append(f'<text x="{left + w + 4:.1f}" y="{yy + bar - 5}" font-size="12" fill="#1b1b1b">{value:.1f}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text node above is escaped
