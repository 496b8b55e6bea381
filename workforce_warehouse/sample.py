"""Deterministic synthetic landing folder: council HR extracts, CSWW returns, agency returns, real DfE files.

Everything is invented except the DfE published CSVs, which are the real release files bundled in
`workforce_warehouse/reference/dfe/`. Disparities are planted so the marts show something real; the
planted values are listed in PLANTED and in docs/sample-data.md.

Each council's workforce is simulated once as people with start and end dates, so the extracts of
successive periods, the CSWW returns and the agency returns all describe the same people.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from .config import REFERENCE_DIR
from .ingest import SAMPLE_MANIFEST
from .reference_data import local_authorities
from .values import add_months

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
    from .sources import folders

    for sub in folders():
        (out / sub).mkdir(exist_ok=True)
    first = dt.date(LAST_YEAR - years - 1, 4, 1)
    last = dt.date(LAST_YEAR, 3, 31)
    sims = []
    for i, code in enumerate(codes):
        rng = random.Random(f"{seed}-{code}")
        sims.append(Council(code, i, rng, first, last, rng.randint(*size)))
    written: list[Path] = []
    from .sources.agency_use import quarter_bounds
    from .sources.agency_use.sample import agency_leavers, write_quarter
    from .sources.council_hr.sample import write_extract
    from .sources.csww_return.layout import layouts
    from .sources.csww_return.sample import csww_xml

    csww_years = set(layouts())

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
            written += write_extract(out / "council_hr", c, end, rng, workbook=c.index % xlsx_every == 0)
        for (y, q), (qs, qe, leavers) in quarter_leavers.items():
            written.append(write_quarter(out / "agency_use", c, y, q, leavers, qs, qe, rng))
        # CSWW returns for 30 September of the years before the HR periods' last year and of that year
        # itself (2022-2025 by default: the 2023, 2024 and 2025 layouts), each in its year's layout
        for year in range(LAST_YEAR - years, LAST_YEAR + 1):
            if not (c.la.first_year <= year <= c.la.last_year):
                continue  # no census return from a council before it existed
            if year not in csww_years:
                continue  # before the earliest collection year the warehouse has a layout for
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
