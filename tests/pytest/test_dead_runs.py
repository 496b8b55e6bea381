"""A run killed with SIGKILL stays STARTED in Dagster; with a queue of one run, nothing would ever run again
(issue 18). `refresh` and `serve` mark such runs failed while they hold the warehouse lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
from conftest import PROJECT

from workforce_warehouse.cli import clear_dead_runs, main
from workforce_warehouse.config import load_settings


def _instance(home: Path) -> dg.DagsterInstance:
    from workforce_warehouse.cli import prepare_dagster_home

    prepare_dagster_home(load_settings(home))
    return dg.DagsterInstance.get()


def test_a_killed_run_is_marked_failed_and_the_next_run_starts(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    # a real run, killed with SIGKILL mid-way: a job that sleeps, launched in a child process
    script = tmp_path / "slow.py"
    script.write_text(
        "import time, dagster as dg\n"
        "@dg.op\n"
        "def wait():\n"
        "    time.sleep(120)\n"
        "@dg.job\n"
        "def slow():\n"
        "    wait()\n"
        "with dg.DagsterInstance.get() as instance:\n"
        "    slow.execute_in_process(instance=instance)\n"
    )
    instance = _instance(tmp_path)
    child = subprocess.Popen([sys.executable, str(script)], cwd=PROJECT, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 120
        started = []
        while time.monotonic() < deadline and not started:
            time.sleep(1)
            started = instance.get_run_records(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        assert started, "the slow run never started"
        child.send_signal(signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
    [record] = instance.get_run_records(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    # a run started a moment ago might still be starting up: left alone
    assert clear_dead_runs(instance) == 0
    # a minute later it is certainly dead (the lock was free): marked failed
    monkeypatch.setattr(time, "time", lambda real=time.time: real() + 120)
    assert clear_dead_runs(instance) == 1
    run = instance.get_run_by_id(record.dagster_run.run_id)
    assert run.status == dg.DagsterRunStatus.FAILURE
    assert instance.get_run_records(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])) == []


def test_dagster_yaml_turns_run_monitoring_on(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    (tmp_path / "landing").mkdir()
    instance = _instance(tmp_path)
    assert instance.run_monitoring_enabled
    assert instance.run_coordinator.get_run_queue_config().max_concurrent_runs == 1
    assert (tmp_path / "dagster").stat().st_mode & 0o077 == 0
    assert main(["status", "--home", str(tmp_path)]) == 0
