"""The WRES report a council's lead takes to the board, and the alliance overview (outputs.md, "Reports").

A council's report is built from that council's published file only (`councils/<LA>/council.duckdb`:
suppressed, its own rows plus the pooled rows of at least 3 councils and the DfE's region and England
rows), so it can name no other council and hold no figure that file does not hold. The alliance overview
is built from `alliance.duckdb`. Both are one self-contained HTML file: inline CSS, inline SVG charts, no
script, no font, no image and no address to fetch, so they open from disk or as an email attachment.

Tables are read by column name and every column is optional: the marts gain columns, and tables that a
published file does not hold (the pay gap, statistical neighbours) simply leave their section out.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import jinja2

from .. import isolated
from . import charts

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
COUNCIL_REPORT = "wres_report.html"
ALLIANCE_REPORT = "alliance_report.html"

GROUPS = ("BME", "Black", "Asian", "Mixed", "Other")
GROUP_SHAPES = {"BME": "circle", "Black": "square", "Asian": "diamond", "Mixed": "triangle", "Other": "ring"}
GROUP_SHAPE_WORDS = {
    "BME": "filled circle",
    "Black": "filled square",
    "Asian": "filled diamond",
    "Mixed": "filled triangle",
    "Other": "open circle",
}
GEO_SHAPES = {
    "Local authority": "circle",
    "Region": "square-open",
    "Alliance": "triangle-open",
    "England": "diamond-open",
    "Statistical neighbours": "ring",
}
GEO_ORDER = ("Local authority", "Statistical neighbours", "Region", "Alliance", "England")
LIKELIHOOD_METRICS = ("2", "3", "4", "5", "6", "7", "7a", "7b", "8")
SHARE_METRICS = ("1", "9")
ALL_METRICS = ("1", *LIKELIHOOD_METRICS, "9")
LEVELS = (
    ("case_holder", "Case holders"),
    ("senior_practitioner", "Senior practitioners"),
    ("manager", "Managers"),
)
ETHNIC_GROUPS = ("White", "Mixed", "Asian", "Black", "Other", "BME", "Unknown")


@dataclass(frozen=True)
class Metric:
    code: str
    name: str
    people: str  # who is at risk, e.g. "applicants"
    event: str  # "to be appointed from shortlisting"


METRICS = {
    "1": Metric("1", "Pay bands", "staff", ""),
    "2": Metric("2", "Appointment from shortlisting", "applicants", "to be appointed from shortlisting"),
    "3": Metric("3", "Formal disciplinary process", "staff", "to enter a formal disciplinary process"),
    "4": Metric(
        "4", "Fitness to practise", "registered professionals", "to have a fitness-to-practise case opened"
    ),
    "5": Metric("5", "Non-mandatory training (CPD)", "staff", "to start funded non-mandatory training"),
    "6": Metric(
        "6",
        "Harassment from the public",
        "survey respondents",
        "to report harassment, bullying or abuse from the public",
    ),
    "7": Metric(
        "7",
        "Harassment from colleagues or managers",
        "survey respondents",
        "to report harassment, bullying or abuse from colleagues or managers",
    ),
    "7a": Metric(
        "7a",
        "Harassment from colleagues",
        "survey respondents",
        "to report harassment, bullying or abuse from colleagues",
    ),
    "7b": Metric(
        "7b",
        "Harassment from managers",
        "survey respondents",
        "to report harassment, bullying or abuse from managers",
    ),
    "8": Metric("8", "Leaving", "staff", "to leave the council"),
    "9": Metric("9", "Senior management", "staff", ""),
}

# short names where a chart has little room
PANEL_NAMES = {
    "2": "Appointment from shortlist",
    "3": "Formal disciplinary",
    "5": "Non-mandatory CPD",
    "6": "Harassment: public",
    "7": "Harassment: staff (7a or 7b)",
    "7a": "Harassment: colleagues",
    "7b": "Harassment: managers",
    "9": "Senior managers (ratio)",
}

BAND_CLASS = {"less likely": "less", "no material difference": "same", "more likely": "more"}
BAND_SYMBOL = {"less likely": "▼", "no material difference": "●", "more likely": "▲"}
STATUS_SHORT = {
    "not_submitted": "not submitted",
    "too_few": "too few",
    "no_events": "no events",
    "suppressed": "suppressed",
}
DFE_NOTES = {
    "c": "confidential (DfE)",
    "x": "not available",
    "z": "not applicable",
    "u": "low reliability (DfE)",
    "low": "rounds to 0 (DfE)",
}
FLOW_MEASURES = (
    ("turnover_rate_fte", "Turnover", "pct"),
    ("agency_rate_fte", "Agency rate", "pct"),
    ("vacancy_rate_fte", "Vacancy rate", "pct"),
    ("caseload_fte", "Caseload per FTE", "num"),
    ("absence_rate_fte", "Absence rate", "pct"),
)
SOURCE_NAMES = {
    "council_hr": "the council's HR extract",
    "csww_return": "the council's CSWW return to the DfE",
    "dfe_published": "the DfE's published statistics",
}


# --------------------------------------------------------------------------------------------------
# Reading a published file
# --------------------------------------------------------------------------------------------------


class Published:
    """Every table of one published DuckDB file, as lists of dicts (column names as published)."""

    def __init__(self, tables: dict[str, list[dict]]):
        self.tables = tables

    @classmethod
    def read(
        cls, path: Path, filters: dict[str, str] | None = None, only: Iterable[str] | None = None
    ) -> Published:
        """The file's tables (`only` these, when given), each filtered by `filters`' condition for it."""
        wanted = None if only is None else set(only)
        con = duckdb.connect(str(path), read_only=True)
        try:
            names = [
                r[0]
                for r in con.execute(
                    "select table_name from information_schema.tables where table_schema = 'main'"
                ).fetchall()
                if wanted is None or r[0] in wanted
            ]
            tables = {}
            for t in names:
                where = (filters or {}).get(t)
                # a filter names columns; it applies only when the table has them all
                if where:
                    cols = {r[0] for r in con.execute(f'describe main."{t}"').fetchall()}
                    if not all(c in cols for c in _filter_columns(where)):
                        where = None
                cur = con.execute(f'select * from main."{t}"' + (f" where {where}" if where else ""))
                keys = [d[0] for d in cur.description]
                tables[t] = [dict(zip(keys, row)) for row in cur.fetchall()]
        finally:
            con.close()
        return cls(tables)

    def has(self, table: str) -> bool:
        return bool(self.tables.get(table))

    def rows(self, table: str, **eq) -> list[dict]:
        out = []
        for r in self.tables.get(table, []):
            if all(
                (r.get(k) in v) if isinstance(v, (tuple, set, frozenset)) else r.get(k) == v
                for k, v in eq.items()
            ):
                out.append(r)
        return out


def _filter_columns(where: str) -> list[str]:
    return [w for w in ("service", "comparison_group", "breakdown_type", "geography_level") if w in where]


# --------------------------------------------------------------------------------------------------
# Words and numbers
# --------------------------------------------------------------------------------------------------


def _num(x) -> float | None:
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else v


def fmt_ratio(x) -> str:
    v = _num(x)
    return "" if v is None else f"{v:.2f}"


def fmt_pct(x) -> str:
    v = _num(x)
    return "" if v is None else f"{v:.1f}%"


def fmt_int(x) -> str:
    v = _num(x)
    return "" if v is None else f"{int(round(v)):,}"


def fmt_num(x) -> str:
    v = _num(x)
    return "" if v is None else f"{v:.1f}"


def period_of(r: dict) -> str:
    return r.get("period_label") or str(r.get("period_end") or "")


def is_suppressed(r: dict) -> bool:
    return bool(r.get("suppressed"))


def status_of(r: dict | None) -> str:
    """ok, not_submitted, too_few, no_events, or suppressed (a ratio hidden by small-number suppression)."""
    if r is None:
        return "missing"
    st = r.get("status") or "ok"
    if st == "not_submitted":
        return st
    if is_suppressed(r) and _num(r.get("relative_likelihood")) is None:
        return "suppressed"
    return st


def group_people(group: str, m: Metric) -> str:
    return f"{group} {m.people}"


def likelihood_sentence(r: dict, m: Metric) -> str:
    """The plain-English sentence of outputs.md, or why there is no ratio, in words."""
    g = r.get("comparison_group") or "BME"
    st = status_of(r)
    if st == "not_submitted":
        return (
            f"Not submitted: the council's extract for {period_of(r)} did not include the data this metric needs, "
            "so there is no figure (not a zero)."
        )
    if st == "suppressed":
        return (
            "Suppressed: a count behind this figure is too small to publish without risking identifying "
            "someone, so the figure is hidden (not a zero)."
        )
    if st == "too_few":
        return (
            f"Too few to compare: fewer than 10 {g} or White {m.people} were at risk, so no ratio is given."
        )
    if st == "no_events":
        rates = _rates_phrase(r)
        return f"No ratio: there were no events among {g} or among White {m.people}{rates}."
    rl = _num(r.get("relative_likelihood"))
    if rl is None:
        return "No figure was published."
    text = f"{group_people(g, m)} were {fmt_ratio(rl)} times as likely as White {m.people} {m.event}"
    lo, hi = _num(r.get("ci_lower")), _num(r.get("ci_upper"))
    if lo is not None and hi is not None:
        text += f" (95% CI {fmt_ratio(lo)} to {fmt_ratio(hi)})"
    band = r.get("band")
    tail = [band] if band else []
    if r.get("significant") is not None:
        tail.append("significant" if r.get("significant") else "not significant")
    return text + (": " + ", ".join(tail) if tail else "") + "."


def _rates_phrase(r: dict) -> str:
    gr, wr = _num(r.get("group_rate")), _num(r.get("white_rate"))
    if gr is None or wr is None:
        return ""
    return f" (rates {fmt_pct(gr)} and {fmt_pct(wr)})"


def share_sentence(r: dict) -> str:
    """Metrics 1 and 9: shares of known staff, with the representation ratio."""
    g = r.get("comparison_group") or "BME"
    st = status_of(r)
    where = "among senior managers" if r.get("metric") == "9" else f"in the pay band {r.get('breakdown')}"
    if st == "not_submitted":
        return f"Not submitted: the council's extract for {period_of(r)} did not include its staff data."
    gr, ws = _num(r.get("group_rate")), _num(r.get("workforce_share"))
    if gr is None:
        return f"Suppressed: the number of {g} staff {where} is too small to publish (not a zero)."
    text = f"{g} staff were {fmt_pct(gr)} of staff of known ethnicity {where}"
    if ws is not None:
        text += f", against {fmt_pct(ws)} of all known staff in post"
    ps = _num(r.get("population_share"))
    if ps is not None:
        text += f" and {fmt_pct(ps)} of the area's population (Census 2021)"
    rl = _num(r.get("relative_likelihood"))
    if rl is not None:
        text += f": representation ratio {fmt_ratio(rl)}"
    elif st == "too_few":
        text += ": too few people of known ethnicity (under 10) for a representation ratio"
    return text + "."


def sentence(r: dict) -> str:
    m = METRICS.get(
        str(r.get("metric")), Metric(str(r.get("metric")), str(r.get("metric_name")), "staff", "")
    )
    return share_sentence(r) if m.code in SHARE_METRICS else likelihood_sentence(r, m)


def short_figure(r: dict | None) -> str:
    """'0.40 (0.18 to 0.87)' or the status in words."""
    st = status_of(r)
    if st == "missing":
        return "no figure"
    rl = _num(r.get("relative_likelihood"))
    if rl is None:
        return STATUS_SHORT.get(st, "no figure")
    lo, hi = _num(r.get("ci_lower")), _num(r.get("ci_upper"))
    return (
        f"{fmt_ratio(rl)} ({fmt_ratio(lo)} to {fmt_ratio(hi)})"
        if lo is not None and hi is not None
        else fmt_ratio(rl)
    )


def band_cell(r: dict | None) -> dict:
    band = (r or {}).get("band") if _num((r or {}).get("relative_likelihood")) is not None else None
    if not band:
        return {"text": "", "symbol": "", "cls": "na"}
    return {"text": band, "symbol": BAND_SYMBOL.get(band, ""), "cls": BAND_CLASS.get(band, "na")}


def significance(r: dict | None) -> str:
    if r is None or _num(r.get("relative_likelihood")) is None or r.get("significant") is None:
        return ""
    return "significant" if r.get("significant") else "not significant"


def unknown_text(r: dict | None) -> str:
    if r is None or r.get("status") == "not_submitted":
        return "—"
    v = _num(r.get("unknown_share"))
    if v is not None:
        return fmt_pct(v)
    return "suppressed" if is_suppressed(r) else "—"


def _se(r: dict) -> float | None:
    lo, hi = _num(r.get("ci_lower")), _num(r.get("ci_upper"))
    if lo is None or hi is None or lo <= 0 or hi <= 0:
        return None
    return (math.log(hi) - math.log(lo)) / (2 * 1.96)


def direction_of_travel(cur: dict | None, year_before: dict | None) -> str:
    """metrics.md "Year-on-year change": the mart's `direction` when it has the column; otherwise the same
    test from the two years' ratios and CIs (SE = (ln upper - ln lower) / (2 x 1.96))."""
    if cur is None:
        return ""
    if "direction" in cur:
        return cur.get("direction") or "no comparison (no ratio in one of the years)"
    if str(cur.get("metric")) in SHARE_METRICS:
        return "not tested (shares have no confidence interval)"
    if year_before is None:
        return "no figure 12 months earlier"
    a, b = _num(cur.get("relative_likelihood")), _num(year_before.get("relative_likelihood"))
    if a is None or b is None or a <= 0 or b <= 0:
        return "no comparison (no ratio in one of the years)"
    s1, s2 = _se(cur), _se(year_before)
    if s1 is None or s2 is None:
        return "no comparison (no confidence interval)"
    if abs(math.log(a) - math.log(b)) > 1.96 * math.sqrt(s1**2 + s2**2):
        return "towards parity" if abs(math.log(a)) < abs(math.log(b)) else "away from parity"
    return "no significant change"


def _year_before(d: dt.date) -> dt.date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


# --------------------------------------------------------------------------------------------------
# The council report
# --------------------------------------------------------------------------------------------------


class MetricIndex:
    def __init__(self, rows: Iterable[dict]):
        self._by = {}
        for r in rows:
            self._by[
                (
                    r.get("geography_level"),
                    r.get("geography_code"),
                    r.get("period_end"),
                    r.get("service"),
                    str(r.get("metric")),
                    r.get("breakdown_type") or "all",
                    r.get("breakdown") or "all",
                    r.get("comparison_group"),
                )
            ] = r

    def get(self, level, code, period, service, metric, group, breakdown_type="all", breakdown="all"):
        return self._by.get((level, code, period, service, metric, breakdown_type, breakdown, group))


def _pooled_ok(r: dict) -> bool:
    """Pooled rows of at least 3 councils only (as in the council file); DfE rows have no count."""
    if r.get("geography_level") not in ("Region", "Alliance"):
        return True
    n = r.get("councils_included")
    return n is None or int(n) >= 3


def council_context(pub: Published, generated_at: str) -> dict:
    wm = pub.tables.get("wres_metrics", [])
    own = [r for r in wm if r.get("geography_level") == "Local authority"]
    identity = (
        own
        or pub.rows("representation_by_seniority", geography_level="Local authority")
        or pub.tables.get("submissions", [])
    )
    if not identity:
        raise ValueError("the published file holds no row of its council")
    la_code = identity[0].get("geography_code") or identity[0].get("la_code")
    la_name = identity[0].get("geography_name") or la_code
    own = [r for r in own if r.get("geography_code") == la_code]
    idx = MetricIndex(wm)
    periods = sorted({r["period_end"] for r in own if r.get("period_end")}, reverse=True)
    latest = periods[0] if periods else None
    previous = periods[1] if len(periods) > 1 else None
    label = {r["period_end"]: period_of(r) for r in own}
    ctx: dict = {
        "lang": "en-GB",
        "generated_at": generated_at,
        "la_code": la_code,
        "la_name": la_name,
        "latest_label": label.get(latest, ""),
        "previous_label": label.get(previous, ""),
        "has_metrics": latest is not None,
    }

    def get(
        period, metric, group="BME", service="all", bt="all", bd="all", level="Local authority", code=la_code
    ):
        return idx.get(level, code, period, service, metric, group, bt, bd)

    # 1. the nine metrics (7a/7b) for BME staff, service all: latest and the period before
    table = []
    for code in ALL_METRICS:
        m = METRICS[code]
        if code == "1":
            bands = sorted(
                {
                    (r.get("breakdown_order") or 0, r.get("breakdown"))
                    for r in own
                    if str(r.get("metric")) == "1"
                    and r.get("breakdown_type") == "national_band"
                    and r.get("period_end") in (latest, previous)
                }
            )
            keys = [("national_band", b) for _, b in bands]
        else:
            keys = [("all", "all")]
        for bt, bd in keys:
            cur = get(latest, code, bt=bt, bd=bd)
            prev = get(previous, code, bt=bt, bd=bd) if previous else None
            year_before = get(_year_before(latest), code, bt=bt, bd=bd) if latest else None
            if cur is None and prev is None:
                continue
            table.append(
                {
                    "metric": code,
                    "name": (cur or prev or {}).get("metric_name") or m.name,
                    "breakdown": bd if bt != "all" else "",
                    "sentence": sentence(cur) if cur else "No figure for this period.",
                    "figure": short_figure(cur),
                    "band": band_cell(cur),
                    "significance": significance(cur),
                    "unknown": unknown_text(cur),
                    "previous": short_figure(prev) if previous else "",
                    "previous_band": band_cell(prev),
                    "direction": direction_of_travel(cur, year_before),
                    "status": status_of(cur),
                }
            )
    ctx["metrics_table"] = table

    # at a glance: which likelihoods are significantly off parity
    glance = {"less": [], "more": [], "same": [], "none": []}
    for row in table:
        if row["metric"] in SHARE_METRICS:
            continue
        cur = get(latest, row["metric"])
        ci = (cur or {}).get("ci_lower") is not None and (cur or {}).get("ci_upper") is not None
        label_ = f"{row['name']}: {fmt_ratio((cur or {}).get('relative_likelihood'))}" + (
            f" (95% CI {fmt_ratio(cur['ci_lower'])} to {fmt_ratio(cur['ci_upper'])})" if ci else ""
        )
        if _num((cur or {}).get("relative_likelihood")) is None:
            glance["none"].append(f"{row['name']} ({STATUS_SHORT.get(status_of(cur), 'no figure')})")
        elif cur.get("significant") and cur.get("band") == "less likely":
            glance["less"].append(label_)
        elif cur.get("significant") and cur.get("band") == "more likely":
            glance["more"].append(label_)
        else:
            glance["same"].append(label_)
    ctx["glance"] = glance

    # 2. forest plot: every likelihood metric, the five comparison groups side by side
    f_rows, f_table = [], []
    for code in LIKELIHOOD_METRICS:
        group_rows = [(g, get(latest, code, g)) for g in GROUPS]
        if all(r is None for _, r in group_rows):
            continue
        f_rows.append({"kind": "header", "label": f"{code} {METRICS[code].name}"})
        for g, r in group_rows:
            f_rows.append(_forest_point(g, GROUP_SHAPES[g], r))
            f_table.append(_figure_row(f"{code} {METRICS[code].name}", g, r))
    ctx["forest"] = (
        charts.forest(
            "forest",
            f"Relative likelihoods, {ctx['latest_label']}: each group against White staff",
            "For each metric, the relative likelihood of each comparison group (BME, Black, Asian, Mixed, Other) "
            "against White staff with its 95% confidence interval, on a log scale; the band 0.8 to 1.25 (no "
            "material difference) is shaded. Markers: "
            + ", ".join(f"{g} {GROUP_SHAPE_WORDS[g]}" for g in GROUPS)
            + ". The same figures are in the table that follows.",
            f_rows,
        )
        if f_rows
        else None
    )
    ctx["forest_table"] = f_table
    ctx["group_legend"] = [
        {"group": g, "shape": GROUP_SHAPES[g], "words": GROUP_SHAPE_WORDS[g]} for g in GROUPS
    ]

    # 3. representation ladder against the area's population
    ctx.update(_ladder(pub, la_code, idx))

    # 4. trends over every loaded period
    ctx.update(_trends(own, idx, la_code, sorted(periods), label))

    # 5. pay gap and quartiles, when the published file has them
    ctx.update(_pay(pub, la_code))

    # 6. comparisons: region, alliance, England, statistical neighbours
    ctx.update(_comparisons(pub, idx, la_code, latest))

    # 7. data quality
    ctx.update(_quality(pub, la_code))
    return ctx


def _forest_point(label: str, shape: str, r: dict | None) -> dict:
    rl = _num((r or {}).get("relative_likelihood"))
    st = status_of(r)
    return {
        "kind": "point",
        "label": label,
        "shape": shape,
        "rl": rl,
        "lo": _num((r or {}).get("ci_lower")),
        "hi": _num((r or {}).get("ci_upper")),
        "value": short_figure(r) if rl is not None else "",
        "note": None if rl is not None else _status_words(st),
        "note_short": STATUS_SHORT.get(st, "no figure"),
    }


def _status_words(st: str) -> str:
    return {
        "not_submitted": "not submitted: no figure",
        "too_few": "too few people to compare",
        "no_events": "no events: no ratio",
        "suppressed": "suppressed: small numbers",
        "missing": "no figure",
    }.get(st, "no figure")


def _figure_row(metric: str, who: str, r: dict | None) -> dict:
    return {
        "metric": metric,
        "who": who,
        "figure": short_figure(r),
        "band": band_cell(r),
        "significance": significance(r),
        "unknown": unknown_text(r),
        "status": status_of(r),
        "councils": (r or {}).get("councils_included")
        if (r or {}).get("geography_level") != "Local authority"
        else None,
    }


def _ladder(pub: Published, la_code: str, idx: MetricIndex) -> dict:
    rep = [
        r
        for r in pub.rows("representation_by_seniority", geography_level="Local authority", service="all")
        if r.get("geography_code") == la_code
    ]
    source = next(
        (s for s in ("council_hr", "csww_return", "dfe_published") if any(r.get("source") == s for r in rep)),
        None,
    )
    if source is None:
        return {"ladder": None}
    rep = [r for r in rep if r.get("source") == source]
    period = max(r["period_end"] for r in rep)
    rep = [r for r in rep if r["period_end"] == period]
    by = {(r.get("seniority_level"), r.get("ethnic_group")): r for r in rep}
    m9 = idx.get("Local authority", la_code, period, "all", "9", "BME")
    bars = []
    for level, name in LEVELS:
        r = by.get((level, "BME"))
        v = _num((r or {}).get("pct_of_known"))
        bars.append(
            {
                "label": name,
                "value": v,
                "text": fmt_pct(v),
                "note": "suppressed: small numbers" if r is not None and is_suppressed(r) else "no figure",
            }
        )
    if m9 is not None:
        v = _num(m9.get("group_rate"))
        bars.append(
            {
                "label": "Senior managers",
                "value": v,
                "text": fmt_pct(v),
                "note": _status_words(status_of(m9)) if v is None else "",
            }
        )
    refs = []
    pop = _num((m9 or {}).get("population_share"))
    if pop is not None:
        refs.append({"value": pop, "label": f"area population {fmt_pct(pop)}", "cls": "ref-dash"})
    ws = _num((m9 or {}).get("workforce_share"))
    if ws is not None:
        refs.append({"value": ws, "label": f"whole workforce {fmt_pct(ws)}", "cls": "ref-dot"})
    label = period_of(rep[0])
    desc = "BME staff as a share of staff of known ethnicity at each level: " + "; ".join(
        f"{b['label']} {b['text'] or b['note']}" for b in bars
    )
    if pop is not None:
        desc += f". The area's population is {fmt_pct(pop)} BME (Census 2021)"
    if ws is not None:
        desc += f"; the whole workforce {fmt_pct(ws)}"
    chart = charts.hbars(
        "ladder",
        f"Representation by seniority, {label}: BME share of known staff",
        desc + ".",
        bars,
        refs,
    )
    table = []
    levels = [*LEVELS, ("all", "All social workers")]
    for level, name in levels:
        cells = []
        for g in ETHNIC_GROUPS:
            r = by.get((level, g))
            if r is None:
                cells.append("—")
            elif is_suppressed(r) and _num(r.get("headcount")) is None:
                cells.append("suppressed")
            else:
                pct = fmt_pct(r.get("pct_of_known")) if g != "Unknown" else ""
                cells.append(fmt_int(r.get("headcount")) + (f" ({pct})" if pct else ""))
        table.append({"level": name, "cells": cells})
    if m9 is not None:
        table_m9 = {
            "share": fmt_pct(m9.get("group_rate")) or _status_words(status_of(m9)),
            "white": fmt_pct(m9.get("white_rate")),
            "ratio": fmt_ratio(m9.get("relative_likelihood")) or STATUS_SHORT.get(status_of(m9), "no figure"),
        }
    else:
        table_m9 = None
    return {
        "ladder": chart,
        "ladder_label": label,
        "ladder_source": SOURCE_NAMES.get(source, source),
        "ladder_table": table,
        "ladder_groups": ETHNIC_GROUPS,
        "ladder_m9": table_m9,
        "ladder_population": fmt_pct(pop),
        "ladder_workforce": fmt_pct(ws),
    }


def _trends(own: list[dict], idx: MetricIndex, la_code: str, periods: list, label: dict) -> dict:
    if not periods:
        return {"trends": None}
    names = [label[p] for p in periods]
    panels, table = [], []
    for code in (*LIKELIHOOD_METRICS, "9"):
        rows = [idx.get("Local authority", la_code, p, "all", code, "BME") for p in periods]
        if all(r is None for r in rows):
            continue
        pts = []
        for r in rows:
            rl = _num((r or {}).get("relative_likelihood"))
            pts.append(
                {
                    "rl": rl,
                    "lo": _num((r or {}).get("ci_lower")),
                    "hi": _num((r or {}).get("ci_upper")),
                    "text": fmt_ratio(rl),
                    "note_short": STATUS_SHORT.get(status_of(r), "no figure"),
                }
            )
        name = f"{code} {METRICS[code].name}" + (" (representation ratio)" if code == "9" else "")
        panels.append({"label": f"{code} {PANEL_NAMES.get(code, METRICS[code].name)}", "points": pts})
        table.append({"name": name, "cells": [short_figure(r) for r in rows]})
    desc = (
        "For each metric, BME staff's relative likelihood against White staff in every loaded period ("
        + ", ".join(names)
        + "), on a log scale with the 0.8 to 1.25 band shaded; vertical lines are 95% confidence intervals; "
        "a period without a figure says why in words under its axis. The table that follows has every value."
    )
    chart = charts.trends(
        "trends", "Trends: BME against White staff, every loaded period", desc, panels, names
    )
    return {"trends": chart, "trend_periods": names, "trend_table": table}


def _pay(pub: Published, la_code: str) -> dict:
    out: dict = {"pay_gap": None, "quartiles": None}
    gap = [
        r
        for r in pub.rows("pay_gap", geography_level="Local authority")
        if r.get("geography_code") == la_code
        and r.get("service", "all") == "all"
        and r.get("seniority_level", "all") == "all"
        and r.get("sex", "all") == "all"
    ]
    if gap:
        source = next(
            (s for s in ("council_hr", "csww_return") if any(r.get("source") == s for r in gap)), None
        )
        gap = [r for r in gap if source is None or r.get("source") == source]
        period = max(r["period_end"] for r in gap)
        rows = sorted(
            (r for r in gap if r["period_end"] == period),
            key=lambda r: (
                GROUPS.index(r.get("comparison_group")) if r.get("comparison_group") in GROUPS else 9
            ),
        )
        out["pay_gap"] = [
            {
                "group": r.get("comparison_group"),
                "group_n": _count_text(r, "group_headcount"),
                "white_n": _count_text(r, "white_headcount"),
                "mean_gap": _gap_text(r, "mean_gap_pct"),
                "median_gap": _gap_text(r, "median_gap_pct"),
                "group_median": _money(r.get("group_median_salary")) or _gap_missing(r),
                "white_median": _money(r.get("white_median_salary")) or _gap_missing(r),
            }
            for r in rows
        ]
        out["pay_gap_label"] = period_of(rows[0]) if rows else ""
        out["pay_gap_source"] = SOURCE_NAMES.get(source or "", source or "")
    quart = [
        r
        for r in pub.rows("pay_quartiles", geography_level="Local authority")
        if r.get("geography_code") == la_code and r.get("service", "all") == "all"
    ]
    if quart:
        source = next(
            (s for s in ("council_hr", "csww_return") if any(r.get("source") == s for r in quart)), None
        )
        quart = [r for r in quart if source is None or r.get("source") == source]
        period = max(r["period_end"] for r in quart)
        by = {(int(r.get("quartile")), r.get("ethnic_group")): r for r in quart if r["period_end"] == period}
        bars, table = [], []
        names = {1: "1 (lowest)", 2: "2", 3: "3", 4: "4 (highest)"}
        for q in (1, 2, 3, 4):
            r = by.get((q, "BME"))
            v = _num((r or {}).get("pct_of_known"))
            bars.append(
                {
                    "label": f"Quartile {names[q]}",
                    "value": v,
                    "text": fmt_pct(v),
                    "note": "suppressed" if r is not None and is_suppressed(r) else "no figure",
                }
            )
            cells = []
            for g in ETHNIC_GROUPS:
                rr = by.get((q, g))
                if rr is None:
                    cells.append("—")
                elif is_suppressed(rr) and _num(rr.get("headcount")) is None:
                    cells.append("suppressed")
                else:
                    pct = fmt_pct(rr.get("pct_of_known")) if g != "Unknown" else ""
                    cells.append(fmt_int(rr.get("headcount")) + (f" ({pct})" if pct else ""))
            table.append({"quartile": names[q], "cells": cells})
        label = period_of(next(iter(by.values()))) if by else ""
        out["quartiles"] = charts.vbars(
            "quartiles",
            f"BME share of known staff in each pay quartile, {label}",
            "BME staff's share of staff of known ethnicity in each quarter of the salary ranking, lowest first: "
            + "; ".join(f"{b['label']} {b['text'] or b['note']}" for b in bars)
            + ".",
            bars,
        )
        out["quartile_table"] = table
        out["quartile_label"] = label
    return out


def _count_text(r: dict, col: str) -> str:
    v = _num(r.get(col))
    if v is None:
        return "suppressed" if is_suppressed(r) else "—"
    return fmt_int(v)


def _gap_missing(r: dict) -> str:
    if r.get("status") == "not_submitted":
        return "not submitted"
    if r.get("status") == "too_few":
        return "too few"
    return "suppressed" if is_suppressed(r) else "—"


def _gap_text(r: dict, col: str) -> str:
    v = _num(r.get(col))
    if v is None:
        return _gap_missing(r)
    side = "paid less" if v > 0 else ("paid more" if v < 0 else "no gap")
    return f"{fmt_pct(v)} ({side})" if v != 0 else "0.0% (no gap)"


def _money(x) -> str:
    v = _num(x)
    return "" if v is None else f"£{v:,.0f}"


def _comparisons(pub: Published, idx: MetricIndex, la_code: str, latest) -> dict:
    out: dict = {"compare": None, "compare_table": [], "flows_compare": []}
    if latest is not None:
        geos = []
        for r in pub.tables.get("wres_metrics", []):
            key = (r.get("geography_level"), r.get("geography_code"))
            if (
                r.get("period_end") == latest
                and r.get("geography_level") in ("Region", "Alliance", "England", "Statistical neighbours")
                and _pooled_ok(r)
                and key not in [g[:2] for g in geos]
            ):
                geos.append((*key, r.get("geography_name"), r.get("councils_included")))
        geos.sort(key=lambda g: GEO_ORDER.index(g[0]) if g[0] in GEO_ORDER else 9)
        if geos:
            rows, table = [], []
            for code in LIKELIHOOD_METRICS:
                own = idx.get("Local authority", la_code, latest, "all", code, "BME")
                others = [(g, idx.get(g[0], g[1], latest, "all", code, "BME")) for g in geos]
                if own is None and all(r is None for _, r in others):
                    continue
                rows.append({"kind": "header", "label": f"{code} {METRICS[code].name}"})
                rows.append(_forest_point("This council", GEO_SHAPES["Local authority"], own))
                table.append(_figure_row(f"{code} {METRICS[code].name}", "This council", own))
                for g, r in others:
                    name = _geo_label(g)
                    rows.append(
                        _forest_point(
                            _geo_short(g),
                            GEO_SHAPES.get(g[0], "ring"),
                            r if r is None or _pooled_ok(r) else None,
                        )
                    )
                    table.append(_figure_row(f"{code} {METRICS[code].name}", name, r))
            out["compare"] = charts.forest(
                "compare",
                "BME against White staff: this council beside the pooled figures",
                "For each metric, BME staff's relative likelihood against White staff here and in "
                + ", ".join(_geo_label(g) for g in geos)
                + ", with 95% confidence intervals, on a log scale with the 0.8 to 1.25 band shaded. Markers: this "
                "council filled circle, region open square, alliance open triangle, England open diamond. "
                "The same figures are in the table that follows.",
                rows,
            )
            out["compare_table"] = table
            out["compare_legend"] = [
                {"who": "This council", "shape": GEO_SHAPES["Local authority"], "words": "filled circle"}
            ] + [
                {
                    "who": _geo_label(g),
                    "shape": GEO_SHAPES.get(g[0], "ring"),
                    "words": _shape_words(GEO_SHAPES.get(g[0], "ring")),
                }
                for g in geos
            ]
    out["flows_compare"] = _flows_compare(pub, la_code)
    return out


def _shape_words(shape: str) -> str:
    return {
        "square-open": "open square",
        "triangle-open": "open triangle",
        "diamond-open": "open diamond",
        "ring": "open circle",
        "circle": "filled circle",
    }.get(shape, shape)


def _geo_short(g: tuple) -> str:
    level, _code, name, _n = g
    name = str(name or level)
    name = name if len(name) <= 18 else name[:17] + "…"
    return f"{name} ({level.lower()})" if level in ("Region", "Alliance") else name


def _geo_label(g: tuple) -> str:
    level, _code, name, n = g
    if level == "Region":
        return f"{name} (region" + (f", {int(n)} councils pooled)" if n is not None else ", DfE)")
    if level == "Alliance":
        return f"{name} (alliance" + (f", {int(n)} councils pooled)" if n is not None else ")")
    return name or level


def _flows_compare(pub: Published, la_code: str) -> list[dict]:
    """Per source, the latest period the council has: the council beside its comparators, for flows and
    for the BME share of children's social workers."""
    flows = pub.tables.get("workforce_flows", [])
    rep = pub.tables.get("representation_by_seniority", [])
    out = []
    for source in ("council_hr", "csww_return", "dfe_published"):
        own = [
            r
            for r in flows
            if r.get("source") == source
            and r.get("geography_level") == "Local authority"
            and r.get("geography_code") == la_code
        ]
        if not own:
            continue
        period = max(r["period_end"] for r in own)
        rows = [
            r for r in flows if r.get("source") == source and r.get("period_end") == period and _pooled_ok(r)
        ]
        rows.sort(
            key=lambda r: (
                GEO_ORDER.index(r.get("geography_level")) if r.get("geography_level") in GEO_ORDER else 9
            )
        )
        lines = []
        for r in rows:
            share = next(
                (
                    x
                    for x in rep
                    if x.get("source") == source
                    and x.get("period_end") == period
                    and x.get("geography_level") == r.get("geography_level")
                    and x.get("geography_code") == r.get("geography_code")
                    and x.get("service") == "children"
                    and x.get("seniority_level") == "all"
                    and x.get("ethnic_group") == "BME"
                ),
                None,
            )
            lines.append(
                {
                    "who": "This council"
                    if r.get("geography_level") == "Local authority"
                    else _geo_label(
                        (
                            r.get("geography_level"),
                            r.get("geography_code"),
                            r.get("geography_name"),
                            r.get("councils_included"),
                        )
                    ),
                    "cells": [_flow_cell(r, col, kind) for col, _, kind in FLOW_MEASURES]
                    + [_share_cell(share)],
                }
            )
        out.append(
            {
                "source": SOURCE_NAMES.get(source, source),
                "period": period_of(
                    own[0]
                    if len({period_of(r) for r in own}) == 1
                    else max(own, key=lambda r: r["period_end"])
                ),
                "lines": lines,
            }
        )
    return out


def _flow_cell(r: dict, col: str, kind: str) -> str:
    v = _num(r.get(col))
    if v is not None:
        return fmt_pct(v) if kind == "pct" else fmt_num(v)
    note = r.get(f"{col}_note")
    if note:
        return DFE_NOTES.get(str(note), str(note))
    return "suppressed" if is_suppressed(r) else "—"


def _share_cell(r: dict | None) -> str:
    if r is None:
        return "—"
    v = _num(r.get("pct_of_known"))
    if v is not None:
        return fmt_pct(v)
    note = r.get("headcount_note")
    if note:
        return DFE_NOTES.get(str(note), str(note))
    return "suppressed" if is_suppressed(r) else "—"


def _quality(pub: Published, la_code: str) -> dict:
    subs = [r for r in pub.tables.get("submissions", []) if r.get("la_code", la_code) == la_code]
    if any("is_latest" in r for r in subs):
        subs = [r for r in subs if r.get("is_latest") in (True, None)]
    subs.sort(key=lambda r: (str(r.get("source")), str(r.get("dataset")), str(r.get("period_end"))))
    rows = [
        {
            "source": r.get("source"),
            "dataset": r.get("dataset"),
            "period": period_of(r),
            "status": r.get("status"),
            "file": r.get("file") or "",
            "rows": fmt_int(r.get("rows")),
            "errors": fmt_int(r.get("errors")),
            "loaded_at": str(r.get("loaded_at") or "")[:16],
            "message": r.get("message") or "",
        }
        for r in subs
    ]
    checks = pub.tables.get("data_quality", [])
    flagged = [
        {
            "check": r.get("check_name"),
            "where": ".".join(str(x) for x in (r.get("layer"), r.get("table_name")) if x),
            "outcome": r.get("outcome"),
            "severity": r.get("severity"),
            "failing": fmt_int(r.get("failing_rows")),
            "message": r.get("message") or "",
        }
        for r in checks
        if r.get("outcome") != "pass"
    ]
    return {
        "submissions": rows,
        "not_loaded": [r for r in rows if r["status"] != "loaded"],
        "checks_flagged": flagged,
        "checks_passed": sum(1 for r in checks if r.get("outcome") == "pass"),
        "checks_run": len(checks),
    }


# --------------------------------------------------------------------------------------------------
# The alliance overview
# --------------------------------------------------------------------------------------------------

ALLIANCE_FILTERS = {
    "wres_metrics": "service = 'all' and comparison_group = 'BME' and breakdown_type = 'all'",
}


def alliance_context(pub: Published, generated_at: str, report_links: dict[str, str]) -> dict:
    wm = pub.tables.get("wres_metrics", [])
    metrics = [m for m in (*LIKELIHOOD_METRICS, "9") if any(str(r.get("metric")) == m for r in wm)]
    councils: dict[str, str] = {}
    for r in wm:
        if r.get("geography_level") == "Local authority":
            councils[r.get("geography_code")] = r.get("geography_name") or r.get("geography_code")
    for r in pub.tables.get("submissions", []):
        if r.get("la_code"):
            councils.setdefault(r["la_code"], r.get("geography_name") or r["la_code"])
    grid = []
    for code, name in sorted(councils.items(), key=lambda kv: str(kv[1])):
        own = [
            r for r in wm if r.get("geography_level") == "Local authority" and r.get("geography_code") == code
        ]
        latest = max((r["period_end"] for r in own), default=None)
        cells = []
        for m in metrics:
            r = next((x for x in own if x["period_end"] == latest and str(x.get("metric")) == m), None)
            cells.append(_grid_cell(r, name, m))
        grid.append(
            {
                "code": code,
                "name": name,
                "period": period_of(next((x for x in own if x["period_end"] == latest), {}))
                if latest
                else "no metrics",
                "link": report_links.get(code),
                "cells": cells,
            }
        )
    pooled = []
    pooled_keys = sorted(
        {
            (
                r.get("geography_level"),
                r.get("geography_code"),
                r.get("geography_name"),
                r.get("period_end"),
                period_of(r),
                r.get("councils_included"),
            )
            for r in wm
            if r.get("geography_level") in ("Region", "Alliance")
        },
        key=lambda k: (k[0] != "Alliance", str(k[2]), k[3]),
        reverse=False,
    )
    latest_pooled = {}
    for k in pooled_keys:
        latest_pooled[(k[0], k[1])] = (
            k
            if (k[0], k[1]) not in latest_pooled or k[3] > latest_pooled[(k[0], k[1])][3]
            else latest_pooled[(k[0], k[1])]
        )
    for level, gcode, gname, period, plabel, n in latest_pooled.values():
        rows = [
            r
            for r in wm
            if r.get("geography_level") == level
            and r.get("geography_code") == gcode
            and r.get("period_end") == period
        ]
        pooled.append(
            {
                "name": f"{gname} ({level.lower()})",
                "period": plabel,
                "councils": fmt_int(n) if n is not None else "DfE",
                "cells": [
                    _grid_cell(next((x for x in rows if str(x.get("metric")) == m), None), gname, m)
                    for m in metrics
                ],
            }
        )
    subs = pub.tables.get("submissions", [])
    if any("is_latest" in r for r in subs):
        subs = [r for r in subs if r.get("is_latest") in (True, None)]
    missing = sorted(
        (
            {
                "council": councils.get(r.get("la_code"), r.get("la_code")),
                "source": r.get("source"),
                "dataset": r.get("dataset"),
                "period": period_of(r),
                "status": r.get("status"),
                "message": r.get("message") or "",
            }
            for r in subs
            if r.get("status") != "loaded"
        ),
        key=lambda x: (str(x["council"]), str(x["source"]), str(x["dataset"]), str(x["period"])),
    )
    not_submitted = []
    for row in grid:
        names = [
            f"{m} {METRICS[m].name}" for m, c in zip(metrics, row["cells"]) if c["status"] == "not_submitted"
        ]
        if names:
            not_submitted.append({"council": row["name"], "period": row["period"], "metrics": names})
    return {
        "lang": "en-GB",
        "generated_at": generated_at,
        "metrics": [{"code": m, "name": PANEL_NAMES.get(m, METRICS[m].name)} for m in metrics],
        "grid": grid,
        "pooled": pooled,
        "missing": missing,
        "not_submitted": not_submitted,
    }


def _grid_cell(r: dict | None, who: str, metric: str) -> dict:
    st = status_of(r)
    rl = _num((r or {}).get("relative_likelihood"))
    band = band_cell(r)
    if rl is None:
        text = STATUS_SHORT.get(st, "no figure")
        label = f"{who}, metric {metric}: {text}"
        return {
            "text": text,
            "symbol": "",
            "cls": "na",
            "sig": "",
            "status": st,
            "label": label,
            "word": True,
        }
    sig = "*" if (r or {}).get("significant") else ""
    label = (
        f"{who}, metric {metric}: {fmt_ratio(rl)}"
        + (f", {band['text']}" if band["text"] else "")
        + (", significant" if sig else "")
    )
    return {
        "text": fmt_ratio(rl),
        "symbol": band["symbol"],
        "cls": band["cls"],
        "sig": sig,
        "status": st,
        "label": label,
        "word": False,
    }


# --------------------------------------------------------------------------------------------------
# Rendering, writing, PDF
# --------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    """One environment per process: it compiles each template once and keeps it (checking the file's
    modification time), where a new environment per report compiled the templates again every time (a
    third of each council report's time)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _now() -> str:
    return dt.datetime.now().strftime("%d %B %Y %H:%M")


# The tables each report reads (issue 22: reading every table of the alliance file as Python rows was 2 of
# its 2.2 s). A report that starts to read another table must add it here: a table not read is empty.
COUNCIL_REPORT_TABLES = (
    "wres_metrics",
    "representation_by_seniority",
    "workforce_flows",
    "pay_gap",
    "pay_quartiles",
    "submissions",
    "data_quality",
)
ALLIANCE_REPORT_TABLES = ("wres_metrics", "submissions")


def render_council(council_db: Path, generated_at: str | None = None) -> str:
    pub = Published.read(council_db, only=COUNCIL_REPORT_TABLES)
    return _env().get_template("council.html.j2").render(**council_context(pub, generated_at or _now()))


def render_alliance(alliance_db: Path, report_links: dict[str, str], generated_at: str | None = None) -> str:
    pub = Published.read(alliance_db, ALLIANCE_FILTERS, only=ALLIANCE_REPORT_TABLES)
    return (
        _env()
        .get_template("alliance.html.j2")
        .render(**alliance_context(pub, generated_at or _now(), report_links))
    )


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, 0o640)
    os.replace(tmp, path)


def pdf_engine() -> str | None:
    """Headless Chromium (or Chrome) when installed: it prints the page with its print stylesheet."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def write_pdf(html: Path, engine: str | None = None, timeout: float = 180) -> Path:
    engine = engine or pdf_engine()
    if engine is None:
        raise RuntimeError("no PDF engine: install Chromium (e.g. apt-get install chromium)")
    out = html.with_suffix(".pdf")
    with tempfile.TemporaryDirectory(prefix="wres-pdf-") as profile:
        cmd = [
            engine,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--no-pdf-header-footer",
            f"--user-data-dir={profile}",
            f"--print-to-pdf={out}",
            html.resolve().as_uri(),
        ]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if not out.exists() or out.stat().st_size == 0:
        raise RuntimeError(f"{Path(engine).name} wrote no PDF: {(res.stderr or '').strip()[-400:]}")
    return out


def _council_report(f: Path, generated: str) -> tuple[str, Path | None, str | None]:
    """Write one council's report beside its file: (LA code, the report, None) or (LA code, None, why not)."""
    code = f.parent.name
    try:
        out = f.parent / COUNCIL_REPORT
        _write_atomic(out, render_council(f, generated))
        return code, out, None
    except Exception as exc:  # one council's report never stops the others
        log.exception("report for %s failed", code)
        return code, None, f"{code}: {type(exc).__name__}: {exc}"


def _council_reports(files: list[Path], generated: str) -> list[tuple[str, Path | None, str | None]]:
    """Each council's report, in the files' order; from a few councils on by a process per core (each
    report is independent, and rendering is Python work that one process does on one core)."""
    return list(
        isolated.parallel_map(_council_report, [(f, generated) for f in files], min(4, os.cpu_count() or 1))
    )


@dataclass
class ReportResult:
    council_reports: dict[str, Path] = field(default_factory=dict)
    alliance_report: Path | None = None
    pdfs: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    pdf_note: str | None = None


def build_reports(
    published: Path, la: str | None = None, pdf: bool = False, progress: Callable[[str], None] = print
) -> ReportResult:
    """Write councils/<LA>/wres_report.html for each council file (or one) and, for all councils, the
    alliance overview; with pdf=True a PDF beside each where a PDF engine is installed. One council's
    failure is recorded and the others carry on."""
    res = ReportResult()
    councils_dir = published / "councils"
    files = sorted(councils_dir.glob("*/council.duckdb")) if councils_dir.exists() else []
    if la:
        files = [f for f in files if f.parent.name == la.upper()]
        if not files:
            res.errors.append(f"no published council file for {la.upper()} under {councils_dir}")
    generated = _now()
    for code, out, error in _council_reports(files, generated):
        if out is not None:
            res.council_reports[code] = out
        else:
            res.errors.append(error)
    alliance = published / "alliance.duckdb"
    if la is None and alliance.exists():
        try:
            links = {code: f"councils/{code}/{COUNCIL_REPORT}" for code in res.council_reports}
            out = published / ALLIANCE_REPORT
            _write_atomic(out, render_alliance(alliance, links, generated))
            res.alliance_report = out
        except Exception as exc:
            log.exception("alliance report failed")
            res.errors.append(f"alliance overview: {type(exc).__name__}: {exc}")
    if pdf:
        engine = pdf_engine()
        if engine is None:
            res.pdf_note = (
                "No PDF written: no PDF engine is installed (Chromium). Install it (apt-get install chromium) "
                "or print the HTML from a browser (its print stylesheet fits A4)."
            )
        else:
            for html in [
                *res.council_reports.values(),
                *([res.alliance_report] if res.alliance_report else []),
            ]:
                try:
                    res.pdfs.append(write_pdf(html, engine))
                except Exception as exc:
                    res.errors.append(f"PDF of {html.name} ({html.parent.name}): {exc}")
    progress(
        f"  reports: {len(res.council_reports)} council report(s)"
        + (f" and the alliance overview {res.alliance_report}" if res.alliance_report else "")
        + (f"; {len(res.pdfs)} PDF(s)" if pdf else "")
    )
    return res
