"""The sample generator's quarterly agency returns (workforce_warehouse/sample.py calls this): engagements
active in a quarter, with planted breaches of the DfE agency rules."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import TYPE_CHECKING

from ...io import write_csv
from ...reference_data import local_authorities
from ...sample import ETHNICITY_MIX, _rand_date, _yn

if TYPE_CHECKING:  # the generator's simulated council and people
    from ...sample import Council, Person


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


def write_quarter(
    folder: Path,
    c: Council,
    year: int,
    q: int,
    leavers: list,
    q_start: dt.date,
    q_end: dt.date,
    rng: random.Random,
) -> Path:
    rows = agency_engagements(c, leavers, q_start, q_end, rng)
    path = folder / f"agency_{c.la_code}_{year}-Q{q}.csv"
    write_csv(path, rows)
    return path
