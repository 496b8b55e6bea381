"""Issue 17 on a small hand-made landing whose answers are worked out below: the ethnicity pay gap, pay
quartiles, progression and movement, year-on-year change and statistical neighbours (metrics.md).

Council A (E09000002, Barking and Dagenham, London), two HR extracts, period ends 2024-03-31 (P1) and
2025-03-31 (P2); every staff row is children's service and started 2020-01-01 unless said.
  P1 staff: W1..W10 White (WBRI) and B1..B10 Black African (BAFR) case holders; LB1 Black case holder;
            N1 White non_qualified (adults). All in post at P1.
  P2 staff: the same people; W1, W2 and B1 are now senior practitioners (promoted); LB1 left on
            2024-09-30 (destination another_la); N1 still in post. FTE salaries at P2:
              White  W1..W10: 30,000 32,000 34,000 36,000 38,000 40,000 42,000 44,000 46,000 48,000
                     mean 39,000, median (38,000 + 40,000) / 2 = 39,000
              Black  B1..B10: 30,000 x4, 32,000 x2, 34,000 36,000 38,000 40,000
                     sum 332,000, mean 33,200, median (32,000 + 32,000) / 2 = 32,000
              N1 (White, non_qualified, adults): 39,000
            mean gap (39,000 - 33,200) / 39,000 = 14.8718%; median gap 7,000 / 39,000 = 17.9487%.
            Children's quartiles (20 people, 5 each): Q1 the five 30,000s (W1, B1..B4); Q2 32,000 x3
            (W2, B5, B6) and 34,000 x2 (W3, B7); Q3 36,000 (W4, B8), 38,000 (W5, B9) and one of the two
            40,000s (W6, B10): the one whose pseudonymised key sorts first; Q4 the other and 42,000..48,000.
  recruitment, both periods: 40 White shortlisted, 20 appointed; 30 Black African shortlisted, 12 appointed
            at P1 (RL 0.8, SE sqrt(1/12 - 1/30 + 1/20 - 1/40) = 0.2739) and 6 at P2 (RL 0.4, SE 0.3979).
            Year on year: change ratio 0.5, z = ln 2 / sqrt(0.3979^2 + 0.2739^2) = 1.435 < 1.96: no
            significant change.
  Progression (P2): White cohort 10 (W1..W10), 2 promoted (20%); Black cohort 10 (B1..B10; LB1 left),
            1 promoted (10%): RL 0.5; status ok (SE sqrt(1/1 - 1/10 + 1/2 - 1/10) = 1.1402).
Council B (E09000005, Brent, London), P2 only: BW1..BW10 White case holders at 60,000; BB1..BB3 Black
  African case holders at 50,000; MV1 Black African case holder with LB1's SWE number, started 2024-10-01,
  no salary (so LB1 moved within the alliance). B's agency return for 2025-Q1 holds LW1 (White, in post at
  A's P1, left A on 2024-12-15 stating "agency"), placed from 2025-01-06: to_agency_observed.
  B alone: Black 3 people: too_few. Pooled children's White over A and B (20 people): median
  (48,000 + 60,000) / 2 = 54,000, not the average of the councils' medians (39,000 + 60,000) / 2 = 49,500;
  pooled Black (13): median 34,000; pooled median gap (54,000 - 34,000) / 54,000 = 37.037%.
DfE published headline measures (landing/dfe_census): the real 2022 rows of the DfE's 2017-2022 file for
  Barking and Dagenham (301) and its ten statistical neighbours (308 Enfield, 821 Luton, 313 Hounslow,
  333 Sandwell, 336 Wolverhampton, 307 Ealing, 304 Brent, 312 Hillingdon, 874 Peterborough, 203 Greenwich).
  Their turnover rates (FTE, %): 18.1, 16.1, 27.2, 28, 9.6, 13.5, 21, 22.5, 33, 22.7; sorted 9.6 13.5 16.1
  18.1 21 | 22.5 22.7 27.2 28 33: median (21 + 22.5) / 2 = 21.75, ten used (Barking and Dagenham's own 24.3
  is not among them).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from conftest import dbt_build, query_dicts
from handmade import AGENCY_COLUMNS, STAFF_COLUMNS, _staff_row, to_csv

from workforce_warehouse.config import load_settings
from workforce_warehouse.ingest import ingest

A, B = "E09000002", "E09000005"
P1, P2 = "2024-03-31", "2025-03-31"
NEIGHBOURS_301 = ["308", "821", "313", "333", "336", "307", "304", "312", "874", "203"]
WHITE_PAY = [30000, 32000, 34000, 36000, 38000, 40000, 42000, 44000, 46000, 48000]
BLACK_PAY = [30000, 30000, 30000, 30000, 32000, 32000, 34000, 36000, 38000, 40000]


def _row(emp, eth, role, salary=None, **kw):
    r = _staff_row(emp, eth, role, **kw)
    r["Annual FTE Salary"] = "" if salary is None else str(salary)
    return r


def _recruitment(black_appointed: int, closing: str) -> list[dict]:
    rows = []
    for i in range(40):
        rows.append(("WBRI", "Y", "Y" if i < 20 else "N"))
    for i in range(30):
        rows.append(("BAFR", "Y", "Y" if i < black_appointed else "N"))
    return [
        {
            "vacancy_id": f"V{n % 5}",
            "applicant_id": f"APP{n:03d}",
            "ethnicity": eth,
            "role": "case_holder",
            "closing_date": closing,
            "shortlisted": s,
            "appointed": a,
        }
        for n, (eth, s, a) in enumerate(rows)
    ]


def a_staff(period: str) -> list[dict]:
    p2 = period == P2
    promoted = {"W1", "W2", "B1"} if p2 else set()
    rows = []
    for i, pay in enumerate(WHITE_PAY, start=1):
        emp = f"W{i}"
        rows.append(_row(emp, "WBRI", "senior_practitioner" if emp in promoted else "case_holder", pay))
    for i, pay in enumerate(BLACK_PAY, start=1):
        emp = f"B{i}"
        rows.append(_row(emp, "BAFR", "senior_practitioner" if emp in promoted else "case_holder", pay))
    rows.append(_row("N1", "WBRI", "non_qualified", 39000, service="adults"))
    leaver = dict(end="30/09/2024", reason="resignation") if p2 else {}
    lb1 = _row("LB1", "BAFR", "case_holder", 35000, swe="SW 55501", **leaver)
    if p2:
        lb1["Destination"] = "another_la"
    rows.append(lb1)
    left = dict(end="15/12/2024", reason="resignation") if p2 else {}
    lw1 = _row("LW1", "WBRI", "case_holder", 36000, swe="SW0000066601", **left)
    if p2:
        lw1["Destination"] = "agency"
    rows.append(lw1)
    return rows


AGENCY_HEAD = AGENCY_COLUMNS[:12]


def b_agency() -> list[dict]:
    """B's agency return for 2025-Q1: LW1 (who left A on 2024-12-15) placed by an agency from 2025-01-06."""
    return [
        dict(
            engagement_id="E1",
            swe_registration_number="SW 66601",
            service="children",
            role="case_holder",
            engagement_type="individual_locum",
            agency_name="Example Agency",
            start_date="2025-01-06",
            end_date="",
            hours_in_quarter="100",
            fte="1",
            charge_rate_per_hour="50.00",
            post_qualified_la_years="5",
        )
    ]


def b_staff() -> list[dict]:
    rows = [_row(f"BW{i}", "WBRI", "case_holder", 60000) for i in range(1, 11)]
    rows += [_row(f"BB{i}", "BAFR", "case_holder", 50000) for i in range(1, 4)]
    mv = _row("MV1", "BAFR", "case_holder", None, swe="SW0000055501")
    mv["Start Date"] = "01/10/2024"
    rows.append(mv)
    return rows


def dfe_rows() -> bytes:
    """The real DfE 2022 headline rows of Barking and Dagenham and its ten neighbours (file layout as published)."""
    text = (Path(__file__).parent / "data" / "dfe_headline_2022_301_neighbours.csv").read_text(
        encoding="utf-8-sig"
    )
    return text.encode()


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("pay_progression")
    hr = home / "landing" / "council_hr"
    hr.mkdir(parents=True)
    cols = STAFF_COLUMNS + ["Destination"]
    (hr / f"hr_{A}_{P1}_staff.csv").write_bytes(to_csv(a_staff(P1), cols))
    (hr / f"hr_{A}_{P2}_staff.csv").write_bytes(to_csv(a_staff(P2), cols))
    (hr / f"hr_{A}_{P1}_recruitment.csv").write_bytes(to_csv(_recruitment(12, "2023-10-01")))
    (hr / f"hr_{A}_{P2}_recruitment.csv").write_bytes(to_csv(_recruitment(6, "2024-10-01")))
    (hr / f"hr_{B}_{P2}_staff.csv").write_bytes(to_csv(b_staff(), cols))
    ag = home / "landing" / "agency_use"
    ag.mkdir(parents=True)
    (ag / f"agency_{B}_2025-Q1.csv").write_bytes(to_csv(b_agency(), AGENCY_HEAD))
    dfe = home / "landing" / "dfe_census"
    dfe.mkdir(parents=True)
    (dfe / "csww_headline_measures_2022_neighbours_of_301.csv").write_bytes(dfe_rows())
    os.environ["WORKFORCE_PSEUDONYMISATION_KEY"] = "test-only-key-" + "x" * 40
    summary = ingest(load_settings(home), today=dt.date(2025, 6, 1), progress=lambda m: None)
    assert not summary.of("rejected"), [o.message for o in summary.of("rejected")]
    res = dbt_build(home)
    assert res.returncode == 0, res.stdout[-4000:]
    return home


def _gap(home, level, code, service, seniority="all", group="Black", sex="all"):
    rows = query_dicts(
        home,
        """select * from marts.pay_gap where geography_level = ? and geography_code = ? and period_end = ?
           and source = 'council_hr' and service = ? and seniority_level = ? and sex = ? and comparison_group = ?""",
        [level, code, dt.date(2025, 3, 31), service, seniority, sex, group],
    )
    assert len(rows) == 1, rows
    return rows[0]


def test_mean_and_median_pay_gap(home):
    r = _gap(home, "Local authority", A, "children")
    assert (r["group_headcount"], r["white_headcount"], r["status"]) == (10, 10, "ok")
    assert (float(r["white_mean_salary"]), float(r["group_mean_salary"])) == (39000.0, 33200.0)
    assert (float(r["white_median_salary"]), float(r["group_median_salary"])) == (39000.0, 32000.0)
    assert r["mean_gap_pct"] == pytest.approx(100 * 5800 / 39000)  # 14.87%
    assert r["median_gap_pct"] == pytest.approx(100 * 7000 / 39000)  # 17.95%
    # BME is the same ten people here
    assert _gap(home, "Local authority", A, "children", group="BME")["median_gap_pct"] == pytest.approx(
        100 * 7000 / 39000
    )


def test_seniority_all_includes_non_qualified_staff(home):
    # service all: N1 (White, non_qualified, 39,000) counts in level 'all' but in no seniority level
    r = _gap(home, "Local authority", A, "all")
    assert r["white_headcount"] == 11
    assert (float(r["white_mean_salary"]), float(r["white_median_salary"])) == (39000.0, 39000.0)
    levels = query_dicts(
        home,
        """select seniority_level, white_headcount from marts.pay_gap where geography_code = ? and period_end = ?
           and source = 'council_hr' and service = 'all' and sex = 'all' and comparison_group = 'Black'""",
        [A, dt.date(2025, 3, 31)],
    )
    by = {r["seniority_level"]: r["white_headcount"] for r in levels}
    assert by == {"case_holder": 8, "senior_practitioner": 2, "manager": 0, "all": 11}


def test_too_few_under_ten(home):
    r = _gap(home, "Local authority", B, "children")
    assert (r["group_headcount"], r["white_headcount"], r["status"]) == (3, 10, "too_few")
    assert r["mean_gap_pct"] is None and r["median_gap_pct"] is None
    assert float(r["group_median_salary"]) == 50000.0  # figures still in the analysts' warehouse


def test_pooled_median_is_over_pooled_people(home):
    r = _gap(home, "Alliance", "all", "children")
    assert r["councils_included"] == 2
    assert (r["white_headcount"], r["group_headcount"]) == (20, 13)
    assert float(r["white_median_salary"]) == 54000.0  # not (39,000 + 60,000) / 2 = 49,500
    assert float(r["group_median_salary"]) == 34000.0
    assert r["median_gap_pct"] == pytest.approx(100 * 20000 / 54000)
    region = _gap(home, "Region", "E12000007", "children")
    assert float(region["white_median_salary"]) == 54000.0


def test_quartiles_split_ties_by_person_key(home):
    rows = query_dicts(
        home,
        """select quartile, ethnic_group, headcount, pct_of_known from marts.pay_quartiles
           where geography_code = ? and period_end = ? and source = 'council_hr' and service = 'children'""",
        [A, dt.date(2025, 3, 31)],
    )
    assert len(rows) == 4 * 9
    by = {(r["quartile"], r["ethnic_group"]): r for r in rows}
    assert [by[(q, "Total")]["headcount"] for q in (1, 2, 3, 4)] == [5, 5, 5, 5]
    assert (by[(1, "Black")]["headcount"], by[(1, "White")]["headcount"]) == (4, 1)
    assert (by[(2, "Black")]["headcount"], by[(2, "White")]["headcount"]) == (3, 2)
    # the two people paid 40,000 (W6 White, B10 Black) straddle Q3/Q4: the smaller key goes to Q3
    keys = query_dicts(
        home,
        """select ethnic_group, employee_key from intermediate.int_staff_classified where la_code = ?
           and period_end = ? and annual_fte_salary = 40000 and service = 'children'""",
        [A, dt.date(2025, 3, 31)],
    )
    first = min(keys, key=lambda k: k["employee_key"])["ethnic_group"]
    black_q3 = 3 if first == "Black" else 2
    assert by[(3, "Black")]["headcount"] == black_q3
    assert by[(4, "Black")]["headcount"] == (0 if first == "Black" else 1)
    assert by[(3, "Black")]["pct_of_known"] == pytest.approx(100 * black_q3 / 5)


def test_publish_suppresses_a_mean_or_median_of_few_people_with_its_count(home):
    import duckdb

    from workforce_warehouse import suppression

    con = duckdb.connect(str(home / "warehouse" / "warehouse.duckdb"), read_only=True)
    try:
        df = con.execute("select * from marts.pay_gap").df()
    finally:
        con.close()
    out = suppression.apply("pay_gap", df, 5)
    r = out[
        (out.geography_code == B)
        & (out.service == "children")
        & (out.seniority_level == "all")
        & (out.sex == "all")
        & (out.comparison_group == "Black")
    ].iloc[0]
    # B's three Black staff: the count, their mean and median are hidden; White's ten stay
    assert bool(r["suppressed"]) and r.isna()["group_headcount"] and r.isna()["group_median_salary"]
    assert r.isna()["group_mean_salary"] and float(r["white_median_salary"]) == 60000.0


def test_progression_ratio_and_movement(home):
    rows = query_dicts(
        home,
        """select * from marts.progression where geography_level = 'Local authority' and geography_code = ?
           and period_end = ? and service = 'children'""",
        [A, dt.date(2025, 3, 31)],
    )
    by = {r["comparison_group"]: r for r in rows}
    assert len(rows) == 9
    black = by["Black"]
    # White 2 of 10 promoted (20%), Black 1 of 10 (10%): RL 0.5, SE sqrt(1/1 - 1/10 + 1/2 - 1/10) = 1.1402
    assert (black["cohort"], black["promoted"], black["white_cohort"], black["white_promoted"]) == (
        10,
        1,
        10,
        2,
    )
    assert black["relative_likelihood"] == pytest.approx(0.5)
    assert black["ci_lower"] == pytest.approx(0.5 * 2.718281828459045 ** (-1.96 * 1.3**0.5))
    assert (black["status"], black["significant"], black["band"]) == ("ok", False, "less likely")
    # LB1 left (stated: another_la) and is found in post at B's extract after leaving
    assert (black["leavers"], black["moved_within_alliance"], black["stated_to_another_la"]) == (1, 1, 1)
    assert black["to_agency_observed"] == 0
    # LW1 left (stated: agency) and is found in B's agency return three weeks later
    white = by["White"]
    assert (white["leavers"], white["to_agency_observed"], white["stated_to_agency"]) == (1, 1, 1)
    assert (white["moved_within_alliance"], white["stated_to_another_la"]) == (0, 0)
    assert (
        by["Total"]["leavers"],
        by["Total"]["to_agency_observed"],
        by["Total"]["moved_within_alliance"],
    ) == (
        2,
        1,
        1,
    )
    # one pair of extracts only: no year before, so no year-on-year change
    assert black["previous_relative_likelihood"] is None and black["direction"] is None


def test_year_on_year_change_of_a_relative_likelihood(home):
    rows = query_dicts(
        home,
        """select period_end, relative_likelihood, previous_relative_likelihood, change_ratio, change_significant,
                  direction from marts.wres_metrics where geography_level = 'Local authority' and geography_code = ?
           and metric = '2' and service = 'all' and comparison_group = 'Black' order by period_end""",
        [A],
    )
    last, this = rows
    assert last["relative_likelihood"] == pytest.approx(0.8) and last["previous_relative_likelihood"] is None
    assert this["relative_likelihood"] == pytest.approx(0.4)
    assert this["previous_relative_likelihood"] == pytest.approx(0.8)
    # z = ln 2 / sqrt(0.3979^2 + 0.2739^2) = 1.435 < 1.96
    assert this["change_ratio"] == pytest.approx(0.5)
    assert (this["change_significant"], this["direction"]) == (False, "no significant change")


def test_publish_suppresses_small_progression_counts(home):
    import duckdb

    from workforce_warehouse import suppression

    con = duckdb.connect(str(home / "warehouse" / "warehouse.duckdb"), read_only=True)
    try:
        df = con.execute("select * from marts.progression").df()
    finally:
        con.close()
    out = suppression.apply("progression", df, 5)
    r = out[(out.geography_code == A) & (out.service == "children") & (out.comparison_group == "Black")].iloc[
        0
    ]
    # 1 promoted of 10: the count, the rate, the ratio and its CI are hidden; the cohort of 10 stays
    assert bool(r["suppressed"]) and r.isna()["promoted"] and r.isna()["promotion_rate"]
    assert r.isna()["relative_likelihood"] and r.isna()["ci_upper"] and r["cohort"] == 10


def test_statistical_neighbours_median(home):
    rows = query_dicts(
        home,
        """select geography_name, la_code, source, turnover_rate_fte, turnover_rate_fte_note, neighbours_used,
                  councils_included
           from marts.workforce_flows where geography_level = 'Statistical neighbours' and geography_code = ?
           and period_end = ?""",
        [A, dt.date(2022, 9, 30)],
    )
    assert len(rows) == 1, rows
    r = rows[0]
    assert (r["geography_name"], r["la_code"], r["source"]) == (
        "Statistical neighbours of Barking and Dagenham",
        A,
        "dfe_published",
    )
    assert r["turnover_rate_fte"] == pytest.approx(21.75)
    assert (r["turnover_rate_fte_note"], r["neighbours_used"]) == (None, 10)
    # only Barking and Dagenham has all ten of its neighbours in this file: no other council gets a row
    others = query_dicts(
        home,
        """select geography_code, neighbours_used from marts.workforce_flows
           where geography_level = 'Statistical neighbours' and geography_code <> ?""",
        [A],
    )
    assert all(o["neighbours_used"] < 10 for o in others)
