"""A council's own CSWW census return: `csww_<LA code>_<YYYY>.xml` (dfe-census.md, part A).

Streamed with iterparse (a return can hold thousands of workers; memory stays flat), then checked
against the DfE's validation rules. Same method as the London alliance's cleaner (schema rules, then a
walk of the worker elements), without building the whole document in memory.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ...io import sha256_of
from ...pseudonymise import Pseudonymiser, normalise_swe
from ...reference_data import ethnicity_codes, la_for_lea
from ...values import ErrorCollector, RowReader, age_band
from ...warehouse import Load, register_raw_table

SOURCE = "csww_return"
NAME_RE = re.compile(r"^csww_(E0[689]\d{6}|E10\d{6})_(\d{4})\.xml$", re.I)
PATTERN = "csww_<LA code>_<YYYY>.xml"
SHEET = "CSWWWorker"

register_raw_table(
    "csww_return",
    [
        ("la_code", "VARCHAR"),
        ("reference_date", "DATE"),
        ("collection_year", "INTEGER"),
        ("lea", "VARCHAR"),
        ("software_code", "VARCHAR"),
        ("vacancies_fte", "DECIMAL(12,2)"),
        ("agency_cover_fte", "DECIMAL(12,2)"),
        ("agency_cover_headcount", "BIGINT"),
        ("workers", "BIGINT"),
    ],
    source=SOURCE,
)
register_raw_table(
    "csww_worker",
    [
        ("la_code", "VARCHAR"),
        ("reference_date", "DATE"),
        ("worker_number", "BIGINT"),
        ("agency_worker", "BOOLEAN"),
        ("swe_key", "VARCHAR"),
        ("fte", "DECIMAL(9,6)"),
        ("age_band", "VARCHAR"),
        ("gender", "INTEGER"),
        ("ethnicity_code", "VARCHAR"),
        ("qual_inst", "VARCHAR"),
        ("qual_level", "INTEGER"),
        ("step_up_grad", "BOOLEAN"),
        ("frontline_grad", "BOOLEAN"),
        ("org_role", "INTEGER"),
        ("role_start_date", "DATE"),
        ("start_origin", "INTEGER"),
        ("role_end_date", "DATE"),
        ("leaver_destination", "INTEGER"),
        ("reason_leave", "INTEGER"),
        ("fte30", "DECIMAL(9,6)"),
        ("cases30", "INTEGER"),
        ("working_days_lost", "DECIMAL(9,2)"),
        ("contract_weeks", "DECIMAL(9,2)"),
        ("absent_at_30_sept", "BOOLEAN"),
        ("reason_absence", "VARCHAR"),
        ("cfkss_status", "INTEGER"),
    ],
    source=SOURCE,
)

NON_AGENCY_REQUIRED = (
    "PersonBirthDate",
    "GenderCurrent",
    "Ethnicity",
    "QualInst",
    "StepUpGrad",
    "OrgRole",
    "RoleStartDate",
    "StartOrigin",
    "FTE30",
    "WorkingDaysLost",
    "FrontlineGrad",
)
CODES = {
    "GenderCurrent": (0, 1, 2, 9),
    "QualLevel": (1, 2, 3),
    "OrgRole": tuple(range(1, 7)),
    "StartOrigin": tuple(range(1, 11)),
    "LeaverDestination": tuple(range(1, 10)),
    "ReasonLeave": tuple(range(1, 11)),
    "CFKSSstatus": (1, 2, 3, 4),
}
FLAGS01 = ("AgencyWorker", "StepUpGrad", "FrontlineGrad", "Absat30Sept")
ABSENCE_REASONS = ("MAT", "OTH", "PUB", "SIC", "TRN", "UNA", "UNP")
SWE_CSWW = re.compile(r"^[A-Z]{2}\d{10}$")


def parse_name(name: str) -> tuple[str, int] | None:
    m = NAME_RE.match(name)
    return (m[1].upper(), int(m[2])) if m else None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _flag01(r: RowReader, col: str) -> bool | None:
    v = r.text(col)
    if v is None:
        return None
    if v not in ("0", "1"):
        r.fail(col, "code", f'"{v}" must be 0 or 1')
        return None
    return v == "1"


def _coded(r: RowReader, col: str) -> int | None:
    v = r.integer(col)
    if v is not None and v not in CODES[col]:
        r.fail(col, "code", f'"{v}" is not a valid {col} code ({", ".join(map(str, CODES[col]))})')
        return None
    return v


def _worker(r: RowReader, pseudo: Pseudonymiser, la_code: str, ref: dt.date, n: int) -> dict | None:
    row = r.row
    agency = _flag01(r, "AgencyWorker")
    if row.get("AgencyWorker") is None:
        r.fail("AgencyWorker", "required", "AgencyWorker is required (0 or 1)")
    swe_raw = r.text("SWENo", True)
    swe = None
    if swe_raw is not None:
        compact = re.sub(r"\s+", "", swe_raw).upper()
        if not SWE_CSWW.match(compact):
            r.fail("SWENo", "swe_number", f'"{swe_raw}" is not two letters followed by 10 digits')
        else:
            swe = normalise_swe(compact) if compact.startswith("SW") else compact
    fte = r.number("FTE")
    if fte is not None and not (0 <= fte <= 1):
        r.fail("FTE", "fte_range", f'"{fte}" is outside 0 to 1 (FTE must be between 0 and 1)')
    fte30 = r.number("FTE30")
    if fte30 is not None and not (0 <= fte30 <= 1):
        r.fail("FTE30", "fte_range", f'"{fte30}" is outside 0 to 1 (FTE must be between 0 and 1)')
    birth = r.date("PersonBirthDate")
    eth = r.text("Ethnicity")
    if eth is not None and eth.upper() not in ethnicity_codes().csww_codes:
        r.fail("Ethnicity", "ethnicity_code", f'"{eth}" is not one of the 18 CSWW ethnicity codes')
    values = {c: _coded(r, c) for c in CODES}
    flags = {c: _flag01(r, c) for c in FLAGS01[1:]}
    role_start = r.date("RoleStartDate")
    role_end = r.date("RoleEndDate")
    cases = r.integer("Cases30")
    if cases is not None and cases < 0:
        r.fail("Cases30", "range", f'"{cases}" is negative')
    wdl = r.number("WorkingDaysLost")
    if wdl is not None and wdl < 0:
        r.fail("WorkingDaysLost", "range", f'"{wdl}" is negative')
    weeks = r.number("ContractWeeks")
    absence = r.text("ReasonAbsence")
    if absence is not None and absence.upper() not in ABSENCE_REASONS:
        r.fail("ReasonAbsence", "code", f'"{absence}" is not one of {", ".join(ABSENCE_REASONS)}')
    # DfE validation rules.
    if agency is False:
        for col in NON_AGENCY_REQUIRED:
            if row.get(col) in (None, ""):
                r.fail(
                    col, "csww_required", f"{col} is required for a worker who is not agency (AgencyWorker 0)"
                )
    if (row.get("StartOrigin") not in (None, "")) != (row.get("RoleStartDate") not in (None, "")):
        r.fail(
            "StartOrigin",
            "start_origin_with_role_start",
            "StartOrigin must be present exactly when RoleStartDate is",
        )
    is_leaver = row.get("RoleEndDate") not in (None, "")
    has_reason = row.get("ReasonLeave") not in (None, "")
    has_dest = row.get("LeaverDestination") not in (None, "")
    if is_leaver:
        if fte is not None and fte != 0:
            r.fail("FTE", "leaver_fte", f'"{fte}" must be 0 for a leaver (RoleEndDate is present)')
        if not has_reason:
            r.fail(
                "ReasonLeave",
                "leaver_reason",
                "ReasonLeave is required for a leaver (RoleEndDate is present)",
            )
        if not has_dest:
            r.fail(
                "LeaverDestination",
                "leaver_destination",
                "LeaverDestination is required for a leaver (RoleEndDate is present)",
            )
    else:
        if has_reason:
            r.fail("ReasonLeave", "not_leaver", "ReasonLeave must be blank for a worker with no RoleEndDate")
        if has_dest:
            r.fail(
                "LeaverDestination",
                "not_leaver",
                "LeaverDestination must be blank for a worker with no RoleEndDate",
            )
    if role_start and role_end and role_end < role_start:
        r.fail("RoleEndDate", "end_before_start", f'"{role_end}" is before RoleStartDate {role_start}')
    if not r.ok:
        return None
    return dict(
        la_code=la_code,
        reference_date=ref,
        worker_number=n,
        agency_worker=agency,
        swe_key=pseudo.swe(swe),
        fte=fte,
        age_band=age_band(birth, ref),
        gender=values["GenderCurrent"],
        ethnicity_code=eth.upper() if eth else None,
        qual_inst=r.text("QualInst"),
        qual_level=values["QualLevel"],
        step_up_grad=flags["StepUpGrad"],
        frontline_grad=flags["FrontlineGrad"],
        org_role=values["OrgRole"],
        role_start_date=role_start,
        start_origin=values["StartOrigin"],
        role_end_date=role_end,
        leaver_destination=values["LeaverDestination"],
        reason_leave=values["ReasonLeave"],
        fte30=fte30,
        cases30=cases,
        working_days_lost=wdl,
        contract_weeks=weeks,
        absent_at_30_sept=flags["Absat30Sept"],
        reason_absence=absence.upper() if absence else None,
        cfkss_status=values["CFKSSstatus"],
    )


def parse_return(
    path: Path, la_code: str, year: int, pseudo: Pseudonymiser, today: dt.date, row_threshold_pct: float = 0.0
) -> tuple[list[Load], list]:
    """Parse and validate one return. Returns ([return load, worker load], errors) or ([], errors)."""
    errors = ErrorCollector(path.name)
    sha = sha256_of(path)
    header: dict[str, str] = {}
    vacancies: list[dict[str, str]] = []
    workers: list[dict] = []
    n_workers = 0
    bad_workers: set[int] = set()
    ref_date: dt.date | None = None
    stack: list[str] = []
    try:
        for event, elem in ET.iterparse(str(path), events=("start", "end")):
            tag = _local(elem.tag)
            if event == "start":
                if not stack and tag != "Message":
                    errors.file_error("xml_root", f"the root element is {tag}, not Message")
                    break
                stack.append(tag)
                continue
            stack.pop()
            parent = stack[-1] if stack else None
            if parent in ("CollectionDetails", "Source"):
                header[tag] = (elem.text or "").strip()
            elif tag == "LALevelVacancies":
                vacancies.append({_local(c.tag): (c.text or "").strip() for c in elem})
                elem.clear()
            elif tag == "Header":
                ref_date = _check_header(header, errors, la_code, year, today)
                if ref_date is None:
                    break
            elif tag == "CSWWWorker" and parent == "Message":
                n_workers += 1
                row = {_local(c.tag): ((c.text or "").strip() or None) for c in elem}
                before = len(errors.errors)
                r = RowReader(errors, n_workers, row)
                rec = _worker(r, pseudo, la_code, ref_date or dt.date(year, 9, 30), n_workers)
                if rec is not None:
                    workers.append(rec)
                if len(errors.errors) > before:
                    bad_workers.add(n_workers)
                elem.clear()
    except ET.ParseError as exc:
        errors.file_error("xml_not_well_formed", f"the file is not well-formed XML ({exc})")
    for e in errors.errors:
        if e.row is not None:
            object.__setattr__(e, "sheet", SHEET)
    file_level = [e for e in errors.errors if e.row is None]
    if not file_level:
        if ref_date is None:
            errors.file_error("csww_header", "the Header (CollectionDetails and Source) is missing")
        if len(vacancies) != 1:
            errors.file_error(
                "csww_vacancies", f"LALevelVacancies must appear exactly once (found {len(vacancies)})"
            )
        if n_workers == 0:
            errors.file_error("csww_workers", "the return has no CSWWWorker records")
    vac = vacancies[0] if len(vacancies) == 1 else {}
    vac_values = {}
    if vac:
        vr = RowReader(errors, None, vac)
        vac_values = dict(
            vacancies_fte=vr.number("NumberOfVacancies", True),
            agency_cover_fte=vr.number("NoAgencyFTE", True),
            agency_cover_headcount=vr.integer("NoAgencyHeadcount", True),
        )
    file_level = [e for e in errors.errors if e.row is None]
    if file_level or (bad_workers and 100.0 * len(bad_workers) / max(n_workers, 1) > row_threshold_pct):
        return [], errors.errors
    label = str(year)
    ret = Load(
        source=SOURCE,
        dataset="return",
        la_code=la_code,
        period_end=ref_date,
        period_label=label,
        file_name=path.name,
        file_sha256=sha,
        table="csww_return",
        rows_read=1,
        rows=[
            dict(
                la_code=la_code,
                reference_date=ref_date,
                collection_year=year,
                lea=header.get("LEA"),
                software_code=header.get("SoftwareCode"),
                workers=n_workers,
                **vac_values,
            )
        ],
    )
    wk = Load(
        source=SOURCE,
        dataset="workers",
        la_code=la_code,
        period_end=ref_date,
        period_label=label,
        file_name=path.name,
        file_sha256=sha,
        table="csww_worker",
        rows=workers,
        rows_read=n_workers,
        rejected=[e for e in errors.errors if e.row is not None],
        dropped_columns=["PersonBirthDate (kept as age band)"],
    )
    return [ret, wk], []


def _check_header(
    header: dict, errors: ErrorCollector, la_code: str, year: int, today: dt.date
) -> dt.date | None:
    if header.get("Collection", "CSWW").upper() != "CSWW":
        errors.file_error("csww_header", f'Collection is "{header.get("Collection")}", not CSWW')
    lea = header.get("LEA")
    try:
        ref = dt.date.fromisoformat(header.get("ReferenceDate", ""))
    except ValueError:
        errors.file_error(
            "csww_header", f'ReferenceDate "{header.get("ReferenceDate")}" is not a date (yyyy-mm-dd)'
        )
        return None
    if ref.year != year:
        errors.file_error("csww_header", f"ReferenceDate {ref} disagrees with the file name's year {year}")
    if (ref.month, ref.day) != (9, 30):
        errors.file_error("csww_header", f"ReferenceDate {ref} is not 30 September")
    hdr_year = header.get("Year")
    if hdr_year and hdr_year != str(year):
        errors.file_error("csww_header", f"Year {hdr_year} disagrees with the file name's year {year}")
    if ref > today:
        errors.file_error("period_in_future", f"ReferenceDate {ref} is in the future")
    if not lea:
        errors.file_error("csww_header", "the Source has no LEA")
    else:
        la = la_for_lea(lea, ref.year)
        if la is None:
            errors.file_error("csww_header", f"LEA {lea} is not a local authority in {ref.year}")
        elif la.la_code != la_code and la.successor_codes != (la_code,):
            # a council that only changed code (no boundary change) may name its old returns with its new code
            errors.file_error(
                "csww_header",
                f"LEA {lea} is {la.la_name} ({la.la_code}) in {ref.year}, but the file name says {la_code}",
            )
    return None if errors.errors else ref
