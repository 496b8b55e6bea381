"""Small-number suppression for every shared output (metrics.md, "Small numbers in shared outputs").

One reusable piece: a table declares its counts, what is derived from each count, and the additive
relations its rows carry. Then:

* primary: a count from 1 to threshold-1 becomes NULL, and so does every value derived from it on that
  row (FTE, rate, share, ratio, CI, spend, mean rate); zero is never suppressed. A share whose count is
  not a published column (`unknown_share`, the census reconciliation's percentages) is hidden when the
  count behind it is from 1 to threshold-1;
* secondary (issue 18): every relation is turned into equations over cells (row, count column), of the
  form totals = parts, where a missing row of a `Hierarchy` drops the equation and a missing row of a
  `GroupSum` counts as zero:
  - `Hierarchy`: sums of members of one column within a cell (ethnic groups, with Known = White + BME and
    Total = Known + Unknown; seniority levels; services; programmes; national = salary bands; and the
    equalities that make one figure repeated on several rows, e.g. White's count on the five
    comparison-group rows of a WRES metric);
  - `RowSum`: columns of one row that add up (metrics 1 and 9: the known count of a band = White's count +
    the BME count; and the known count written in both denominators);
  - `GroupSum`: rows of a group that add up to other rows of it (an Alliance row = its councils' rows, a
    Region row = the region's councils' rows, an agency `all`/`all` row = its roles and engagement types,
    metric 1's pay bands = its national bands);
  wherever an equation has exactly one hidden cell, the smallest other visible non-zero cell on its part
  side is hidden too (ties: the first in the order of the relation; the total side when no part is left),
  and so is it where the hidden cells are all on one side and add up to their number (every hidden cell
  is at least 1, so they would all be 1s); repeated over every equation until nothing changes, so no
  hidden count can be worked out by subtraction. Each family of equations (one sum of one relation for
  one count) holds disjoint equations and is processed for all cells at once (numpy), in the order the
  relations are declared;
* `suppressed` is true on every row where anything was hidden.

The analysts' warehouse is never suppressed: this runs only on the copies that are published.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

Conditions = tuple[tuple[str, tuple[str, ...]], ...]  # (column, values); a leading "!" negates

ETHNIC_SUMS = (
    ("Known", ("White", "Mixed", "Asian", "Black", "Other")),
    ("Total", ("Known", "Unknown")),
    ("BME", ("Mixed", "Asian", "Black", "Other")),
    ("Known", ("White", "BME")),
)
SENIORITY_SUMS = (("all", ("case_holder", "senior_practitioner", "manager")),)
SERVICE_SUMS = (("all", ("children", "adults")),)
COMPARISON_SUMS = (("BME", ("Mixed", "Asian", "Black", "Other")),)
# one figure repeated on every comparison-group row (White's counts; the known count of metrics 1 and 9)
SAME_ON_EVERY_GROUP = (("BME", ("Black",)), ("BME", ("Asian",)), ("BME", ("Mixed",)), ("BME", ("Other",)))
NATIONAL_BAND_SUMS = (
    ("national_band|under £30k", ("salary_band|under £30k",)),
    (
        "national_band|£30k-£69,999",
        (
            "salary_band|£30k-£39,999",
            "salary_band|£40k-£49,999",
            "salary_band|£50k-£59,999",
            "salary_band|£60k-£69,999",
        ),
    ),
    ("national_band|£70k+", ("salary_band|£70k+",)),
)


GEO_PERIOD = ("geography_level", "geography_code", "period_end")
POOLED_LEVELS = ("Region", "Alliance")


@dataclass(frozen=True)
class Hierarchy:
    member: str | tuple[str, ...]  # the column(s) whose values are the members of the sums ("a|b" if two)
    sums: tuple[tuple[str, tuple[str, ...]], ...]
    counts: tuple[str, ...]  # count columns the sums hold for
    cell: tuple[str, ...]  # columns equal across the members of one sum (geography, period, source, ...)
    rows: Conditions = ()  # only rows meeting these take part


@dataclass(frozen=True)
class RowSum:
    """On one row: total column = the sum of the part columns."""

    total: str
    parts: tuple[str, ...]
    rows: Conditions = ()


@dataclass(frozen=True)
class GroupSum:
    """Within a group of rows (equal `keys`), the `total` rows' counts add up to the `part` rows' counts;
    a member row that is not there is a zero (pooling and the agency table leave out empty rows)."""

    keys: tuple[str, ...]
    total: Conditions
    parts: Conditions
    counts: tuple[str, ...]
    pooled_only: bool = False  # only rows pooled from councils' own data (councils_included not NULL)


@dataclass(frozen=True)
class TableSpec:
    name: str
    counts: tuple[str, ...]
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)  # count -> values derived from it
    row_derived: tuple[str, ...] = ()  # derived from every count of the row
    hierarchies: tuple[Hierarchy, ...] = ()
    exempt_sql: str | None = None  # rows never suppressed (already published by the DfE)
    count_filter: tuple[str, tuple[str, ...]] | None = None  # (column, values): rows whose counts are counts
    relations: tuple[RowSum | GroupSum, ...] = ()  # further additive relations (after the hierarchies)
    # the columns that, with the geography, name a row: when given, Region and Alliance rows are also
    # sums of their councils' rows (GroupSum), and publish.py matches pooled rows on them
    dims: tuple[str, ...] = ()
    # (share column, count column, cell): a share of the Known count is hidden on every row of the cell
    # when the Known count is hidden (the share and a shown count would give the Known count back)
    known_shares: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    # counts behind shares that are not published columns: df -> {name: (count per row, derived columns)}
    hidden_counts: Callable[[pd.DataFrame], dict[str, tuple[np.ndarray, tuple[str, ...]]]] | None = None


def _conditions(df: pd.DataFrame, conds: Conditions) -> np.ndarray:
    """Rows meeting every (column, values) condition; a column named "!col" must hold none of the values.
    A condition on a column the frame lacks is never met (so a relation never applies by mistake)."""
    out = np.ones(len(df), dtype=bool)
    for col, values in conds:
        negate = col.startswith("!")
        name = col[1:] if negate else col
        if name not in df.columns:
            return np.zeros(len(df), dtype=bool)
        hit = df[name].astype(str).isin(list(values)).to_numpy()
        out &= ~hit if negate else hit
    return out


def rows_with_counts(df: pd.DataFrame, spec: TableSpec) -> np.ndarray:
    """Rows whose count columns hold counts of people that the rules apply to."""
    active = np.ones(len(df), dtype=bool)
    if spec.exempt_sql:
        col, values = spec.exempt_sql.split("=", 1)
        active &= ~df[col.strip()].astype(str).isin([v.strip() for v in values.split(",")]).to_numpy()
    if spec.count_filter:
        col, values = spec.count_filter
        active &= df[col].isin(values).to_numpy()
    return active


def _numbers(df: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def small_counts(df: pd.DataFrame, spec: TableSpec, column: str, threshold: int) -> np.ndarray:
    """Cells of `column` holding a count from 1 to threshold-1 (zero is never small)."""
    v = _numbers(df, column)
    return rows_with_counts(df, spec) & ~np.isnan(v) & (v >= 1) & (v < threshold)


# A family of equations: for each member cell, its flat index (row * number of counts + count), the
# equation it belongs to, its side (0 the totals, 1 the parts) and its order for ties. The equations of
# one family share no cell, so they can be worked on all at once.
Family = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _member_values(df: pd.DataFrame, member: str | tuple[str, ...]) -> np.ndarray:
    if isinstance(member, str):
        return df[member].astype(str).to_numpy()
    out = df[member[0]].astype(str)
    for m in member[1:]:
        out = out + "|" + df[m].astype(str)
    return out.to_numpy()


def _hierarchy_families(df: pd.DataFrame, h: Hierarchy, col: dict[str, int]) -> list[Family]:
    counts = [c for c in h.counts if c in col]
    members = h.member if isinstance(h.member, tuple) else (h.member,)
    if not counts or any(m not in df.columns for m in members):
        return []
    keys = [k for k in h.cell if k in df.columns]
    sel = _conditions(df, h.rows)
    cell = _cell_ids(df, keys)
    member = _member_values(df, h.member)
    n_cells = int(cell.max()) + 1 if len(cell) else 0
    rows = np.arange(len(df))
    where: dict[str, np.ndarray] = {}
    out = []
    for total, parts in h.sums:
        names = [total, *parts]
        idx = np.full((n_cells, len(names)), -1, dtype=np.int64)
        for j, name in enumerate(names):
            if name not in where:
                where[name] = sel & (member == name)
            m = where[name]
            idx[cell[m], j] = rows[m]
        idx = idx[(idx >= 0).all(axis=1)]
        if not len(idx):
            continue
        n_eq, k = idx.shape
        eq = np.repeat(np.arange(n_eq), k)
        side = np.tile(np.array([0] + [1] * (k - 1), dtype=np.int8), n_eq)
        order = np.tile(np.arange(k), n_eq)
        for c in counts:
            out.append(((idx * len(col) + col[c]).ravel(), eq, side, order))
    return out


def _row_sum_families(df: pd.DataFrame, r: RowSum, col: dict[str, int]) -> list[Family]:
    if r.total not in col or any(p not in col for p in r.parts):
        return []
    rows = np.flatnonzero(_conditions(df, r.rows))
    if not len(rows):
        return []
    names = [r.total, *r.parts]
    k = len(names)
    flat = (rows[:, None] * len(col) + np.array([col[n] for n in names])[None, :]).ravel()
    eq = np.repeat(np.arange(len(rows)), k)
    side = np.tile(np.array([0] + [1] * (k - 1), dtype=np.int8), len(rows))
    return [(flat, eq, side, np.tile(np.arange(k), len(rows)))]


def _group_sum_families(df: pd.DataFrame, g: GroupSum, col: dict[str, int]) -> list[Family]:
    counts = [c for c in g.counts if c in col]
    if not counts or any(k not in df.columns for k in g.keys):
        return []
    total = _conditions(df, g.total)
    parts = _conditions(df, g.parts) & ~total
    if g.pooled_only:
        pooled = df["councils_included"].notna().to_numpy() if "councils_included" in df.columns else False
        total &= pooled
        parts &= pooled
    rows = np.flatnonzero(total | parts)
    if not len(rows):
        return []
    gid = _cell_ids(df.iloc[rows], list(g.keys))
    # an equation needs a total row and a part row (a group of totals alone is not a sum of nothing)
    has_total = np.bincount(gid, weights=total[rows]) > 0
    has_part = np.bincount(gid, weights=parts[rows]) > 0
    keep = (has_total & has_part)[gid]
    rows, gid = rows[keep], gid[keep]
    if not len(rows):
        return []
    side = np.where(total[rows], 0, 1).astype(np.int8)
    out = []
    for c in counts:
        # a NULL part beside a shown total was not pooled (a council that did not submit): a zero
        keep = (side == 0) | ~np.isnan(_numbers(df, c)[rows])
        out.append((rows[keep] * len(col) + col[c], gid[keep], side[keep], rows[keep]))
    return out


def _geography_sums(spec: TableSpec, df: pd.DataFrame) -> tuple[GroupSum, ...]:
    """Pooled rows are sums of their councils' rows (metrics.md's pooling rule), in every published table
    that names its rows by `dims`."""
    if not spec.dims or "geography_level" not in df.columns or "councils_included" not in df.columns:
        return ()
    la = (("geography_level", ("Local authority",)),)
    return (
        GroupSum(spec.dims, (("geography_level", ("Alliance",)),), la, spec.counts, pooled_only=True),
        GroupSum((*spec.dims, "region_code"), (("geography_level", ("Region",)),), la, spec.counts, True),
    )


def families(df: pd.DataFrame, spec: TableSpec, counts: list[str]) -> list[Family]:
    """Every equation the table's rows carry, as families, in the order of the spec."""
    col = {c: i for i, c in enumerate(counts)}
    out: list[Family] = []
    for h in spec.hierarchies:
        out += _hierarchy_families(df, h, col)
    for r in (*spec.relations, *_geography_sums(spec, df)):
        out += _row_sum_families(df, r, col) if isinstance(r, RowSum) else _group_sum_families(df, r, col)
    return out


def _protect(
    fam: Family, values: np.ndarray, unknown: np.ndarray, hidden: np.ndarray, active: np.ndarray
) -> bool:
    """One round over one family: where an equation gives a hidden cell away, hide one more cell."""
    flat, eq, side, order = fam
    h = hidden[flat]
    if not h.any():
        return False
    n_eq = int(eq.max()) + 1
    unk = h | unknown[flat]  # NULL in the data: not a figure anyone can subtract
    v = values[flat]
    n_unk = np.bincount(eq, weights=unk, minlength=n_eq)
    n_hidden = np.bincount(eq, weights=h, minlength=n_eq)
    n_null = n_unk - n_hidden
    hidden_totals = np.bincount(eq, weights=h & (side == 0), minlength=n_eq)
    hidden_sum = np.bincount(eq, weights=np.where(h, v, 0.0), minlength=n_eq)
    one_sided = (hidden_totals == 0) | (hidden_totals == n_hidden)
    # every hidden count is at least 1: hidden cells on one side adding up to their number are all 1s
    ones = (n_null == 0) & (n_hidden >= 2) & one_sided & (hidden_sum == n_hidden)
    unsafe = ((n_unk == 1) & (n_hidden == 1)) | ones
    if not unsafe.any():
        return False
    cand = unsafe[eq] & ~unk & (v != 0) & active[flat] & ~np.isnan(v)
    if not cand.any():
        return False
    hidden_side = np.where(hidden_totals == 0, 1, 0)[eq]
    weak = one_sided[eq] & (side == hidden_side) & (hidden_sum == n_hidden)[eq] & (v == 1)
    ci = np.flatnonzero(cand)
    # per equation: a part before a total, a pick that does not leave all 1s, the smallest, the first
    ranked = ci[np.lexsort((order[ci], v[ci], weak[ci], side[ci] == 0, eq[ci]))]
    first = np.ones(len(ranked), dtype=bool)
    first[1:] = eq[ranked][1:] != eq[ranked][:-1]
    hidden[flat[ranked[first]]] = True
    return True


def suppress(df: pd.DataFrame, spec: TableSpec, threshold: int) -> pd.DataFrame:
    out = df.copy()
    if out.empty:
        if "suppressed" not in out.columns:
            out["suppressed"] = pd.Series(dtype=bool)
        return out
    active = rows_with_counts(out, spec)
    # counts behind shares, worked out before anything is hidden
    behind = list(spec.hidden_counts(out).values()) if spec.hidden_counts is not None else []
    counts = [c for c in spec.counts if c in out.columns]
    n = len(out)
    values = np.column_stack([_numbers(out, c) for c in counts]) if counts else np.zeros((n, 0))
    hidden = (
        np.column_stack([small_counts(out, spec, c, threshold) for c in counts]) if counts else values > 0
    )
    hidden = np.ascontiguousarray(hidden).reshape(-1)
    flat_values = np.ascontiguousarray(values).reshape(-1)
    unknown = np.isnan(flat_values)
    flat_active = np.repeat(active, len(counts))
    fams = families(out, spec, counts)
    changed = True
    while changed:
        changed = False
        for fam in fams:
            changed |= _protect(fam, flat_values, unknown, hidden, flat_active)
    hidden = hidden.reshape(n, len(counts))
    any_hidden = hidden.any(axis=1) if counts else np.zeros(n, dtype=bool)
    for i, c in enumerate(counts):
        mask = hidden[:, i]
        if mask.any():
            _set_null(out, c, mask)
            for d in spec.derived.get(c, ()):
                if d in out.columns:
                    _set_null(out, d, mask)
    for share, count, cell in spec.known_shares:
        if share in out.columns and count in counts:
            known_hidden = (out["ethnic_group"] == "Known").to_numpy() & hidden[:, counts.index(count)]
            if known_hidden.any():
                ids = _cell_ids(out, [k for k in cell if k in out.columns])
                _set_null(out, share, np.isin(ids, ids[known_hidden]))
    if behind:
        not_exempt = rows_with_counts(out, TableSpec(spec.name, (), exempt_sql=spec.exempt_sql))
        for count, shares in behind:
            small = not_exempt & ~np.isnan(count) & (count >= 1) & (count < threshold)
            if small.any():
                for d in shares:
                    if d in out.columns:
                        _set_null(out, d, small)
                any_hidden |= small
    for d in spec.row_derived:
        if d in out.columns and any_hidden.any():
            _set_null(out, d, any_hidden)
    out["suppressed"] = any_hidden | (
        out["suppressed"].fillna(False).astype(bool).to_numpy() if "suppressed" in out.columns else False
    )
    return out


def _set_null(df: pd.DataFrame, column: str, mask: np.ndarray) -> None:
    """NULL the masked cells, widening the column's type where it cannot hold a NULL (int, bool)."""
    kind = df[column].dtype.kind
    if kind in "iu":
        df[column] = df[column].astype("Int64")
    elif kind == "b":
        df[column] = df[column].astype("boolean")
    df.loc[mask, column] = None


def _cell_ids(df: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """One integer per distinct combination of `keys` (NULLs included)."""
    if not keys:
        return np.zeros(len(df), dtype=np.int64)
    return df.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()


def _unknown_behind_share(df: pd.DataFrame) -> dict[str, tuple[np.ndarray, tuple[str, ...]]]:
    """The unknown count behind `unknown_share` (share = unknown ÷ (known + unknown)): the known count is
    shown (metrics 1 and 9: the denominators; other metrics: White's and the BME denominators), so the
    share would give the unknown count back; it is hidden when that count is from 1 to threshold-1."""
    need = {"unknown_share", "metric", "comparison_group", "group_denominator", "white_denominator"}
    if not need <= set(df.columns):
        return {}
    cell = _cell_ids(
        df, [c for c in (*GEO_PERIOD, "service", "metric", "breakdown_type", "breakdown") if c in df]
    )
    gd, wd = _numbers(df, "group_denominator"), _numbers(df, "white_denominator")
    bme = (df["comparison_group"] == "BME").to_numpy()
    bme_den = np.full(int(cell.max()) + 1, np.nan)
    bme_den[cell[bme]] = gd[bme]
    shares_of_band = df["metric"].astype(str).isin(["1", "9"]).to_numpy()
    known = np.where(shares_of_band, gd, wd + bme_den[cell])
    share = _numbers(df, "unknown_share") / 100.0
    with np.errstate(divide="ignore", invalid="ignore"):
        unknown = np.where(share < 1, np.round(share * known / (1 - share)), np.nan)
    return {"unknown": (unknown, ("unknown_share",))}


def _counts_behind_percentages(df: pd.DataFrame) -> dict[str, tuple[np.ndarray, tuple[str, ...]]]:
    """census_reconciliation's `pct_<group>_of_known` rows beside its `known_headcount` row: percentage ×
    known count = the group's count, hidden with the percentage when from 1 to threshold-1."""
    if not {"measure", "hr_value", "csww_value"} <= set(df.columns):
        return {}
    keys = [c for c in ("geography_level", "geography_code", "period_end") if c in df.columns]
    cell = _cell_ids(df, keys)
    measure = df["measure"].astype(str)
    pct = measure.str.match(r"^pct_.*_of_known$").to_numpy()
    known_row = (measure == "known_headcount").to_numpy()
    out = {}
    for col, shown in (
        ("hr_value", ("hr_value", "hr_minus_dfe", "hr_minus_csww")),
        ("csww_value", ("csww_value", "csww_minus_dfe", "hr_minus_csww")),
    ):
        v = _numbers(df, col)
        known = np.full(int(cell.max()) + 1, np.nan)
        known[cell[known_row]] = v[known_row]
        out[col] = (np.where(pct, np.round(v * known[cell] / 100.0), np.nan), shown)
    return out


WRES_CELL = GEO_PERIOD + ("service", "metric", "breakdown_type", "breakdown")
WRES_COUNTS = ("group_numerator", "group_denominator", "white_numerator", "white_denominator")
SHARE_METRICS = (("metric", ("1", "9")),)
NATIONAL_BANDS = (("metric", ("1",)), ("breakdown_type", ("national_band",)))

PROGRESSION_COUNTS = (
    "cohort",
    "promoted",
    "leavers",
    "moved_within_alliance",
    "to_agency_observed",
    "stated_to_another_la",
    "stated_to_agency",
)

SPECS: dict[str, TableSpec] = {
    # issue 17 (pay): a mean or median salary of fewer people than the threshold is hidden with its
    # headcount, and the gaps with either side. Pooled pay_gap rows count pooled people, so an Alliance or
    # Region headcount is the sum of its councils' (dims); pooled quartiles are cut afresh (no dims).
    "pay_gap": TableSpec(
        name="pay_gap",
        counts=("group_headcount", "white_headcount"),
        derived={
            "group_headcount": ("group_mean_salary", "group_median_salary"),
            "white_headcount": ("white_mean_salary", "white_median_salary"),
        },
        row_derived=("mean_gap_pct", "median_gap_pct"),
        hierarchies=(
            Hierarchy(
                "comparison_group",
                COMPARISON_SUMS,
                ("group_headcount",),
                GEO_PERIOD + ("source", "service", "seniority_level", "sex"),
            ),
        ),
        dims=("period_end", "source", "service", "seniority_level", "sex", "comparison_group"),
    ),
    # issue 17 (progression): counts per group, their rates, and the ratio with its CI and year-on-year
    # change hidden with any count of the row
    "progression": TableSpec(
        name="progression",
        counts=PROGRESSION_COUNTS + ("white_cohort", "white_promoted"),
        derived={
            "cohort": ("promotion_rate",),
            "promoted": ("promotion_rate",),
            "white_cohort": ("white_rate",),
            "white_promoted": ("white_rate",),
        },
        row_derived=(
            "relative_likelihood",
            "ci_lower",
            "ci_upper",
            "band",
            "significant",
            "previous_relative_likelihood",
            "change_ratio",
            "change_significant",
            "direction",
        ),
        hierarchies=(
            Hierarchy(
                "comparison_group",
                ETHNIC_SUMS,
                PROGRESSION_COUNTS,
                GEO_PERIOD + ("service",),
            ),
        ),
        dims=("period_end", "service", "comparison_group"),
    ),
    "pay_quartiles": TableSpec(
        name="pay_quartiles",
        counts=("headcount",),
        derived={"headcount": ("pct_of_known",)},
        hierarchies=(
            Hierarchy(
                "ethnic_group",
                ETHNIC_SUMS,
                ("headcount",),
                GEO_PERIOD + ("source", "service", "quartile"),
            ),
        ),
        known_shares=(("pct_of_known", "headcount", GEO_PERIOD + ("source", "service", "quartile")),),
    ),
    "representation_by_seniority": TableSpec(
        name="representation_by_seniority",
        counts=("headcount",),
        derived={"headcount": ("fte", "pct_of_known")},
        hierarchies=(
            Hierarchy(
                "ethnic_group",
                ETHNIC_SUMS,
                ("headcount",),
                GEO_PERIOD + ("source", "service", "seniority_level"),
            ),
            Hierarchy(
                "seniority_level",
                SENIORITY_SUMS,
                ("headcount",),
                GEO_PERIOD + ("source", "service", "ethnic_group"),
            ),
            Hierarchy(
                "service",
                SERVICE_SUMS,
                ("headcount",),
                GEO_PERIOD + ("source", "seniority_level", "ethnic_group"),
            ),
        ),
        exempt_sql="source=dfe_published",
        dims=("period_end", "source", "service", "seniority_level", "ethnic_group"),
        known_shares=(("pct_of_known", "headcount", GEO_PERIOD + ("source", "service", "seniority_level")),),
    ),
    "workforce_flows": TableSpec(
        name="workforce_flows",
        counts=("inpost_headcount", "starters_headcount", "leavers_headcount"),
        derived={
            "inpost_headcount": (
                "inpost_fte",
                "turnover_rate_fte",
                "agency_rate_fte",
                "vacancy_rate_fte",
                "caseload_fte",
                "absence_rate_fte",
                "case_holders_fte",
                "agency_fte",
            ),
            "starters_headcount": ("starters_fte",),
            "leavers_headcount": ("leavers_fte", "turnover_rate_fte"),
        },
        exempt_sql="source=dfe_published",
        dims=("period_end", "source"),
    ),
    "wres_metrics": TableSpec(
        name="wres_metrics",
        counts=WRES_COUNTS,
        derived={
            "group_numerator": ("group_rate",),
            "group_denominator": ("group_rate", "workforce_share"),
            "white_numerator": ("white_rate",),
            "white_denominator": ("white_rate",),
        },
        row_derived=(
            "relative_likelihood",
            "relative_likelihood_nhs_direction",
            "ci_lower",
            "ci_upper",
            "band",
            "significant",
        ),
        hierarchies=(
            Hierarchy("comparison_group", COMPARISON_SUMS, ("group_numerator",), WRES_CELL),
            # metrics 2-8: the BME denominator is the groups' denominators added up
            Hierarchy(
                "comparison_group",
                COMPARISON_SUMS,
                ("group_denominator",),
                WRES_CELL,
                (("!metric", ("1", "9")),),
            ),
            Hierarchy(
                "comparison_group", SAME_ON_EVERY_GROUP, ("white_numerator", "white_denominator"), WRES_CELL
            ),
            # metrics 1 and 9: the denominator is the band's known count, the same on every group's row
            Hierarchy(
                "comparison_group", SAME_ON_EVERY_GROUP, ("group_denominator",), WRES_CELL, SHARE_METRICS
            ),
            Hierarchy(
                "service",
                SERVICE_SUMS,
                WRES_COUNTS,
                GEO_PERIOD + ("metric", "breakdown_type", "breakdown", "comparison_group"),
            ),
            Hierarchy(
                ("breakdown_type", "breakdown"),
                NATIONAL_BAND_SUMS,
                WRES_COUNTS,
                GEO_PERIOD + ("service", "metric", "comparison_group"),
                (("metric", ("1",)),),
            ),
        ),
        relations=(
            # metrics 1 and 9, on one row: known = White + BME; the known count in both denominators
            RowSum(
                "group_denominator",
                ("white_numerator", "group_numerator"),
                (*SHARE_METRICS, ("comparison_group", ("BME",))),
            ),
            RowSum("group_denominator", ("white_denominator",), SHARE_METRICS),
            # metric 1: a council's pay bands hold the same staff as the national bands
            GroupSum(
                GEO_PERIOD + ("service", "metric", "comparison_group"),
                NATIONAL_BANDS,
                (("metric", ("1",)), ("breakdown_type", ("pay_band",))),
                WRES_COUNTS,
            ),
        ),
        dims=("period_end", "service", "metric", "breakdown_type", "breakdown", "comparison_group"),
        hidden_counts=_unknown_behind_share,
    ),
    "asye_outcomes": TableSpec(
        name="asye_outcomes",
        counts=("registered", "passed", "failed", "deferred", "withdrawn", "in_progress"),
        derived={
            "passed": ("fail_rate",),
            "failed": ("fail_rate", "share_of_fails"),
            "registered": ("share_of_registrants",),
        },
        row_derived=("relative_likelihood_fail", "ci_lower", "ci_upper", "significant"),
        hierarchies=(
            Hierarchy(
                "ethnic_group",
                ETHNIC_SUMS,
                ("registered", "passed", "failed", "deferred", "withdrawn", "in_progress"),
                GEO_PERIOD + ("programme",),
            ),
            Hierarchy(
                "programme",
                (("all", ("children", "adults")),),
                ("registered", "passed", "failed", "deferred", "withdrawn", "in_progress"),
                GEO_PERIOD + ("ethnic_group",),
            ),
        ),
        dims=("period_end", "programme", "ethnic_group"),
        known_shares=(
            ("share_of_fails", "failed", GEO_PERIOD + ("programme",)),
            ("share_of_registrants", "registered", GEO_PERIOD + ("programme",)),
        ),
    ),
    "agency_use": TableSpec(
        name="agency_use",
        counts=(
            "engagements",
            "engagements_over_cap",
            "experience_rule_breaches",
            "cooling_off_breaches",
            "cooling_off_found_by_linkage",
        ),
        derived={
            "engagements": (
                "hours",
                "fte",
                "spend",
                "mean_charge_rate",
                "agency_fte_at_quarter_end",
                "agency_share_fte",
            ),
            "engagements_over_cap": ("hours_over_cap", "spend_above_cap"),
        },
        relations=(
            # the all/all row of a quarter and service = its roles × engagement types (empty ones left out)
            GroupSum(
                ("geography_level", "geography_code", "quarter", "service"),
                (("role", ("all",)), ("engagement_type", ("all",))),
                (("!role", ("all",)), ("!engagement_type", ("all",))),
                (
                    "engagements",
                    "engagements_over_cap",
                    "experience_rule_breaches",
                    "cooling_off_breaches",
                    "cooling_off_found_by_linkage",
                ),
            ),
        ),
        dims=("quarter", "service", "role", "engagement_type"),
    ),
    "census_reconciliation": TableSpec(
        name="census_reconciliation",
        counts=("hr_value", "csww_value"),
        derived={
            "hr_value": ("hr_minus_dfe", "hr_minus_csww"),
            "csww_value": ("csww_minus_dfe", "hr_minus_csww"),
        },
        count_filter=(
            "measure",
            ("inpost_headcount", "starters_headcount", "leavers_headcount", "known_headcount"),
        ),
        dims=("period_end", "measure"),
        hidden_counts=_counts_behind_percentages,
    ),
}


def apply(table: str, df: pd.DataFrame, threshold: int) -> pd.DataFrame:
    spec = SPECS.get(table)
    if spec is None:
        return df
    out = suppress(df, spec, threshold)
    if table == "representation_by_seniority" and not out.empty:
        out = _progression_after_suppression(out)
    if table in YEAR_ON_YEAR_KEYS and not out.empty:
        out = _year_on_year_after_suppression(out, YEAR_ON_YEAR_KEYS[table])
    return out


# The columns that, with the period end, name the same figure a year earlier (the marts' own join).
YEAR_ON_YEAR_KEYS = {
    "wres_metrics": (
        "geography_level",
        "geography_code",
        "service",
        "metric",
        "breakdown_type",
        "breakdown",
        "comparison_group",
    ),
    "progression": ("geography_level", "geography_code", "service", "comparison_group"),
}
YEAR_ON_YEAR_COLUMNS = ("previous_relative_likelihood", "change_ratio", "change_significant", "direction")


def _year_on_year_after_suppression(df: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """The year-on-year columns repeat last year's ratio (previous_relative_likelihood) and divide this
    year's by it (change_ratio): shown only when both years' ratios are shown, else a ratio hidden in one
    row could be read back from the other."""
    cols = [c for c in YEAR_ON_YEAR_COLUMNS if c in df.columns]
    if not cols or "relative_likelihood" not in df.columns or "period_end" not in df.columns:
        return df
    keys = [k for k in keys if k in df.columns]
    shown = df[[*keys, "period_end"]].copy()
    shown["_shown"] = df["relative_likelihood"].notna().to_numpy()
    shown["period_end"] = pd.to_datetime(shown["period_end"]) + pd.DateOffset(
        years=1
    )  # as next year's "prev"
    this = df[[*keys, "period_end"]].copy()
    this["period_end"] = pd.to_datetime(this["period_end"])
    merged = this.merge(shown, on=[*keys, "period_end"], how="left")
    if len(merged) != len(df):  # keys not unique: show no year-on-year figure rather than a wrong one
        prev_shown = np.zeros(len(df), dtype=bool)
    else:
        prev_shown = merged["_shown"].fillna(False).to_numpy()
    hide = ~(df["relative_likelihood"].notna().to_numpy() & prev_shown.astype(bool))
    if hide.any():
        df = df.copy()
        for c in cols:
            df[c] = df[c].astype(object)
            df.loc[hide, c] = None
    return df


def _progression_after_suppression(df: pd.DataFrame) -> pd.DataFrame:
    """The progression ratio comes from the manager and case-holder rows' shares: hidden if either is
    hidden (a share is hidden with its count, and every share of a cell with its Known count)."""
    cell = ["geography_level", "geography_code", "period_end", "source", "service"]
    group_cell = _cell_ids(df, cell + ["ethnic_group"])
    ladder = (
        df["seniority_level"].isin(["manager", "case_holder"]).to_numpy()
        & df["pct_of_known"].isna().to_numpy()
    )
    if ladder.any():
        m = np.isin(group_cell, group_cell[ladder]) & (df["source"] != "dfe_published").to_numpy()
        df.loc[m, "progression_ratio"] = None
    return df
