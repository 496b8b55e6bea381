"""Each Great Expectations suite passes on good data and fails on a known-bad row; the DfE's published rates
are reproduced from their own counts."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import great_expectations.expectations as gxe
import pytest
from conftest import dbt_build
from handmade import A, write_landing

from expectations.suites import CHECKS, Check
from workforce_warehouse import quality
from workforce_warehouse.config import REFERENCE_DIR, load_settings
from workforce_warehouse.ingest import ingest
from workforce_warehouse.quality import run_gx_checks

# One corruption per check, each of a kind ingestion would never let through.
BAD = {
    "raw_rows_match_load_log": "delete from raw.hr_staff where rowid = (select min(rowid) from raw.hr_staff)",
    "raw_staff_required_complete": "update raw.hr_staff set role = null where rowid = (select min(rowid) from raw.hr_staff)",
    "raw_agency_required_complete": "update raw.agency_engagement set charge_rate_per_hour = null where rowid = (select min(rowid) from raw.agency_engagement)",
    "staging_staff_codes_mapped": "update raw.hr_staff set ethnicity_code = 'ZZZZ' where rowid = (select min(rowid) from raw.hr_staff)",
    "staging_events_inside_period": "update raw.hr_casework set opened_date = date '2001-01-01' where rowid = (select min(rowid) from raw.hr_casework)",
    "staging_csww_codes_mapped": "update raw.csww_worker set fte = 1.5 where rowid = (select min(rowid) from raw.csww_worker)",
    "marts_shares_sum_to_100": """update marts.representation_by_seniority set pct_of_known = pct_of_known + 3
        where ethnic_group = 'Black' and source = 'council_hr' and seniority_level = 'manager'
          and geography_code = 'E09000002' and service = 'children'""",
    "marts_ratio_inside_ci": """update marts.wres_metrics set ci_lower = relative_likelihood + 1
        where geography_code = 'E09000002' and metric = '2' and comparison_group = 'BME'""",
    "marts_every_council_period_present": "delete from marts.wres_metrics where geography_code = 'E09000005'",
    "marts_unknown_share_in_range": "update marts.wres_metrics set unknown_share = 150 where metric = '2' and comparison_group = 'BME'",
    "dfe_published_rates_consistent": """update marts.workforce_flows set turnover_rate_fte = turnover_rate_fte + 5
        where source = 'dfe_published' and geography_code = 'E92000001' and period_end = date '2022-09-30'""",
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    home = tmp_path_factory.mktemp("quality")
    landing = home / "landing"
    write_landing(landing)
    (landing / "dfe_census").mkdir()
    for f in (REFERENCE_DIR / "dfe").glob("*.csv"):
        shutil.copy(f, landing / "dfe_census" / f.name)
    shutil.copy(
        REFERENCE_DIR / "dfe" / "csww_sample_return.xml", landing / "dfe_census" / "csww_E09000007_2023.xml"
    )
    (landing / "agency_use").mkdir()
    (landing / "agency_use" / f"agency_{A}_2024-Q1.csv").write_text(
        "engagement_id,swe_registration_number,service,role,engagement_type,agency_name,start_date,hours_in_quarter,"
        "charge_rate_per_hour,post_qualified_la_years\nE1,SW1,children,case_holder,individual_locum,X,2024-01-08,100,45,4\n"
    )
    summary = ingest(load_settings(home), today=dt.date(2026, 1, 1), progress=lambda m: None)
    assert not summary.of("rejected"), [o.message for o in summary.of("rejected")]
    res = dbt_build(home)
    assert res.returncode == 0, res.stdout[-3000:]
    return home / "warehouse" / "warehouse.duckdb"


def test_every_check_has_a_known_bad_case():
    assert set(BAD) == {c.name for c in CHECKS}


# The two rows of the real DfE files whose published turnover differs from their counts by more than 0.1.
DFE_INCONSISTENT = [("E06000036", "2022"), ("E06000046", "2018")]


def test_dfe_consistency_warning_names_la_year_and_measure(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    (result,) = run_gx_checks(
        con,
        [c for c in CHECKS if c.name == "dfe_published_rates_consistent"],
        None,
        progress=lambda m: None,
        build_docs=False,
    )
    con.close()
    assert result.outcome == "fail" and result.severity == "warn" and result.failing_rows == 2
    for la, year in DFE_INCONSISTENT:
        assert f"council={la}, period_label={year}, measure=turnover_rate_fte" in result.message


def test_all_suites_pass_on_good_data(warehouse, tmp_path):
    good = tmp_path / "warehouse.duckdb"  # same file name: dbt views name their catalog after it
    shutil.copy(warehouse, good)
    con = duckdb.connect(str(good))
    for la, year in DFE_INCONSISTENT:
        con.execute(
            "delete from marts.workforce_flows where source = 'dfe_published' and geography_code = ? "
            "and period_label = ?",
            [la, year],
        )
    results = run_gx_checks(con, CHECKS, None, progress=lambda m: None, build_docs=False)
    con.close()
    failed = [(r.check_name, r.message) for r in results if r.outcome != "pass"]
    assert failed == []
    assert {r.check_name for r in results} == {c.name for c in CHECKS}


@pytest.mark.parametrize("check", CHECKS, ids=[c.name for c in CHECKS])
def test_each_suite_fails_on_a_known_bad_row(warehouse, tmp_path, check):
    bad = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, bad)
    con = duckdb.connect(str(bad))
    n = con.execute(BAD[check.name]).fetchall()
    assert n and n[0][0] >= 1, "the corruption touched no row"
    results = run_gx_checks(con, [check], None, progress=lambda m: None, build_docs=False)
    con.close()
    assert any(
        r.outcome == "fail" and r.failing_rows >= (3 if check.severity == "warn" else 1) for r in results
    ), results


def test_dfe_published_rates_reproduced_from_their_counts(warehouse):
    """metrics.md: recomputing turnover, agency, vacancy and caseload from the counts in the DfE files
    reproduces the published rates within 0.1 on at least 99% of the rows whose inputs are all numeric (the
    DfE's own rows: statistical-neighbour rows are medians, which need not reproduce a rate)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute("""
        select measure, count(*) as n, count(*) filter (where abs(recomputed - published) <= 0.1 + 1e-9) as ok
        from (
            select 'turnover' as measure, 100.0 * leavers_fte / inpost_fte as recomputed, turnover_rate_fte as published
            from marts.workforce_flows where source = 'dfe_published' and geography_level <> 'Statistical neighbours' and inpost_fte > 0
              and leavers_fte is not null and turnover_rate_fte is not null
            union all
            select 'agency', 100.0 * agency_fte / (agency_fte + inpost_fte), agency_rate_fte
            from marts.workforce_flows where source = 'dfe_published' and geography_level <> 'Statistical neighbours' and agency_fte + inpost_fte > 0 and agency_rate_fte is not null
            union all
            select 'vacancy', 100.0 * vacancy_fte / (vacancy_fte + inpost_fte), vacancy_rate_fte
            from marts.workforce_flows where source = 'dfe_published' and geography_level <> 'Statistical neighbours' and vacancy_fte + inpost_fte > 0 and vacancy_rate_fte is not null
            union all
            select 'caseload', cases / case_holders_fte, caseload_fte
            from marts.workforce_flows where source = 'dfe_published' and geography_level <> 'Statistical neighbours' and case_holders_fte > 0 and caseload_fte is not null
        ) group by measure order by measure""").fetchall()
    con.close()
    assert [r[0] for r in rows] == ["agency", "caseload", "turnover", "vacancy"]
    for measure, n, ok in rows:
        assert n > 900, measure  # 2017-2022, national, regional and every council
        assert ok / n >= 0.99, (measure, n, ok)


# ---------------------------------------------------------------------------------------------------
# A check batched by council is validated once and its failing rows attributed to their councils
# ---------------------------------------------------------------------------------------------------

# 4 councils (one with no code) x 12 rows; failures scattered, 7 of one kind in E1 (more than the 5 shown)
TOY_ROWS = """
    select case when i % 4 = 3 then null else 'E' || (i % 4)::varchar end as council,
           i as row_no,
           case when i % 13 = 5 then null else 'x' end as role,
           case when i % 4 = 1 and i < 30 then 1.5 when i = 22 then 0 else 0.5 end as fte,
           date '2024-03-31' as period_end,
           case when i in (2, 19, 40) then date '2025-01-01' else date '2020-01-01' end as start_date,
           case when i = 47 then 'Purple' else 'White' end as ethnic_group
    from range(48) as t(i)
"""


def _toy_check(expectations, name="toy_batched") -> Check:
    return Check(
        name=name,
        layer="raw",
        table="toy",
        query="select * from toy",
        batch_by="council",
        expectations=lambda p: expectations(),
    )


def _toy_con():
    con = duckdb.connect()
    con.execute(f"create table toy as {TOY_ROWS}")
    return con


def _count_validations(monkeypatch) -> list:
    calls = []
    validate = quality.GxRunner.validate

    def counted(self, check, frame):
        calls.append(len(frame))
        return validate(self, check, frame)

    monkeypatch.setattr(quality.GxRunner, "validate", counted)
    return calls


def test_batched_check_validated_once_gives_each_councils_own_result(monkeypatch):
    check = _toy_check(
        lambda: [
            gxe.ExpectColumnValuesToNotBeNull(column="role"),
            gxe.ExpectColumnValuesToBeBetween(column="fte", min_value=0, max_value=1, strict_min=True),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="period_end", column_B="start_date", or_equal=True
            ),
            gxe.ExpectColumnValuesToBeInSet(column="ethnic_group", value_set=["White", "Black"]),
        ]
    )
    con = _toy_con()
    calls = _count_validations(monkeypatch)
    whole = run_gx_checks(con, [check], None, progress=lambda m: None, build_docs=False)
    assert calls == [48], "one validation of the whole frame"

    calls.clear()
    monkeypatch.setattr(quality, "_row_by_row", lambda c: False)  # the old way: one validation per council
    by_council = run_gx_checks(con, [check], None, progress=lambda m: None, build_docs=False)
    assert calls == [12, 12, 12, 12]
    con.close()

    assert whole == by_council
    assert [r.council for r in whole] == ["E0", "E1", "E2", "nan"]
    assert all(r.outcome == "fail" for r in whole), whole  # every council has a failing row
    e1 = whole[1]
    assert e1.failing_rows == 8 + 1  # fte 1.5 on rows 1, 5, ..., 29; a null role on row 5
    assert "expect_column_values_to_be_between(column=fte" in e1.message
    assert e1.message.count("fte=1.5") == 5  # five examples shown, as before


def test_batched_check_passing_councils_pass(monkeypatch):
    check = _toy_check(lambda: [gxe.ExpectColumnValuesToBeInSet(column="ethnic_group", value_set=["White"])])
    con = _toy_con()
    results = run_gx_checks(con, [check], None, progress=lambda m: None, build_docs=False)
    con.close()
    assert [(r.council, r.outcome, r.failing_rows) for r in results] == [
        ("E0", "pass", 0),
        ("E1", "pass", 0),
        ("E2", "pass", 0),
        ("nan", "fail", 1),
    ]
    assert results[3].message == (
        "expect_column_values_to_be_in_set(column=ethnic_group, value_set=['White']): 1 failing "
        "e.g. council=nan, period_end=2024-03-31, ethnic_group=Purple"
    )


def test_batched_check_judging_the_whole_batch_is_still_validated_per_council(monkeypatch):
    """A row count (or any expectation not judged row by row) is about each council's batch as a whole."""
    check = _toy_check(lambda: [gxe.ExpectTableRowCountToEqual(value=12)], name="toy_rows")
    con = _toy_con()
    con.execute("delete from toy where council = 'E2' and row_no > 30")
    calls = _count_validations(monkeypatch)
    results = run_gx_checks(con, [check], None, progress=lambda m: None, build_docs=False)
    con.close()
    assert sorted(calls) == [8, 12, 12, 12]
    assert [(r.council, r.outcome) for r in results] == [
        ("E0", "pass"),
        ("E1", "pass"),
        ("E2", "fail"),
        ("nan", "pass"),
    ]


def test_data_docs_render_each_runs_results(tmp_path):
    """Each run renders its own suites and validation results and the index; the pages of earlier runs
    stay as their run rendered them, and every stored result has its page."""
    check = _toy_check(lambda: [gxe.ExpectColumnValuesToNotBeNull(column="role")])
    site = tmp_path / "gx" / "uncommitted" / "data_docs" / "local_site"
    con = _toy_con()
    run_gx_checks(con, [check], tmp_path, progress=lambda m: None)
    first = {p: p.stat().st_mtime_ns for p in (site / "validations").rglob("*.html")}
    assert len(first) == 1 and (site / "index.html").exists()
    run_gx_checks(con, [check], tmp_path, progress=lambda m: None)
    con.close()
    pages = sorted((site / "validations").rglob("*.html"))
    results = sorted((tmp_path / "gx" / "uncommitted" / "validations").rglob("*.json"))
    assert len(pages) == len(results) == 2
    assert all(p.stat().st_mtime_ns == t for p, t in first.items())  # not rendered again
    index = (site / "index.html").read_text()
    assert all(p.relative_to(site).as_posix() in index for p in pages)
