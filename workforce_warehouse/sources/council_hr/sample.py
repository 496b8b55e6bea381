"""The sample generator's council HR extracts (workforce_warehouse/sample.py calls this): the six datasets of
one council's extract for one period end, from the simulated people, as a workbook or one CSV per dataset,
in the encodings councils' desktops write (UTF-8, UTF-8 with a BOM, Windows-1252)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import TYPE_CHECKING

from ...io import write_csv, write_xlsx
from ...sample import BRENT_LABELS, ETHNICITY_MIX, LABELS, PAY, PLANTED, _d, _rand_date, _yn, is_bme
from ...values import period_start_for

if TYPE_CHECKING:  # the generator's simulated council
    from ...sample import Council

DATASET_COLUMNS = {
    "staff": [
        "Employee ID",
        "Forename",
        "Surname",
        "Date of Birth",
        "SWE Registration Number",
        "Sex",
        "Ethnicity",
        "Service",
        "Job Title",
        "Role",
        "Pay Band",
        "Pay Band Order",
        "Annual FTE Salary",
        "Registered Professional",
        "Contract Type",
        "FTE",
        "Start Date",
        "Role Start Date",
        "End Date",
        "Leaving Reason",
        "Destination",
    ],
    "recruitment": [
        "vacancy_id",
        "applicant_id",
        "ethnicity",
        "role",
        "closing_date",
        "shortlisted",
        "appointed",
        "internal_candidate",
    ],
    "casework": ["case_id", "employee_id", "case_type", "opened_date", "outcome"],
    "cpd": ["employee_id", "activity_id", "start_date", "funded", "mandatory"],
    "asye": ["employee_id", "programme", "registration_date", "outcome", "outcome_date"],
    "survey": ["ethnicity", "harassment_public", "harassment_colleague", "harassment_manager"],
}


def extract_rows(c: Council, period_end: dt.date, rng: random.Random) -> dict[str, list[dict]]:
    """The six datasets of one council's HR extract for one period end."""
    start = period_start_for(period_end)
    style = "uk" if c.index % 2 else "iso"
    label_map = BRENT_LABELS if c.la_code == "E09000005" else {}
    staff_people = [p for p in c.people if p.employed_between(start, period_end)]

    def eth_text(code: str) -> str:
        if code in label_map:
            return label_map[code]
        if c.index % 3 == 2 and code in LABELS:
            return LABELS[code]
        return "" if code == "NOBT" and rng.random() < 0.5 else code

    staff = []
    for p in staff_people:
        band, order, base = PAY[p.role]
        salary = base + rng.randint(-2000, 2500)
        swe = p.swe
        if swe and c.index % 4 == 1 and rng.random() < 0.3:
            swe = "sw " + str(int(swe[2:]))  # written as a person types it
        staff.append(
            {
                "Employee ID": p.employee_id,
                "Forename": p.forename,
                "Surname": p.surname,
                "Date of Birth": _d(p.birth, style),
                "SWE Registration Number": swe or "",
                "Sex": p.sex,
                "Ethnicity": eth_text(p.ethnicity),
                "Service": p.service,
                "Job Title": p.role.replace("_", " ").title(),
                "Role": p.role,
                "Pay Band": band,
                "Pay Band Order": order,
                "Annual FTE Salary": f"£{salary:,}" if c.index % 2 else str(salary),
                "Registered Professional": "N" if p.role == "non_qualified" else "Y",
                "Contract Type": p.contract,
                "FTE": p.fte,
                "Start Date": _d(p.start, style),
                "Role Start Date": _d(p.start, style),
                "End Date": _d(p.end if p.end and p.end <= period_end else None, style),
                "Leaving Reason": (p.leaving_reason or "") if p.end and p.end <= period_end else "",
                "Destination": (p.destination or "") if p.end and p.end <= period_end else "",
            }
        )
    casework, cpd, asye, survey, recruitment = [], [], [], [], []
    case_no = 0
    for p in staff_people:
        lo, hi = max(start, p.start), min(period_end, p.end or period_end)
        bme = is_bme(p.ethnicity)
        if rng.random() < 0.04 * (PLANTED["disciplinary_rl"] if bme else 1):
            for _ in range(rng.choice([1, 1, 1, 2])):  # some people have two cases: counted once
                case_no += 1
                casework.append(
                    {
                        "case_id": f"C{case_no:05d}",
                        "employee_id": p.employee_id,
                        "case_type": "disciplinary",
                        "opened_date": _d(_rand_date(rng, lo, hi), style),
                        "outcome": rng.choice(["no_action", "warning", "final_warning", "ongoing", ""]),
                    }
                )
        if p.role != "non_qualified" and rng.random() < 0.015 * (
            PLANTED["fitness_to_practise_rl"] if bme else 1
        ):
            case_no += 1
            casework.append(
                {
                    "case_id": f"C{case_no:05d}",
                    "employee_id": p.employee_id,
                    "case_type": "fitness_to_practise",
                    "opened_date": _d(_rand_date(rng, lo, hi), style),
                    "outcome": "referred",
                }
            )
        if rng.random() < 0.03:
            case_no += 1
            casework.append(
                {
                    "case_id": f"C{case_no:05d}",
                    "employee_id": p.employee_id,
                    "case_type": rng.choice(["grievance", "capability"]),
                    "opened_date": _d(_rand_date(rng, lo, hi), style),
                    "outcome": "",
                }
            )
        if rng.random() < 0.5 * (PLANTED["non_mandatory_cpd_rl"] if bme else 1):
            cpd.append(
                {
                    "employee_id": p.employee_id,
                    "activity_id": f"A{rng.randint(1, 60):03d}",
                    "start_date": _d(_rand_date(rng, lo, hi), style),
                    "funded": "Y",
                    "mandatory": "N",
                }
            )
        if rng.random() < 0.9:  # mandatory training: never counted by metric 5
            cpd.append(
                {
                    "employee_id": p.employee_id,
                    "activity_id": "MAND-SAFEGUARDING",
                    "start_date": _d(_rand_date(rng, lo, hi), style),
                    "funded": "Y",
                    "mandatory": "Y",
                }
            )
        if p.newly_qualified and p.start <= period_end:
            reg_in = start <= p.start <= period_end
            out_in = p.asye_outcome_date and start <= p.asye_outcome_date <= period_end
            left_before = p.end and p.asye_outcome_date and p.end < p.asye_outcome_date
            if reg_in or out_in:
                done = out_in and not left_before
                outcome = (
                    p.asye_outcome
                    if done
                    else ("withdrawn" if left_before and p.end <= period_end else "in_progress")
                )
                odate = p.asye_outcome_date if done else (p.end if outcome == "withdrawn" else None)
                asye.append(
                    {
                        "employee_id": p.employee_id,
                        "programme": p.service,
                        "registration_date": _d(p.start, style),
                        "outcome": outcome,
                        "outcome_date": _d(odate, style),
                    }
                )
    in_post = [p for p in staff_people if p.end is None or p.end > period_end]
    for p in in_post:
        if rng.random() < 0.55:
            bme = is_bme(p.ethnicity)
            survey.append(
                {
                    "ethnicity": eth_text(p.ethnicity),
                    "harassment_public": rng.choice(["", "Y", "N"])
                    if rng.random() < 0.05
                    else _yn(rng, 0.28 * (PLANTED["harassment_public_rl"] if bme else 1)),
                    "harassment_colleague": _yn(
                        rng, 0.12 * (PLANTED["harassment_colleague_rl"] if bme else 1)
                    ),
                    "harassment_manager": _yn(rng, 0.08 * (1.4 if bme else 1)),
                }
            )
    codes, weights = zip(*ETHNICITY_MIX)
    for v in range(max(4, len(staff_people) // 12)):
        role = rng.choice(["case_holder", "senior_practitioner", "first_line_manager"])
        closing = _rand_date(rng, start, period_end)
        for a in range(rng.randint(4, 12)):
            eth = rng.choices(codes, weights)[0]
            bme = is_bme(eth)
            shortlisted = rng.random() < 0.45
            appointed = shortlisted and rng.random() < 0.30 * (
                PLANTED["appointment_from_shortlist_rl"] if bme else 1
            )
            recruitment.append(
                {
                    "vacancy_id": f"V{period_end.year}{v:04d}",
                    "applicant_id": f"APP{v:04d}{a:02d}",
                    "ethnicity": eth_text(eth),
                    "role": role,
                    "closing_date": _d(closing, style),
                    "shortlisted": "Yes" if shortlisted else "No",
                    "appointed": "Yes" if appointed else "No",
                    "internal_candidate": _yn(rng, 0.3),
                }
            )
    return {
        "staff": staff,
        "recruitment": recruitment,
        "casework": casework,
        "cpd": cpd,
        "asye": asye,
        "survey": survey,
    }


def write_extract(folder: Path, c: Council, end: dt.date, rng: random.Random, workbook: bool) -> list[Path]:
    """One council's extract for one period end: a workbook, or one CSV per dataset (Brent's in
    Windows-1252, Hammersmith's with a byte-order mark, as Excel's "CSV UTF-8" writes)."""
    data = extract_rows(c, end, rng)
    stem = f"hr_{c.la_code}_{end.isoformat()}"
    if workbook:
        path = folder / f"{stem}.xlsx"
        write_xlsx(path, data, DATASET_COLUMNS)
        return [path]
    written = []
    encoding = "cp1252" if c.la_code == "E09000005" else "utf-8"
    for dataset, rows in data.items():
        path = folder / f"{stem}_{dataset}.csv"
        write_csv(path, rows, encoding, DATASET_COLUMNS[dataset])
        if c.la_code == "E09000008":  # a BOM, as Excel's "CSV UTF-8" writes
            path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
        written.append(path)
    return written
