"""Mart values on the hand-made fixture (tests/pytest/handmade.py), checked against hand-worked answers.

Relative likelihoods: RL = (a/n1)/(c/n2); SE = sqrt(1/a - 1/n1 + 1/c - 1/n2); CI = exp(ln RL +/- 1.96 SE).
"""

from __future__ import annotations

import os

import pytest
from conftest import dbt_build, query, query_dicts
from handmade import A, B, write_landing

from workforce_warehouse.config import load_settings
from workforce_warehouse.ingest import ingest

P = "2024-03-31"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("handmade")
    write_landing(home / "landing")
    os.environ["WORKFORCE_PSEUDONYMISATION_KEY"] = "test-only-key-" + "x" * 40
    summary = ingest(load_settings(home), progress=lambda m: None)
    assert not summary.of("rejected"), [o.message for o in summary.of("rejected")]
    res = dbt_build(home)
    assert res.returncode == 0, res.stdout[-4000:]
    return home


def wres(home, geo, metric, group, service="all", breakdown="all"):
    rows = query_dicts(
        home,
        """select * from marts.wres_metrics where geography_code = ? and metric = ?
                                and comparison_group = ? and service = ? and breakdown = ? and period_end = ?""",
        [geo, metric, group, service, breakdown, P],
    )
    assert len(rows) == 1, rows
    return rows[0]


def test_metric2_matches_the_worked_example(home):
    r = wres(home, A, "2", "BME")
    # 30 BME shortlisted, 6 appointed (20%); 40 White shortlisted, 20 appointed (50%)
    assert (r["group_numerator"], r["group_denominator"], r["white_numerator"], r["white_denominator"]) == (
        6,
        30,
        20,
        40,
    )
    assert r["group_rate"] == pytest.approx(20.0)
    assert r["white_rate"] == pytest.approx(50.0)
    assert r["relative_likelihood"] == pytest.approx(0.4, abs=1e-4)
    # SE = sqrt(1/6 - 1/30 + 1/20 - 1/40) = 0.3979; CI = exp(ln 0.4 -/+ 0.7799)
    assert r["ci_lower"] == pytest.approx(0.1834, abs=1e-4)
    assert r["ci_upper"] == pytest.approx(0.8725, abs=1e-4)
    assert r["band"] == "less likely" and r["significant"] is True and r["status"] == "ok"
    assert r["relative_likelihood_nhs_direction"] == pytest.approx(2.5, abs=1e-4)
    # 5 of 75 shortlisted applicants did not state an ethnicity
    assert r["unknown_share"] == pytest.approx(100 * 5 / 75, abs=1e-4)


def test_leaver_on_the_period_end_counts_as_leaver_not_in_post(home):
    r = wres(home, A, "8", "BME")
    # workforce: White 32+18+L1+N1 = 52 with 1 leaver (L1 on 2024-03-31); BME B1-8, BM1-2, L2, L3 = 12 with 2 leavers
    assert (r["group_numerator"], r["group_denominator"], r["white_numerator"], r["white_denominator"]) == (
        2,
        12,
        1,
        52,
    )
    assert r["relative_likelihood"] == pytest.approx(8.6667, abs=1e-4)  # (2/12)/(1/52)
    assert r["ci_lower"] == pytest.approx(0.8543, abs=1e-4)
    assert r["ci_upper"] == pytest.approx(87.9231, abs=1e-4)
    assert r["significant"] is False
    black = wres(home, A, "8", "Black")
    assert (black["group_numerator"], black["group_denominator"]) == (1, 11)
    assert black["relative_likelihood"] == pytest.approx(4.7273, abs=1e-4)
    asian = wres(home, A, "8", "Asian")
    assert (asian["group_numerator"], asian["group_denominator"]) == (1, 1)
    assert asian["status"] == "too_few" and asian["relative_likelihood"] is None
    assert asian["group_rate"] == pytest.approx(100.0)  # rates are still published
    # three Unknown of 67 people in the workforce
    assert r["unknown_share"] == pytest.approx(100 * 3 / 67, abs=1e-4)


def test_two_disciplinary_cases_count_one_person_and_grievances_do_not_count(home):
    r = wres(home, A, "3", "BME")
    assert (r["group_numerator"], r["group_denominator"], r["white_numerator"], r["white_denominator"]) == (
        1,
        12,
        1,
        52,
    )
    assert r["relative_likelihood"] == pytest.approx(4.3333, abs=1e-4)
    assert r["ci_lower"] == pytest.approx(0.2913, abs=1e-4)
    assert r["ci_upper"] == pytest.approx(64.4692, abs=1e-4)


def test_mandatory_and_unfunded_cpd_not_counted(home):
    r = wres(home, A, "5", "BME")
    assert (r["group_numerator"], r["white_numerator"]) == (1, 1)
    assert r["relative_likelihood_nhs_direction"] == pytest.approx(1 / 4.3333, abs=1e-4)


def test_survey_blanks_are_excluded_and_response_rate(home):
    r = wres(home, A, "6", "Black")
    # Black: 11 answered (one blank), 5 Y; White: 10 answered, 2 Y
    assert (r["group_numerator"], r["group_denominator"], r["white_numerator"], r["white_denominator"]) == (
        5,
        11,
        2,
        10,
    )
    assert r["relative_likelihood"] == pytest.approx(2.2727, abs=1e-4)
    assert r["ci_lower"] == pytest.approx(0.5613, abs=1e-4)
    assert r["ci_upper"] == pytest.approx(9.2023, abs=1e-4)
    # 22 respondents / 64 in post at the period end (43 case holders + 20 managers + N1)
    assert r["response_rate"] == pytest.approx(100 * 22 / 64, abs=1e-4)
    no_events = wres(home, A, "7", "Black")
    assert no_events["status"] == "no_events" and no_events["relative_likelihood"] is None
    assert no_events["group_rate"] == pytest.approx(0.0)


def test_dataset_not_sent_is_not_submitted_never_zero(home):
    r = wres(home, B, "3", "BME")
    assert r["status"] == "not_submitted"
    assert r["group_numerator"] is None and r["white_numerator"] is None and r["relative_likelihood"] is None
    a = query_dicts(
        home,
        "select status, failed from marts.asye_outcomes where geography_code = ? and period_end = ? "
        "and programme = 'children' and ethnic_group = 'BME'",
        [A, P],
    )
    assert a == [{"status": "not_submitted", "failed": None}]


def test_pooled_rows_sum_before_dividing(home):
    r = query_dicts(
        home,
        """select * from marts.wres_metrics where geography_level = 'Alliance' and metric = '8'
                             and comparison_group = 'BME' and service = 'all' and period_end = ?""",
        [P],
    )[0]
    # A: BME 2/12, White 1/52; B: BME 0/12, White 0/12 -> pooled BME 2/24, White 1/64
    assert (r["group_numerator"], r["group_denominator"], r["white_numerator"], r["white_denominator"]) == (
        2,
        24,
        1,
        64,
    )
    assert r["relative_likelihood"] == pytest.approx(5.3333, abs=1e-4)
    assert r["councils_included"] == 2
    region = query_dicts(
        home,
        """select councils_included, geography_code from marts.wres_metrics
                                  where geography_level = 'Region' and metric = '3' and comparison_group = 'BME'
                                  and service = 'all'""",
    )
    # only A sent casework: the London pool of metric 3 holds one council
    assert region == [{"councils_included": 1, "geography_code": "E12000007"}]


def test_representation_progression_ratio_worked_example(home):
    rows = {
        (r["seniority_level"], r["ethnic_group"]): r
        for r in query_dicts(
            home,
            """select * from marts.representation_by_seniority where geography_code = ? and period_end = ?
                 and source = 'council_hr' and service = 'children'""",
            [A, P],
        )
    }
    assert rows[("case_holder", "Known")]["headcount"] == 40
    assert rows[("case_holder", "Unknown")]["headcount"] == 3
    assert rows[("case_holder", "Black")]["pct_of_known"] == pytest.approx(20.0)
    assert rows[("manager", "Black")]["pct_of_known"] == pytest.approx(10.0)
    assert rows[("manager", "Black")]["progression_ratio"] == pytest.approx(0.5)
    assert rows[("all", "Total")]["headcount"] == 63
    assert rows[("case_holder", "Asian")]["headcount"] == 0  # L3 left: zero, not missing
    white = sum(rows[(lvl, "White")]["pct_of_known"] for lvl in ["case_holder"]) + sum(
        rows[("case_holder", g)]["pct_of_known"] for g in ["Mixed", "Asian", "Black", "Other"]
    )
    assert white == pytest.approx(100.0)


def test_asye_fail_rate_and_relative_likelihood(home):
    rows = {
        r["ethnic_group"]: r
        for r in query_dicts(
            home,
            "select * from marts.asye_outcomes where geography_code = ? and period_end = ? and programme = 'children'",
            [B, P],
        )
    }
    assert (rows["Black"]["registered"], rows["Black"]["passed"], rows["Black"]["failed"]) == (12, 8, 4)
    assert rows["Black"]["fail_rate"] == pytest.approx(100 * 4 / 12, abs=1e-4)
    assert rows["White"]["fail_rate"] == pytest.approx(100 * 1 / 12, abs=1e-4)
    assert rows["Black"]["relative_likelihood_fail"] == pytest.approx(4.0, abs=1e-4)
    assert rows["Black"]["ci_lower"] == pytest.approx(0.5201, abs=1e-4)
    assert rows["Black"]["ci_upper"] == pytest.approx(30.7634, abs=1e-4)
    assert rows["Black"]["share_of_fails"] == pytest.approx(80.0)
    assert rows["Black"]["share_of_registrants"] == pytest.approx(50.0)
    assert rows["White"]["relative_likelihood_fail"] is None


def test_workforce_flows_children_social_workers(home):
    r = query_dicts(
        home,
        """select * from marts.workforce_flows where geography_code = ? and period_end = ?
                             and source = 'council_hr'""",
        [A, P],
    )[0]
    # in post: 43 case holders + 20 managers; leavers L1, L2, L3 (N1 is adults and non-qualified)
    assert (r["inpost_headcount"], r["leavers_headcount"], r["starters_headcount"]) == (63, 3, 0)
    assert r["inpost_fte"] == pytest.approx(63.0)
    assert r["turnover_rate_fte"] == pytest.approx(100 * 3 / 63, abs=1e-4)
    assert r["vacancy_fte"] is None and r["vacancy_fte_note"] == "z"
    assert r["cases_note"] == "z"


def test_metric9_too_few_senior_managers(home):
    r = wres(home, A, "9", "BME")
    assert r["group_denominator"] == 0 and r["status"] == "too_few" and r["relative_likelihood"] is None
    assert r["population_share"] is not None and 0 < r["population_share"] < 100


def test_no_personal_data_in_the_warehouse(home):
    from handmade import RAW_SWE, SECRET_DOB, SECRET_NAME, SECRET_SURNAME

    data = (home / "warehouse" / "warehouse.duckdb").read_bytes()
    for secret in (
        SECRET_NAME,
        SECRET_SURNAME,
        SECRET_DOB,
        "1981-02-03",
        "SW0000077001",
        "77001",
        "W17",
        "APP001",
    ):
        assert secret.encode() not in data, secret
    assert RAW_SWE.encode() not in data
    dropped = query(
        home, "select dropped_columns from raw.load_log where dataset = 'staff' and la_code = ?", [A]
    )
    assert dropped == [("date_of_birth, forename, surname",)]
