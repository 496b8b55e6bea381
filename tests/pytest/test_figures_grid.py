"""Figures that issue 16 found wrong, on a small hand-made fixture whose answers are worked out below.

Council A (E09000002), HR extract for the 12 months to 2024-09-30 (label '2024', the census year):
  staff: W1..W12 White case holders, children; B1..B10 Black African case holders, adults;
         O1..O3 Indian case holders in service 'other'. Nobody is a manager or a senior practitioner.
         Everyone is on pay band PO3 at GBP 41,500 (common band GBP 40k-49,999; national band GBP 30k-69,999).
  asye:  W1, W2 on the children's programme, registered 2024-01-10, passed 2024-09-01. No adults' programme.
Council B (E09000005), same period end: staff only: BW1..BW10 White first line managers, children, band PO6 at
  GBP 55,000 (common band GBP 50k-59,999). No other dataset.
Both are in London (E12000007); the alliance is every loaded council.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from conftest import dbt_build, query_dicts
from handmade import STAFF_COLUMNS, _staff_row, to_csv

from workforce_warehouse.config import load_settings
from workforce_warehouse.ingest import ingest

A, B = "E09000002", "E09000005"
P = "2024-09-30"
GROUPS = ["White", "Mixed", "Asian", "Black", "Other", "Unknown", "BME", "Known", "Total"]
COMMON_BANDS = ["under £30k", "£30k-£39,999", "£40k-£49,999", "£50k-£59,999", "£60k-£69,999", "£70k+"]
NATIONAL_BANDS = ["under £30k", "£30k-£69,999", "£70k+"]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("figures")
    hr = home / "landing" / "council_hr"
    hr.mkdir(parents=True)
    a_staff = [_staff_row(f"W{i}", "WBRI", "case_holder") for i in range(1, 13)]
    a_staff += [_staff_row(f"B{i}", "BAFR", "case_holder", service="adults") for i in range(1, 11)]
    a_staff += [_staff_row(f"O{i}", "AIND", "case_holder", service="other") for i in range(1, 4)]
    b_staff = [_staff_row(f"BW{i}", "WBRI", "first_line_manager") for i in range(1, 11)]
    asye = [
        {
            "employee_id": e,
            "programme": "children",
            "registration_date": "2024-01-10",
            "outcome": "passed",
            "outcome_date": "2024-09-01",
        }
        for e in ("W1", "W2")
    ]
    (hr / f"hr_{A}_{P}_staff.csv").write_bytes(to_csv(a_staff, STAFF_COLUMNS))
    (hr / f"hr_{A}_{P}_asye.csv").write_bytes(to_csv(asye))
    (hr / f"hr_{B}_{P}_staff.csv").write_bytes(to_csv(b_staff, STAFF_COLUMNS))
    os.environ["WORKFORCE_PSEUDONYMISATION_KEY"] = "test-only-key-" + "x" * 40
    summary = ingest(load_settings(home), today=dt.date(2025, 1, 1), progress=lambda m: None)
    assert not summary.of("rejected"), [o.message for o in summary.of("rejected")]
    res = dbt_build(home)
    assert res.returncode == 0, res.stdout[-4000:]
    return home


def test_service_all_includes_service_other(home):
    rows = {
        (r["service"], r["ethnic_group"]): r["headcount"]
        for r in query_dicts(
            home,
            """select service, ethnic_group, headcount from marts.representation_by_seniority
               where geography_code = ? and source = 'council_hr' and seniority_level = 'case_holder'""",
            [A],
        )
    }
    # all = 12 White (children) + 10 Black (adults) + 3 Asian (other)
    assert (rows[("all", "Asian")], rows[("all", "Total")]) == (3, 25)
    assert (rows[("children", "Total")], rows[("adults", "Total")], rows[("children", "Asian")]) == (
        12,
        10,
        0,
    )
    # wres_metrics already counted 'other' in 'all': metric 8's workforce is the same 25 people
    m8 = query_dicts(
        home,
        """select white_denominator, group_denominator from marts.wres_metrics where geography_code = ?
           and metric = '8' and service = 'all' and comparison_group = 'BME'""",
        [A],
    )
    assert m8 == [{"white_denominator": 12, "group_denominator": 13}]


def test_every_seniority_level_service_and_group_has_a_row(home):
    rows = query_dicts(
        home,
        """select service, seniority_level, ethnic_group, headcount, pct_of_known from marts.representation_by_seniority
           where geography_level = 'Local authority' and geography_code = ? and source = 'council_hr'""",
        [A],
    )
    keys = {(r["service"], r["seniority_level"], r["ethnic_group"]) for r in rows}
    assert len(rows) == len(keys) == 3 * 4 * 9
    managers = [r for r in rows if r["seniority_level"] == "manager"]
    assert len(managers) == 27 and all(r["headcount"] == 0 for r in managers)
    # nobody known among managers: shares are NULL, never 0 of 0
    assert all(r["pct_of_known"] is None for r in managers)


def test_pooled_metric1_covers_every_council_in_every_band(home):
    rows = query_dicts(
        home,
        """select breakdown_type, breakdown, comparison_group, councils_included, group_numerator,
                  white_numerator, group_denominator, workforce_share, status
           from marts.wres_metrics where geography_level = 'Alliance' and metric = '1' and service = 'all'""",
    )
    by = {(r["breakdown_type"], r["breakdown"], r["comparison_group"]): r for r in rows}
    assert {b for t, b, _ in by if t == "salary_band"} == set(COMMON_BANDS)
    assert {b for t, b, _ in by if t == "national_band"} == set(NATIONAL_BANDS)
    assert not [k for k in by if k[0] == "pay_band"]  # council pay bands do not pool
    assert {r["councils_included"] for r in rows} == {2}
    # known staff in post: A 12 White + 10 Black + 3 Asian, B 10 White = 35; Black 10 of 35 in every band
    black = [r for k, r in by.items() if k[2] == "Black"]
    assert {round(r["workforce_share"], 9) for r in black} == {round(100 * 10 / 35, 9)}
    r = by[("salary_band", "£40k-£49,999", "Black")]
    assert (r["group_numerator"], r["white_numerator"], r["group_denominator"]) == (10, 12, 25)
    r = by[("salary_band", "£50k-£59,999", "Black")]
    assert (r["group_numerator"], r["white_numerator"], r["group_denominator"]) == (0, 10, 10)
    r = by[("salary_band", "under £30k", "Black")]
    assert (r["group_numerator"], r["group_denominator"], r["status"]) == (0, 0, "too_few")
    r = by[("national_band", "£30k-£69,999", "Black")]
    assert (r["group_numerator"], r["white_numerator"], r["group_denominator"]) == (10, 22, 35)
    # council rows: A has every common band too, zeros included, and its own pay band
    a = query_dicts(
        home,
        """select breakdown_type, breakdown from marts.wres_metrics where geography_code = ? and metric = '1'
           and service = 'children' and comparison_group = 'BME'""",
        [A],
    )
    assert sorted(r["breakdown"] for r in a if r["breakdown_type"] == "salary_band") == sorted(COMMON_BANDS)
    assert [r["breakdown"] for r in a if r["breakdown_type"] == "pay_band"] == ["PO3"]


def test_not_submitted_rows_have_null_denominators(home):
    rows = query_dicts(
        home,
        """select metric, service, group_numerator, group_denominator, white_numerator, white_denominator, status,
                  unknown_share, group_rate
           from marts.wres_metrics where geography_code = ? and metric in ('2', '3', '4', '5', '6', '7', '7a', '7b')""",
        [B],
    )
    assert len(rows) == (5 + 3 * 3) * 5
    for r in rows:
        assert r["status"] == "not_submitted"
        assert (
            r["group_numerator"],
            r["group_denominator"],
            r["white_numerator"],
            r["white_denominator"],
        ) == (
            None,
            None,
            None,
            None,
        )
        assert r["unknown_share"] is None and r["group_rate"] is None


def test_asye_grid_and_not_submitted_on_every_row(home):
    a = query_dicts(
        home,
        """select programme, ethnic_group, registered, passed, status from marts.asye_outcomes
           where geography_code = ?""",
        [A],
    )
    assert len(a) == 3 * 9
    got = {(r["programme"], r["ethnic_group"]): r for r in a}
    assert all(got[("adults", g)]["registered"] == 0 for g in GROUPS)  # a programme with nobody: zeros
    assert (got[("children", "White")]["passed"], got[("all", "White")]["passed"]) == (2, 2)
    assert got[("children", "White")]["status"] is None and got[("children", "Black")]["status"] == "too_few"
    b = query_dicts(
        home,
        "select programme, ethnic_group, registered, status from marts.asye_outcomes where geography_code = ?",
        [B],
    )
    assert len(b) == 27
    assert all(
        r["status"] == "not_submitted" and r["registered"] is None for r in b
    )  # White, Known, Total too
    pooled = query_dicts(
        home, "select distinct councils_included from marts.asye_outcomes where geography_level = 'Alliance'"
    )
    assert pooled == [{"councils_included": 1}]  # only A sent its asye dataset


def test_one_period_label_everywhere(home):
    labels = set()
    for table in (
        "representation_by_seniority",
        "wres_metrics",
        "asye_outcomes",
        "workforce_flows",
        "submissions",
    ):
        labels |= {
            r["period_label"]
            for r in query_dicts(
                home, f"select distinct period_label from marts.{table} where period_end = date '{P}'"
            )
        }
    log = query_dicts(home, "select distinct period_label from raw.load_log where period_end = ?", [P])
    assert labels == {"2024"} and log == [{"period_label": "2024"}]
