"""Agency use, price caps and the DfE agency rules on a hand-made fixture (agency-use.md).

Quarter 2025-Q1 (2025-01-01 .. 2025-03-31), council B = Brent (London, cap for case holders GBP 45.00/h in
the illustrative seed, rules from 2024-10-31). Every engagement: children's service, case holder,
individual locum.

  E1 declared cooling-off: left Lambeth (London) 2024-12-01, started 2025-01-06 (< 2025-03-01): breach.
     100 h at 50.00 = 5,000.00 (above cap 100 x 5.00 = 500.00)
  E2 linked cooling-off only: SWE written 'sw 88001' = Barking and Dagenham's leaver SW0000088001 (left
     2024-12-15, permanent), started 2025-02-10 (< 2025-03-15): breach found by linkage.
     200.5 h at 45.00 = 9,022.50 (at the cap: not over). FTE blank: 200.5 / (37 x 50 days / 7) = 0.758649
  E3 a leaver of Birmingham (West Midlands) started 2025-01-10: another region, not a breach;
     exactly 3 years' experience: not a breach. 37.5 h at 44.99 = 1,687.125
  E4 started 2024-09-01, before the rules: 1 year's experience and a declared recent leaver, yet no breach.
     10 h at 60.00 = 600.00 (no cap in force on its start date)
  E5 2.5 years' experience: breach. 33.33 h at 47.33 = 1,577.5089 (above cap 33.33 x 2.33 = 77.6589)

  spend = 5000 + 9022.50 + 1687.125 + 600 + 1577.5089 = 17,887.1339 -> 17,887.13
  spend above cap = 500 + 77.6589 = 577.6589 -> 577.66; hours over cap = 133.33; engagements over cap = 2
  hours = 381.33; mean charge rate = 17,887.1339 / 381.33 = 46.9078... -> 46.91
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from conftest import dbt_build, query_dicts
from handmade import AGENCY_COLUMNS, STAFF_COLUMNS, _staff_row, to_csv

from workforce_warehouse.config import load_settings
from workforce_warehouse.ingest import ingest

A, B, D = "E09000002", "E09000005", "E08000025"
HEAD = AGENCY_COLUMNS


def eng(eid, swe, start, hours, fte, rate, years, left_la="", left_date=""):
    return dict(
        engagement_id=eid,
        swe_registration_number=swe,
        service="children",
        role="case_holder",
        engagement_type="individual_locum",
        agency_name="Example Agency",
        start_date=start,
        end_date="",
        hours_in_quarter=hours,
        fte=fte,
        charge_rate_per_hour=rate,
        post_qualified_la_years=years,
        left_permanent_la_code=left_la,
        left_permanent_date=left_date,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("agency")
    hr = home / "landing" / "council_hr"
    hr.mkdir(parents=True)
    a_staff = [_staff_row(f"S{i}", "WBRI", "case_holder") for i in range(10)]
    a_staff.append(_staff_row("LA1", "BAFR", "case_holder", end="2024-12-15", swe="SW0000088001"))
    for r in a_staff:
        r["Start Date"] = "2024-01-01"
    d_staff = [_staff_row("LD1", "WBRI", "case_holder", end="2024-12-20", swe="SW0000088003")]
    (hr / f"hr_{A}_2025-03-31_staff.csv").write_bytes(to_csv(a_staff, STAFF_COLUMNS))
    (hr / f"hr_{D}_2025-03-31_staff.csv").write_bytes(to_csv(d_staff, STAFF_COLUMNS))
    ag = home / "landing" / "agency_use"
    ag.mkdir(parents=True)
    rows = [
        eng("E1", "SW0000088010", "2025-01-06", "100", "1", "£50.00", "5", "E09000022", "2024-12-01"),
        eng("E2", "sw 88001", "2025-02-10", "200.5", "", "45.00", "4"),
        eng("E3", "SW0000088003", "2025-01-10", "37.5", "0.2", "44.99", "3"),
        eng("E4", "SW0000088020", "2024-09-01", "10", "0.1", "60", "1", "E09000005", "2024-08-01"),
        eng("E5", "SW0000088030", "2025-01-20", "33.33", "0.3", "47.33", "2.5"),
    ]
    (ag / f"agency_{B}_2025-Q1.csv").write_bytes(to_csv(rows, HEAD))
    summary = ingest(load_settings(home), today=dt.date(2026, 1, 1), progress=lambda m: None)
    assert not summary.of("rejected"), [o.message for o in summary.of("rejected")]
    res = dbt_build(home)
    assert res.returncode == 0, res.stdout[-4000:]
    return home


def engagements(home):
    rows = query_dicts(
        home,
        """select e.*, r.engagement_id_hint from intermediate.int_agency_engagements_assessed e
                                left join (select engagement_key, row_number as engagement_id_hint
                                           from raw.agency_engagement) r using (engagement_key)
                                order by r.engagement_id_hint""",
    )
    return {f"E{r['engagement_id_hint'] - 1}": r for r in rows}


def test_cooling_off_declared_and_found_by_linkage(home):
    e = engagements(home)
    assert e["E1"]["cooling_off_breach"] and e["E1"]["cooling_off_evidence"] == "declared"
    assert e["E2"]["cooling_off_breach"] and e["E2"]["cooling_off_evidence"] == "linkage"
    assert e["E2"]["linked_left_la_codes"] == A


def test_other_region_and_pre_commencement_are_not_breaches(home):
    e = engagements(home)
    assert e["E3"]["cooling_off_breach"] is False
    assert e["E4"]["rules_apply"] is False
    assert e["E4"]["cooling_off_breach"] is False and e["E4"]["experience_breach"] is False


def test_experience_rule_at_exactly_three_years_and_below(home):
    e = engagements(home)
    assert e["E3"]["experience_breach"] is False  # exactly 3 years
    assert e["E5"]["experience_breach"] is True  # 2.5 years


def test_fte_derived_when_blank(home):
    e = engagements(home)
    assert e["E2"]["fte_derived"] is True
    assert e["E2"]["fte"] == pytest.approx(200.5 / (37 * 50 / 7), abs=1e-6)


def test_agency_use_mart_spend_to_the_penny(home):
    rows = query_dicts(
        home,
        """select * from marts.agency_use where geography_code = ? and quarter = '2025-Q1'
                                and role = 'case_holder' and engagement_type = 'individual_locum'""",
        [B],
    )
    assert len(rows) == 1
    r = rows[0]
    assert r["engagements"] == 5
    assert r["hours"] == Decimal("381.33")
    assert r["spend"] == Decimal("17887.13")
    assert r["spend_above_cap"] == Decimal("577.66")
    assert r["hours_over_cap"] == Decimal("133.33")
    assert r["engagements_over_cap"] == 2
    assert r["mean_charge_rate"] == Decimal("46.91")
    assert r["cap_per_hour"] == Decimal("45.00")
    assert (r["experience_rule_breaches"], r["cooling_off_breaches"], r["cooling_off_found_by_linkage"]) == (
        1,
        2,
        1,
    )
    assert r["quarter_end"] == dt.date(2025, 3, 31) and r["period_label"] == "2025-Q1"


def test_breach_list_names_rule_and_evidence(home):
    rows = query_dicts(
        home, "select rule, evidence from intermediate.int_agency_rule_breaches order by rule, evidence"
    )
    rules = [r["rule"] for r in rows]
    assert (
        rules.count("cooling_off") == 2 and rules.count("experience") == 1 and rules.count("price_cap") == 2
    )
    assert any(r["evidence"].startswith("linkage") and A in r["evidence"] for r in rows)
