"""Trend charts for a measure: every period's value with its benchmark line or target band.

One layout, two renderers: an accessible inline SVG for web pages and a PNG (Pillow) for the
Word export. The value line is solid with round markers and labelled figures; the benchmark is
dashed with square markers; a target band is a shaded strip named in the legend. Line style,
marker shape and words distinguish them, so nothing depends on colour.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape
from PIL import Image, ImageDraw, ImageFont

from .judgements import Unit, format_band, format_figure

#: GOV.UK palette: blue for the value, black for the benchmark, light grey for a band.
VALUE_COLOUR = "#1d70b8"
BENCHMARK_COLOUR = "#0b0c0c"
BAND_COLOUR = "#dfe1e3"
GRID_COLOUR = "#b1b4b6"
TEXT_COLOUR = "#0b0c0c"


@dataclass(frozen=True)
class ChartData:
    """What a trend chart shows, in period order."""

    title: str
    unit: Unit
    periods: tuple[str, ...]
    values: tuple[float | None, ...]
    benchmarks: tuple[float | None, ...]
    band: tuple[float, float] | None = None
    benchmark_label: str = ""

    @property
    def has_values(self) -> bool:
        """Whether any period has a figure to plot."""
        return any(v is not None for v in self.values)

    def describe(self) -> str:
        """The chart in words, for screen readers and alt text."""
        parts = [
            f"{period}: {format_figure(value, self.unit)}"
            for period, value in zip(self.periods, self.values, strict=True)
        ]
        text = f"{self.title}. Values by period: " + "; ".join(parts) + "."
        marks = [
            f"{period} {format_figure(b, self.unit)}"
            for period, b in zip(self.periods, self.benchmarks, strict=True)
            if b is not None
        ]
        if marks:
            text += " Benchmark: " + "; ".join(marks) + "."
        if self.band is not None:
            text += f" Target band: {format_band(self.band[0], self.band[1], self.unit)}."
        return text


def chart_data(summary: Any) -> ChartData:
    """Chart data from a ``services.measures.MeasureSummary`` (its measure and values)."""
    measure = summary.measure
    values = list(summary.values)
    latest = summary.latest
    return ChartData(
        title=f"{measure.code}: {measure.title}",
        unit=measure.unit,
        periods=tuple(v.period for v in values),
        values=tuple(v.value for v in values),
        benchmarks=tuple(v.benchmark for v in values),
        band=latest.band if latest is not None else None,
        benchmark_label=latest.benchmark_label if latest is not None else "",
    )


# --- layout ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    low: float
    high: float
    ticks: tuple[float, ...]
    xs: tuple[float, ...]

    def y(self, value: float) -> float:
        span = self.high - self.low or 1.0
        return self.bottom - (value - self.low) / span * (self.bottom - self.top)


def _nice_step(span: float) -> float:
    raw = span / 4 if span > 0 else 1.0
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power  # pragma: no cover - the loop always returns


def _layout(data: ChartData, width: int, height: int, scale: float = 1.0) -> _Layout:
    figures = [v for v in (*data.values, *data.benchmarks) if v is not None]
    if data.band is not None:
        figures.extend(data.band)
    low, high = (min(figures), max(figures)) if figures else (0.0, 1.0)
    if high == low:
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    step = _nice_step(high - low)
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step
    if data.unit is Unit.PERCENT:
        low, high = max(low, 0.0), min(high, 100.0) if high <= 100 else high
    if low < 0 <= min(figures or [0.0]):
        low = 0.0
    ticks = []
    tick = low
    while tick <= high + step / 1000:
        ticks.append(round(tick, 6))
        tick += step
    left, right = int(70 * scale), width - int(20 * scale)
    top, bottom = int(30 * scale), height - int(60 * scale)
    count = len(data.periods)
    if count <= 1:
        xs: tuple[float, ...] = ((left + right) / 2,) * count
    else:
        inner = int(40 * scale)
        gap = (right - left - 2 * inner) / (count - 1)
        xs = tuple(left + inner + i * gap for i in range(count))
    return _Layout(width, height, left, right, top, bottom, low, high, tuple(ticks), xs)


def _tick_text(value: float, unit: Unit) -> str:
    return format_figure(value, unit, empty="")


def _segments(xs: Sequence[float], ys: Sequence[float | None]) -> list[list[tuple[float, float]]]:
    """Runs of consecutive points with figures; a missing period breaks the line."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in zip(xs, ys, strict=True):
        if y is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((x, y))
    return [run for run in runs if run]


def _benchmark_points(data: ChartData, layout: _Layout) -> list[list[tuple[float, float]]]:
    marks = [b for b in data.benchmarks if b is not None]
    if len(marks) == 1:
        # One benchmark (the usual case: the latest national average) is drawn across the chart.
        y = layout.y(marks[0])
        return [[(layout.left, y), (layout.right, y)]]
    # Benchmarks usually come with the current period only; join them across the gaps.
    return [
        [(x, layout.y(b)) for x, b in zip(layout.xs, data.benchmarks, strict=True) if b is not None]
    ]


# --- SVG -------------------------------------------------------------------------------------


def trend_svg(summary: Any, chart_id: str = "chart", width: int = 640, height: int = 280) -> Markup:
    """An accessible inline SVG trend chart for a measure summary (role img, title, desc)."""
    return svg_for(chart_data(summary), chart_id, width, height)


def kept_trend_svg(summary: Any, chart_id: str = "chart") -> Markup:
    """trend_svg drawn once per summary and chart id; summaries are remembered between requests."""
    key = f"svg:{chart_id}"
    if key not in summary.drawn:
        summary.drawn[key] = trend_svg(summary, chart_id)
    return summary.drawn[key]  # type: ignore[no-any-return]


def svg_for(data: ChartData, chart_id: str, width: int = 640, height: int = 280) -> Markup:
    """Render chart data as an inline SVG element."""
    layout = _layout(data, width, height)
    out: list[str] = [
        f'<svg class="app-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}"'
        f' width="100%" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc"'
        ' focusable="false">',
        f'<title id="{chart_id}-title">Trend: {escape(data.title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(data.describe())}</desc>',
        f'<g font-family="Arial, sans-serif" font-size="12" fill="{TEXT_COLOUR}">',
    ]
    if data.band is not None:
        top, bottom = layout.y(data.band[1]), layout.y(data.band[0])
        out.append(
            f'<rect x="{layout.left}" y="{top:.1f}" width="{layout.right - layout.left}"'
            f' height="{max(bottom - top, 1):.1f}" fill="{BAND_COLOUR}"/>'
        )
    for tick in layout.ticks:
        y = layout.y(tick)
        out.append(
            f'<line x1="{layout.left}" y1="{y:.1f}" x2="{layout.right}" y2="{y:.1f}"'
            f' stroke="{GRID_COLOUR}" stroke-width="1"/>'
            f'<text x="{layout.left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_tick_text(tick, data.unit))}</text>"
        )
    for x, period in zip(layout.xs, data.periods, strict=True):
        out.append(
            f'<text x="{x:.1f}" y="{layout.bottom + 18}" text-anchor="middle">'
            f"{escape(period)}</text>"
        )
    for run in _benchmark_points(data, layout):
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
        out.append(
            f'<polyline points="{points}" fill="none" stroke="{BENCHMARK_COLOUR}"'
            ' stroke-width="2" stroke-dasharray="8 5"/>'
        )
    if len([b for b in data.benchmarks if b is not None]) > 1:
        for x, b in zip(layout.xs, data.benchmarks, strict=True):
            if b is not None:
                y = layout.y(b)
                out.append(
                    f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8"'
                    f' fill="{BENCHMARK_COLOUR}"/>'
                )
    ys = [None if v is None else layout.y(v) for v in data.values]
    for run in _segments(layout.xs, ys):
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
        out.append(
            f'<polyline points="{points}" fill="none" stroke="{VALUE_COLOUR}" stroke-width="3"/>'
        )
    for x, value in zip(layout.xs, data.values, strict=True):
        if value is None:
            out.append(
                f'<text x="{x:.1f}" y="{layout.bottom - 6}" text-anchor="middle"'
                ' font-style="italic">No data</text>'
            )
            continue
        y = layout.y(value)
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{VALUE_COLOUR}"/>'
            f'<text x="{x:.1f}" y="{y - 10:.1f}" text-anchor="middle" font-weight="bold">'
            f"{escape(format_figure(value, data.unit))}</text>"
        )
    out.append(_svg_legend(data, layout))
    out.append("</g></svg>")
    return Markup("".join(out))


def _svg_legend(data: ChartData, layout: _Layout) -> str:
    y = layout.height - 14
    x = layout.left
    parts = [
        f'<line x1="{x}" y1="{y - 4}" x2="{x + 24}" y2="{y - 4}" stroke="{VALUE_COLOUR}"'
        f' stroke-width="3"/><circle cx="{x + 12}" cy="{y - 4}" r="4" fill="{VALUE_COLOUR}"/>'
        f'<text x="{x + 30}" y="{y}">Value (solid line)</text>'
    ]
    x += 150
    if any(b is not None for b in data.benchmarks):
        label = (
            f"Benchmark (dashed line){': ' + data.benchmark_label if data.benchmark_label else ''}"
        )
        parts.append(
            f'<line x1="{x}" y1="{y - 4}" x2="{x + 24}" y2="{y - 4}" stroke="{BENCHMARK_COLOUR}"'
            f' stroke-width="2" stroke-dasharray="8 5"/>'
            f'<text x="{x + 30}" y="{y}">{escape(label)}</text>'
        )
    elif data.band is not None:
        parts.append(
            f'<rect x="{x}" y="{y - 10}" width="24" height="12" fill="{BAND_COLOUR}"'
            f' stroke="{GRID_COLOUR}"/><text x="{x + 30}" y="{y}">'
            f"Target band (shaded): {escape(format_band(data.band[0], data.band[1], data.unit))}"
            "</text>"
        )
    return "".join(parts)


# --- PNG -------------------------------------------------------------------------------------


def trend_png(summary: Any, width: int = 1200, height: int = 520) -> bytes:
    """A PNG trend chart for a measure summary, for the Word export (same data as the SVG)."""
    return png_for(chart_data(summary), width, height)


def png_for(data: ChartData, width: int = 1200, height: int = 520) -> bytes:
    """Render chart data as PNG bytes with Pillow."""
    scale = width / 640
    layout = _layout(data, width, height, scale)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = _font(int(12 * scale))
    bold = _font(int(13 * scale))
    if data.band is not None:
        top, bottom = layout.y(data.band[1]), layout.y(data.band[0])
        draw.rectangle([layout.left, top, layout.right, max(bottom, top + 1)], fill=BAND_COLOUR)
    for tick in layout.ticks:
        y = layout.y(tick)
        draw.line([(layout.left, y), (layout.right, y)], fill=GRID_COLOUR, width=1)
        draw.text(
            (layout.left - 6 * scale, y),
            _tick_text(tick, data.unit),
            fill=TEXT_COLOUR,
            font=font,
            anchor="rm",
        )
    for x, period in zip(layout.xs, data.periods, strict=True):
        draw.text((x, layout.bottom + 12 * scale), period, fill=TEXT_COLOUR, font=font, anchor="mt")
    line = max(1, int(2 * scale))
    for run in _benchmark_points(data, layout):
        _dashed(draw, run, BENCHMARK_COLOUR, line, int(8 * scale), int(5 * scale))
    if len([b for b in data.benchmarks if b is not None]) > 1:
        for x, b in zip(layout.xs, data.benchmarks, strict=True):
            if b is not None:
                y, r = layout.y(b), 4 * scale
                draw.rectangle([x - r, y - r, x + r, y + r], fill=BENCHMARK_COLOUR)
    ys = [None if v is None else layout.y(v) for v in data.values]
    for run in _segments(layout.xs, ys):
        if len(run) > 1:
            draw.line(run, fill=VALUE_COLOUR, width=int(3 * scale), joint="curve")
    for x, value in zip(layout.xs, data.values, strict=True):
        if value is None:
            draw.text(
                (x, layout.bottom - 6 * scale), "No data", fill=TEXT_COLOUR, font=font, anchor="mb"
            )
            continue
        y, r = layout.y(value), 5 * scale
        draw.ellipse([x - r, y - r, x + r, y + r], fill=VALUE_COLOUR)
        draw.text(
            (x, y - 10 * scale),
            format_figure(value, data.unit),
            fill=TEXT_COLOUR,
            font=bold,
            anchor="mb",
        )
    _png_legend(draw, data, layout, scale, font)
    buffer = io.BytesIO()
    # Fast compression: the export draws dozens of charts and must stay quick.
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _font(size: int) -> Any:
    return ImageFont.load_default(size=max(size, 8))


def _dashed(
    draw: ImageDraw.ImageDraw,
    points: Sequence[tuple[float, float]],
    colour: str,
    width: int,
    dash: int,
    gap: int,
) -> None:
    for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
        length = math.hypot(x2 - x1, y2 - y1)
        if length == 0:
            continue
        dx, dy = (x2 - x1) / length, (y2 - y1) / length
        pos = 0.0
        while pos < length:
            end = min(pos + dash, length)
            draw.line(
                [(x1 + dx * pos, y1 + dy * pos), (x1 + dx * end, y1 + dy * end)],
                fill=colour,
                width=width,
            )
            pos = end + gap


def _png_legend(
    draw: ImageDraw.ImageDraw, data: ChartData, layout: _Layout, scale: float, font: Any
) -> None:
    y = layout.height - 18 * scale
    x = float(layout.left)
    draw.line([(x, y), (x + 24 * scale, y)], fill=VALUE_COLOUR, width=int(3 * scale))
    r = 4 * scale
    draw.ellipse([x + 12 * scale - r, y - r, x + 12 * scale + r, y + r], fill=VALUE_COLOUR)
    draw.text((x + 30 * scale, y), "Value (solid line)", fill=TEXT_COLOUR, font=font, anchor="lm")
    x += 150 * scale
    if any(b is not None for b in data.benchmarks):
        _dashed(
            draw,
            [(x, y), (x + 24 * scale, y)],
            BENCHMARK_COLOUR,
            max(1, int(2 * scale)),
            int(8 * scale),
            int(5 * scale),
        )
        label = "Benchmark (dashed line)"
        if data.benchmark_label:
            label += f": {data.benchmark_label}"
        draw.text((x + 30 * scale, y), label, fill=TEXT_COLOUR, font=font, anchor="lm")
    elif data.band is not None:
        draw.rectangle(
            [x, y - 6 * scale, x + 24 * scale, y + 6 * scale], fill=BAND_COLOUR, outline=GRID_COLOUR
        )
        band = format_band(data.band[0], data.band[1], data.unit).replace("–", " to ")
        label = f"Target band (shaded): {band}"
        draw.text((x + 30 * scale, y), label, fill=TEXT_COLOUR, font=font, anchor="lm")
