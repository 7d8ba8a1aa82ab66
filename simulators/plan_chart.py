"""The staffing plan as a PNG: tickets per hour as columns, counters planned and counters open
today as lines, hour by hour. Drawn with Pillow (already the ticket printer's renderer), so the
chart needs nothing more installed; the web's reports page draws the same figures as SVG."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from drivers import fonts

W, H = 1200, 680
LEFT, RIGHT, TOP, BOTTOM = 90, 90, 120, 110
INK, MUTED, GRID = (33, 37, 41), (108, 117, 125), (222, 226, 230)
BAR, PLAN, TODAY, SHORT = (124, 176, 226), (230, 120, 20), (90, 90, 90), (214, 51, 51)


def render(result: dict) -> Image.Image:
    """The chart of a day's plan (`plan.by_hour`'s result)."""
    if result.get("mode") != "day":
        raise ValueError("the chart draws a day's plan, hour by hour")
    hours = result["hours"]
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    title, small = _font(26), _font(18)
    d.text((LEFT, 24), f"{result['hall']} {result['date']}: counters to open by the hour", fill=INK, font=title)
    x0, x1, y0, y1 = LEFT, W - RIGHT, TOP, H - BOTTOM
    arrivals_max = _nice(max([h["arrivals_per_hour"] for h in hours] + [1]))
    counters_max = _nice(
        max([h["counters"]["average"] for h in hours] + [h["today"]["counters_open"] for h in hours] + [1])
    )
    for i in range(5):  # grid and both axes' scales
        y = y1 - (y1 - y0) * i / 4
        d.line((x0, y, x1, y), fill=GRID, width=1)
        d.text((x0 - 12, y), f"{arrivals_max * i / 4:g}", fill=BAR, font=small, anchor="rm")
        d.text((x1 + 12, y), f"{counters_max * i / 4:g}", fill=PLAN, font=small, anchor="lm")
    slot = (x1 - x0) / len(hours)
    plan_pts, today_pts = [], []
    for i, h in enumerate(hours):
        cx = x0 + slot * (i + 0.5)
        top = y1 - (y1 - y0) * h["arrivals_per_hour"] / arrivals_max
        d.rectangle((cx - slot * 0.3, top, cx + slot * 0.3, y1), fill=BAR)
        d.text((cx, y1 + 12), f"{h['hour']:02d}", fill=INK, font=small, anchor="mt")
        plan_pts.append((cx, y1 - (y1 - y0) * h["counters"]["average"] / counters_max))
        today_pts.append((cx, y1 - (y1 - y0) * h["today"]["counters_open"] / counters_max))
        if not h["meets"]:
            d.text((cx, y1 + 40), "short", fill=SHORT, font=small, anchor="mt")
    for pts, colour in ((today_pts, TODAY), (plan_pts, PLAN)):
        d.line(pts, fill=colour, width=4, joint="curve")
        for x, y in pts:
            d.ellipse((x - 6, y - 6, x + 6, y + 6), fill=colour)
    legend = [
        (BAR, "tickets per hour (left)"),
        (PLAN, "counters planned (right)"),
        (TODAY, "counters open today (right)"),
    ]  # both: counters open on average over the hour
    x = LEFT
    for colour, text in legend:
        d.rectangle((x, 72, x + 18, 88), fill=colour)
        d.text((x + 26, 80), text, fill=INK, font=small, anchor="lm")
        x += 40 + d.textlength(text, font=small)
    a, b = result["plan"], result["today"]
    foot = (
        f"planned: {_pct(a['within_target'])} within target, p95 {_min(a['p95_s'])} min      "
        f"today: {_pct(b['within_target'])} within target, p95 {_min(b['p95_s'])} min"
    )
    d.text((LEFT, H - 44), foot, fill=INK, font=small, anchor="lm")
    d.text(
        (LEFT, H - 18),
        "counters: open on average over the hour; short: every counter of the hall still misses the targets",
        fill=MUTED,
        font=_font(15),
        anchor="lm",
    )
    return img


def write_png(result: dict, path: str | Path) -> None:
    if result.get("mode") != "day":
        return
    render(result).save(path, format="PNG")


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(fonts.REGULAR), size)


def _nice(value: float) -> float:
    """The top of an axis with four even steps: 4, 8, 12, 16, 20, 40, 60, 80, 100, 120, ..."""
    scale = 1.0
    while True:
        for top in (4, 8, 12, 16, 20, 40, 60, 80):
            if top * scale >= value:
                return top * scale
        scale *= 10


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f} %"


def _min(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:.1f}"
