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
    counts: tuple[int, ...] | None = None  # models behind each value, when they differ from the chart's `counts`


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
    css_class: str = "stacked", width: int = 720, counts: Sequence[int] | None = None, min_count: int = 0,
) -> Markup:
    """Vertical stacked columns, one per category (e.g. crawl week), segments per series (e.g. label).

    `counts` (models per category) are drawn as a strip of small bars under the axis, so a reader sees
    how many models each column stands for; a column of fewer than `min_count` is drawn faded and
    marked, and a category with none is left empty (a gap, not a zero).
    """
    if not categories or not series:
        return _no_data(title, css_class, width)
    legend, legend_h = _legend(series, 60, 42, width - 70)
    x0, y0 = 60, 42 + legend_h
    plot_w, plot_h = width - x0 - 20, 220
    strip_h = 44 if counts is not None else 0
    height = y0 + plot_h + 60 + strip_h
    parts = legend + _y_axis(x0, y0, plot_w, plot_h, y_max, unit)
    step = plot_w / len(categories)
    bar_w = max(2.0, min(60.0, step * 0.7))
    every = _label_every(len(categories), step, max(len(_short(c, 12)) for c in categories))
    for ci, category in enumerate(categories):
        cx = x0 + step * ci + (step - bar_w) / 2
        top = y0 + plot_h
        n = counts[ci] if counts is not None and ci < len(counts) else None
        small = n is not None and 0 < n < min_count
        faded = ' opacity="0.35"' if small else ""
        for si, s in enumerate(series):
            value = s.values[ci] if ci < len(s.values) else 0.0
            h = plot_h * (value / y_max) if y_max else 0.0
            if h <= 0:
                continue
            top -= h
            of_n = f" of {n:,} models" if n is not None else ""
            parts.append(
                f'<rect class="segment{" small" if small else ""}" x="{cx:.1f}" y="{top:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{s.colour or colour_for(s.name, si)}"{faded}><title>{_e(category)}: {_e(s.name)} {_num(value)}{_e(unit)}{of_n}</title></rect>'
            )
        if small and bar_w >= 6:
            parts.append(f'<text class="small-mark" x="{cx + bar_w / 2:.1f}" y="{top - 4:.1f}" text-anchor="middle" font-size="10" fill="#666666">†</text>')
        if ci % every == 0:
            parts.append(
                f'<text x="{cx + bar_w / 2:.1f}" y="{y0 + plot_h + 16}" text-anchor="middle" fill="#444444">{_e(_short(category, 12))}</text>'
            )
    if counts is not None:
        parts += _count_strip(counts, [x0 + step * ci + (step - bar_w) / 2 for ci in range(len(categories))], bar_w, y0 + plot_h + 28, strip_h - 8, min_count)
    return _frame(width, height, title, parts, css_class)


def _count_strip(counts: Sequence[int], xs: Sequence[float], bar_w: float, y: float, h: float, min_count: int) -> list[str]:
    """Small grey bars, one per column: how many models each column (or point) stands for."""
    top = max(counts, default=0) or 1
    parts = [f'<text x="{xs[0] - 8 if xs else 0:.1f}" y="{y + h / 2 + 4:.1f}" text-anchor="end" fill="#444444" font-size="11">n</text>']
    for x, n in zip(xs, counts):
        bh = h * n / top
        if n > 0:
            fill = "#bbbbbb" if n < min_count else "#777777"
            parts.append(f'<rect class="count" x="{x:.1f}" y="{y + h - bh:.1f}" width="{bar_w:.1f}" height="{max(bh, 1):.1f}" fill="{fill}"><title>{n:,} models</title></rect>')
    parts.append(f'<text x="{xs[-1] + bar_w + 4 if xs else 0:.1f}" y="{y + 8:.1f}" fill="#444444" font-size="10">{_compact(top)}</text>')
    return parts


def lines(
    categories: Sequence[str], series: Sequence[Series], title: str, *, unit: str = "%", y_max: float | None = 100.0,
    css_class: str = "lines", width: int = 720, counts: Sequence[int] | None = None, min_count: int = 0,
    positions: Sequence[float] | None = None, ticks: Sequence[tuple[float, str]] | None = None,
) -> Markup:
    """One line per series over the categories (e.g. crawl dates); a single point shows as a dot.

    `positions` (0..1 per category) place the points on a true axis (dates at their distance) with
    `ticks` as (position, label); by default categories are evenly spaced. With `counts`, a point of
    fewer than `min_count` models is a hollow marker that no line runs through, a point of none is
    left out (the line breaks), and a strip under the axis shows n per point.
    """
    if not categories or not series:
        return _no_data(title, css_class, width)
    if y_max is None:
        top = max((v for s in series for v in s.values), default=0.0)
        y_max = _nice_ceiling(top)
    legend, legend_h = _legend(series, 60, 42, width - 70)
    x0, y0 = 60, 42 + legend_h
    plot_w, plot_h = width - x0 - 50, 200  # room on the right for the last axis label
    strip_h = 44 if counts is not None else 0
    height = y0 + plot_h + 60 + strip_h
    parts = legend + _y_axis(x0, y0, plot_w, plot_h, y_max, unit)
    n = len(categories)
    if positions is None:
        positions = [0.5] if n == 1 else [i / (n - 1) for i in range(n)]

    pad = 16  # the first and last points keep clear of the y-axis labels

    def at(position: float) -> float:
        return x0 + pad + (plot_w - 2 * pad) * position

    def xy(i: int, value: float) -> tuple[float, float]:
        return at(positions[i]), y0 + plot_h - (plot_h * value / y_max if y_max else 0.0)

    if ticks is None:
        every = _label_every(n, plot_w / max(n - 1, 1), max(len(_short(c, 12)) for c in categories))
        ticks = [(positions[i], categories[i]) for i in range(n) if i % every == 0]
    last_right = float("-inf")
    for position, text in ticks:
        x = at(position)
        half = (6.5 * len(_short(text, 12)) + 8) / 2
        if x - half < last_right:  # two crawls a few days apart: label the first only, never overprint
            continue
        last_right = x + half
        parts.append(f'<line x1="{x:.1f}" y1="{y0 + plot_h}" x2="{x:.1f}" y2="{y0 + plot_h + 4}" stroke="#999999"/>')
        parts.append(f'<text x="{x:.1f}" y="{y0 + plot_h + 16}" text-anchor="middle" fill="#444444">{_e(_short(text, 12))}</text>')

    markers: list[str] = []  # drawn after every line, so no line hides a point
    for si, s in enumerate(series):
        colour = s.colour or colour_for(s.name, si)
        own = s.counts if s.counts is not None else counts

        def weight(i: int, own=own) -> int | None:
            return own[i] if own is not None and i < len(own) else None

        run: list[tuple[float, float]] = []
        runs: list[list[tuple[float, float]]] = [run]
        for i, value in enumerate(s.values[:n]):
            w = weight(i)
            if w is not None and w < max(min_count, 1):
                run = []  # a small or empty group breaks the line
                runs.append(run)
                if w == 0:
                    continue
            else:
                run.append(xy(i, value))
            x, y = xy(i, value)
            of_n = f" of {w:,} models" if w is not None else ""
            hollow = w is not None and w < min_count
            fill = f'fill="#ffffff" stroke="{colour}" stroke-width="1.5"' if hollow else f'fill="{colour}"'
            markers.append(
                f'<circle class="point{" small" if hollow else ""}" cx="{x:.1f}" cy="{y:.1f}" r="3.5" {fill}><title>{_e(categories[i])}: {_e(s.name)} {_num(value)}{_e(unit)}{of_n}</title></circle>'
            )
        for points in runs:
            if len(points) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
                parts.append(f'<polyline class="line" points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
    parts += markers
    if counts is not None:
        xs = [xy(i, 0)[0] for i in range(n)]
        bar_w = max(2.0, min(14.0, plot_w / max(n, 1) * 0.6))
        parts += _count_strip(counts, [x - bar_w / 2 for x in xs], bar_w, y0 + plot_h + 28, strip_h - 8, min_count)
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
