"""Shared test set-up: a throwaway key, an isolated home per test, and warehouse builders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

PROJECT = Path(__file__).resolve().parents[2]
TEST_KEY = "test-only-key-" + "x" * 40  # a throwaway key for tests; real keys come from the environment

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ["WORKFORCE_PSEUDONYMISATION_KEY"] = TEST_KEY  # module-scoped fixtures run before autouse ones


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("WORKFORCE_PSEUDONYMISATION_KEY", TEST_KEY)
    monkeypatch.delenv("WORKFORCE_ALLIANCE", raising=False)
    monkeypatch.delenv("WORKFORCE_SUPPRESSION_THRESHOLD", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path_factory.mktemp("dagster")))
    yield


def dbt_build(
    home: Path, select: str | None = None, env_extra: dict | None = None, extra_args: list[str] | None = None
) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        WORKFORCE_HOME=str(home),
        WORKFORCE_WAREHOUSE_PATH=str(home / "warehouse" / "warehouse.duckdb"),
        DO_NOT_TRACK="1",
        **(env_extra or {}),
    )
    cmd = [
        str(Path(sys.executable).with_name("dbt")),
        "build",
        "--project-dir",
        str(PROJECT),
        "--profiles-dir",
        str(PROJECT / "profiles"),
        "--target-path",
        str(home / "dbt_target"),
        "--log-path",
        str(home / "dbt_logs"),
    ]
    if select:
        cmd += ["--select", select]
    cmd += extra_args or []
    return subprocess.run(cmd, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600)


def query(home: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(home / "warehouse" / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def query_dicts(home: Path, sql: str, params=None) -> list[dict]:
    con = duckdb.connect(str(home / "warehouse" / "warehouse.duckdb"), read_only=True)
    try:
        cur = con.execute(sql, params or [])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]
    finally:
        con.close()


@pytest.fixture(scope="session")
def readme_run(tmp_path_factory):
    """README.md's bash commands, run once (readme_session.py): the README test checks them, the offline
    docs tests read the docs site its `workforce-warehouse docs` line built."""
    from readme_session import run_readme

    return run_readme(tmp_path_factory.mktemp("readme") / "home", TEST_KEY)
