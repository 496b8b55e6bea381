"""DfE published CSWW statistics (dfe-census.md, part B): any `*.csv` under `landing/dfe_census/`.

Recognised by columns, not name; headers are matched case-insensitively. Both headline vocabularies
(older `social_worker_fte`, `turnover_rate_fte_%`; newer `inpost_fte`, `turnover_rate_fte`) load into one
long table (one row per time period, geography and measure) so later releases can add measures freely.

Role by ethnicity arrives in two layouts that load into one raw table, `dfe_role_ethnicity`:
- the older wide file (`OrgRole`, `known_headcount`, `white` … `other_perc`): one row per measure column,
  measure = the column name (`white`, `white_perc`, `known_headcount`, …);
- the newer long file (`csww_role_by_characteristics_inpost_<first>_to_<last>.csv`: `role`,
  `breakdown_topic`, `breakdown`, `inpost_FTE`, `inpost_FTE_percentage`, `inpost_headcount`,
  `inpost_headcount_percentage`): one row per measure column and break-down, measure =
  `<column>:<group>` (e.g. `inpost_fte:white`, `inpost_headcount:unknown`, `inpost_headcount:minor:AIND`).
  `org_role` is the file's `role` as written (`Total` = all children and family social workers).
  Topics other than `Ethnicity major` / `Ethnicity minor` are skipped with a warning in the load log.
The two layouts never share a measure name, so neither replaces the other's rows; the intermediate model
prefers the long layout where both cover a year and geography (docs/decisions.md, "DfE long-format files").

Suppression symbols become NULL with the symbol kept in `value_note`, never 0 (`Z` reads as `z`, `k` as
`low`).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from ...io import read_csv, sha256_of
from ...reference_data import code_list, ethnicity_codes
from ...values import ErrorCollector, RowReader
from ...warehouse import Load, register_raw_table
from ..base import accept_rows

SOURCE = "dfe_published"
# Symbol as written (any case) -> the note kept (seeds/dfe_symbols.csv): newer files write `Z` for not
# applicable and `k` for rounds-to-zero, which the older ones write `z` and `low`.
SYMBOL_NOTES = dict(
    zip(code_list("dfe_symbols", "symbol"), code_list("dfe_symbols", "reads_as"), strict=True)
)
SYMBOL_NOTES = {k.lower(): v for k, v in SYMBOL_NOTES.items()}
SYMBOLS = tuple(dict.fromkeys(SYMBOL_NOTES.values()))
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

# The newer long role-by-characteristics layout.
LONG_KEYS = ("role", "breakdown_topic", "breakdown")
LONG_MEASURES = ("inpost_headcount", "inpost_headcount_percentage", "inpost_fte", "inpost_fte_percentage")
LONG_ROLES = {
    "total": "Total",
    "all children and family social workers": "Total",
    "senior manager": "Senior manager",
    "middle manager": "Middle manager",
    "first line manager": "First line manager",
    "senior practitioner": "Senior practitioner",
    "case holder": "Case holder",
    "qualified without cases": "Qualified without cases",
}
ETHNICITY_TOPICS = {"ethnicity major": "major", "ethnicity minor": "minor"}
# `Ethnicity major` break-downs (matched by _label_key: case, spaces and "/" vs " or " ignored) -> group.
MAJOR_GROUPS = {
    "white": "white",
    "mixed or multiple ethnic groups": "mixed",
    "asian or asian british": "asian",
    "black or african or caribbean or black british": "black",
    "other ethnic group": "other",
    "known": "known",
    "not known": "unknown",
    "unknown": "unknown",
    "total": "total",
}
# Totals that the `Ethnicity minor` topic may repeat; every other minor label is an ethnicity label.
MINOR_TOTALS = {"known": "known", "not known": "unknown", "unknown": "unknown", "total": "total"}

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
# Role by ethnicity replaces per measure too: the wide and long layouts name their measures differently,
# so a file of one layout never deletes the other layout's rows for the same year, geography and role.
ROLE_KEYS = KEYS + ("org_role", "measure")


def canonical_measure(header: str) -> str:
    name = re.sub(r"_?%$", "", header)
    return RENAMES.get(name, name)


def _label_key(value: str) -> str:
    """A DfE label for matching: case, repeated spaces and "/" written as " or " (or spaced) ignored."""
    return re.sub(r"\s+", " ", re.sub(r"\s*/\s*", " or ", value.strip())).casefold()


def family_of(headers: list[str]) -> str | None:
    hs = {h.lower() for h in headers if h}
    if "orgrole" in hs and "known_headcount" in hs:
        return "role_ethnicity"
    if set(LONG_KEYS) <= hs and hs & set(LONG_MEASURES):
        return "role_characteristics"
    if {canonical_measure(h) for h in hs} & HEADLINE_MARKERS and "time_period" in hs:
        return "headline"
    return None


def parse_value(raw, r: RowReader, column: str) -> tuple[float | None, str | None]:
    text = "" if raw is None else str(raw).strip()
    if text == "":
        return None, None
    note = SYMBOL_NOTES.get(text.lower())
    if note:
        return None, note
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        value = None
    if value is None or not math.isfinite(value):  # "nan" and "inf" parse as floats: not DfE figures
        r.fail(column, "dfe_value", f'"{text}" is not a number or a DfE symbol ({", ".join(SYMBOLS)})')
        return None, None
    return value, None


def _long_group(row: dict, r: RowReader, topic: str) -> str | None:
    """The break-down of a long-layout ethnicity row as a measure group, or None (a row error)."""
    label = (row.get("breakdown") or "").strip()
    if not label:
        r.fail("breakdown", "required", "breakdown is required and is blank")
        return None
    key = _label_key(label)
    if topic == "major":
        group = MAJOR_GROUPS.get(key)
        if group is None:
            r.fail(
                "breakdown",
                "dfe_breakdown",
                f'"{label}" is not a DfE major ethnic group (White, Mixed / Multiple ethnic groups, '
                "Asian / Asian British, Black / African / Caribbean / Black British, Other ethnic group, "
                "Known, Not known, Total)",
            )
        return group
    if key in MINOR_TOTALS:
        return "minor:" + MINOR_TOTALS[key]
    code = ethnicity_codes().resolve(label)
    if code is None:
        r.fail(
            "breakdown",
            "ethnicity_code",
            f'"{label}" is not a known ethnicity code or label (see seeds/ethnicity_codes.csv)',
        )
        return None
    return "minor:" + code


def _long_role(row: dict, r: RowReader) -> str | None:
    raw = (row.get("role") or "").strip()
    role = LONG_ROLES.get(re.sub(r"\s+", " ", raw).casefold())
    if role is None:
        if not raw:
            r.fail("role", "required", "role is required and is blank")
        else:
            r.fail(
                "role",
                "dfe_role",
                f'"{raw}" is not a DfE social worker role (Total, Senior manager, Middle manager, '
                "First line manager, Senior practitioner, Case holder, Qualified without cases)",
            )
    return role


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
    # Headers are matched case-insensitively (`inpost_FTE` = `inpost_fte`) whatever the reader did.
    headers = [h.lower() if h else h for h in sheet.headers]
    if headers != list(sheet.headers):
        sheet_rows = [(n, {k.lower(): v for k, v in row.items()}) for n, row in sheet.rows]
    else:
        sheet_rows = sheet.rows
    family = family_of(headers)
    if family is None:
        errors.file_error(
            "dfe_unrecognised",
            "the columns are not those of a DfE CSWW headline-measures or role-by-ethnicity file",
        )
        return [], errors.errors
    for col in ("time_period", "geographic_level"):
        if col not in headers:
            errors.file_error("missing_column", f"the required column {col} is missing", column=col)
    if errors.errors:
        return [], errors.errors
    if family == "headline":
        measures = [h for h in headers if h and h not in GEO_COLUMNS]
    elif family == "role_ethnicity":
        measures = [h for h in ROLE_ETHNICITY_MEASURES if h in headers]
    else:
        measures = [h for h in LONG_MEASURES if h in headers]
    rows, bad, skipped_levels = [], set(), set()
    skipped_topics: dict[str, int] = {}
    seen: dict[tuple, int] = {}
    for n, row in sheet_rows:
        r = RowReader(errors, n, row)
        level = (row.get("geographic_level") or "").strip()
        if level not in LEVELS:
            skipped_levels.add(level)
            continue
        if family == "role_characteristics":
            topic_raw = re.sub(r"\s+", " ", (row.get("breakdown_topic") or "").strip())
            topic = ETHNICITY_TOPICS.get(topic_raw.casefold())
            if topic is None:
                skipped_topics[topic_raw] = skipped_topics.get(topic_raw, 0) + 1
                continue
        year = r.integer("time_period", True)
        geo = {
            c: ((row.get(c) or "").strip() or None)
            for c in ("country_code", "region_code", "region_name", "old_la_code", "new_la_code", "la_name")
        }
        if level == "Local authority" and not geo["new_la_code"]:
            r.fail("new_la_code", "required", "new_la_code is required on a Local authority row")
        base = dict(file_name=path.name, row_number=n, time_period=year, geographic_level=level, **geo)
        out = []
        if family == "role_characteristics":
            role = _long_role(row, r)
            group = _long_group(row, r, topic)
            if role is not None and group is not None:
                key = (year, level, geo["region_code"], geo["new_la_code"], role, group)
                if key in seen:
                    r.fail(
                        "breakdown",
                        "duplicate_row",
                        f"the same year, geography, role and break-down as row {seen[key]}",
                    )
                seen.setdefault(key, n)
            for m in measures:
                value, note = parse_value(row.get(m), r, m)
                out.append(dict(base, org_role=role, measure=f"{m}:{group}", value=value, value_note=note))
        else:
            org_role = (row.get("orgrole") or "").strip() if family == "role_ethnicity" else None
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
    if not accept_rows(len(bad), len(sheet_rows), row_threshold_pct):
        return [], errors.errors
    years = sorted({r["time_period"] for r in rows})
    warnings = []
    if skipped_levels:
        warnings.append(f"skipped rows of geographic_level {', '.join(sorted(skipped_levels))}")
    if skipped_topics:
        shown = ", ".join(
            f"{t or '(blank)'} ({k} row{'' if k == 1 else 's'})" for t, k in sorted(skipped_topics.items())
        )
        warnings.append(
            f"skipped rows of breakdown_topic {shown}: only Ethnicity major and Ethnicity minor load"
        )
    dataset = "headline" if family == "headline" else "role_ethnicity"
    table = "dfe_headline" if family == "headline" else "dfe_role_ethnicity"
    keys = KEYS if family == "headline" else ROLE_KEYS
    load = Load(
        source=SOURCE,
        dataset=dataset,
        la_code=None,
        period_end=None,
        period_label=f"{years[0]}-{years[-1]}" if years else None,
        file_name=path.name,
        file_sha256=sha256_of(path),
        table=table,
        rows=rows,
        rows_read=len(sheet_rows),
        rejected=errors.errors,
        warnings=warnings,
        replace_identity=False,
        replace_row_keys=keys,
        message=f"{dataset} for {', '.join(map(str, years))}" if years else "no rows",
    )
    return [load], []
