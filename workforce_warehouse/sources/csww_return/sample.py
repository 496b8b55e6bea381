"""The sample generator's CSWW census returns (workforce_warehouse/sample.py calls this): each council's
return for a year is written in that year's declared layout (layout.py), so the sample exercises every
layout it spans: GenderCurrent up to 2023, Sex and short SWE numbers from 2024, and from 2025 the LALevel
block with its allowance items and each in-post worker's BaseSalary.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from typing import TYPE_CHECKING

from ...values import period_start_for
from .layout import layouts

if TYPE_CHECKING:  # the generator's simulated council and people
    from ...sample import Council

ROLE_CODE = {
    "senior_manager": 1,
    "middle_manager": 2,
    "first_line_manager": 3,
    "senior_practitioner": 4,
    "case_holder": 5,
    "qualified_no_cases": 6,
}
REASON_LEAVE = {
    "resignation": 1,
    "redundancy": 2,
    "dismissal": 4,
    "retirement": 5,
    "death": 6,
    "other": 8,
    "end_of_contract": 8,
    None: 9,
}
DESTINATION = {"another_la": 1, "agency": 3, "private_or_voluntary": 4, "left_social_work": 6, None: 8}
GENDER_CURRENT = {"F": 2, "M": 1, "X": 9, "": 0}
# Sex (2024 on) is M or F only: the sample's few people recorded X or not known are written as F there.
SEX = {"F": "F", "M": "M", "X": "F", "": "F"}
# Base annual salary at full time per role (as the HR extracts' pay bands), pounds.
BASE_SALARY = {
    "qualified_no_cases": 36000,
    "case_holder": 41000,
    "senior_practitioner": 47000,
    "first_line_manager": 54000,
    "middle_manager": 66000,
    "senior_manager": 88000,
}


def _csww_eth(code: str) -> str:
    return code if code not in ("WIRT", "WROM", "OARB") else "OOTH"


def _swe(swe: str, year: int, n: int) -> str:
    """From 2024 some councils' software writes the SWE number without its leading zeros (SW1234)."""
    short_ok = layouts()[year].items["SWENo"].digits[0] < 10
    return f"SW{int(swe[2:])}" if short_ok and n % 5 == 0 else swe


def csww_xml(c: Council, year: int, rng: random.Random, agency: list[dict]) -> str:
    """One council's return for 30 September `year`, in that collection year's layout."""
    lay = layouts()[year]
    ref = dt.date(year, 9, 30)
    start = period_start_for(ref)
    out = io.StringIO()
    w = out.write
    vac = round(rng.uniform(3, 20), 2)
    la_items = [
        ("NumberOfVacancies", f"{vac:.2f}"),
        ("NoAgencyFTE", f"{vac * 0.6:.2f}"),
        ("NoAgencyHeadcount", int(vac * 0.6)),
    ]
    for item in lay.allowance_items:
        if item.type == "code":
            la_items.append((item.name, rng.choice(item.codes)))
        elif rng.random() < 0.5:
            la_items.append((item.name, rng.choice(["Free parking", "Laptop and phone", "Lease car scheme"])))
    w(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Message>\n  <Header>\n    <CollectionDetails>\n'
        f"      <Collection>CSWW</Collection>\n      <Year>{year}</Year>\n      <ReferenceDate>{ref}</ReferenceDate>\n"
        "    </CollectionDetails>\n    <Source>\n      <SourceLevel>L</SourceLevel>\n"
        f"      <LEA>{c.la.old_la_code}</LEA>\n      <SoftwareCode>sample-generator</SoftwareCode>\n"
        f"      <DateTime>{year}-10-21T09:30:00Z</DateTime>\n    </Source>\n  </Header>\n"
        f"  <{lay.la_block}>\n"
        + "".join(f"    <{k}>{v}</{k}>\n" for k, v in la_items)
        + f"  </{lay.la_block}>\n"
    )
    for p in c.people:
        if p.service != "children" or p.role == "non_qualified" or not p.employed_between(start, ref):
            continue
        leaver = p.end is not None and p.end <= ref
        items = {
            "AgencyWorker": 0,
            "SWENo": _swe(p.swe, year, p.n),
            "FTE": 0 if leaver else p.fte,
            "PersonBirthDate": p.birth,
            "GenderCurrent": GENDER_CURRENT[p.sex],
            "Sex": SEX[p.sex],
            "Ethnicity": _csww_eth(p.ethnicity),
            "QualInst": "Example University",
            "QualLevel": 1 + p.n % 2,
            "StepUpGrad": 0,
            "OrgRole": ROLE_CODE[p.role],
            "RoleStartDate": p.start,
            "StartOrigin": 1 if p.newly_qualified else 2,
        }
        if leaver:
            items |= {
                "RoleEndDate": p.end,
                "LeaverDestination": DESTINATION[p.destination],
                "ReasonLeave": REASON_LEAVE[p.leaving_reason],
            }
        items["FTE30"] = p.fte
        if not leaver and p.role in ("case_holder", "senior_practitioner", "first_line_manager"):
            items["Cases30"] = rng.randint(8, 22) if p.role != "first_line_manager" else rng.randint(0, 4)
        items |= {
            "WorkingDaysLost": f"{rng.choice([0, 0, 0, 1, 2, 3.5, 5, 12]):.2f}",
            "ContractWeeks": "52.0",
            "FrontlineGrad": 0,
            "Absat30Sept": 0,
        }
        if "BaseSalary" in lay.items and not leaver:
            items["BaseSalary"] = f"{BASE_SALARY[p.role] + rng.randint(-2000, 2500)}.00"
            if rng.random() < 0.1:
                items["RRPayments"] = f"{rng.choice([1000, 1500, 2000])}.00"
        fields = [(k, items[k]) for k in lay.worker_elements if k in items]
        w("  <CSWWWorker>\n" + "".join(f"    <{k}>{v}</{k}>\n" for k, v in fields) + "  </CSWWWorker>\n")
    for e in agency:
        w(
            "  <CSWWWorker>\n    <AgencyWorker>1</AgencyWorker>\n"
            f"    <SWENo>{e['swe']}</SWENo>\n    <FTE>{e['fte']}</FTE>\n    <Ethnicity>{_csww_eth(e['ethnicity'])}</Ethnicity>\n"
            f"    <OrgRole>5</OrgRole>\n    <Cases30>{rng.randint(10, 20)}</Cases30>\n  </CSWWWorker>\n"
        )
    w("</Message>\n")
    return out.getvalue()
