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

from orchestration.defs.sensors import scan_landing


def test_definitions_load_and_wire_the_lineage():
    from orchestration.definitions import defs

    job = defs.resolve_job_def("refresh")
    assert job.name == "refresh"
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {
        "raw/hr_staff",
        "staging/stg_council_hr__staff",
        "marts/wres_metrics",
        "marts/data_quality",
        "published/alliance",
    } <= keys
    # the dbt source raw.hr_staff is the load asset, so lineage runs landing -> raw -> dbt -> published
    parents = {
        p.to_user_string() for p in graph.get(dg.AssetKey(["staging", "stg_council_hr__staff"])).parent_keys
    }
    assert "raw/hr_staff" in parents
    # and the landing folder heads it
    assert {p.to_user_string() for p in graph.get(dg.AssetKey(["raw", "hr_staff"])).parent_keys} == {
        "landing/files"
    }
    assert {s.name for s in defs.schedules} == {"nightly_refresh"}
    assert {s.name for s in defs.sensors} == {"landing_folder_sensor"}


def test_dagster_definitions_validate_cli():
    env = dict(os.environ, DAGSTER_HOME=os.environ["DAGSTER_HOME"])
    res = subprocess.run(
        [
            str(Path(sys.executable).with_name("dagster")),
            "definitions",
            "validate",
            "-m",
            "orchestration.definitions",
        ],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]


def test_schedule_yields_a_run_request():
    from orchestration.definitions import defs

    schedule = defs.get_schedule_def("nightly_refresh")
    assert schedule.cron_schedule == "0 2 * * *"
    ctx = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 1, 5, 2, 0))
    result = schedule.evaluate_tick(ctx)
    assert len(result.run_requests) == 1


class _Tick:
    def __init__(self, result):
        self.result = result
        self.run_requests = list(getattr(result, "run_requests", None) or [])
        self.partitions_added = [
            k for r in (getattr(result, "dynamic_partitions_requests", None) or []) for k in r.partition_keys
        ]


def _tick(sensor, cursor, instance=None):
    """One sensor evaluation, as the daemon does it: the sensor's new partitions are added to the instance."""
    instance = instance or dg.DagsterInstance.ephemeral()
    ctx = dg.build_sensor_context(cursor=cursor, instance=instance)
    tick = _Tick(sensor(ctx))
    if tick.partitions_added:
        instance.add_dynamic_partitions("submissions", tick.partitions_added)
    return tick, ctx.cursor


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
    assert json.loads(json.dumps(cursor))["triggered"].keys() == {
        "council_hr/hr_E09000002_2024-03-31_staff.csv"
    }


def test_a_partitioned_run_for_one_council_leaves_the_others_untouched(tmp_path):
    """A run of partition A_2024-03-31 loads council A's files for that period only: council B's raw rows
    and load ids stay as they were, even though B has a changed file waiting in the landing folder too."""
    import duckdb
    from handmade import PERIOD, STAFF_COLUMNS, A, B, council_a_staff, council_b_staff, to_csv, write_landing

    from orchestration.defs.ingest.assets import load_landing_files
    from orchestration.defs.resources import WarehouseResource
    from workforce_warehouse.config import load_settings
    from workforce_warehouse.ingest import ingest

    write_landing(tmp_path / "landing")
    ingest(load_settings(tmp_path), progress=lambda m: None)

    def snapshot(la):
        con = duckdb.connect(str(tmp_path / "warehouse" / "warehouse.duckdb"), read_only=True)
        try:
            return con.execute(
                "select load_id, count(*) from raw.hr_staff where la_code = ? group by load_id", [la]
            ).fetchall()
        finally:
            con.close()

    before_a, before_b = snapshot(A), snapshot(B)
    assert [n for _, n in before_a] == [67] and [n for _, n in before_b] == [
        24
    ]  # handmade.py: 67 and 24 staff
    hr = tmp_path / "landing" / "council_hr"
    (hr / f"hr_{A}_{PERIOD}_staff.csv").write_bytes(to_csv(council_a_staff()[:-1], STAFF_COLUMNS))
    (hr / f"hr_{B}_{PERIOD}_staff.csv").write_bytes(to_csv(council_b_staff()[:-1], STAFF_COLUMNS))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("submissions", [f"{A}_{PERIOD}"])
    result = dg.materialize(
        [load_landing_files],
        partition_key=f"{A}_{PERIOD}",
        instance=instance,
        resources={"warehouse": WarehouseResource(home=str(tmp_path))},
    )
    assert result.success
    assert snapshot(B) == before_b  # same load id, same 24 rows: B's waiting file was not loaded
    ((a_load, a_rows),) = snapshot(A)
    assert a_rows == 66 and a_load not in {lid for lid, _ in before_a + before_b}
    mats = result.asset_materializations_for_node("load_landing_files")
    assert {m.partition for m in mats} == {f"{A}_{PERIOD}"}


def test_a_full_load_materialises_each_submissions_raw_tables_as_partitions(tmp_path):
    """An unpartitioned run (the nightly schedule, `refresh`) adds each loaded submission as a partition and
    materialises the raw tables that submission wrote, so the Partitions tab shows them loaded."""
    from handmade import PERIOD, A, B, write_landing

    from orchestration.defs.ingest.assets import load_landing_files
    from orchestration.defs.resources import WarehouseResource

    write_landing(tmp_path / "landing")
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [load_landing_files],
        instance=instance,
        resources={"warehouse": WarehouseResource(home=str(tmp_path))},
    )
    assert result.success
    assert sorted(instance.get_dynamic_partitions("submissions")) == [f"{A}_{PERIOD}", f"{B}_{PERIOD}"]
    for table in ("hr_staff", "hr_casework", "load_log"):
        status = instance.get_materialized_partitions(dg.AssetKey(["raw", table]))
        assert status == {f"{A}_{PERIOD}", f"{B}_{PERIOD}"}, table
    # the agency and CSWW tables were written by no submission of this load
    assert instance.get_materialized_partitions(dg.AssetKey(["raw", "agency_engagement"])) == set()


def test_a_partition_key_that_is_not_a_submission_fails_clearly(tmp_path):
    from orchestration.defs.ingest.assets import load_landing_files
    from orchestration.defs.resources import WarehouseResource

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("submissions", ["E09000002_2024"])
    result = dg.materialize(
        [load_landing_files],
        partition_key="E09000002_2024",
        instance=instance,
        resources={"warehouse": WarehouseResource(home=str(tmp_path))},
        raise_on_error=False,
    )
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert "is not a submission key" in failure.message


def test_sensor_run_request_loads_only_the_triggering_files(tmp_path, monkeypatch):
    from orchestration.definitions import defs

    monkeypatch.setenv("WORKFORCE_HOME", str(tmp_path))
    (tmp_path / "landing" / "agency_use").mkdir(parents=True)
    (tmp_path / "landing" / "agency_use" / "agency_E09000002_2025-Q1.csv").write_text("x\n")
    sensor = defs.get_sensor_def("landing_folder_sensor")
    _, cursor = _tick(sensor, None)
    r, _ = _tick(sensor, cursor)
    assert r.run_requests[0].run_config == {
        "ops": {"load_landing_files": {"config": {"only_files": ["agency_E09000002_2025-Q1.csv"]}}}
    }
    assert r.run_requests[0].partition_key == "E09000002_2025-03-31"


def _drop(landing: Path, rel: str, text: str = "x\n") -> None:
    p = landing / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


def _published_once(instance) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=["published", "alliance"]))


def test_sensor_asks_for_one_partitioned_run_per_submission(tmp_path, monkeypatch):
    """Four files: council A's HR extract and census return for 30 Sept 2024 are one submission, its agency
    return for the quarter to 31 Dec 2024 another, council B's agency return a third; the DfE's published
    file belongs to no council and gets an unpartitioned run."""
    from orchestration.definitions import defs

    monkeypatch.setenv("WORKFORCE_HOME", str(tmp_path))
    landing = tmp_path / "landing"
    for rel in [
        "council_hr/hr_E09000002_2024-09-30.xlsx",
        "dfe_census/csww_E09000002_2024.xml",
        "agency_use/agency_E09000002_2024-Q4.csv",
        "agency_use/agency_E09000005_2024-Q4.csv",
        "dfe_census/csww_headline_2024.csv",
    ]:
        _drop(landing, rel)
    (landing / "council_hr" / "hr_E09000002_2024-09-30.xlsx").write_bytes(_tiny_xlsx())
    instance = dg.DagsterInstance.ephemeral()
    sensor = defs.get_sensor_def("landing_folder_sensor")
    _, cursor = _tick(sensor, None, instance)
    tick, _ = _tick(sensor, cursor, instance)
    by_key = {r.partition_key: r for r in tick.run_requests}
    assert set(by_key) == {"E09000002_2024-09-30", "E09000002_2024-12-31", "E09000005_2024-12-31", None}
    assert sorted(tick.partitions_added) == [
        "E09000002_2024-09-30",
        "E09000002_2024-12-31",
        "E09000005_2024-12-31",
    ]
    assert set(instance.get_dynamic_partitions("submissions")) == set(tick.partitions_added)
    only = {k: r.run_config["ops"]["load_landing_files"]["config"]["only_files"] for k, r in by_key.items()}
    assert only["E09000002_2024-09-30"] == ["csww_E09000002_2024.xml", "hr_E09000002_2024-09-30.xlsx"]
    assert only[None] == ["csww_headline_2024.csv"]
    assert by_key["E09000002_2024-09-30"].tags["workforce/sources"] == "council_hr,csww_return"
    # nothing published yet and every council is new: each run rebuilds every model
    assert all(r.asset_selection is None for r in tick.run_requests)


def _tiny_xlsx() -> bytes:
    import io

    import openpyxl

    buf = io.BytesIO()
    wb = openpyxl.Workbook()
    wb.active.title = "staff"
    wb.save(buf)
    return buf.getvalue()


def test_sensor_run_for_a_known_council_rebuilds_only_what_depends_on_the_file(tmp_path, monkeypatch):
    from orchestration.definitions import defs

    monkeypatch.setenv("WORKFORCE_HOME", str(tmp_path))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("submissions", ["E09000002_2024-09-30"])
    _published_once(instance)
    landing = tmp_path / "landing"
    _drop(landing, "agency_use/agency_E09000002_2024-Q4.csv")  # council known, a new period
    _drop(landing, "agency_use/agency_E09000005_2024-Q4.csv")  # council never seen before
    sensor = defs.get_sensor_def("landing_folder_sensor")
    _, cursor = _tick(sensor, None, instance)
    tick, _ = _tick(sensor, cursor, instance)
    by_key = {r.partition_key: r for r in tick.run_requests}
    known = by_key["E09000002_2024-12-31"]
    selected = {k.to_user_string() for k in known.asset_selection}
    assert {
        "raw/agency_engagement",
        "raw/hr_staff",
        "staging/stg_agency_use__engagements",
        "intermediate/int_agency_engagements_assessed",
        "marts/agency_use",
        "marts/submissions",
        "marts/data_quality",
        "published/alliance",
    } <= selected
    assert not selected & {
        "marts/wres_metrics",
        "marts/representation_by_seniority",
        "marts/asye_outcomes",
        "staging/stg_council_hr__staff",
        "intermediate/int_alliance_councils",
    }
    assert known.tags["workforce/rebuild"] == "models depending on the sources"
    # a council's first submission changes which councils the pooled figures cover: everything rebuilds
    assert by_key["E09000005_2024-12-31"].asset_selection is None


def test_plan_runs_groups_a_waiting_file_with_its_submission_and_batches_a_flood():
    from orchestration.defs.sensors import plan_runs

    # casework arrived earlier (triggered then, waiting for staff); staff arrives now: the run loads both
    complete = [
        "council_hr/hr_E09000002_2024-09-30_casework.csv",
        "council_hr/hr_E09000002_2024-09-30_staff.csv",
        "council_hr/hr_E09000005_2024-09-30_staff.csv",
    ]
    (run,) = plan_runs(
        ["council_hr/hr_E09000002_2024-09-30_staff.csv"], complete, {"E09000002_2023-09-30"}, True
    )
    assert run.partition_key == "E09000002_2024-09-30" and not run.full
    assert run.names == ["hr_E09000002_2024-09-30_casework.csv", "hr_E09000002_2024-09-30_staff.csv"]
    # more submissions in one tick than the limit: one unpartitioned run loads them all
    flood = [f"agency_use/agency_E0900000{i}_2024-Q4.csv" for i in range(2, 8)]
    (run,) = plan_runs(
        flood, flood, {f"E0900000{i}_2024-09-30" for i in range(2, 8)}, True, max_partitioned=4
    )
    assert (
        run.partition_key is None and len(run.names) == 6 and run.sources == {"agency_use"} and not run.full
    )
    # a file whose name does not parse belongs to no submission: an unpartitioned run reports it
    (run,) = plan_runs(["council_hr/staff_final_v2.xlsx"], [], set(), True)
    assert run.partition_key is None and run.names == ["staff_final_v2.xlsx"]


def test_sensor_does_not_trigger_for_bytes_the_warehouse_already_loaded(tmp_path):
    """Switching the sensor on over a landing folder a refresh already loaded starts no run for those files;
    a changed file under the same name still triggers."""
    landing = tmp_path / "landing"
    _drop(landing, "agency_use/agency_E09000002_2024-Q4.csv", "a\n")
    _drop(landing, "agency_use/agency_E09000005_2024-Q4.csv", "b\n")
    import hashlib

    loaded = {"agency_E09000002_2024-Q4.csv": {hashlib.sha256(b"a\n").hexdigest()}}
    _, cursor = scan_landing(landing, {}, loaded)
    ready, cursor = scan_landing(landing, cursor, loaded)
    assert ready == ["agency_use/agency_E09000005_2024-Q4.csv"]
    (landing / "agency_use" / "agency_E09000002_2024-Q4.csv").write_text("a changed\n")
    ready, cursor = scan_landing(landing, cursor, loaded)  # changed: wait a tick
    assert ready == []
    ready, _ = scan_landing(landing, cursor, loaded)
    assert ready == ["agency_use/agency_E09000002_2024-Q4.csv"]


def test_schedule_runs_the_refresh_job_at_two_london_time_unless_the_environment_says_otherwise(monkeypatch):
    """interfaces.md, Scheduling: `nightly_refresh` starts the `refresh` job at 02:00 Europe/London (stopped
    until switched on); WORKFORCE_REFRESH_CRON and WORKFORCE_TIMEZONE override the cron and the time zone."""
    import importlib

    from orchestration.definitions import defs
    from orchestration.defs import schedules

    schedule = defs.get_schedule_def("nightly_refresh")
    assert (schedule.name, schedule.job_name, schedule.cron_schedule, schedule.execution_timezone) == (
        "nightly_refresh",
        "refresh",
        "0 2 * * *",
        "Europe/London",
    )
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    job = defs.resolve_job_def("refresh")
    try:
        monkeypatch.delenv("WORKFORCE_REFRESH_CRON", raising=False)
        monkeypatch.delenv("WORKFORCE_TIMEZONE", raising=False)
        default = importlib.reload(schedules).nightly_schedule(job)
        assert (default.job_name, default.cron_schedule, default.execution_timezone) == (
            "refresh",
            "0 2 * * *",
            "Europe/London",
        )
        monkeypatch.setenv("WORKFORCE_REFRESH_CRON", "30 4 * * 1-5")
        monkeypatch.setenv("WORKFORCE_TIMEZONE", "UTC")
        overridden = importlib.reload(schedules).nightly_schedule(job)
        assert (overridden.job_name, overridden.cron_schedule, overridden.execution_timezone) == (
            "refresh",
            "30 4 * * 1-5",
            "UTC",
        )
    finally:
        monkeypatch.undo()
        importlib.reload(schedules)


def test_old_dbt_build_folders_are_pruned_and_the_newest_kept(tmp_path):
    """Each build writes its own target folder; only the newest 20 stay (the disk must not fill up)."""
    from orchestration.defs.dbt.assets import prune_build_folders

    for i in range(25):
        folder = tmp_path / f"dbt_models-run{i:02d}"
        folder.mkdir()
        (folder / "run_results.json").write_text("{}")
        os.utime(folder, (1_000_000 + i, 1_000_000 + i))
    (tmp_path / "partial_parse.msgpack").write_text("the project's own parse")
    prune_build_folders(tmp_path)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [f"dbt_models-run{i:02d}" for i in range(5, 25)] + ["partial_parse.msgpack"]


def test_the_dbt_resource_starts_no_process_to_learn_dbts_version(monkeypatch):
    """dagster-dbt ran `dbt --version` in a new process before every build (about 2.5 s of each refresh and
    sensor run); this environment's dbt is the installed dbt-core."""
    import importlib.metadata

    import dagster_dbt.core.resource as dbt_resource_module

    from orchestration.defs.dbt.assets import WarehouseDbtCli, dbt_resource

    def no_process(*args, **kwargs):
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(dbt_resource_module, "check_output", no_process)
    fresh = WarehouseDbtCli(
        project_dir=dbt_resource.project_dir,
        profiles_dir=dbt_resource.profiles_dir,
        dbt_executable=dbt_resource.dbt_executable,
    )
    assert str(fresh._cli_version) == importlib.metadata.version("dbt-core")
    assert (
        fresh._cli_version.major < 2
    )  # dbt-core, not the fusion engine (whose CLI dagster-dbt drives otherwise)
