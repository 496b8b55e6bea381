"""Quarterly agency use-and-cost return (agency-use.md): `agency_<LA code>_<YYYY>-Q<n>.csv|xlsx`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ...io import read_csv, read_xlsx, sha256_of
from ...pseudonymise import Pseudonymiser
from ...reference_data import local_authorities
from ...values import ErrorCollector, RowReader, clean_text
from ...warehouse import Load, register_raw_table
from ..base import accept_rows, check_columns_generic, name_pattern
from ..base import ethnicity as _ethnicity
from ..base import unique as _unique
from ..council_hr.loader import ROLES

SOURCE = "agency_use"
NAME_RE = name_pattern(r"agency_<LA>_([0-9]{4})-Q([1-4])\.(csv|xlsx)")
PATTERN = "agency_<LA code>_<YYYY>-Q<n>.csv or .xlsx"
REQUIRED = (
    "engagement_id",
    "swe_registration_number",
    "service",
    "role",
    "engagement_type",
    "agency_name",
    "start_date",
    "hours_in_quarter",
    "charge_rate_per_hour",
    "post_qualified_la_years",
)
OPTIONAL = (
    "end_date",
    "fte",
    "pay_rate_per_hour",
    "left_permanent_la_code",
    "left_permanent_date",
    "ethnicity",
    "covering_vacancy",
)

register_raw_table(
    "agency_engagement",
    [
        ("la_code", "VARCHAR"),
        ("quarter", "VARCHAR"),
        ("quarter_start", "DATE"),
        ("quarter_end", "DATE"),
        ("row_number", "BIGINT"),
        ("engagement_key", "VARCHAR"),
        ("swe_key", "VARCHAR"),
        ("service", "VARCHAR"),
        ("role", "VARCHAR"),
        ("engagement_type", "VARCHAR"),
        ("agency_name", "VARCHAR"),
        ("start_date", "DATE"),
        ("end_date", "DATE"),
        ("hours_in_quarter", "DECIMAL(12,2)"),
        ("fte", "DECIMAL(9,6)"),
        ("charge_rate_per_hour", "DECIMAL(12,2)"),
        ("pay_rate_per_hour", "DECIMAL(12,2)"),
        ("post_qualified_la_years", "DECIMAL(6,2)"),
        ("left_permanent_la_code", "VARCHAR"),
        ("left_permanent_date", "DATE"),
        ("ethnicity_raw", "VARCHAR"),
        ("ethnicity_code", "VARCHAR"),
        ("covering_vacancy", "BOOLEAN"),
    ],
    source=SOURCE,
)


def parse_name(name: str) -> tuple[str, int, int] | None:
    m = NAME_RE.match(name)
    return (m[1].upper(), int(m[2]), int(m[3])) if m else None


def quarter_bounds(year: int, q: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, 3 * q - 2, 1)
    end = dt.date(year + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


class _Ctx:
    def __init__(self, la_code: str):
        self.la_code = la_code


def parse_file(
    path: Path, la_code: str, year: int, q: int, pseudo: Pseudonymiser, row_threshold_pct: float = 0.0
) -> tuple[list[Load], list]:
    errors = ErrorCollector(path.name)
    sheet = read_xlsx(path)[0] if path.suffix.lower() == ".xlsx" else read_csv(path)
    if path.suffix.lower() == ".xlsx":
        errors.sheet = sheet.name
    if not sheet.headers:
        errors.file_error("empty", "the file is empty (no header row)")
        return [], errors.errors
    dropped, warnings = check_columns_generic(sheet, REQUIRED, OPTIONAL, errors, "agency")
    if errors.errors:
        return [], errors.errors
    q_start, q_end = quarter_bounds(year, q)
    las = local_authorities()
    rows, seen, bad = [], {}, set()
    ctx = _Ctx(la_code)
    for n, row in sheet.rows:
        r = RowReader(errors, n, row)
        eng = r.text("engagement_id", True)
        _unique(r, seen, eng, "engagement_id", f'engagement_id "{eng}"')
        swe = r.swe("swe_registration_number", True)
        service = r.code("service", ("children", "adults"), True)
        role = r.code("role", ROLES, True)
        etype = r.code("engagement_type", ("individual_locum", "project_team", "managed_service"), True)
        agency = r.text("agency_name", True)
        start = r.date("start_date", True)
        end = r.date("end_date")
        hours = r.number("hours_in_quarter", True)
        if hours is not None and hours < 0:
            r.fail(
                "hours_in_quarter",
                "range",
                f'"{clean_text(row.get("hours_in_quarter"))}" is negative (hours must be 0 or more)',
            )
        fte = r.number("fte")
        if fte is not None and not (0 <= fte <= 1):
            r.fail(
                "fte",
                "fte_range",
                f'"{clean_text(row.get("fte"))}" is outside 0 to 1 (FTE must be between 0 and 1)',
            )
        charge = r.number("charge_rate_per_hour", True)
        if charge is not None and charge < 0:
            r.fail(
                "charge_rate_per_hour",
                "range",
                f'"{clean_text(row.get("charge_rate_per_hour"))}" is negative',
            )
        pay = r.number("pay_rate_per_hour")
        years = r.number("post_qualified_la_years", True)
        if years is not None and years < 0:
            r.fail("post_qualified_la_years", "range", f'"{years}" is negative')
        left_la = r.text("left_permanent_la_code")
        if left_la is not None:
            left_la = left_la.upper()
            if left_la not in las:
                r.fail(
                    "left_permanent_la_code",
                    "la_code",
                    f'"{left_la}" is not a local authority code in the reference list',
                )
        left_date = r.date("left_permanent_date")
        eth_raw, eth = _ethnicity(r, ctx)
        covering = r.flag("covering_vacancy")
        if start and end and end < start:
            r.fail(
                "end_date",
                "end_before_start",
                f'"{end.isoformat()}" is before start_date {start.isoformat()}',
            )
        elif start and start > q_end:
            r.fail(
                "start_date",
                "active_in_quarter",
                f'"{start.isoformat()}" is after the quarter end {q_end.isoformat()} (an engagement must be '
                "active on some day of the quarter)",
            )
        elif end and end < q_start:
            r.fail(
                "end_date",
                "active_in_quarter",
                f'"{end.isoformat()}" is before the quarter start {q_start.isoformat()} (an engagement must be '
                "active on some day of the quarter)",
            )
        if not r.ok:
            bad.add(n)
            continue
        rows.append(
            dict(
                la_code=la_code,
                quarter=f"{year}-Q{q}",
                quarter_start=q_start,
                quarter_end=q_end,
                row_number=n,
                engagement_key=pseudo.local(la_code, eng),
                swe_key=pseudo.swe(swe),
                service=service,
                role=role,
                engagement_type=etype,
                agency_name=agency,
                start_date=start,
                end_date=end,
                hours_in_quarter=hours,
                fte=fte,
                charge_rate_per_hour=charge,
                pay_rate_per_hour=pay,
                post_qualified_la_years=years,
                left_permanent_la_code=left_la,
                left_permanent_date=left_date,
                ethnicity_raw=eth_raw,
                ethnicity_code=eth,
                covering_vacancy=covering,
            )
        )
    if not accept_rows(len(bad), len(sheet.rows), row_threshold_pct):
        return [], errors.errors
    return [
        Load(
            source=SOURCE,
            dataset="engagements",
            la_code=la_code,
            period_end=q_end,
            period_label=f"{year}-Q{q}",
            file_name=path.name,
            file_sha256=sha256_of(path),
            table="agency_engagement",
            rows=rows,
            rows_read=len(sheet.rows),
            rejected=errors.errors,
            dropped_columns=dropped,
            warnings=warnings,
        )
    ], []
