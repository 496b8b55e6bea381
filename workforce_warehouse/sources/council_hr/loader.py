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
    ColumnReader,
    ErrorCollector,
    ValueProblem,
    age_band,
    clean_text,
    parse_date,
    period_start_for,
)
from ...warehouse import Load, register_raw_table
from ..base import accept_rows, check_columns_generic, ethnicity_columns, name_pattern

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


# Each parser checks a dataset column by column (values.ColumnReader: each distinct value parsed once, the
# problems recorded as a row-by-row read records them) and returns the rows without a problem as columns of
# the raw table (a list per column).
Columns = dict[str, list]


def _kept(c: ColumnReader, ctx: Context, keep: list[int], **columns: list) -> Columns:
    """The kept rows' columns: the extract's LA code and period end, the row number, then `columns`."""
    whole = len(keep) == len(c)
    out: Columns = {
        "la_code": [ctx.la_code] * len(keep),
        "period_end": [ctx.period_end] * len(keep),
        "row_number": c.numbers if whole else [c.numbers[i] for i in keep],
    }
    for name, values in columns.items():
        out[name] = values if whole else [values[i] for i in keep]
    return out


def _each(values: list, fn) -> list:
    """fn of each value, computed once per distinct value (None stays None)."""
    done = {v: (None if v is None else fn(v)) for v in set(values)}
    return list(map(done.__getitem__, values))


def parse_staff(sheet: Sheet, ctx: Context, errors: ErrorCollector, staff_keys: set) -> Columns:
    p_start, p_end = ctx.period_start, ctx.period_end
    c = ColumnReader(errors, sheet)
    emp = c.text("employee_id", True)
    c.unique(emp, "employee_id", lambda e: f'employee_id "{e}"')
    role = c.code("role", ROLES, True)
    swe = c.swe("swe_registration_number")
    swe_cells = c.map("swe_registration_number", clean_text)
    c.check()
    for i, (s, ro, cell) in enumerate(zip(swe, role, swe_cells)):
        if s is None and ro in SOCIAL_WORK_ROLES and cell is None:
            c.fail(
                i,
                "swe_registration_number",
                "required",
                f"swe_registration_number is required for the social-work role {ro}",
            )
    dob = c.date("date_of_birth")
    sex = c.text("sex")
    for i in c.rows_where(sex, lambda v: v.upper() not in ("F", "M", "X")):
        c.fail(i, "sex", "code", f'"{sex[i]}" is not one of: F, M, X (or blank)')
    eth_raw, eth = ethnicity_columns(c, ctx.la_code)
    service = c.code("service", ("children", "adults", "other"), True)
    pay_band = c.text("pay_band", True)
    order = c.integer("pay_band_order", True)
    for i in c.rows_where(order, lambda v: v < 1):
        c.fail(i, "pay_band_order", "range", f'"{order[i]}" must be a whole number of 1 or more')
    salary = c.number("annual_fte_salary")
    for i in c.rows_where(salary, lambda v: v < 0):
        c.fail(i, "annual_fte_salary", "range", f'"{salary[i]}" is negative')
    reg = c.flag("registered_professional", True)
    contract = c.code("contract_type", ("permanent", "fixed_term"), True)
    fte = c.number("fte", True)
    for i in c.rows_where(fte, lambda v: v > 1 or v <= 0):
        cell = clean_text(c.raw("fte")[i])
        if fte[i] > 1:
            c.fail(i, "fte", "fte_range", f'"{cell}" is above 1.0 (FTE must be between 0 and 1)')
        else:
            c.fail(i, "fte", "fte_range", f'"{cell}" is not above 0 (FTE must be between 0 and 1)')
    start = c.date("start_date", True)
    role_start = c.date("role_start_date")
    end = c.date("end_date")
    for i in c.rows_where(start, lambda v: v > p_end):
        c.fail(
            i,
            "start_date",
            "employment_in_period",
            f'"{start[i].isoformat()}" is after the period end {p_end.isoformat()} (staff must be employed '
            "on some day of the period)",
        )
    c.check()
    for i, (s, rs) in enumerate(zip(start, role_start)):
        if s and rs and rs < s:
            c.fail(
                i,
                "role_start_date",
                "role_start_before_start",
                f'"{rs.isoformat()}" is before start_date {s.isoformat()}',
            )
    c.check()
    for i, (s, e) in enumerate(zip(start, end)):
        if e is None:
            continue
        if s and e < s:
            c.fail(
                i, "end_date", "end_before_start", f'"{e.isoformat()}" is before start_date {s.isoformat()}'
            )
        elif e < p_start:
            c.fail(
                i,
                "end_date",
                "employment_in_period",
                f'"{e.isoformat()}" is before the period start {p_start.isoformat()} (this person had '
                "left before the period)",
            )
    leaving = c.code("leaving_reason", LEAVING_REASONS)
    dest = c.code("destination", DESTINATIONS)
    keep = c.finish()
    for i in keep:
        if end[i] is not None and end[i] > p_end:
            ctx.warnings.append(
                f"staff row {c.numbers[i]}: end_date {end[i].isoformat()} is after the period end; counted as "
                "in post"
            )
    keys = _each(emp, lambda e: ctx.pseudo.local(ctx.la_code, e))
    staff_keys.update(keys[i] for i in keep)
    return _kept(
        c,
        ctx,
        keep,
        employee_key=keys,
        swe_key=_each(swe, ctx.pseudo.swe),
        age_band=_each(dob, lambda d: age_band(d, p_end)),
        sex=_each(sex, str.upper),
        ethnicity_raw=eth_raw,
        ethnicity_code=eth,
        service=service,
        job_title=c.text("job_title"),
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


def parse_recruitment(sheet: Sheet, ctx: Context, errors: ErrorCollector, staff_keys: set | None) -> Columns:
    c = ColumnReader(errors, sheet)
    vac = c.text("vacancy_id", True)
    app = c.text("applicant_id", True)
    pairs = [(v, a) if v and a else None for v, a in zip(vac, app)]
    c.unique(pairs, "applicant_id", lambda k: f'applicant_id "{k[1]}" for vacancy "{k[0]}"')
    eth_raw, eth = ethnicity_columns(c, ctx.la_code)
    role = c.code("role", ROLES)
    closing = c.date("closing_date", True)
    c.date_within("closing_date", closing, ctx.period_start, ctx.period_end)
    shortlisted = c.flag("shortlisted", True)
    appointed = c.flag("appointed", True)
    internal = c.flag("internal_candidate")
    c.check()
    for i, (ap, sh) in enumerate(zip(appointed, shortlisted)):
        if ap and sh is False:
            c.fail(
                i,
                "appointed",
                "appointed_not_shortlisted",
                "appointed is Y but shortlisted is N (an appointed applicant must have been shortlisted)",
            )
    keep = c.finish()
    return _kept(
        c,
        ctx,
        keep,
        vacancy_id=vac,
        applicant_key=_each(app, lambda a: ctx.pseudo.local(ctx.la_code, a)),
        ethnicity_raw=eth_raw,
        ethnicity_code=eth,
        role=role,
        closing_date=closing,
        shortlisted=shortlisted,
        appointed=appointed,
        internal_candidate=internal,
    )


def _employees(c: ColumnReader, ctx: Context, staff_keys: set | None) -> list:
    """The employee_id column as keys; an id that is not in the extract's staff dataset is a problem."""
    emp = c.text("employee_id", True)
    keys = _each(emp, lambda e: ctx.pseudo.local(ctx.la_code, e))
    if staff_keys is not None:
        for i in c.rows_where(keys, lambda k: k not in staff_keys):
            c.fail(
                i,
                "employee_id",
                "unknown_employee",
                f'"{emp[i]}" does not match any employee_id in the staff dataset of this extract',
            )
    return keys


def parse_casework(sheet: Sheet, ctx: Context, errors: ErrorCollector, staff_keys: set | None) -> Columns:
    c = ColumnReader(errors, sheet)
    case = c.text("case_id", True)
    c.unique(case, "case_id", lambda k: f'case_id "{k}"')
    emp = _employees(c, ctx, staff_keys)
    ctype = c.code("case_type", CASE_TYPES, True)
    opened = c.date("opened_date", True)
    c.date_within("opened_date", opened, ctx.period_start, ctx.period_end)
    outcome = c.code("outcome", ("no_action", "warning", "final_warning", "dismissal", "referred", "ongoing"))
    keep = c.finish()
    return _kept(
        c,
        ctx,
        keep,
        case_key=_each(case, lambda k: ctx.pseudo.local(ctx.la_code, k)),
        employee_key=emp,
        case_type=ctype,
        opened_date=opened,
        outcome=outcome,
    )


def parse_cpd(sheet: Sheet, ctx: Context, errors: ErrorCollector, staff_keys: set | None) -> Columns:
    c = ColumnReader(errors, sheet)
    emp = _employees(c, ctx, staff_keys)
    act = c.text("activity_id", True)
    pairs = [(e, a) if e and a else None for e, a in zip(emp, act)]
    c.unique(pairs, "activity_id", lambda k: f'activity_id "{k[1]}" for this employee')
    start = c.date("start_date", True)
    c.date_within("start_date", start, ctx.period_start, ctx.period_end)
    funded = c.flag("funded", True)
    mandatory = c.flag("mandatory", True)
    keep = c.finish()
    return _kept(
        c, ctx, keep, employee_key=emp, activity_id=act, start_date=start, funded=funded, mandatory=mandatory
    )


def parse_asye(sheet: Sheet, ctx: Context, errors: ErrorCollector, staff_keys: set | None) -> Columns:
    p_end = ctx.period_end
    c = ColumnReader(errors, sheet)
    emp = _employees(c, ctx, staff_keys)
    c.unique(emp, "employee_id", lambda k: "this employee's ASYE registration")
    prog = c.code("programme", ("children", "adults"), True)
    reg = c.date("registration_date", True)
    outcome = c.code("outcome", ("passed", "failed", "deferred", "withdrawn", "in_progress"), True)
    odate = c.date("outcome_date")
    odate_cells = c.map("outcome_date", clean_text)
    c.check()
    for i, (o, od, cell) in enumerate(zip(outcome, odate, odate_cells)):
        if o and o != "in_progress" and od is None and cell is None:
            c.fail(i, "outcome_date", "required", f"outcome_date is required when the outcome is {o}")
    c.check()
    for i, (r, od) in enumerate(zip(reg, odate)):
        if r and od and od < r:
            c.fail(
                i,
                "outcome_date",
                "outcome_before_registration",
                f'"{od.isoformat()}" is before registration_date {r.isoformat()}',
            )
    for i in c.rows_where(reg, lambda v: v > p_end):
        c.fail(
            i,
            "registration_date",
            "date_in_period",
            f'"{reg[i].isoformat()}" is after the period end {p_end.isoformat()}',
        )
    keep = c.finish()
    return _kept(
        c,
        ctx,
        keep,
        employee_key=emp,
        programme=prog,
        registration_date=reg,
        outcome=outcome,
        outcome_date=odate,
    )


def parse_survey(sheet: Sheet, ctx: Context, errors: ErrorCollector, staff_keys: set | None) -> Columns:
    c = ColumnReader(errors, sheet)
    eth_raw, eth = ethnicity_columns(c, ctx.la_code)
    pub, col, man = (
        c.flag(name) for name in ("harassment_public", "harassment_colleague", "harassment_manager")
    )
    keep = c.finish()
    return _kept(
        c,
        ctx,
        keep,
        ethnicity_raw=eth_raw,
        ethnicity_code=eth,
        harassment_public=pub,
        harassment_colleague=col,
        harassment_manager=man,
    )


PARSERS: dict[str, Callable[..., Columns]] = {
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
            if dataset == "staff" and not len(sheet):
                errors.file_error("empty", "the staff dataset has no rows")
                continue
            before = len(errors.errors)
            ctx.warnings = []
            if dataset == "staff":
                keys: set = set()
                columns = parse_staff(sheet, ctx, errors, keys)
                staff_keys = keys
            else:
                columns = PARSERS[dataset](sheet, ctx, errors, staff_keys)
            warnings += ctx.warnings
            rows_total += len(sheet)
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
                    columns=columns,
                    rows_read=len(sheet),
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
