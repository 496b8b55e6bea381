"""A council's file arrives after a full refresh: the sensor asks for a run of that council's submission
partition, and the run loads that submission only and rebuilds only what depends on it (interfaces.md,
Scheduling: "one council's new file reloads that council only, then rebuilds the marts").

Hand-made fixture (handmade.py) loaded by a full `refresh`; then two files land:
  - council B (E09000005) sends its first agency return, 2024-Q1 (period end 2024-03-31, the same period as
    its HR extract, so the partition is E09000005_2024-03-31): one engagement, 100 h at 40.00 = 4,000.00
    (started 2024-01-08, before the DfE agency rules: no breach, no cap in force);
  - council A (E09000002) sends a changed staff file (one leaver fewer), which must stay unloaded.
The run of B's partition must leave A's raw rows and load ids as they were, load B's engagement, rebuild
the agency models and not the WRES or representation models, carry over the other tables' check results,
and publish.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from conftest import query, query_dicts
from handmade import AGENCY_COLUMNS, PERIOD, STAFF_COLUMNS, A, B, council_a_staff, to_csv, write_landing

from workforce_warehouse.cli import main

AGENCY_HEAD = AGENCY_COLUMNS
ENGAGEMENT = dict(
    engagement_id="E1",
    swe_registration_number="SW0000099001",
    service="children",
    role="case_holder",
    engagement_type="individual_locum",
    agency_name="Example Agency",
    start_date="2024-01-08",
    end_date="",
    hours_in_quarter="100",
    fte="",
    charge_rate_per_hour="40.00",
    post_qualified_la_years="5",
    left_permanent_la_code="",
    left_permanent_date="",
)


def raw_state(home: Path) -> dict:
    """(table, council) -> sorted (load_id, rows) for every raw data table."""
    out = {}
    for t in [
        "hr_staff",
        "hr_recruitment",
        "hr_casework",
        "hr_cpd",
        "hr_asye",
        "hr_survey",
        "agency_engagement",
    ]:
        for la, load_id, n in query(home, f"select la_code, load_id, count(*) from raw.{t} group by all"):
            out.setdefault((t, la), []).append((load_id, n))
    return {k: sorted(v) for k, v in out.items()}


@pytest.fixture(scope="module")
def after(tmp_path_factory):
    home = tmp_path_factory.mktemp("partitioned")
    write_landing(home / "landing")
    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("DAGSTER_HOME", str(home / "dagster"))
        assert main(["refresh", "--home", str(home)]) == 0  # full refresh into <home>/dagster
        mp.setenv("WORKFORCE_HOME", str(home))
        before = {
            "raw": raw_state(home),
            "wres": query(home, "select * from marts.wres_metrics order by all"),
            "dq_checked_at": query(home, "select max(checked_at) from marts.data_quality")[0][0],
        }
        (home / "landing" / "agency_use").mkdir(exist_ok=True)
        (home / "landing" / "agency_use" / f"agency_{B}_2024-Q1.csv").write_bytes(
            to_csv([ENGAGEMENT], AGENCY_HEAD)
        )
        (home / "landing" / "council_hr" / f"hr_{A}_{PERIOD}_staff.csv").write_bytes(
            to_csv(council_a_staff()[:-1], STAFF_COLUMNS)
        )

        from orchestration.definitions import defs

        with dg.DagsterInstance.get() as instance:
            assert set(instance.get_dynamic_partitions("submissions")) == {f"{A}_{PERIOD}", f"{B}_{PERIOD}"}
            sensor = defs.get_sensor_def("landing_folder_sensor")
            ctx = dg.build_sensor_context(instance=instance)
            sensor(ctx)  # first sight of both files
            ctx = dg.build_sensor_context(instance=instance, cursor=ctx.cursor)
            tick = sensor(ctx)  # stable: one request per submission
            requests = {r.partition_key: r for r in tick.run_requests}
            req = requests[f"{B}_{PERIOD}"]
            result = defs.resolve_job_def("refresh").execute_in_process(
                instance=instance,
                partition_key=req.partition_key,
                asset_selection=req.asset_selection,
                run_config={**req.run_config, "resources": {"warehouse": {"config": {"home": str(home)}}}},
                tags=req.tags,
                raise_on_error=False,
            )
            materialized = {
                e.event_specific_data.materialization.asset_key.to_user_string()
                for e in result.all_events
                if e.event_type_value == "ASSET_MATERIALIZATION"
            }
        yield {
            "home": home,
            "before": before,
            "requests": requests,
            "result": result,
            "materialized": materialized,
        }
    finally:
        mp.undo()


def test_sensor_asked_for_one_run_per_council_submission(after):
    assert set(after["requests"]) == {f"{A}_{PERIOD}", f"{B}_{PERIOD}"}
    req = after["requests"][f"{B}_{PERIOD}"]
    assert req.run_config["ops"]["load_landing_files"]["config"]["only_files"] == [f"agency_{B}_2024-Q1.csv"]
    assert after["result"].success


def test_other_councils_raw_rows_and_load_ids_untouched(after):
    home, before = after["home"], after["before"]["raw"]
    now = raw_state(home)
    assert {k: v for k, v in now.items() if k != ("agency_engagement", B)} == before
    assert [n for _, n in now[("agency_engagement", B)]] == [1]
    # A's changed staff file was not part of the partition: it is still waiting in the landing folder
    assert (home / "landing" / "council_hr" / f"hr_{A}_{PERIOD}_staff.csv").exists()
    assert query(
        home, "select count(*) from raw.load_log where file_name = ?", [f"hr_{A}_{PERIOD}_staff.csv"]
    ) == [(1,)]


def test_only_the_models_depending_on_the_agency_return_were_rebuilt(after):
    home, result = after["home"], after["result"]
    dbt = json.loads((home / "logs" / "runs" / result.run_id / "dbt.json").read_text())
    built = {
        r["unique_id"].split(".")[-1]
        for r in json.loads((Path(dbt["target_path"]) / "run_results.json").read_text())["results"]
        if r["unique_id"].startswith("model.")
    }
    assert {
        "stg_agency_use__engagements",
        "int_agency_engagements_assessed",
        "agency_use",
        "submissions",
    } <= built
    assert not built & {
        "wres_metrics",
        "representation_by_seniority",
        "asye_outcomes",
        "int_wres_events_counted",
    }
    assert "marts/agency_use" in after["materialized"] and "marts/wres_metrics" not in after["materialized"]
    assert query(home, "select * from marts.wres_metrics order by all") == after["before"]["wres"]
    (row,) = query_dicts(
        home,
        """select engagements, hours, spend from marts.agency_use
                                  where geography_level = 'Local authority' and la_code = ? and period_label = '2024-Q1'
                                    and service = 'children' and role = 'case_holder'""",
        [B],
    )
    assert (row["engagements"], float(row["hours"]), float(row["spend"])) == (1, 100.0, 4000.0)


def test_checks_on_tables_not_rebuilt_are_carried_over_and_the_run_published(after):
    home, result = after["home"], after["result"]
    checks = json.loads((home / "logs" / "runs" / result.run_id / "checks.json").read_text())
    assert "agency_use" in checks["scope"] and "wres_metrics" not in checks["scope"]
    assert checks["councils"] == [B]
    carried = query(
        home,
        "select distinct table_name from marts.data_quality where checked_at <= ?",
        [after["before"]["dq_checked_at"]],
    )
    assert ("wres_metrics",) in carried and ("agency_use",) not in carried
    manifest = json.loads((home / "published" / "manifest.json").read_text())
    assert manifest["run_id"] == result.run_id
    con = duckdb.connect(str(home / "published" / "alliance.duckdb"), read_only=True)
    try:
        assert (
            con.execute(
                "select count(*) from agency_use where la_code = ? and period_label = '2024-Q1'", [B]
            ).fetchone()[0]
            >= 1
        )
    finally:
        con.close()


def test_a_partitioned_runs_checks_validate_its_council_and_carry_the_others(after, tmp_path):
    """Council-by-council checks in a run of council A's submission validate A only: a planted bad A row
    fails there, and council B's result is the one carried over from the last run (same checked_at)."""
    import shutil

    from workforce_warehouse import pipeline
    from workforce_warehouse.config import load_settings

    home, result = after["home"], after["result"]
    (tmp_path / "warehouse").mkdir()
    shutil.copy(home / "warehouse" / "warehouse.duckdb", tmp_path / "warehouse" / "warehouse.duckdb")
    con = duckdb.connect(str(tmp_path / "warehouse" / "warehouse.duckdb"))
    try:
        con.execute(
            "insert into raw.hr_staff select * replace (null as employee_key) from raw.hr_staff "
            "where la_code = ? limit 1",
            [A],
        )
        b_before = con.execute(
            "select outcome, checked_at from marts.data_quality where check_name = "
            "'raw_staff_required_complete' and council = ?",
            [B],
        ).fetchall()
    finally:
        con.close()
    dbt = json.loads((home / "logs" / "runs" / result.run_id / "dbt.json").read_text())
    results = pipeline.checks_stage(
        load_settings(tmp_path),
        "scoped-check",
        target_dir=Path(dbt["target_path"]),
        progress=lambda m: None,
        scope={"hr_staff", "load_log"},
        councils={A},
    )
    staff = {r.council: r for r in results if r.check_name == "raw_staff_required_complete"}
    assert set(staff) == {A, B}
    assert staff[A].outcome == "fail" and staff[A].failing_rows == 1 and staff[A].checked_at is None
    assert staff[A].blocks
    assert [(staff[B].outcome, staff[B].checked_at)] == [(o, str(c)) for o, c in b_before]
