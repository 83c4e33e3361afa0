"""Small charts as inline SVG: stacked bars, lines, horizontal stacked bars. No JavaScript, no network.

Every piece of text that reaches the SVG (labels, organisation names, titles) is XML-escaped here,
so a chart is safe to embed in a page whatever the data says. Charts return `Markup`, which Jinja
inserts as is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from markupsafe import Markup, escape

# One colour per openness label (and a few spares), readable by colour-blind readers (Okabe-Ito).
LABEL_COLOURS = {
    "Open Source and Open Data": "#009E73",
    "Open Source": "#56B4E9",
    "Open Weights": "#0072B2",
    "Weights Available": "#E69F00",
    "No Weights": "#999999",
}
SPARE_COLOURS = ("#D55E00", "#CC79A7", "#009E73", "#000000", "#56B4E9", "#E69F00", "#8C564B")

FONT = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\""


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]
    colour: str | None = None


def colour_for(name: str, index: int) -> str:
    return LABEL_COLOURS.get(name) or SPARE_COLOURS[index % len(SPARE_COLOURS)]


def _e(value: object) -> str:
    return str(escape(str(value)))


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _frame(width: int, height: int, title: str, body: list[str], css_class: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_e(title)}" {FONT} font-size="12">'
        f"<title>{_e(title)}</title>"
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>'
        f'<text x="10" y="20" font-size="14" font-weight="bold">{_e(title)}</text>'
        + "".join(body)
        + "</svg>"
    )


def _legend(series: Sequence[Series], x: int, y: int, width: int) -> tuple[list[str], int]:
    """Legend entries laid out left to right, wrapping; returns the parts and the height used."""
    parts: list[str] = []
    cx, cy = x, y
    for i, s in enumerate(series):
        label = _short(s.name, 40)
        w = 22 + 7 * len(label)
        if cx + w > x + width and cx > x:
            cx, cy = x, cy + 18
        colour = s.colour or colour_for(s.name, i)
        parts.append(f'<rect x="{cx}" y="{cy - 10}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{cx + 16}" y="{cy}">{_e(label)}</text>')
        cx += w + 10
    return parts, cy - y + 18


def _y_axis(x0: int, y0: int, plot_w: int, plot_h: int, y_max: float, unit: str) -> list[str]:
    parts = []
    for i in range(5):
        value = y_max * i / 4
        y = y0 + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + plot_w}" y2="{y:.1f}" stroke="#dddddd"/>')
        parts.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#444444">{_num(value)}{_e(unit)}</text>')
    return parts


def _label_every(count: int, spacing: float, longest: int) -> int:
    """Show every n-th axis label so that labels (about 6.5 px per character) never overlap."""
    needed = 6.5 * longest + 8
    return max(1, int(-(-needed // max(spacing, 1.0))))


def _no_data(title: str, css_class: str, width: int = 640) -> Markup:
    return _frame(width, 80, title, ['<text x="10" y="55" fill="#666666">no data</text>'], css_class)


def stacked_columns(
    categories: Sequence[str], series: Sequence[Series], title: str, *, unit: str = "%", y_max: float = 100.0,
    css_class: str = "stacked", width: int = 720,
) -> Markup:
    """Vertical stacked columns, one per category (e.g. crawl week), segments per series (e.g. label)."""
    if not categories or not series:
        return _no_data(title, css_class, width)
    legend, legend_h = _legend(series, 60, 42, width - 70)
    x0, y0 = 60, 42 + legend_h
    plot_w, plot_h = width - x0 - 20, 220
    height = y0 + plot_h + 60
    parts = legend + _y_axis(x0, y0, plot_w, plot_h, y_max, unit)
    step = plot_w / len(categories)
    bar_w = max(2.0, min(60.0, step * 0.7))
    every = _label_every(len(categories), step, max(len(_short(c, 12)) for c in categories))
    for ci, category in enumerate(categories):
        cx = x0 + step * ci + (step - bar_w) / 2
        top = y0 + plot_h
        for si, s in enumerate(series):
            value = s.values[ci] if ci < len(s.values) else 0.0
            h = plot_h * (value / y_max) if y_max else 0.0
            if h <= 0:
                continue
            top -= h
            parts.append(
                f'<rect class="segment" x="{cx:.1f}" y="{top:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{s.colour or colour_for(s.name, si)}"><title>{_e(category)}: {_e(s.name)} {_num(value)}{_e(unit)}</title></rect>'
            )
        if ci % every == 0:
            parts.append(
                f'<text x="{cx + bar_w / 2:.1f}" y="{y0 + plot_h + 16}" text-anchor="middle" fill="#444444">{_e(_short(category, 12))}</text>'
            )
    return _frame(width, height, title, parts, css_class)


def lines(
    categories: Sequence[str], series: Sequence[Series], title: str, *, unit: str = "%", y_max: float | None = 100.0,
    css_class: str = "lines", width: int = 720,
) -> Markup:
    """One line per series over the categories (e.g. crawl dates); a single point shows as a dot."""
    if not categories or not series:
        return _no_data(title, css_class, width)
    if y_max is None:
        top = max((v for s in series for v in s.values), default=0.0)
        y_max = _nice_ceiling(top)
    legend, legend_h = _legend(series, 60, 42, width - 70)
    x0, y0 = 60, 42 + legend_h
    plot_w, plot_h = width - x0 - 50, 200  # room on the right for the last axis label
    height = y0 + plot_h + 60
    parts = legend + _y_axis(x0, y0, plot_w, plot_h, y_max, unit)
    n = len(categories)

    def xy(i: int, value: float) -> tuple[float, float]:
        x = x0 + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))
        y = y0 + plot_h - (plot_h * value / y_max if y_max else 0.0)
        return x, y

    every = _label_every(n, plot_w / max(n - 1, 1), max(len(_short(c, 12)) for c in categories))
    for i, category in enumerate(categories):
        if i % every == 0:
            x, _ = xy(i, 0)
            parts.append(f'<text x="{x:.1f}" y="{y0 + plot_h + 16}" text-anchor="middle" fill="#444444">{_e(_short(category, 12))}</text>')
    for si, s in enumerate(series):
        colour = s.colour or colour_for(s.name, si)
        points = [xy(i, v) for i, v in enumerate(s.values[:n])]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline class="line" points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for (x, y), category, value in zip(points, categories, s.values):
            parts.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"><title>{_e(category)}: {_e(s.name)} {_num(value)}{_e(unit)}</title></circle>'
            )
    return _frame(width, height, title, parts, css_class)


def stacked_rows(
    rows: Sequence[str], series: Sequence[Series], title: str, *, unit: str = "", css_class: str = "rows", width: int = 720,
) -> Markup:
    """Horizontal stacked bars, one row per item (e.g. organisation), scaled to the largest total."""
    if not rows or not series:
        return _no_data(title, css_class, width)
    legend, legend_h = _legend(series, 10, 42, width - 20)
    label_w = 190
    x0, y0 = label_w + 10, 42 + legend_h
    plot_w = width - x0 - 70
    row_h = 22
    height = y0 + row_h * len(rows) + 20
    totals = [sum(s.values[i] if i < len(s.values) else 0 for s in series) for i in range(len(rows))]
    scale = max(totals) or 1.0
    parts = legend
    for ri, (name, total) in enumerate(zip(rows, totals)):
        y = y0 + ri * row_h
        parts.append(f'<text x="{label_w}" y="{y + 14}" text-anchor="end">{_e(_short(name, 28))}</text>')
        x = float(x0)
        for si, s in enumerate(series):
            value = s.values[ri] if ri < len(s.values) else 0
            w = plot_w * value / scale
            if w <= 0:
                continue
            parts.append(
                f'<rect class="segment" x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{s.colour or colour_for(s.name, si)}">'
                f"<title>{_e(name)}: {_e(s.name)} {_num(value)}{_e(unit)}</title></rect>"
            )
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 14}" fill="#444444">{_e(_compact(total))}{_e(unit)}</text>')
    return _frame(width, height, title, parts, css_class)


def _nice_ceiling(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** len(str(int(value))) / 10
    for step in (1, 2, 3, 4, 5, 6, 8, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _compact(value: float) -> str:
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= threshold:
            return f"{value / threshold:.1f}".rstrip("0").rstrip(".") + suffix
    return _num(value)
