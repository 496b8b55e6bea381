"""Chart geometry for the reports: plain data (shapes with coordinates and CSS classes) that the template
`_svg.html.j2` draws as inline SVG. No markup here and no plotting library: the charts are a handful of
lines, rectangles and markers, and every number they show is also in the table beside them.

Meaning never rests on colour: groups and geographies have marker shapes, the 0.8-1.25 band is a grey
area labelled in words, and a figure that is missing says why in words where its marker would be.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

LOG_MIN, LOG_MAX = 0.2, 5.0
LOG_TICKS = (0.25, 0.5, 0.8, 1.0, 1.25, 2.0, 4.0)
BAND_LOW, BAND_HIGH = 0.8, 1.25


@dataclass
class Chart:
    id: str
    title: str
    desc: str
    width: int
    height: int = 0
    elements: list[dict] = field(default_factory=list)

    def add(self, kind: str, **attrs) -> None:
        attrs["kind"] = kind
        self.elements.append(attrs)

    def text(self, x: float, y: float, text: str, cls: str = "", anchor: str = "start") -> None:
        self.add("text", x=round(x, 1), y=round(y, 1), text=text, cls=cls, anchor=anchor)

    def line(self, x1: float, y1: float, x2: float, y2: float, cls: str = "") -> None:
        self.add("line", x1=round(x1, 1), y1=round(y1, 1), x2=round(x2, 1), y2=round(y2, 1), cls=cls)

    def rect(self, x: float, y: float, w: float, h: float, cls: str = "") -> None:
        self.add("rect", x=round(x, 1), y=round(y, 1), w=round(max(w, 0), 1), h=round(max(h, 0), 1), cls=cls)

    def marker(self, x: float, y: float, shape: str, cls: str = "", r: float = 4.5) -> None:
        self.add(
            "marker", x=round(x, 1), y=round(y, 1), shape=shape, r=r, cls=cls, points=_shape(shape, x, y, r)
        )

    def polyline(self, pts: list[tuple[float, float]], cls: str = "") -> None:
        self.add("polyline", points=" ".join(f"{x:.1f},{y:.1f}" for x, y in pts), cls=cls)


def _shape(shape: str, x: float, y: float, r: float) -> str:
    """Polygon points for the non-circular markers (circle and ring are drawn as circles)."""
    if shape in ("square", "square-open"):
        pts = [(x - r, y - r), (x + r, y - r), (x + r, y + r), (x - r, y + r)]
    elif shape in ("diamond", "diamond-open"):
        r = r * 1.25
        pts = [(x, y - r), (x + r, y), (x, y + r), (x - r, y)]
    elif shape in ("triangle", "triangle-open"):
        r = r * 1.2
        pts = [(x, y - r), (x + r, y + r * 0.8), (x - r, y + r * 0.8)]
    elif shape == "arrow-left":
        pts = [(x, y), (x + r, y - r * 0.8), (x + r, y + r * 0.8)]
    elif shape == "arrow-right":
        pts = [(x, y), (x - r, y - r * 0.8), (x - r, y + r * 0.8)]
    else:
        return ""
    return " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)


def log_x(value: float, x0: float, x1: float, lo: float = LOG_MIN, hi: float = LOG_MAX) -> float:
    v = min(max(value, lo), hi)
    return x0 + (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo)) * (x1 - x0)


def _tick_label(t: float) -> str:
    return f"{t:g}"


# --------------------------------------------------------------------------------------------------
# Forest plot: one row per metric, the comparison groups (or geographies) side by side beneath it.
# --------------------------------------------------------------------------------------------------


def forest(chart_id: str, title: str, desc: str, rows: list[dict], width: int = 680) -> Chart:
    """rows: {"kind": "header", "label"} or {"kind": "point", "label", "shape", "rl", "lo", "hi", "value",
    "note"}. A point row with no rl shows its note (in words) instead of a marker."""
    c = Chart(chart_id, title, desc, width)
    label_w, value_w = 170, 150
    x0, x1 = label_w, width - value_w
    top, row_h, head_h = 44, 17, 21
    height = top + sum(head_h if r["kind"] == "header" else row_h for r in rows) + 34
    c.height = height
    bottom = height - 30
    # the band of no material difference, shaded and named
    c.rect(
        log_x(BAND_LOW, x0, x1),
        top - 6,
        log_x(BAND_HIGH, x0, x1) - log_x(BAND_LOW, x0, x1),
        bottom - top + 6,
        "band",
    )
    c.text((x0 + x1) / 2, 14, "Shaded: no material difference (0.8 to 1.25)", "axis-note", "middle")
    c.text(x0, 30, "◀ less likely than White staff", "axis-note", "start")
    c.text(x1, 30, "more likely ▶", "axis-note", "end")
    c.text(x1 + 8, 30, "ratio (95% CI)", "axis-note", "start")
    for t in LOG_TICKS:
        x = log_x(t, x0, x1)
        c.line(x, top - 6, x, bottom, "ref" if t == 1.0 else "grid")
        c.text(x, bottom + 14, _tick_label(t), "tick", "middle")
    c.text((x0 + x1) / 2, bottom + 27, "relative likelihood (log scale)", "axis-note", "middle")
    y = top
    for r in rows:
        if r["kind"] == "header":
            y += head_h
            c.text(4, y - 6, r["label"], "row-head")
            continue
        y += row_h
        cy = y - row_h / 2
        c.text(14, cy + 4, r["label"], "row-label")
        rl = r.get("rl")
        if rl is None:
            c.text(x0 + 6, cy + 4, r.get("note") or "no figure", "note")
            c.text(x1 + 8, cy + 4, r.get("note_short") or "—", "value note")
            continue
        lo, hi = r.get("lo"), r.get("hi")
        if lo is not None and hi is not None:
            c.line(log_x(lo, x0, x1), cy, log_x(hi, x0, x1), cy, "whisker")
            if lo < LOG_MIN:
                c.marker(x0, cy, "arrow-left", "whisker-end")
            if hi > LOG_MAX:
                c.marker(x1, cy, "arrow-right", "whisker-end")
        c.marker(log_x(rl, x0, x1), cy, r.get("shape", "circle"), "point")
        c.text(x1 + 8, cy + 4, r.get("value", ""), "value")
    return c


# --------------------------------------------------------------------------------------------------
# Horizontal bars with reference lines (the representation ladder)
# --------------------------------------------------------------------------------------------------


def hbars(
    chart_id: str, title: str, desc: str, bars: list[dict], refs: list[dict], width: int = 680
) -> Chart:
    """bars: {"label", "value" (percent or None), "text", "note"}; refs: {"value", "label", "cls"}."""
    c = Chart(chart_id, title, desc, width)
    label_w, right_pad = 190, 120
    x0, x1 = label_w, width - right_pad
    top, bar_h, gap = 30 + 14 * max(len(refs) - 1, 0), 22, 10
    values = [b["value"] for b in bars if b.get("value") is not None] + [r["value"] for r in refs]
    vmax = min(100.0, max([10.0, *values]) * 1.15)
    c.height = top + len(bars) * (bar_h + gap) + 30

    def sx(v: float) -> float:
        return x0 + v / vmax * (x1 - x0)

    bottom = top + len(bars) * (bar_h + gap)
    for t in _nice_ticks(vmax):
        c.line(sx(t), top - 4, sx(t), bottom, "grid")
        c.text(sx(t), bottom + 14, f"{t:g}%", "tick", "middle")
    y = top
    for b in bars:
        c.text(label_w - 8, y + bar_h / 2 + 4, b["label"], "row-label", "end")
        if b.get("value") is None:
            c.text(x0 + 6, y + bar_h / 2 + 4, b.get("note") or "no figure", "note")
        else:
            c.rect(x0, y, sx(b["value"]) - x0, bar_h, "bar")
            c.text(sx(b["value"]) + 6, y + bar_h / 2 + 4, b["text"], "value")
        y += bar_h + gap
    # reference lines, labelled in words; the lower one's label to its left, the others' to their right
    ordered = sorted(refs, key=lambda r: r["value"])
    for i, r in enumerate(ordered):
        x = sx(r["value"])
        y = top - 10 - 14 * (i if len(ordered) > 2 else 0)
        c.line(x, y + 2, x, bottom, r.get("cls", "ref-dash"))
        left = i == 0 and len(ordered) > 1
        c.text(x - 4 if left else x + 4, y, r["label"], "axis-note", "end" if left else "start")
    return c


def vbars(chart_id: str, title: str, desc: str, bars: list[dict], width: int = 420) -> Chart:
    """Vertical bars, e.g. a group's share in each pay quartile. bars: {"label", "value", "text", "note"}."""
    c = Chart(chart_id, title, desc, width)
    x0, x1, top, bottom = 50, width - 10, 20, 190
    c.height = bottom + 40
    values = [b["value"] for b in bars if b.get("value") is not None]
    vmax = min(100.0, max([10.0, *values]) * 1.15)

    def sy(v: float) -> float:
        return bottom - v / vmax * (bottom - top)

    for t in _nice_ticks(vmax):
        c.line(x0, sy(t), x1, sy(t), "grid")
        c.text(x0 - 6, sy(t) + 4, f"{t:g}%", "tick", "end")
    slot = (x1 - x0) / max(len(bars), 1)
    for i, b in enumerate(bars):
        cx = x0 + slot * (i + 0.5)
        if b.get("value") is None:
            c.text(cx, bottom - 8, b.get("note") or "no figure", "note", "middle")
        else:
            c.rect(cx - slot * 0.3, sy(b["value"]), slot * 0.6, bottom - sy(b["value"]), "bar")
            c.text(cx, sy(b["value"]) - 5, b["text"], "value", "middle")
        c.text(cx, bottom + 16, b["label"], "tick", "middle")
    c.line(x0, bottom, x1, bottom, "axis")
    return c


def _nice_ticks(vmax: float) -> list[float]:
    step = next(s for s in (5, 10, 20, 25, 50) if vmax / s <= 6)
    return [i * step for i in range(int(vmax // step) + 1)]


# --------------------------------------------------------------------------------------------------
# Trends: small multiples, one panel per metric, periods across, the ratio on a log scale
# --------------------------------------------------------------------------------------------------


def trends(
    chart_id: str, title: str, desc: str, panels: list[dict], periods: list[str], width: int = 680
) -> Chart:
    """panels: {"label", "points": [{"rl", "lo", "hi", "text", "note"} per period]}."""
    c = Chart(chart_id, title, desc, width)
    cols = 3
    pw, ph = width / cols, 150
    rows = math.ceil(len(panels) / cols)
    c.height = int(rows * ph + 10)
    lo_v, hi_v = 0.25, 4.0
    for i, p in enumerate(panels):
        ox, oy = (i % cols) * pw, (i // cols) * ph
        x0, x1, top, bottom = ox + 34, ox + pw - 12, oy + 24, oy + ph - 34

        def sy(v: float, top=top, bottom=bottom) -> float:
            v = min(max(v, lo_v), hi_v)
            return bottom - (math.log(v) - math.log(lo_v)) / (math.log(hi_v) - math.log(lo_v)) * (
                bottom - top
            )

        c.text(ox + 6, oy + 14, p["label"], "panel-head")
        c.rect(x0, sy(BAND_HIGH), x1 - x0, sy(BAND_LOW) - sy(BAND_HIGH), "band")
        for t in (0.5, 1.0, 2.0):
            c.line(x0, sy(t), x1, sy(t), "ref" if t == 1.0 else "grid")
            c.text(x0 - 4, sy(t) + 3, _tick_label(t), "tick", "end")
        slot = (x1 - x0) / max(len(periods), 1)
        line: list[tuple[float, float]] = []
        for j, (period, pt) in enumerate(zip(periods, p["points"])):
            cx = x0 + slot * (j + 0.5)
            c.text(cx, bottom + 13, period, "tick", "middle")
            if pt is None or pt.get("rl") is None:
                if len(line) > 1:
                    c.polyline(line, "trend")
                line = []
                c.text(cx, bottom + 25, (pt or {}).get("note_short") or "none", "note small", "middle")
                continue
            if pt.get("lo") is not None and pt.get("hi") is not None:
                c.line(cx, sy(pt["lo"]), cx, sy(pt["hi"]), "whisker")
            line.append((cx, sy(pt["rl"])))
            c.marker(cx, sy(pt["rl"]), "circle", "point", r=3.5)
            c.text(cx + 5, sy(pt["rl"]) - 4, pt["text"], "value small")
        if len(line) > 1:
            c.polyline(line, "trend")
    return c
