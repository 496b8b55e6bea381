"""DfE published CSWW statistics (dfe-census.md, part B): any `*.csv` under `landing/dfe_census/`.

Recognised by columns, not name. Both headline vocabularies (older `social_worker_fte`,
`turnover_rate_fte_%`; newer `inpost_fte`, `turnover_rate_fte`) load into one long table
(one row per time period, geography and measure) so later releases can add measures freely.
Suppression symbols become NULL with the symbol kept in `value_note`, never 0.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...io import read_csv, sha256_of
from ...values import ErrorCollector, RowReader
from ...warehouse import Load, register_raw_table

SOURCE = "dfe_published"
SYMBOLS = ("c", "x", "z", "u", "low")
GEO_COLUMNS = (
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "old_la_code",
    "new_la_code",
    "la_name",
)
LEVELS = ("National", "Regional", "Local authority")

# Older releases' names -> the newer vocabulary (after normalise_header: lower case, spaces to _).
RENAMES = {
    "social_worker_fte": "inpost_fte",
    "social_worker_headcount": "inpost_headcount",
    "leaver_fte": "leavers_fte",
    "leaver_headcount": "leavers_headcount",
    "starter_fte": "starters_fte",
    "starter_headcount": "starters_headcount",
    "agency_worker_rate_fte": "agency_rate_fte",
    "agency_worker_rate_headcount": "agency_rate_headcount",
}
HEADLINE_MARKERS = {
    "inpost_fte",
    "inpost_headcount",
    "turnover_rate_fte",
    "agency_rate_fte",
    "vacancy_rate_fte",
    "caseload_fte",
    "leavers_fte",
}
ROLE_ETHNICITY_MEASURES = (
    "known_headcount",
    "white",
    "mixed",
    "asian",
    "black",
    "other",
    "white_perc",
    "mixed_perc",
    "asian_perc",
    "black_perc",
    "other_perc",
)

_ROW = [
    ("file_name", "VARCHAR"),
    ("row_number", "BIGINT"),
    ("time_period", "INTEGER"),
    ("geographic_level", "VARCHAR"),
    ("country_code", "VARCHAR"),
    ("region_code", "VARCHAR"),
    ("region_name", "VARCHAR"),
    ("old_la_code", "VARCHAR"),
    ("new_la_code", "VARCHAR"),
    ("la_name", "VARCHAR"),
]
register_raw_table(
    "dfe_headline",
    _ROW + [("measure", "VARCHAR"), ("value", "DOUBLE"), ("value_note", "VARCHAR")],
    source=SOURCE,
)
register_raw_table(
    "dfe_role_ethnicity",
    _ROW + [("org_role", "VARCHAR"), ("measure", "VARCHAR"), ("value", "DOUBLE"), ("value_note", "VARCHAR")],
    source=SOURCE,
)

KEYS = ("time_period", "geographic_level", "region_code", "new_la_code")


def canonical_measure(header: str) -> str:
    name = re.sub(r"_?%$", "", header)
    return RENAMES.get(name, name)


def family_of(headers: list[str]) -> str | None:
    hs = set(headers)
    if "orgrole" in hs and "known_headcount" in hs:
        return "role_ethnicity"
    if {canonical_measure(h) for h in hs} & HEADLINE_MARKERS and "time_period" in hs:
        return "headline"
    return None


def parse_value(raw, r: RowReader, column: str) -> tuple[float | None, str | None]:
    text = "" if raw is None else str(raw).strip()
    if text == "":
        return None, None
    if text.lower() in SYMBOLS:
        return None, text.lower()
    try:
        return float(text.replace(",", "")), None
    except ValueError:
        r.fail(column, "dfe_value", f'"{text}" is not a number or a DfE symbol (c, x, z, u, low)')
        return None, None


def parse_file(path: Path, row_threshold_pct: float = 0.0) -> tuple[list[Load], list]:
    errors = ErrorCollector(path.name)
    try:
        sheet = read_csv(path)
    except OSError as exc:
        errors.file_error("unreadable", f"the file cannot be read ({exc})")
        return [], errors.errors
    if not sheet.headers:
        errors.file_error("empty", "the file is empty (no header row)")
        return [], errors.errors
    family = family_of(sheet.headers)
    if family is None:
        errors.file_error(
            "dfe_unrecognised",
            "the columns are not those of a DfE CSWW headline-measures or role-by-ethnicity file",
        )
        return [], errors.errors
    for col in ("time_period", "geographic_level"):
        if col not in sheet.headers:
            errors.file_error("missing_column", f"the required column {col} is missing", column=col)
    if errors.errors:
        return [], errors.errors
    if family == "headline":
        measures = [h for h in sheet.headers if h and h not in GEO_COLUMNS]
    else:
        measures = [h for h in ROLE_ETHNICITY_MEASURES if h in sheet.headers]
    rows, bad, skipped_levels = [], set(), set()
    for n, row in sheet.rows:
        r = RowReader(errors, n, row)
        level = (row.get("geographic_level") or "").strip()
        if level not in LEVELS:
            skipped_levels.add(level)
            continue
        year = r.integer("time_period", True)
        geo = {
            c: ((row.get(c) or "").strip() or None)
            for c in ("country_code", "region_code", "region_name", "old_la_code", "new_la_code", "la_name")
        }
        if level == "Local authority" and not geo["new_la_code"]:
            r.fail("new_la_code", "required", "new_la_code is required on a Local authority row")
        base = dict(file_name=path.name, row_number=n, time_period=year, geographic_level=level, **geo)
        org_role = (row.get("orgrole") or "").strip() if family == "role_ethnicity" else None
        out = []
        for m in measures:
            value, note = parse_value(row.get(m), r, m)
            rec = dict(base, measure=canonical_measure(m), value=value, value_note=note)
            if family == "role_ethnicity":
                rec["org_role"] = org_role
            out.append(rec)
        if r.ok:
            rows.extend(out)
        else:
            bad.add(n)
    if bad and 100.0 * len(bad) / max(len(sheet.rows), 1) > row_threshold_pct:
        return [], errors.errors
    years = sorted({r["time_period"] for r in rows})
    warnings = []
    if skipped_levels:
        warnings.append(f"skipped rows of geographic_level {', '.join(sorted(skipped_levels))}")
    table = "dfe_headline" if family == "headline" else "dfe_role_ethnicity"
    keys = KEYS + (("org_role",) if family == "role_ethnicity" else ())
    load = Load(
        source=SOURCE,
        dataset=family,
        la_code=None,
        period_end=None,
        period_label=f"{years[0]}-{years[-1]}" if years else None,
        file_name=path.name,
        file_sha256=sha256_of(path),
        table=table,
        rows=rows,
        rows_read=len(sheet.rows),
        rejected=errors.errors,
        warnings=warnings,
        replace_identity=False,
        replace_row_keys=keys,
        message=f"{family} for {', '.join(map(str, years))}" if years else "no rows",
    )
    return [load], []
