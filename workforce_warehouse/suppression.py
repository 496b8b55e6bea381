"""Small-number suppression for every shared output (metrics.md, "Small numbers in shared outputs").

One reusable piece: a table declares its counts, what is derived from each count, and the sums its rows
form (ethnic groups, seniority levels). Then:

* primary: a count from 1 to threshold-1 becomes NULL, and so does every value derived from it on that
  row (FTE, rate, share, ratio, CI, spend, mean rate); zero is never suppressed;
* secondary: within one table, geography, period and source, where exactly one member of a sum
  (total = parts) is hidden, the smallest other visible non-zero part is hidden too (ties: the first in
  the order of the hierarchy; the total when no part is left), repeated over every hierarchy until
  nothing changes, so no hidden count can be worked out by subtraction;
* `suppressed` is true on every row where anything was hidden.

The analysts' warehouse is never suppressed: this runs only on the copies that are published.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

ETHNIC_SUMS = (
    ("Known", ("White", "Mixed", "Asian", "Black", "Other")),
    ("Total", ("Known", "Unknown")),
    ("BME", ("Mixed", "Asian", "Black", "Other")),
)
SENIORITY_SUMS = (("all", ("case_holder", "senior_practitioner", "manager")),)
COMPARISON_SUMS = (("BME", ("Mixed", "Asian", "Black", "Other")),)


GEO_PERIOD = ("geography_level", "geography_code", "period_end")


@dataclass(frozen=True)
class Hierarchy:
    member: str  # the column whose values are the members of the sums
    sums: tuple[tuple[str, tuple[str, ...]], ...]
    counts: tuple[str, ...]  # count columns the sums hold for
    cell: tuple[str, ...]  # columns equal across the members of one sum (geography, period, source, ...)


@dataclass(frozen=True)
class TableSpec:
    name: str
    counts: tuple[str, ...]
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)  # count -> values derived from it
    row_derived: tuple[str, ...] = ()  # derived from every count of the row
    hierarchies: tuple[Hierarchy, ...] = ()
    exempt_sql: str | None = None  # rows never suppressed (already published by the DfE)
    count_filter: tuple[str, tuple[str, ...]] | None = None  # (column, values): rows whose counts are counts


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


def small_counts(df: pd.DataFrame, spec: TableSpec, column: str, threshold: int) -> np.ndarray:
    """Cells of `column` holding a count from 1 to threshold-1 (zero is never small)."""
    v = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return rows_with_counts(df, spec) & ~np.isnan(v) & (v >= 1) & (v < threshold)


def suppress(df: pd.DataFrame, spec: TableSpec, threshold: int) -> pd.DataFrame:
    out = df.copy()
    if out.empty:
        if "suppressed" not in out.columns:
            out["suppressed"] = pd.Series(dtype=bool)
        return out
    active = rows_with_counts(out, spec)
    hidden: dict[str, np.ndarray] = {c: small_counts(out, spec, c, threshold) for c in spec.counts}
    # secondary suppression, repeated until nothing changes
    changed = True
    while changed:
        changed = False
        for h in spec.hierarchies:
            keys = [k for k in h.cell if k in out.columns]
            for c in h.counts:
                changed |= _secondary(out, keys, h, c, hidden, active)
    any_hidden = np.zeros(len(out), dtype=bool)
    for c, mask in hidden.items():
        if mask.any():
            _set_null(out, c, mask)
            for d in spec.derived.get(c, ()):
                if d in out.columns:
                    _set_null(out, d, mask)
        any_hidden |= mask
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


def _secondary(
    df: pd.DataFrame,
    keys: list[str],
    h: Hierarchy,
    col: str,
    hidden: dict[str, np.ndarray],
    active: np.ndarray,
) -> bool:
    mask = hidden[col]
    if not mask.any():
        return False
    # index rows by (cell, member)
    cell = _cell_ids(df, keys)
    member = df[h.member].astype(str).to_numpy()
    values = pd.to_numeric(df[col], errors="coerce").fillna(0).to_numpy(dtype=float)
    pos = {(c, m): i for i, (c, m) in enumerate(zip(cell, member))}
    changed = False
    for c in np.unique(cell[mask]):
        for total, parts in h.sums:
            members = [total, *parts]
            idx = [pos.get((c, m)) for m in members]
            if any(i is None for i in idx):
                continue
            n_hidden = sum(bool(mask[i]) for i in idx)
            if n_hidden != 1:
                continue
            candidates = [i for i in idx[1:] if not mask[i] and values[i] != 0 and active[i]]
            if candidates:
                pick = min(candidates, key=lambda i: (values[i], idx.index(i)))
            elif not mask[idx[0]] and active[idx[0]] and values[idx[0]] != 0:
                pick = idx[0]
            else:
                continue
            mask[pick] = True
            changed = True
    return changed


SPECS: dict[str, TableSpec] = {
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
        ),
        exempt_sql="source=dfe_published",
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
    ),
    "wres_metrics": TableSpec(
        name="wres_metrics",
        counts=("group_numerator", "group_denominator", "white_numerator", "white_denominator"),
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
            Hierarchy(
                "comparison_group",
                COMPARISON_SUMS,
                ("group_numerator", "group_denominator"),
                GEO_PERIOD + ("service", "metric", "breakdown_type", "breakdown"),
            ),
        ),
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
    ),
}


def apply(table: str, df: pd.DataFrame, threshold: int) -> pd.DataFrame:
    spec = SPECS.get(table)
    if spec is None:
        return df
    out = suppress(df, spec, threshold)
    if table == "representation_by_seniority" and not out.empty:
        out = _progression_after_suppression(out)
    return out


def _progression_after_suppression(df: pd.DataFrame) -> pd.DataFrame:
    """The progression ratio comes from the manager and case-holder rows: hidden if either is hidden,
    and every share in a cell is hidden when its Known headcount is."""
    cell = ["geography_level", "geography_code", "period_end", "source", "service"]
    level_cell = _cell_ids(df, cell + ["seniority_level"])
    known_hidden = (df["ethnic_group"] == "Known").to_numpy() & df["suppressed"].to_numpy(dtype=bool)
    if known_hidden.any():
        df.loc[np.isin(level_cell, level_cell[known_hidden]), "pct_of_known"] = None
    group_cell = _cell_ids(df, cell + ["ethnic_group"])
    ladder = (
        df["seniority_level"].isin(["manager", "case_holder"]).to_numpy()
        & df["pct_of_known"].isna().to_numpy()
    )
    if ladder.any():
        m = np.isin(group_cell, group_cell[ladder]) & (df["source"] != "dfe_published").to_numpy()
        df.loc[m, "progression_ratio"] = None
    return df
