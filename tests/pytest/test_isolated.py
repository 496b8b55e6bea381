"""Stages run in a child process (workforce_warehouse.isolated): result, progress, errors, a killed child,
and memory that goes back to the system when the stage ends."""

from __future__ import annotations

import os
import signal

import pytest

from workforce_warehouse import isolated
from workforce_warehouse.config import ConfigError


def _stage(n: int, progress) -> dict:
    for i in range(n):
        progress(f"line {i}")
    return {"pid": os.getpid(), "n": n}


def test_result_and_progress_come_back_in_order():
    said: list[str] = []
    result = isolated.run("toy", _stage, 3, progress=said.append)
    assert result["n"] == 3
    assert result["pid"] != os.getpid()  # it did run elsewhere
    assert said == ["line 0", "line 1", "line 2"]


def _fails(progress) -> None:
    progress("about to fail")
    raise ConfigError("WORKFORCE_PSEUDONYMISATION_KEY is not set")


def test_the_stage_error_is_raised_here_with_its_type_and_the_childs_traceback():
    said: list[str] = []
    with pytest.raises(ConfigError, match="PSEUDONYMISATION_KEY") as caught:
        isolated.run("toy", _fails, progress=said.append)
    assert said == ["about to fail"]
    assert any("in the toy stage's process" in n and "_fails" in n for n in caught.value.__notes__)


class Unpicklable(Exception):
    def __init__(self, a, b):  # pickle rebuilds an exception from .args alone: this one cannot travel
        super().__init__(f"{a} and {b}")


def _fails_oddly(progress) -> None:
    raise Unpicklable("x", "y")


def test_an_error_that_cannot_travel_is_described():
    with pytest.raises(RuntimeError, match="Unpicklable: x and y"):
        isolated.run("toy", _fails_oddly, progress=print)


def _killed(progress) -> None:
    os.kill(os.getpid(), signal.SIGKILL)  # as the system's out-of-memory killer would


def test_a_killed_child_is_a_clear_error_not_a_hang():
    with pytest.raises(isolated.StageProcessDied, match="exit code -9"):
        isolated.run("publish", _killed, progress=print)


def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


_KEPT: list = []  # what a library keeps alive after the stage (as GX keeps the frames it validated)


def _allocates(progress) -> tuple[int, int]:
    start = _rss_kib()
    block = bytearray(300 * 1024 * 1024)  # 300 MiB, touched
    for i in range(0, len(block), 4096):
        block[i] = 1
    _KEPT.append(block)
    return start, _rss_kib()


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc")
def test_what_the_stage_allocates_is_gone_when_it_ends():
    before = _rss_kib()
    try:
        child_start, child_end = isolated.run("toy", _allocates, progress=print)
        assert child_end - child_start > 250 * 1024  # the child held it ...
        assert _rss_kib() - before < 50 * 1024  # ... and this process does not
    finally:
        _KEPT.clear()


def test_switched_off_it_runs_in_this_process(monkeypatch):
    monkeypatch.setenv(isolated.ENV, "0")
    assert isolated.run("toy", _stage, 1, progress=lambda m: None)["pid"] == os.getpid()


def _waits(progress) -> None:
    progress("waiting")
    import time

    time.sleep(60)


def test_a_stage_can_be_stopped_even_where_the_parent_defers_sigterm():
    """Dagster's in-process run defers SIGTERM; a forked child inherits that handler and would run on."""
    import threading

    previous = signal.signal(signal.SIGTERM, lambda *a: None)  # as Dagster's: note it, carry on
    try:

        def stop_child(message: str) -> None:
            for pid in _children():
                threading.Timer(0.2, os.kill, (pid, signal.SIGTERM)).start()

        with pytest.raises(isolated.StageProcessDied, match="exit code -15"):
            isolated.run("toy", _waits, progress=stop_child)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _children() -> list[int]:
    me = os.getpid()
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == me:
                        out.append(int(d))
            except OSError:
                pass
    return out


def _data_quality_in_process(settings, progress) -> None:
    from workforce_warehouse import pipeline

    pipeline.build_data_quality(settings, "no-checks-yet", in_process=True)


def test_data_quality_built_by_dbt_in_a_stage_process_fails_with_dbts_reason(tmp_path):
    """In the checks stage's process dbt runs through its Python API (issue 22); a failed build is still an
    error naming what failed. Here the warehouse has no checks.results table for the staging model to read."""
    import duckdb

    from workforce_warehouse.config import Settings

    settings = Settings(home=tmp_path)
    settings.warehouse_path.parent.mkdir(parents=True)
    duckdb.connect(str(settings.warehouse_path)).close()
    with pytest.raises(RuntimeError, match=r"dbt could not build data_quality: .*stg_checks__results.*error"):
        isolated.run("checks", _data_quality_in_process, settings, progress=print)
