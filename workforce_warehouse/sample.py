"""Deterministic synthetic landing folder: council HR extracts, CSWW returns, agency returns, real DfE files.

Everything is invented except the DfE published CSVs, which are the real release files bundled in
`workforce_warehouse/reference/dfe/`. Disparities are planted so the marts show something real; the
planted values are listed in PLANTED and in docs/sample-data.md.

Each council's workforce is simulated once as people with start and end dates, so the extracts of
successive periods, the CSWW returns and the agency returns all describe the same people.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from .config import REFERENCE_DIR
from .ingest import SAMPLE_MANIFEST
from .reference_data import local_authorities
from .sources.csww_return.sample import csww_xml
from .values import add_months, period_start_for

LAST_YEAR = 2025  # the latest HR period ends 31 March LAST_YEAR
DEFAULT_COUNCILS = ("E09000002", "E09000005", "E09000008", "E09000021", "E09000022", "E09000027")

# Planted disparities (BME relative to White unless said): what the marts should show, roughly.
PLANTED = {
    "appointment_from_shortlist_rl": 0.5,  # metric 2
    "disciplinary_rl": 1.4,  # metric 3
    "fitness_to_practise_rl": 1.5,  # metric 4
    "non_mandatory_cpd_rl": 0.8,  # metric 5
    "harassment_public_rl": 1.2,  # metric 6
    "harassment_colleague_rl": 1.5,  # metric 7a
    "leaving_rl": 1.2,  # metric 8
    "asye_fail_rl": 3.0,
    "black_manager_vs_case_holder_share": 0.5,  # progression ratio for Black staff
}

ETHNICITY_MIX = [  # London-like social work workforce (code, weight)
    ("WBRI", 30),
    ("WIRI", 2),
    ("WOTH", 8),
    ("MWBC", 2),
    ("MWBA", 1),
    ("MWAS", 1),
    ("MOTH", 1),
    ("AIND", 4),
    ("APKN", 2),
    ("ABAN", 1),
    ("CHNE", 1),
    ("AOTH", 2),
    ("BCRB", 10),
    ("BAFR", 22),
    ("BOTH", 3),
    ("OOTH", 3),
    ("REFU", 3),
    ("NOBT", 4),
]
GROUP = {
    "W": "White",
    "M": "Mixed",
    "A": "Asian",
    "C": "Asian",
    "B": "Black",
    "O": "Other",
    "R": "Unknown",
    "N": "Unknown",
}
LABELS = {"WBRI": "White British", "BAFR": "Black African", "BCRB": "Black Caribbean", "AIND": "Indian"}
BRENT_LABELS = {
    "BAFR": "Black British - African",
    "BCRB": "Black British - Caribbean",
    "WBRI": "White - English/Welsh/Scottish/NI/British",
}
FORENAMES = [
    "Amara",
    "Zoë",
    "José",
    "Chidi",
    "Priya",
    "Siobhán",
    "Olu",
    "Fatima",
    "Tom",
    "Grace",
    "Kwame",
    "Aisha",
    "Rhys",
    "Mei",
    "Noémie",
    "Dan",
    "Ife",
    "Sana",
    "Ruth",
    "Marek",
]
SURNAMES = [
    "Okafor",
    "Smith",
    "Patel",
    "Mensah",
    "O'Brien",
    "Khan",
    "Jones",
    "Adeyemi",
    "Nowak",
    "Chen",
    "Brown",
    "Ali",
    "Campbell",
    "Müller",
    "Davies",
    "Asante",
]

ROLE_MIX = {  # share of social-work roles by group: Black staff half as likely to be managers
    "default": [
        ("case_holder", 52),
        ("qualified_no_cases", 6),
        ("senior_practitioner", 14),
        ("first_line_manager", 12),
        ("middle_manager", 6),
        ("senior_manager", 3),
        ("non_qualified", 7),
    ],
    "Black": [
        ("case_holder", 62),
        ("qualified_no_cases", 7),
        ("senior_practitioner", 11),
        ("first_line_manager", 6),
        ("middle_manager", 3),
        ("senior_manager", 1.5),
        ("non_qualified", 9.5),
    ],
}
PAY = {  # role -> (band label, order, base salary)
    "non_qualified": ("Grade 6", 1, 28000),
    "qualified_no_cases": ("PO1", 2, 36000),
    "case_holder": ("PO2", 3, 41000),
    "senior_practitioner": ("PO4", 4, 47000),
    "first_line_manager": ("PO6", 5, 54000),
    "middle_manager": ("SM1", 6, 66000),
    "senior_manager": ("SM3", 7, 88000),
}


def group_of(code: str) -> str:
    return GROUP[code[0]]


def is_bme(code: str) -> bool:
    return group_of(code) not in ("White", "Unknown")


@dataclass
class Person:
    n: int
    employee_id: str
    swe: str | None
    forename: str
    surname: str
    birth: dt.date
    sex: str
    ethnicity: str
    service: str
    role: str
    fte: float
    contract: str
    start: dt.date
    end: dt.date | None = None
    leaving_reason: str | None = None
    destination: str | None = None
    newly_qualified: bool = False
    asye_outcome: str | None = None
    asye_outcome_date: dt.date | None = None

    def employed_between(self, a: dt.date, b: dt.date) -> bool:
        return self.start <= b and (self.end is None or self.end >= a)


def _rand_date(rng: random.Random, a: dt.date, b: dt.date) -> dt.date:
    return a + dt.timedelta(days=rng.randint(0, max((b - a).days, 0)))


class Council:
    def __init__(
        self, la_code: str, index: int, rng: random.Random, first: dt.date, last: dt.date, size: int
    ):
        self.la = local_authorities()[la_code]
        self.la_code = la_code
        self.index = index
        self.rng = rng
        self.people: list[Person] = []
        self.first, self.last = first, last
        self.size = size
        self._next = 0
        self._simulate()

    def _bme_factor(self, p: Person, rl: float) -> float:
        return rl if is_bme(p.ethnicity) else 1.0

    def _new_person(self, start: dt.date, service: str, newly_qualified: bool = False) -> Person:
        rng = self.rng
        self._next += 1
        codes, weights = zip(*ETHNICITY_MIX)
        eth = rng.choices(codes, weights)[0]
        mix = ROLE_MIX["Black" if group_of(eth) == "Black" else "default"]
        roles, rw = zip(*mix)
        role = "case_holder" if newly_qualified else rng.choices(roles, rw)[0]
        swe_digits = 100000 + self.index * 100000 + self._next
        p = Person(
            n=self._next,
            employee_id=f"{self.la_code[-3:]}-{self._next:06d}",
            swe=None if role == "non_qualified" else f"SW{swe_digits:010d}",
            forename=rng.choice(FORENAMES),
            surname=rng.choice(SURNAMES),
            birth=dt.date(rng.randint(1960, 2000), rng.randint(1, 12), rng.randint(1, 28)),
            sex=rng.choices(["F", "M", "X", ""], [78, 19, 1, 2])[0],
            ethnicity=eth,
            service=service,
            role=role,
            fte=rng.choice([1.0] * 8 + [0.8, 0.6, 0.5]),
            contract=rng.choices(["permanent", "fixed_term"], [9, 1])[0],
            start=start,
            newly_qualified=newly_qualified,
        )
        if newly_qualified:
            fail_p = 0.05 * (PLANTED["asye_fail_rl"] if is_bme(eth) else 1.0)
            r = rng.random()
            p.asye_outcome = (
                "failed"
                if r < fail_p
                else ("deferred" if r < fail_p + 0.04 else ("withdrawn" if r < fail_p + 0.06 else "passed"))
            )
            p.asye_outcome_date = start + dt.timedelta(days=rng.randint(330, 400))
        return p

    def _simulate(self) -> None:
        rng = self.rng
        for service, share in (("children", 0.55), ("adults", 0.45)):
            target = max(10, int(self.size * share))
            for _ in range(target):
                p = self._new_person(_rand_date(rng, dt.date(2008, 1, 1), self.first), service)
                self.people.append(p)
            day = self.first
            while day <= self.last:
                month_end = add_months(day, 1) - dt.timedelta(days=1)
                active = [p for p in self.people if p.service == service and p.start <= day and p.end is None]
                for p in active:
                    leave_p = 0.15 / 12 * self._bme_factor(p, PLANTED["leaving_rl"])
                    if rng.random() < leave_p:
                        p.end = _rand_date(rng, day, month_end)
                        p.leaving_reason = rng.choices(
                            ["resignation", "retirement", "dismissal", "end_of_contract", "other", None],
                            [70, 10, 3, 8, 5, 4],
                        )[0]
                        p.destination = rng.choices(
                            ["another_la", "agency", "private_or_voluntary", "left_social_work", None],
                            [35, 20, 15, 20, 10],
                        )[0]
                # refill toward target; a share of starters are newly qualified (ASYE)
                shortfall = target - len([p for p in active if p.end is None])
                for _ in range(max(shortfall, 0)):
                    nq = service in ("children", "adults") and rng.random() < 0.30
                    self.people.append(self._new_person(_rand_date(rng, day, month_end), service, nq))
                day = add_months(day, 1)


def _yn(rng: random.Random, p: float) -> str:
    return "Y" if rng.random() < p else "N"


def _d(d: dt.date | None, style: str) -> str:
    if d is None:
        return ""
    return d.strftime("%d/%m/%Y") if style == "uk" else d.isoformat()


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


def agency_leavers(councils: list[Council], q_start: dt.date, q_end: dt.date) -> list[tuple[Person, str]]:
    """Permanent staff of any council who left for agency work shortly before or during the quarter."""
    return [
        (p, o.la_code)
        for o in councils
        for p in o.people
        if p.end
        and p.swe
        and p.destination == "agency"
        and q_start - dt.timedelta(days=80) <= p.end <= q_end - dt.timedelta(days=10)
    ]


def agency_engagements(
    c: Council, leavers: list[tuple[Person, str]], q_start: dt.date, q_end: dt.date, rng: random.Random
) -> list[dict]:
    """Engagements active in the quarter, with planted rule breaches.

    - locums who left another council of the region (or this one) within 3 months, some declared, some
      found only by linking the SWE number (written in lower case with a space);
    - post-qualifying experience below 3 years for some, exactly 3 for others;
    - charge rates around the illustrative London cap, some above it.
    """
    rows = []
    children = len([p for p in c.people if p.service == "children" and p.employed_between(q_start, q_end)])
    n = max(3, children // 8)
    # leavers of the same region only: that is where the cooling-off rule bites
    leavers = [(p, la) for p, la in leavers if local_authorities()[la].region_code == c.la.region_code]
    codes, weights = zip(*ETHNICITY_MIX)
    for i in range(n):
        seed = rng.random()
        start = _rand_date(rng, q_start - dt.timedelta(days=200), q_end - dt.timedelta(days=5))
        swe = f"SW{9000000 + c.index * 10000 + i:010d}"
        left_la, left_date = "", ""
        eth = rng.choices(codes, weights)[0]
        if leavers and seed < 0.12:
            p, left_la_code = leavers[(i + c.index) % len(leavers)]
            start = min(q_end, p.end + dt.timedelta(days=rng.randint(20, 60)))
            eth = p.ethnicity
            if rng.random() < 0.5:
                left_la = left_la_code
                left_date = p.end.isoformat()
                swe = p.swe
            else:
                swe = "sw " + str(int(p.swe[2:]))  # linkage only: written differently
        hours = round(rng.uniform(60, 480), 1) if start < q_end else 0.0
        end = "" if rng.random() < 0.8 else _rand_date(rng, max(start, q_start), q_end).isoformat()
        role = rng.choices(["case_holder", "senior_practitioner", "first_line_manager"], [7, 2, 1])[0]
        cap = {"case_holder": 45.0, "senior_practitioner": 50.0, "first_line_manager": 55.0}[role]
        rows.append(
            {
                "engagement_id": f"ENG-{c.la_code[-3:]}-{q_start.year}{q_start.month:02d}-{i:03d}",
                "swe_registration_number": swe,
                "service": "children" if rng.random() < 0.85 else "adults",
                "role": role,
                "engagement_type": rng.choices(
                    ["individual_locum", "project_team", "managed_service"], [8, 1.5, 0.5]
                )[0],
                "agency_name": rng.choice(
                    ["Example Social Care Ltd", "Sample Locums", "Illustrative Staffing"]
                ),
                "start_date": start.isoformat(),
                "end_date": end,
                "hours_in_quarter": hours,
                "fte": "" if rng.random() < 0.3 else round(min(1.0, hours / 480), 2),
                "charge_rate_per_hour": f"£{cap + rng.choice([-6, -4, -2, 0, 0, 2.5, 5]):.2f}",
                "pay_rate_per_hour": f"{cap * 0.7:.2f}",
                "post_qualified_la_years": rng.choice([1, 2, 2.5, 3, 3, 4, 6, 8, 12]),
                "left_permanent_la_code": left_la,
                "left_permanent_date": left_date,
                "ethnicity": eth,
                "covering_vacancy": _yn(rng, 0.7),
            }
        )
    return rows


def _write_csv(
    path: Path, rows: list[dict], encoding: str = "utf-8", columns: list[str] | None = None
) -> None:
    columns = columns or (list(rows[0].keys()) if rows else [])
    buf = io.StringIO(newline="")
    w = csv.DictWriter(
        buf,
        fieldnames=[c for c in columns if not c.startswith("_")],
        extrasaction="ignore",
        lineterminator="\r\n" if encoding == "cp1252" else "\n",
    )
    w.writeheader()
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def _write_xlsx(path: Path, sheets: dict[str, list[dict]], columns: dict[str, list[str]]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        cols = columns[name]
        ws.append(cols)
        for r in rows:
            values = []
            for col in cols:
                v = r.get(col, "")
                # real Excel dates for date columns written as ISO text by the generator
                if isinstance(v, str) and len(v) == 10 and v[4] == "-" and v[7] == "-":
                    v = dt.date.fromisoformat(v)
                values.append(v)
            ws.append(values)
    wb.save(path)
    _freeze_zip(path)


def _freeze_zip(path: Path) -> None:
    """Make a saved workbook byte-identical across runs: fixed entry times and document timestamps."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", b"2025-04-01T00:00:00Z", data)
            z.writestr(zipfile.ZipInfo(name, date_time=(2025, 4, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)


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


def council_codes(n: int) -> list[str]:
    las = local_authorities()
    if n <= len(DEFAULT_COUNCILS):
        return list(DEFAULT_COUNCILS[:n])
    current = [c for c, la in las.items() if la.last_year >= LAST_YEAR and c not in DEFAULT_COUNCILS]
    current.sort(key=lambda c: (las[c].region_code != "E12000007", c))
    return (list(DEFAULT_COUNCILS) + current)[:n]


def generate(
    out: Path,
    councils: int = 6,
    years: int = 3,
    seed: int = 42,
    size: tuple[int, int] = (200, 1200),
    progress=print,
) -> dict[str, str]:
    """Write the landing folder. Returns {relative path: sha256} (also written as the sample manifest)."""
    if years < 1 or councils < 1:
        raise ValueError("--councils and --years must be at least 1")
    codes = council_codes(councils)
    if len(codes) < councils:
        raise ValueError(f"only {len(codes)} councils are available")
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("council_hr", "dfe_census", "agency_use"):
        (out / sub).mkdir(exist_ok=True)
    first = dt.date(LAST_YEAR - years - 1, 4, 1)
    last = dt.date(LAST_YEAR, 3, 31)
    sims = []
    for i, code in enumerate(codes):
        rng = random.Random(f"{seed}-{code}")
        sims.append(Council(code, i, rng, first, last, rng.randint(*size)))
    written: list[Path] = []
    from .sources.agency_use import quarter_bounds

    quarter_leavers = {}
    for y, q in ((LAST_YEAR - 1, 2), (LAST_YEAR - 1, 3), (LAST_YEAR - 1, 4), (LAST_YEAR, 1)):
        qs, qe = quarter_bounds(y, q)
        quarter_leavers[(y, q)] = (qs, qe, agency_leavers(sims, qs, qe))
    # Workbooks are slow to write: at national scale only a handful of councils send one.
    xlsx_every = 3 if councils <= 12 else 10_000
    for c in sims:
        rng = random.Random(f"{seed}-{c.la_code}-files")
        ends = [dt.date(y, 3, 31) for y in range(LAST_YEAR - years + 1, LAST_YEAR + 1)]
        if c.index < 2:
            ends.append(dt.date(LAST_YEAR - 3, 9, 30))  # a census-date extract for reconciliation
        for end in ends:
            data = extract_rows(c, end, rng)
            stem = f"hr_{c.la_code}_{end.isoformat()}"
            if c.index % xlsx_every == 0:
                path = out / "council_hr" / f"{stem}.xlsx"
                _write_xlsx(path, data, DATASET_COLUMNS)
                written.append(path)
            else:
                encoding = "cp1252" if c.la_code == "E09000005" else "utf-8"
                for dataset, rows in data.items():
                    path = out / "council_hr" / f"{stem}_{dataset}.csv"
                    _write_csv(path, rows, encoding, DATASET_COLUMNS[dataset])
                    if c.la_code == "E09000008":  # a BOM, as Excel's "CSV UTF-8" writes
                        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
                    written.append(path)
        for (y, q), (qs, qe, leavers) in quarter_leavers.items():
            rows = agency_engagements(c, leavers, qs, qe, rng)
            path = out / "agency_use" / f"agency_{c.la_code}_{y}-Q{q}.csv"
            _write_csv(path, rows)
            written.append(path)
        # CSWW returns for 30 September of the years before the HR periods' last year and of that year
        # itself (2022-2025 by default: the 2023, 2024 and 2025 layouts), each in its year's layout
        for year in range(LAST_YEAR - years, LAST_YEAR + 1):
            if not (c.la.first_year <= year <= c.la.last_year):
                continue  # no census return from a council before it existed
            agency = [
                {
                    "swe": f"SW{8000000 + c.index * 1000 + k:010d}",
                    "fte": 1,
                    "ethnicity": rng.choices(*zip(*ETHNICITY_MIX))[0],
                }
                for k in range(max(2, len(c.people) // 40))
            ]
            agency = [a for a in agency if a["ethnicity"] not in ("WIRT", "WROM", "OARB")]
            path = out / "dfe_census" / f"csww_{c.la_code}_{year}.xml"
            path.write_text(csww_xml(c, year, rng, agency), encoding="utf-8")
            written.append(path)
        progress(f"  sample: {c.la_code} {c.la.la_name}: {len(c.people)} people simulated")
    for src in sorted((REFERENCE_DIR / "dfe").glob("*.csv")):
        target = out / "dfe_census" / src.name
        shutil.copyfile(src, target)
        written.append(target)
    manifest = {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in written}
    (out / SAMPLE_MANIFEST).write_text(
        json.dumps({"seed": seed, "councils": codes, "years": years, "files": manifest}, indent=1)
    )
    return manifest
