"""The Dagster code location: definitions load, the schedule and the landing-folder sensor (Dagster's test helpers)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from conftest import PROJECT
from orchestration.defs.schedules import scan_landing


def test_definitions_load_and_wire_the_lineage():
    from orchestration.definitions import defs

    job = defs.resolve_job_def("refresh")
    assert job.name == "refresh"
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"raw/hr_staff", "staging/stg_council_hr__staff", "marts/wres_metrics", "marts/data_quality",
            "published/alliance"} <= keys
    # the dbt source raw.hr_staff is the load asset, so lineage runs landing -> raw -> dbt -> published
    parents = {p.to_user_string() for p in graph.get(dg.AssetKey(["staging", "stg_council_hr__staff"])).parent_keys}
    assert "raw/hr_staff" in parents
    assert {s.name for s in defs.schedules} == {"nightly_refresh"}
    assert {s.name for s in defs.sensors} == {"landing_folder_sensor"}


def test_dagster_definitions_validate_cli():
    env = dict(os.environ, DAGSTER_HOME=os.environ["DAGSTER_HOME"])
    res = subprocess.run([str(Path(sys.executable).with_name("dagster")), "definitions", "validate", "-m",
                          "orchestration.definitions"], cwd=PROJECT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]


def test_schedule_yields_a_run_request():
    from orchestration.definitions import defs

    schedule = defs.get_schedule_def("nightly_refresh")
    assert schedule.cron_schedule == "0 2 * * *"
    ctx = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 1, 5, 2, 0))
    result = schedule.evaluate_tick(ctx)
    assert len(result.run_requests) == 1


def _tick(sensor, cursor):
    ctx = dg.build_sensor_context(cursor=cursor)
    result = sensor.evaluate_tick(ctx)
    return result, ctx.cursor


def test_sensor_waits_for_a_complete_file_triggers_once_and_again_on_change(tmp_path, monkeypatch):
    from orchestration.definitions import defs

    monkeypatch.setenv("WORKFORCE_HOME", str(tmp_path))
    sensor = defs.get_sensor_def("landing_folder_sensor")
    landing = tmp_path / "landing" / "council_hr"
    landing.mkdir(parents=True)
    f = landing / "hr_E09000002_2024-03-31_staff.csv"
    f.write_text("employee_id\n1\n")
    r, cursor = _tick(sensor, None)  # first sight: size and time not yet known to be stable
    assert not r.run_requests
    r, cursor = _tick(sensor, cursor)  # unchanged since the last tick: complete
    assert len(r.run_requests) == 1
    assert r.run_requests[0].tags["workforce/files"] == "council_hr/hr_E09000002_2024-03-31_staff.csv"
    r, cursor = _tick(sensor, cursor)  # the same bytes: not again
    assert not r.run_requests
    f.write_text("employee_id\n1\n2\n")
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10_000_000))
    r, cursor = _tick(sensor, cursor)  # changed: wait until it is stable
    assert not r.run_requests
    r, cursor = _tick(sensor, cursor)
    assert len(r.run_requests) == 1


def test_sensor_skips_a_file_still_being_written_and_a_workbook_that_does_not_open(tmp_path):
    landing = tmp_path / "landing"
    (landing / "council_hr").mkdir(parents=True)
    growing = landing / "council_hr" / "hr_E09000002_2024-03-31_staff.csv"
    growing.write_text("employee_id\n")
    ready, cursor = scan_landing(landing, {})
    growing.write_text("employee_id\n1\n")  # still growing between ticks
    ready, cursor = scan_landing(landing, cursor)
    assert ready == []
    half = landing / "council_hr" / "hr_E09000005_2024-03-31.xlsx"
    half.write_bytes(b"PK\x03\x04 half a zip")
    ready3, cursor = scan_landing(landing, cursor)  # the CSV is now stable; the workbook is first seen
    ready4, cursor = scan_landing(landing, cursor)  # the workbook is stable but does not open: not ready
    assert ready3 == ["council_hr/hr_E09000002_2024-03-31_staff.csv"] and ready4 == []
    assert json.loads(json.dumps(cursor))["triggered"].keys() == {"council_hr/hr_E09000002_2024-03-31_staff.csv"}


def test_a_run_for_one_councils_file_leaves_the_others_untouched(tmp_path):
    """The sensor's run loads only the files that triggered it: another council's raw rows and load ids
    stay as they were, even when that council has a changed file waiting too."""
    import duckdb

    from handmade import A, B, STAFF_COLUMNS, council_a_staff, council_b_staff, to_csv, write_landing
    from orchestration.defs.ingest.assets import load_landing_files
    from orchestration.defs.resources import WarehouseResource
    from workforce_warehouse.config import load_settings
    from workforce_warehouse.ingest import ingest

    write_landing(tmp_path / "landing")
    ingest(load_settings(tmp_path), progress=lambda m: None)

    def snapshot(la):
        con = duckdb.connect(str(tmp_path / "warehouse" / "warehouse.duckdb"), read_only=True)
        try:
            return con.execute("select load_id, count(*) from raw.hr_staff where la_code = ? group by load_id",
                               [la]).fetchall()
        finally:
            con.close()

    before_b = snapshot(B)
    hr = tmp_path / "landing" / "council_hr"
    a_file, b_file = hr / f"hr_{A}_2024-03-31_staff.csv", hr / f"hr_{B}_2024-03-31_staff.csv"
    a_file.write_bytes(to_csv(council_a_staff()[:-1], STAFF_COLUMNS))
    b_file.write_bytes(to_csv(council_b_staff()[:-1], STAFF_COLUMNS))
    result = dg.materialize(
        [load_landing_files], resources={"warehouse": WarehouseResource(home=str(tmp_path))},
        run_config={"ops": {"load_landing_files": {"config": {"only_files": [a_file.name]}}}})
    assert result.success
    assert snapshot(B) == before_b  # same load id, same rows
    (a_load, a_rows), = snapshot(A)
    assert a_rows == 66 and a_load not in {lid for lid, _ in before_b}


def test_sensor_run_request_loads_only_the_triggering_files(tmp_path, monkeypatch):
    from orchestration.definitions import defs

    monkeypatch.setenv("WORKFORCE_HOME", str(tmp_path))
    (tmp_path / "landing" / "agency_use").mkdir(parents=True)
    (tmp_path / "landing" / "agency_use" / "agency_E09000002_2025-Q1.csv").write_text("x\n")
    sensor = defs.get_sensor_def("landing_folder_sensor")
    _, cursor = _tick(sensor, None)
    r, _ = _tick(sensor, cursor)
    assert r.run_requests[0].run_config == {
        "ops": {"load_landing_files": {"config": {"only_files": ["agency_E09000002_2025-Q1.csv"]}}}}
