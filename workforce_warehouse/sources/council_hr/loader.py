"""Council HR extract (council-hr.md): staff, recruitment, casework, cpd, asye and survey.

One extract per council and period end, as one workbook (a sheet per dataset) or one CSV per dataset.
The datasets of one extract are validated together, because casework, CPD and ASYE rows must name an
employee of the same extract's staff dataset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ...io import Sheet, read_csv, read_xlsx, sha256_of
from ...pseudonymise import Pseudonymiser
from ...reference_data import code_list, datasets_naming_staff, datasets_of, social_work_roles
from ...values import (
    ErrorCollector,
    RowReader,
    ValueProblem,
    age_band,
    clean_text,
    parse_date,
    period_start_for,
)
from ...warehouse import Load, register_raw_table
from ..base import accept_rows, check_columns_generic, name_pattern
from ..base import ethnicity as _ethnicity
from ..base import unique as _unique

SOURCE = "council_hr"
# Code lists live once, as seeds (seeds/datasets.csv, roles.csv, case_types.csv), read here.
DATASETS = datasets_of(SOURCE)
DEPENDENT = datasets_naming_staff(SOURCE)
WORKBOOK_RE = name_pattern(r"hr_<LA>_<DATE>\.xlsx")
CSV_RE = name_pattern(r"hr_<LA>_<DATE>_([a-z]+)\.csv")
PATTERNS = "hr_<LA code>_<YYYY-MM-DD>.xlsx or hr_<LA code>_<YYYY-MM-DD>_<dataset>.csv"

ROLES = code_list("roles", "role")
SOCIAL_WORK_ROLES = social_work_roles()
CASE_TYPES = code_list("case_types", "case_type")
LEAVING_REASONS = (
    "resignation",
    "retirement",
    "dismissal",
    "end_of_contract",
    "redundancy",
    "death",
    "other",
)
DESTINATIONS = ("another_la", "agency", "private_or_voluntary", "left_social_work", "other")

REQUIRED = {
    "staff": (
        "employee_id",
        "service",
        "role",
        "pay_band",
        "pay_band_order",
        "registered_professional",
        "contract_type",
        "fte",
        "start_date",
    ),
    "recruitment": ("vacancy_id", "applicant_id", "closing_date", "shortlisted", "appointed"),
    "casework": ("case_id", "employee_id", "case_type", "opened_date"),
    "cpd": ("employee_id", "activity_id", "start_date", "funded", "mandatory"),
    "asye": ("employee_id", "programme", "registration_date", "outcome"),
    "survey": (),
}
OPTIONAL = {
    "staff": (
        "swe_registration_number",
        "sex",
        "ethnicity",
        "job_title",
        "annual_fte_salary",
        "role_start_date",
        "end_date",
        "leaving_reason",
        "destination",
    ),
    "recruitment": ("ethnicity", "role", "internal_candidate"),
    "casework": ("outcome",),
    "cpd": (),
    "asye": ("outcome_date",),
    "survey": ("ethnicity", "harassment_public", "harassment_colleague", "harassment_manager"),
}
# Identifiers that must not be in the anonymous survey; dropped on read like names.
SURVEY_IDENTIFIERS = {"employee_id", "respondent_id", "swe_registration_number", "applicant_id"}

_BASE = [("la_code", "VARCHAR"), ("period_end", "DATE"), ("row_number", "BIGINT")]
register_raw_table(
    "hr_staff",
    _BASE
    + [
        ("employee_key", "VARCHAR"),
        ("swe_key", "VARCHAR"),
        ("age_band", "VARCHAR"),
        ("sex", "VARCHAR"),
        ("ethnicity_raw", "VARCHAR"),
        ("ethnicity_code", "VARCHAR"),
        ("service", "VARCHAR"),
        ("job_title", "VARCHAR"),
        ("role", "VARCHAR"),
        ("pay_band", "VARCHAR"),
        ("pay_band_order", "INTEGER"),
        ("annual_fte_salary", "DECIMAL(18,2)"),
        ("registered_professional", "BOOLEAN"),
        ("contract_type", "VARCHAR"),
        ("fte", "DECIMAL(9,6)"),
        ("start_date", "DATE"),
        ("role_start_date", "DATE"),
        ("end_date", "DATE"),
        ("leaving_reason", "VARCHAR"),
        ("destination", "VARCHAR"),
    ],
    source=SOURCE,
)
register_raw_table(
    "hr_recruitment",
    _BASE
    + [
        ("vacancy_id", "VARCHAR"),
        ("applicant_key", "VARCHAR"),
        ("ethnicity_raw", "VARCHAR"),
        ("ethnicity_code", "VARCHAR"),
        ("role", "VARCHAR"),
        ("closing_date", "DATE"),
        ("shortlisted", "BOOLEAN"),
        ("appointed", "BOOLEAN"),
        ("internal_candidate", "BOOLEAN"),
    ],
    source=SOURCE,
)
register_raw_table(
    "hr_casework",
    _BASE
    + [
        ("case_key", "VARCHAR"),
        ("employee_key", "VARCHAR"),
        ("case_type", "VARCHAR"),
        ("opened_date", "DATE"),
        ("outcome", "VARCHAR"),
    ],
    source=SOURCE,
)
register_raw_table(
    "hr_cpd",
    _BASE
    + [
        ("employee_key", "VARCHAR"),
        ("activity_id", "VARCHAR"),
        ("start_date", "DATE"),
        ("funded", "BOOLEAN"),
        ("mandatory", "BOOLEAN"),
    ],
    source=SOURCE,
)
register_raw_table(
    "hr_asye",
    _BASE
    + [
        ("employee_key", "VARCHAR"),
        ("programme", "VARCHAR"),
        ("registration_date", "DATE"),
        ("outcome", "VARCHAR"),
        ("outcome_date", "DATE"),
    ],
    source=SOURCE,
)
register_raw_table(
    "hr_survey",
    _BASE
    + [
        ("ethnicity_raw", "VARCHAR"),
        ("ethnicity_code", "VARCHAR"),
        ("harassment_public", "BOOLEAN"),
        ("harassment_colleague", "BOOLEAN"),
        ("harassment_manager", "BOOLEAN"),
    ],
    source=SOURCE,
)


def table_for(dataset: str) -> str:
    return f"hr_{dataset}"


@dataclass(frozen=True)
class HrFile:
    path: Path
    la_code: str
    period_end: dt.date
    dataset: str | None  # None for a workbook (every dataset)

    @property
    def is_workbook(self) -> bool:
        return self.dataset is None


def parse_name(name: str) -> tuple[str, str, str | None] | None:
    """(LA code, period end text, dataset or None for a workbook), or None when the name does not match."""
    if m := WORKBOOK_RE.match(name):
        return m[1].upper(), m[2], None
    if m := CSV_RE.match(name):
        dataset = m[3].lower()
        if dataset in DATASETS:
            return m[1].upper(), m[2], dataset
    return None


def period_label(period_end: dt.date) -> str:
    """The label of the 12 months ending on `period_end`, by the rule of the dbt macro `period_label`
    (macros/formulas.sql), so the load log and every mart agree: `2024-25` for a period ending 2025-03-31,
    `2024` for one ending 2024-09-30 (the census year), else `year to 2024-12-31`."""
    if (period_end.month, period_end.day) == (3, 31):
        return f"{period_end.year - 1}-{str(period_end.year)[-2:]}"
    if (period_end.month, period_end.day) == (9, 30):
        return str(period_end.year)
    return f"year to {period_end.isoformat()}"


# --------------------------------------------------------------------------------------------------


@dataclass
class Context:
    file_name: str
    la_code: str
    period_end: dt.date
    pseudo: Pseudonymiser
    warnings: list[str] = field(default_factory=list)

    @property
    def period_start(self) -> dt.date:
        return period_start_for(self.period_end)


def check_columns(sheet: Sheet, dataset: str, errors: ErrorCollector) -> tuple[list[str], list[str]]:
    """File-level column checks for one dataset. Returns (dropped personal columns, warnings)."""
    never = SURVEY_IDENTIFIERS if dataset == "survey" else set()
    allowed = {"date_of_birth"} if dataset == "staff" else set()
    return check_columns_generic(
        sheet, REQUIRED[dataset], OPTIONAL[dataset] + tuple(allowed), errors, dataset, never_stored=never
    )


def parse_staff(sheet: Sheet, ctx: Context, errors: ErrorCollector, staff_keys: set) -> list[dict]:
    out, seen = [], {}
    p_start, p_end = ctx.period_start, ctx.period_end
    for n, row in sheet.rows:
        r = RowReader(errors, n, row)
        emp = r.text("employee_id", True)
        _unique(r, seen, emp, "employee_id", f'employee_id "{emp}"')
        role = r.code("role", ROLES, True)
        swe = r.swe("swe_registration_number")
        if (
            swe is None
            and role in SOCIAL_WORK_ROLES
            and clean_text(row.get("swe_registration_number")) is None
        ):
            r.fail(
                "swe_registration_number",
                "required",
                f"swe_registration_number is required for the social-work role {role}",
            )
        dob = r.date("date_of_birth")
        sex = r.text("sex")
        if sex is not None and sex.upper() not in ("F", "M", "X"):
            r.fail("sex", "code", f'"{sex}" is not one of: F, M, X (or blank)')
        eth_raw, eth = _ethnicity(r, ctx)
        service = r.code("service", ("children", "adults", "other"), True)
        pay_band = r.text("pay_band", True)
        order = r.integer("pay_band_order", True)
        if order is not None and order < 1:
            r.fail("pay_band_order", "range", f'"{order}" must be a whole number of 1 or more')
        salary = r.number("annual_fte_salary")
        if salary is not None and salary < 0:
            r.fail("annual_fte_salary", "range", f'"{salary}" is negative')
        reg = r.flag("registered_professional", True)
        contract = r.code("contract_type", ("permanent", "fixed_term"), True)
        fte = r.number("fte", True)
        if fte is not None:
            if fte > 1:
                r.fail(
                    "fte",
                    "fte_range",
                    f'"{clean_text(row.get("fte"))}" is above 1.0 (FTE must be between 0 and 1)',
                )
            elif fte <= 0:
                r.fail(
                    "fte",
                    "fte_range",
                    f'"{clean_text(row.get("fte"))}" is not above 0 (FTE must be between 0 and 1)',
                )
        start = r.date("start_date", True)
        role_start = r.date("role_start_date")
        end = r.date("end_date")
        if start is not None and start > p_end:
            r.fail(
                "start_date",
                "employment_in_period",
                f'"{start.isoformat()}" is after the period end {p_end.isoformat()} (staff must be employed '
                "on some day of the period)",
            )
        if start and role_start and role_start < start:
            r.fail(
                "role_start_date",
                "role_start_before_start",
                f'"{role_start.isoformat()}" is before start_date {start.isoformat()}',
            )
        if end is not None:
            if start and end < start:
                r.fail(
                    "end_date",
                    "end_before_start",
                    f'"{end.isoformat()}" is before start_date {start.isoformat()}',
                )
            elif end < p_start:
                r.fail(
                    "end_date",
                    "employment_in_period",
                    f'"{end.isoformat()}" is before the period start {p_start.isoformat()} (this person had '
                    "left before the period)",
                )
        leaving = r.code("leaving_reason", LEAVING_REASONS)
        dest = r.code("destination", DESTINATIONS)
        if not r.ok:
            continue
        if end is not None and end > p_end:
            ctx.warnings.append(
                f"staff row {n}: end_date {end.isoformat()} is after the period end; counted as in post"
            )
        key = ctx.pseudo.local(ctx.la_code, emp)
        staff_keys.add(key)
        out.append(
            dict(
                la_code=ctx.la_code,
                period_end=ctx.period_end,
                row_number=n,
                employee_key=key,
                swe_key=ctx.pseudo.swe(swe),
                age_band=age_band(dob, p_end),
                sex=sex.upper() if sex else None,
                ethnicity_raw=eth_raw,
                ethnicity_code=eth,
                service=service,
                job_title=r.text("job_title"),
                role=role,
                pay_band=pay_band,
                pay_band_order=order,
                annual_fte_salary=salary,
                registered_professional=reg,
                contract_type=contract,
                fte=fte,
                start_date=start,
                role_start_date=role_start,
                end_date=end,
                leaving_reason=leaving,
                destination=dest,
            )
        )
    return out


def parse_recruitment(
    sheet: Sheet, ctx: Context, errors: ErrorCollector, staff_keys: set | None
) -> list[dict]:
    out, seen = [], {}
    for n, row in sheet.rows:
        r = RowReader(errors, n, row)
        vac = r.text("vacancy_id", True)
        app = r.text("applicant_id", True)
        if vac and app:
            _unique(r, seen, (vac, app), "applicant_id", f'applicant_id "{app}" for vacancy "{vac}"')
        eth_raw, eth = _ethnicity(r, ctx)
        role = r.code("role", ROLES)
        closing = r.date("closing_date", True)
        r.date_within("closing_date", closing, ctx.period_start, ctx.period_end)
        shortlisted = r.flag("shortlisted", True)
        appointed = r.flag("appointed", True)
        internal = r.flag("internal_candidate")
        if appointed and shortlisted is False:
            r.fail(
                "appointed",
                "appointed_not_shortlisted",
                "appointed is Y but shortlisted is N (an appointed applicant must have been shortlisted)",
            )
        if not r.ok:
            continue
        out.append(
            dict(
                la_code=ctx.la_code,
                period_end=ctx.period_end,
                row_number=n,
                vacancy_id=vac,
                applicant_key=ctx.pseudo.local(ctx.la_code, app),
                ethnicity_raw=eth_raw,
                ethnicity_code=eth,
                role=role,
                closing_date=closing,
                shortlisted=shortlisted,
                appointed=appointed,
                internal_candidate=internal,
            )
        )
    return out


def _employee(r: RowReader, ctx: Context, staff_keys: set | None) -> str | None:
    emp = r.text("employee_id", True)
    if emp is None:
        return None
    key = ctx.pseudo.local(ctx.la_code, emp)
    if staff_keys is not None and key not in staff_keys:
        r.fail(
            "employee_id",
            "unknown_employee",
            f'"{emp}" does not match any employee_id in the staff dataset of this extract',
        )
    return key


def parse_casework(sheet: Sheet, ctx: Context, errors: ErrorCollector, staff_keys: set | None) -> list[dict]:
    out, seen = [], {}
    for n, row in sheet.rows:
        r = RowReader(errors, n, row)
        case = r.text("case_id", True)
        _unique(r, seen, case, "case_id", f'case_id "{case}"')
        emp = _employee(r, ctx, staff_keys)
        ctype = r.code("case_type", CASE_TYPES, True)
        opened = r.date("opened_date", True)
        r.date_within("opened_date", opened, ctx.period_start, ctx.period_end)
        outcome = r.code(
            "outcome", ("no_action", "warning", "final_warning", "dismissal", "referred", "ongoing")
        )
        if not r.ok:
            continue
        out.append(
            dict(
                la_code=ctx.la_code,
                period_end=ctx.period_end,
                row_number=n,
                case_key=ctx.pseudo.local(ctx.la_code, case),
                employee_key=emp,
                case_type=ctype,
                opened_date=opened,
                outcome=outcome,
            )
        )
    return out


def parse_cpd(sheet: Sheet, ctx: Context, errors: ErrorCollector, staff_keys: set | None) -> list[dict]:
    out, seen = [], {}
    for n, row in sheet.rows:
        r = RowReader(errors, n, row)
        emp = _employee(r, ctx, staff_keys)
        act = r.text("activity_id", True)
        if emp and act:
            _unique(r, seen, (emp, act), "activity_id", f'activity_id "{act}" for this employee')
        start = r.date("start_date", True)
        r.date_within("start_date", start, ctx.period_start, ctx.period_end)
        funded = r.flag("funded", True)
        mandatory = r.flag("mandatory", True)
        if not r.ok:
            continue
        out.append(
            dict(
                la_code=ctx.la_code,
                period_end=ctx.period_end,
                row_number=n,
                employee_key=emp,
                activity_id=act,
                start_date=start,
                funded=funded,
                mandatory=mandatory,
            )
        )
    return out


def parse_asye(sheet: Sheet, ctx: Context, errors: ErrorCollector, staff_keys: set | None) -> list[dict]:
    out, seen = [], {}
    for n, row in sheet.rows:
        r = RowReader(errors, n, row)
        emp = _employee(r, ctx, staff_keys)
        _unique(r, seen, emp, "employee_id", "this employee's ASYE registration")
        prog = r.code("programme", ("children", "adults"), True)
        reg = r.date("registration_date", True)
        outcome = r.code("outcome", ("passed", "failed", "deferred", "withdrawn", "in_progress"), True)
        odate = r.date("outcome_date")
        if (
            outcome
            and outcome != "in_progress"
            and odate is None
            and clean_text(row.get("outcome_date")) is None
        ):
            r.fail("outcome_date", "required", f"outcome_date is required when the outcome is {outcome}")
        if reg and odate and odate < reg:
            r.fail(
                "outcome_date",
                "outcome_before_registration",
                f'"{odate.isoformat()}" is before registration_date {reg.isoformat()}',
            )
        if reg and reg > ctx.period_end:
            r.fail(
                "registration_date",
                "date_in_period",
                f'"{reg.isoformat()}" is after the period end {ctx.period_end.isoformat()}',
            )
        if not r.ok:
            continue
        out.append(
            dict(
                la_code=ctx.la_code,
                period_end=ctx.period_end,
                row_number=n,
                employee_key=emp,
                programme=prog,
                registration_date=reg,
                outcome=outcome,
                outcome_date=odate,
            )
        )
    return out


def parse_survey(sheet: Sheet, ctx: Context, errors: ErrorCollector, staff_keys: set | None) -> list[dict]:
    out = []
    for n, row in sheet.rows:
        r = RowReader(errors, n, row)
        eth_raw, eth = _ethnicity(r, ctx)
        pub, col, man = (
            r.flag(c) for c in ("harassment_public", "harassment_colleague", "harassment_manager")
        )
        if not r.ok:
            continue
        out.append(
            dict(
                la_code=ctx.la_code,
                period_end=ctx.period_end,
                row_number=n,
                ethnicity_raw=eth_raw,
                ethnicity_code=eth,
                harassment_public=pub,
                harassment_colleague=col,
                harassment_manager=man,
            )
        )
    return out


PARSERS: dict[str, Callable[..., list[dict]]] = {
    "recruitment": parse_recruitment,
    "casework": parse_casework,
    "cpd": parse_cpd,
    "asye": parse_asye,
    "survey": parse_survey,
}


def sheets_of(file: HrFile) -> dict[str, Sheet]:
    """Datasets of a file keyed by dataset name; unknown workbook sheets are returned under their own name."""

    if file.is_workbook:
        return {s.name.strip().lower(): s for s in read_xlsx(file.path)}
    return {file.dataset: read_csv(file.path, sheet_name=file.dataset)}


def validate_extract(
    files: list[HrFile],
    pseudo: Pseudonymiser,
    loaded_staff_keys: set | None,
    row_threshold_pct: float,
) -> tuple[list[Load], list[tuple[HrFile, list]], list[HrFile]]:
    """Validate every file of one council and period end together.

    Returns (accepted loads, rejected files with their errors, files waiting for a staff dataset).
    `loaded_staff_keys` are the employee keys of the staff dataset already in the warehouse, if any.
    """

    accepted: list[Load] = []
    rejected: list[tuple[HrFile, list]] = []
    waiting: list[HrFile] = []
    la, period_end = files[0].la_code, files[0].period_end
    # staff first: dependents validate against it.
    ordered = sorted(files, key=lambda f: (not f.is_workbook, f.dataset != "staff"))
    staff_keys: set | None = loaded_staff_keys
    for f in ordered:
        errors = ErrorCollector(f.path.name)
        sha = sha256_of(f.path)
        try:
            sheets = sheets_of(f)
        except Exception as exc:  # unreadable (or no longer whole) file: file-level error
            errors.file_error("unreadable", f"the file cannot be read ({exc})")
            rejected.append((f, errors.errors))
            continue
        ctx = Context(f.path.name, la, period_end, pseudo)
        file_warnings: list[str] = []
        if f.is_workbook:
            unknown = sorted(set(sheets) - set(DATASETS))
            if unknown:
                file_warnings.append(f"ignored sheets {', '.join(unknown)}")
            if "staff" not in sheets:
                errors.file_error("missing_dataset", "the workbook has no staff sheet (staff is required)")
        elif f.dataset in DEPENDENT and staff_keys is None:
            waiting.append(f)
            continue
        if errors.errors:
            rejected.append((f, errors.errors))
            continue
        order = [d for d in DATASETS if d in sheets]
        loads: list[Load] = []
        rows_total = 0
        for dataset in order:
            sheet = sheets[dataset]
            errors.sheet = dataset if f.is_workbook else ""
            if not sheet.headers:
                errors.file_error(
                    "empty",
                    "the file is empty (no header row)"
                    if not f.is_workbook
                    else f"the sheet {dataset} is empty (no header row)",
                )
                continue
            dropped, warnings = check_columns(sheet, dataset, errors)
            if any(e.row is None for e in errors.errors):
                continue
            if dataset == "staff" and not sheet.rows:
                errors.file_error("empty", "the staff dataset has no rows")
                continue
            before = len(errors.errors)
            ctx.warnings = []
            if dataset == "staff":
                keys: set = set()
                rows = parse_staff(sheet, ctx, errors, keys)
                staff_keys = keys
            else:
                rows = PARSERS[dataset](sheet, ctx, errors, staff_keys)
            warnings += ctx.warnings
            rows_total += len(sheet.rows)
            loads.append(
                Load(
                    source=SOURCE,
                    dataset=dataset,
                    la_code=la,
                    period_end=period_end,
                    period_label=period_label(period_end),
                    file_name=f.path.name,
                    file_sha256=sha,
                    table=table_for(dataset),
                    rows=rows,
                    rows_read=len(sheet.rows),
                    rejected=errors.errors[before:],
                    dropped_columns=dropped,
                    warnings=file_warnings + warnings,
                )
            )
        file_level = [e for e in errors.errors if e.row is None]
        bad_rows = {(e.sheet, e.row) for e in errors.errors if e.row is not None}
        if file_level or not accept_rows(len(bad_rows), rows_total, row_threshold_pct):
            rejected.append((f, errors.errors))
            if f.is_workbook or f.dataset == "staff":
                staff_keys = loaded_staff_keys  # a rejected staff file does not count
            continue
        for ld in loads:
            if ld.rejected:
                ld.message = (
                    f"{len({e.row for e in ld.rejected})} row(s) rejected under the row-error threshold"
                )
        accepted.extend(loads)
    return accepted, rejected, waiting


def parse_period(text: str) -> dt.date:
    d = parse_date(text)
    if d is None:
        raise ValueProblem("date_format", f'"{text}" is not a date')
    return d
