"""A tiny hand-made landing folder whose answers were worked out by hand (see EXPECTED and the comments).

Council A (E09000002, Barking and Dagenham), period 2023-04-01 .. 2024-03-31, one CSV per dataset:
  staff (67 rows; all children's service unless said; everyone started 2020-01-01):
    W1..W32  White British case holders, in post              (32)
    B1..B8   Black African case holders, in post              (8)
    U1..U3   ethnicity blank (Unknown) case holders, in post  (3)
    WM1..WM18 White first line managers, in post              (18)
    BM1..BM2 Black African first line managers, in post       (2)
    L1 White case holder, end_date 2024-03-31 (the period end itself: a leaver, not in post)
    L2 Black Caribbean case holder, end_date 2023-06-30 (leaver)
    L3 Indian case holder, end_date 2023-12-31 (leaver)
    N1 White non_qualified, adults service, in post
  casework: B1 two disciplinary cases (counted once), W1 one disciplinary, W2 a grievance (not metric 3)
  cpd: W3 funded non-mandatory (counts), W4 funded mandatory (not), B2 unfunded non-mandatory (not),
       B3 funded non-mandatory (counts)
  recruitment: metrics.md's worked example: 40 White shortlisted / 20 appointed; 30 BME shortlisted
       (20 Black African, 10 Indian) / 6 appointed (4 + 2); 5 Unknown shortlisted / 1 appointed;
       10 White not shortlisted (not at risk)
  survey (22 respondents): White 10 (public Y 2, N 8); Black African 12 (public Y 5, N 6, blank 1)
  no asye dataset (so ASYE is not_submitted for A)

Council B (E09000005, Brent), same period: staff 12 White + 12 Black African case holders (all in post),
  asye: White 12 registered in the period (11 passed, 1 failed), Black 12 (8 passed, 4 failed); no other
  datasets (metrics 2-7 not_submitted for B).
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

A, B = "E09000002", "E09000005"
PERIOD = "2024-03-31"

STAFF_COLUMNS = [
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
    "End Date",
    "Leaving Reason",
]

# Personal values that must never reach the warehouse.
SECRET_NAME, SECRET_SURNAME, SECRET_DOB, RAW_SWE = "Zebedee", "Quxworth", "03/02/1981", "SW 77001"


def _swe_for(emp: str) -> str:
    return "SW" + str(int(hashlib.sha256(emp.encode()).hexdigest(), 16) % 10**8).zfill(8)


def _staff_row(emp, eth, role, service="children", end="", swe=None, reason=""):
    return {
        "Employee ID": emp,
        "Forename": SECRET_NAME,
        "Surname": SECRET_SURNAME,
        "Date of Birth": SECRET_DOB,
        "SWE Registration Number": "" if role == "non_qualified" else (swe or _swe_for(emp)),
        "Sex": "F",
        "Ethnicity": eth,
        "Service": service,
        "Job Title": role,
        "Role": role,
        "Pay Band": "PO3" if role != "first_line_manager" else "PO6",
        "Pay Band Order": 3 if role != "first_line_manager" else 6,
        "Annual FTE Salary": "£41,500" if role != "first_line_manager" else "£55,000",
        "Registered Professional": "N" if role == "non_qualified" else "Y",
        "Contract Type": "permanent",
        "FTE": "1",
        "Start Date": "01/01/2020",
        "End Date": end,
        "Leaving Reason": reason or ("resignation" if end else ""),
    }


def council_a_staff() -> list[dict]:
    rows = [_staff_row(f"W{i}", "WBRI", "case_holder") for i in range(1, 33)]
    rows += [_staff_row(f"B{i}", "BAFR", "case_holder") for i in range(1, 9)]
    rows += [_staff_row(f"U{i}", "", "case_holder") for i in range(1, 4)]
    rows += [_staff_row(f"WM{i}", "White British", "first_line_manager") for i in range(1, 19)]
    rows += [_staff_row(f"BM{i}", "Black African", "first_line_manager") for i in range(1, 3)]
    rows += [
        _staff_row("L1", "WBRI", "case_holder", end="31/03/2024", swe=RAW_SWE),
        _staff_row("L2", "BCRB", "case_holder", end="2023-06-30"),
        _staff_row("L3", "AIND", "case_holder", end="2023-12-31"),
        _staff_row("N1", "WBRI", "non_qualified", service="adults"),
    ]
    return rows


def council_a_recruitment() -> list[dict]:
    rows, n = [], 0

    def add(eth, shortlisted, appointed):
        nonlocal n
        n += 1
        rows.append(
            {
                "vacancy_id": f"V{n % 7}",
                "applicant_id": f"APP{n:03d}",
                "ethnicity": eth,
                "role": "case_holder",
                "closing_date": "2023-10-01",
                "shortlisted": shortlisted,
                "appointed": appointed,
            }
        )

    for i in range(40):
        add("WBRI", "Y", "Y" if i < 20 else "N")
    for i in range(20):
        add("BAFR", "Y", "Y" if i < 4 else "N")
    for i in range(10):
        add("AIND", "Yes", "Yes" if i < 2 else "No")
    for i in range(5):
        add("REFU", "Y", "Y" if i < 1 else "N")
    for _ in range(10):
        add("WBRI", "N", "N")
    return rows


def council_a_casework() -> list[dict]:
    return [
        {
            "case_id": "C1",
            "employee_id": "B1",
            "case_type": "disciplinary",
            "opened_date": "2023-05-01",
            "outcome": "warning",
        },
        {
            "case_id": "C2",
            "employee_id": "B1",
            "case_type": "disciplinary",
            "opened_date": "2023-11-01",
            "outcome": "",
        },
        {
            "case_id": "C3",
            "employee_id": "W1",
            "case_type": "disciplinary",
            "opened_date": "2023-07-01",
            "outcome": "",
        },
        {
            "case_id": "C4",
            "employee_id": "W2",
            "case_type": "grievance",
            "opened_date": "2023-07-01",
            "outcome": "",
        },
    ]


def council_a_cpd() -> list[dict]:
    return [
        {
            "employee_id": "W3",
            "activity_id": "A1",
            "start_date": "2023-09-01",
            "funded": "Y",
            "mandatory": "N",
        },
        {
            "employee_id": "W4",
            "activity_id": "A2",
            "start_date": "2023-09-01",
            "funded": "Y",
            "mandatory": "Y",
        },
        {
            "employee_id": "B2",
            "activity_id": "A1",
            "start_date": "2023-09-01",
            "funded": "N",
            "mandatory": "N",
        },
        {
            "employee_id": "B3",
            "activity_id": "A1",
            "start_date": "2023-09-01",
            "funded": "TRUE",
            "mandatory": "FALSE",
        },
    ]


def council_a_survey() -> list[dict]:
    rows = [
        {
            "ethnicity": "WBRI",
            "harassment_public": "Y" if i < 2 else "N",
            "harassment_colleague": "N",
            "harassment_manager": "N",
        }
        for i in range(10)
    ]
    rows += [
        {
            "ethnicity": "BAFR",
            "harassment_public": "Y" if i < 5 else ("N" if i < 11 else ""),
            "harassment_colleague": "N",
            "harassment_manager": "N",
        }
        for i in range(12)
    ]
    return rows


def council_b_staff() -> list[dict]:
    return [_staff_row(f"BW{i}", "WBRI", "case_holder") for i in range(1, 13)] + [
        _staff_row(f"BB{i}", "BAFR", "case_holder") for i in range(1, 13)
    ]


def council_b_asye() -> list[dict]:
    rows = []
    for i in range(1, 13):
        rows.append(
            {
                "employee_id": f"BW{i}",
                "programme": "children",
                "registration_date": "2023-04-10",
                "outcome": "failed" if i == 1 else "passed",
                "outcome_date": "2024-03-01",
            }
        )
    for i in range(1, 13):
        rows.append(
            {
                "employee_id": f"BB{i}",
                "programme": "children",
                "registration_date": "2023-04-10",
                "outcome": "failed" if i <= 4 else "passed",
                "outcome_date": "2024-03-01",
            }
        )
    return rows


def to_csv(rows: list[dict], columns: list[str] | None = None, encoding: str = "utf-8") -> bytes:
    columns = columns or [c for c in rows[0] if not c.startswith("_")]
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def write_landing(landing: Path) -> list[Path]:
    hr = landing / "council_hr"
    hr.mkdir(parents=True, exist_ok=True)
    files = {
        f"hr_{A}_{PERIOD}_staff.csv": to_csv(council_a_staff(), STAFF_COLUMNS),
        f"hr_{A}_{PERIOD}_recruitment.csv": to_csv(council_a_recruitment()),
        f"hr_{A}_{PERIOD}_casework.csv": to_csv(council_a_casework()),
        f"hr_{A}_{PERIOD}_cpd.csv": to_csv(council_a_cpd()),
        f"hr_{A}_{PERIOD}_survey.csv": to_csv(council_a_survey()),
        f"hr_{B}_{PERIOD}_staff.csv": to_csv(council_b_staff(), STAFF_COLUMNS),
        f"hr_{B}_{PERIOD}_asye.csv": to_csv(council_b_asye()),
    }
    out = []
    for name, data in files.items():
        (hr / name).write_bytes(data)
        out.append(hr / name)
    return out


# The agency return's columns as the tests write them (agency-use.md), with the two optional columns about
# a permanent post left: AGENCY_COLUMNS[:12] is the header without them.
AGENCY_COLUMNS = [
    "engagement_id",
    "swe_registration_number",
    "service",
    "role",
    "engagement_type",
    "agency_name",
    "start_date",
    "end_date",
    "hours_in_quarter",
    "fte",
    "charge_rate_per_hour",
    "post_qualified_la_years",
    "left_permanent_la_code",
    "left_permanent_date",
]
