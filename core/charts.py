"""Charts drawn on the server as SVG: no JavaScript library, no CDN, nothing inline that the
Content Security Policy forbids (no <script>, no style attribute: colours are SVG
presentation attributes, the rest is in canopy.css).

``line_chart`` draws one polyline per series over shared x labels, with axes, a few y ticks,
the x labels thinned to fit, and every point as a circle whose <title> the browser shows on
hover (and a screen reader reads). Everything a caller passes is text, escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from django.utils.safestring import SafeString, mark_safe

# Colours that stay apart for the common kinds of colour blindness (Okabe and Ito).
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 32, 16, 40
MAX_X_LABELS = 12


@dataclass(frozen=True)
class Series:
    """One line: a name (the legend) and a value per x label (None: no point that day)."""

    name: str
    values: Sequence[float | int | None]


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^n at or above ``value`` (the top of the y axis)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    y_label: str = "",
    element_id: str = "chart",
) -> SafeString:
    """An <svg> (role="img", titled) with one polyline per series and a circle per point."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = nice_ceiling(max((v for s in series for v in s.values if v is not None), default=0) or 1)
    count = len(labels)

    def x_at(index: int) -> float:
        return LEFT + (plot_w / 2 if count == 1 else plot_w * index / (count - 1))

    def y_at(value: float) -> float:
        return TOP + plot_h - plot_h * value / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="canopy-chart" id={quoteattr(element_id)}'
        f' viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{element_id}-title"'
        f' data-points="{sum(1 for s in series for v in s.values if v is not None)}">',
        f'<title id="{element_id}-title">{escape(title)}</title>',
        f'<g class="canopy-chart-axes"><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}"'
        f' y2="{TOP + plot_h}"/><line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}"'
        f' y2="{TOP + plot_h}"/></g>',
    ]
    # Y: five ticks from 0 to the top, with grid lines.
    ticks = ['<g class="canopy-chart-y">']
    for step in range(5):
        value = top * step / 4
        y = y_at(value)
        ticks.append(
            f'<line class="canopy-chart-grid" x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}"'
            f' y2="{y:.1f}"/><text x="{LEFT - 6}" y="{y + 4:.1f}"'
            f' text-anchor="end">{_number(value)}</text>'
        )
    if y_label:
        ticks.append(
            f'<text x="12" y="{TOP + plot_h / 2:.1f}" text-anchor="middle"'
            f' transform="rotate(-90 12 {TOP + plot_h / 2:.1f})">{escape(y_label)}</text>'
        )
    ticks.append("</g>")
    parts.extend(ticks)
    # X: at most MAX_X_LABELS labels, evenly thinned, always the first and the last.
    every = max(1, math.ceil(count / MAX_X_LABELS))
    shown = [i for i in range(count) if i % every == 0 or i == count - 1]
    if len(shown) > 1 and shown[-1] - shown[-2] < every:
        shown.pop(-2)
    parts.append('<g class="canopy-chart-x">')
    for i in shown:
        parts.append(
            f'<text x="{x_at(i):.1f}" y="{TOP + plot_h + 18}"'
            f' text-anchor="middle">{escape(labels[i])}</text>'
        )
    parts.append("</g>")
    for number, line in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        points = [(i, v) for i, v in enumerate(line.values[:count]) if v is not None]
        parts.append(f'<g class="canopy-chart-series" data-series={quoteattr(line.name)}>')
        if len(points) > 1:
            path = " ".join(f"{x_at(i):.1f},{y_at(v):.1f}" for i, v in points)
            parts.append(f'<polyline fill="none" stroke="{colour}" points="{path}"/>')
        for i, v in points:
            parts.append(
                f'<circle class="canopy-chart-point" cx="{x_at(i):.1f}" cy="{y_at(v):.1f}"'
                f' r="3" fill="{colour}"><title>{escape(line.name)}, {escape(labels[i])}:'
                f" {_number(v)}</title></circle>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every caller's text is escaped above


def legend(series: Sequence[Series]) -> list[tuple[str, str]]:
    """(name, colour) of each series, for an HTML legend beside the chart."""
    return [(s.name, PALETTE[n % len(PALETTE)]) for n, s in enumerate(series)]
