"""Charts for the reports, drawn server-side as inline SVG: pure functions, figures in, markup out.

No chart library and nothing to download: a report page is complete HTML that prints as it is
shown. Colours come from CSS classes (web/static/hall.css), so the print style can change them
and the page needs no inline style. Every text is escaped (clerk ids come from the devices).

    horizontal_bars(rows, series, ...)   one row per counter, clerk or service; one bar per series
    columns(points, ...)                  one column per day or hour, with an optional line on a
                                          second scale (arrivals against open counters)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

ROW_H = 18
LABEL_W = 150
VALUE_W = 70
WIDTH = 720


@dataclass(frozen=True)
class Series:
    name: str  # shown in the legend
    css: str  # class of its bars: "bar-a", "bar-b", "bar-c"
    values: Sequence[float | None]  # one per row (None: nothing to show)
    fmt: Callable[[float], str] | None = None  # its value labels, if not the chart's


def _fmt_default(v: float) -> str:
    return f"{v:g}"


def nice_duration_max(seconds: float) -> float:
    """A round duration at or above `seconds` for the end of a time scale (whole minutes)."""
    for minutes in (1, 2, 5, 10, 15, 20, 30, 40, 60, 90, 120, 180, 240, 360, 480, 720, 1440):
        if seconds <= minutes * 60:
            return minutes * 60.0
    return nice_max(seconds / 3600) * 3600


def nice_max(value: float) -> float:
    """A round number at or above `value` for the end of a scale (1, 2, 2.5, 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def horizontal_bars(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    scale_max: float | None = None,
    fmt: Callable[[float], str] = _fmt_default,
    marker: float | None = None,
    marker_label: str = "",
    title: str = "",
) -> str:
    """Bars across the page: a row per label, one thin bar per series in each row."""
    values = [v for s in series for v in s.values if v is not None]
    top = scale_max if scale_max is not None else nice_max(max(values, default=0) or 1)
    per_row = ROW_H * max(1, len(series)) + 8
    legend_h = 22 if len(series) > 1 or title else 0
    height = legend_h + per_row * len(labels) + 24
    plot_w = WIDTH - LABEL_W - VALUE_W
    out = [_open(WIDTH, height, title)]
    out.append(_legend(series, title, y=14) if legend_h else "")
    y = legend_h
    for i, label in enumerate(labels):
        out.append(
            f'<text class="chart-label" x="{LABEL_W - 8}" y="{y + per_row / 2 + 4:.1f}" '
            f'text-anchor="end">{escape(_clip(label))}</text>'
        )
        for k, s in enumerate(series):
            v = s.values[i]
            by = y + 4 + k * ROW_H
            if v is None:
                out.append(f'<text class="chart-none" x="{LABEL_W + 4}" y="{by + ROW_H / 2 + 4:.1f}">–</text>')
                continue
            w = max(0.0, min(1.0, v / top)) * plot_w
            text = escape((s.fmt or fmt)(v))
            out.append(
                f'<rect class="{s.css}" x="{LABEL_W}" y="{by + 2}" width="{w:.1f}" height="{ROW_H - 5}">'
                f"<title>{escape(label)} · {escape(s.name)}: {text}</title></rect>"
            )
            out.append(
                f'<text class="chart-value" x="{LABEL_W + w + 4:.1f}" y="{by + ROW_H / 2 + 4:.1f}">{text}</text>'
            )
        y += per_row
    out.append(f'<line class="chart-axis" x1="{LABEL_W}" y1="{legend_h}" x2="{LABEL_W}" y2="{y}"/>')
    for frac in (0, 0.5, 1):
        x = LABEL_W + frac * plot_w
        out.append(
            f'<text class="chart-tick" x="{x:.1f}" y="{y + 16}" text-anchor="middle">{escape(fmt(top * frac))}</text>'
        )
    if marker is not None and 0 <= marker <= top:
        x = LABEL_W + marker / top * plot_w
        out.append(f'<line class="chart-marker" x1="{x:.1f}" y1="{legend_h}" x2="{x:.1f}" y2="{y}"/>')
        out.append(
            f'<text class="chart-marker-label" x="{x + 3:.1f}" y="{legend_h + 10}">{escape(marker_label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def columns(
    labels: Sequence[str],
    bars: Series,
    *,
    line: Series | None = None,
    fmt: Callable[[float], str] = _fmt_default,
    line_fmt: Callable[[float], str] = _fmt_default,
    scale_max: float | None = None,
    title: str = "",
    height: int = 240,
) -> str:
    """Columns along the page (days, hours), and optionally a line on its own scale at the right."""
    n = max(1, len(labels))
    left, right, top_pad, bottom = 48, 48 if line else 12, 28, 34
    plot_w, plot_h = WIDTH - left - right, height - top_pad - bottom
    bar_values = [v for v in bars.values if v is not None]
    top = scale_max if scale_max is not None else nice_max(max(bar_values, default=0) or 1)
    step = plot_w / n
    out = [_open(WIDTH, height, title), _legend([bars] + ([line] if line else []), title, y=14)]
    base = top_pad + plot_h
    for frac in (0, 0.5, 1):
        y = base - frac * plot_h
        out.append(f'<line class="chart-grid" x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}"/>')
        out.append(
            f'<text class="chart-tick" x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt(top * frac))}</text>'
        )
    every = max(1, math.ceil(n / 24))
    for i, label in enumerate(labels):
        x = left + i * step
        v = bars.values[i]
        if v is not None:
            h = max(0.0, min(1.0, v / top)) * plot_h
            w = min(step * 0.7, 56.0)
            out.append(
                f'<rect class="{bars.css}" x="{x + (step - w) / 2:.1f}" y="{base - h:.1f}" width="{w:.1f}" '
                f'height="{h:.1f}"><title>{escape(label)} · {escape(bars.name)}: {escape(fmt(v))}</title></rect>'
            )
        if i % every == 0:
            out.append(
                f'<text class="chart-tick" x="{x + step / 2:.1f}" y="{base + 14}" text-anchor="middle">'
                f"{escape(_clip(label, 10))}</text>"
            )
    if line is not None:
        line_values = [v for v in line.values if v is not None]
        line_top = nice_max(max(line_values, default=0) or 1)
        points = [
            (left + (i + 0.5) * step, base - max(0.0, min(1.0, v / line_top)) * plot_h)
            for i, v in enumerate(line.values)
            if v is not None
        ]
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            out.append(f'<polyline class="{line.css}" points="{path}"/>')
            for (x, y), v in zip(points, [v for v in line.values if v is not None]):
                out.append(
                    f'<circle class="{line.css}-dot" cx="{x:.1f}" cy="{y:.1f}" r="2.5">'
                    f"<title>{escape(line.name)}: {escape(line_fmt(v))}</title></circle>"
                )
        for frac in (0, 0.5, 1):
            y = base - frac * plot_h
            out.append(
                f'<text class="chart-tick {line.css}-tick" x="{left + plot_w + 4}" y="{y + 4:.1f}">'
                f"{escape(line_fmt(line_top * frac))}</text>"
            )
    out.append(f'<line class="chart-axis" x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}"/>')
    out.append("</svg>")
    return "".join(out)


def _open(width: int, height: int, title: str) -> str:
    label = f' aria-label="{escape(title)}"' if title else ""
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img"{label}>'
    )


def text_width(text: str, size: float = 12) -> float:
    """About how wide `text` is drawn: a Chinese character is a full em, a Latin one about 0.6."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.6 for ch in text)


def _legend(series: Sequence[Series], title: str, y: int) -> str:
    out = []
    if title:
        out.append(f'<text class="chart-title" x="0" y="{y}">{escape(title)}</text>')
    widths = [24 + text_width(s.name) for s in series]
    x = max(text_width(title, 14) + 24 if title else 0.0, WIDTH - sum(widths) - 8)
    for s, w in zip(series, widths):
        out.append(f'<rect class="{s.css}" x="{x:.1f}" y="{y - 9}" width="10" height="10"/>')
        out.append(f'<text class="chart-legend" x="{x + 14:.1f}" y="{y}">{escape(s.name)}</text>')
        x += w
    return "".join(out)


def _clip(text: str, n: int = 22) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
