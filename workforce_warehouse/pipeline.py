"""The refresh, stage by stage. The Dagster assets call these functions; so can a test.

load landing files -> dbt build (in Dagster) -> checks (dbt results + GX) -> publish.
Each stage writes its part of the run summary under <home>/logs/runs/<run id>/ so the CLI can print
one summary and choose its exit code.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from . import isolated
from .config import PROJECT_DIR, ConfigError, Settings
from .ingest import IngestSummary, ingest
from .quality import CheckResult, dbt_results, gx_home, run_gx_checks, write_data_quality
from .submissions import Submission
from .warehouse import connect

MANIFEST = PROJECT_DIR / "target" / "manifest.json"


def run_dir(settings: Settings, run_id: str) -> Path:
    d = settings.logs / "runs" / run_id
    d.mkdir(parents=True, exist_ok=True)
    return d


def record(settings: Settings, run_id: str, stage: str, data: dict) -> None:
    (run_dir(settings, run_id) / f"{stage}.json").write_text(json.dumps(data, indent=1, default=str))


def record_failure(settings: Settings, run_id: str, stage: str, exc: BaseException) -> None:
    """Record why a stage stopped, by the error's kind: the CLI picks its exit code from `kind`."""
    kind = "configuration" if isinstance(exc, ConfigError) else "failure"
    record(
        settings,
        run_id,
        f"{stage}.failed",
        {"kind": kind, "error": exc.__class__.__name__, "message": str(exc)},
    )


def failure_of(settings: Settings, run_id: str) -> dict | None:
    """The first recorded stage failure of a run, if any."""
    for stage in ("load", "dbt", "checks", "publish"):
        rec = read_record(settings, run_id, f"{stage}.failed")
        if rec:
            return rec | {"stage": stage}
    return None


def read_record(settings: Settings, run_id: str, stage: str) -> dict | None:
    p = settings.logs / "runs" / run_id / f"{stage}.json"
    return json.loads(p.read_text()) if p.exists() else None


def ensure_dbt_manifest(force: bool = False) -> Path:
    """dagster-dbt needs target/manifest.json before the definitions load: `dbt parse` when it is missing
    or older than any model, macro, seed or the project file."""
    sources = [
        PROJECT_DIR / "dbt_project.yml",
        *PROJECT_DIR.glob("models/**/*"),
        *PROJECT_DIR.glob("macros/**/*"),
        *PROJECT_DIR.glob("seeds/*"),
        *PROJECT_DIR.glob("tests/data_tests/**/*"),
    ]
    newest = max((p.stat().st_mtime for p in sources if p.is_file()), default=0)
    if force or not MANIFEST.exists() or MANIFEST.stat().st_mtime < newest:
        subprocess.run(
            [
                str(Path(sys.executable).with_name("dbt")),  # this environment's dbt, on PATH or not
                "parse",
                "--project-dir",
                str(PROJECT_DIR),
                "--profiles-dir",
                str(PROJECT_DIR / "profiles"),
                "--quiet",
            ],
            check=True,
            cwd=PROJECT_DIR,
        )
    return MANIFEST


def load_stage(
    settings: Settings,
    run_id: str,
    only: set[str] | None = None,
    progress: Callable[[str], None] = print,
    submission: Submission | None = None,
) -> IngestSummary:
    progress(
        "[1/4] load: landing files -> raw layer"
        + (f" (submission {submission.key} only)" if submission else "")
    )
    started = time.monotonic()
    summary = isolated.run("load", ingest, settings, only=only, progress=progress, submission=submission)
    record(
        settings,
        run_id,
        "load",
        {
            "seconds": time.monotonic() - started,
            "outcomes": [
                dataclasses.asdict(o) | {"errors": [dataclasses.asdict(e) for e in o.errors[:20]]}
                for o in summary.outcomes
            ],
            "line": summary.line(),
            "submission": submission.key if submission else None,
        },
    )
    return summary


def checks_stage(
    settings: Settings,
    run_id: str,
    target_dir: Path | None = None,
    progress: Callable[[str], None] = print,
    scope: set[str] | None = None,
    councils: set[str] | None = None,
) -> list[CheckResult]:
    """dbt test results and the GX suites. `scope` (a partial run): the tables this run rebuilt; only their
    GX checks run, and the last results of the other tables' checks are carried over unchanged.
    `councils` (a partitioned run): checks validated council by council validate only these councils."""
    progress(
        "[3/4] checks: dbt tests and Great Expectations suites"
        + (f" (the {len(scope)} tables this run rebuilt" if scope is not None else "")
        + (f"; council {', '.join(sorted(councils))}" if councils and scope is not None else "")
        + (")" if scope is not None else "")
    )
    started = time.monotonic()
    if target_dir is None:
        rec = read_record(settings, run_id, "dbt")
        target_dir = Path(rec["target_path"]) if rec else PROJECT_DIR / "target"
    results = dbt_results(target_dir)
    dbt_failed = [r for r in results if r.outcome != "pass"]
    progress(f"  dbt tests: {len(results) - len(dbt_failed)} passed, {len(dbt_failed)} failed")
    if scope is None:
        councils = None  # a full run validates every council
    results = isolated.run(
        "checks", _checks_and_data_quality, settings, results, scope, councils, run_id, progress=progress
    )
    record(
        settings,
        run_id,
        "checks",
        {
            "seconds": time.monotonic() - started,
            "scope": sorted(scope or []) or None,
            "councils": sorted(councils) if councils else None,
            "results": [dataclasses.asdict(r) for r in results],
        },
    )
    return results


def _checks_and_data_quality(
    settings: Settings,
    dbt_tests: list[CheckResult],
    scope: set[str] | None,
    councils: set[str] | None,
    run_id: str,
    progress: Callable[[str], None],
) -> list[CheckResult]:
    """The GX suites, then the data_quality mart over their results. In the checks stage's own process
    (isolated.run), dbt runs there too, with what the refresh process had imported of it; run in the refresh
    process itself (WORKFORCE_ISOLATE_STAGES=0), dbt runs as a command, as dbt's state must not stay there."""
    results = _gx_checks(settings, dbt_tests, scope, councils, progress)
    build_data_quality(settings, run_id, in_process=isolated.enabled())
    return results


def _gx_checks(
    settings: Settings,
    dbt_tests: list[CheckResult],
    scope: set[str] | None,
    councils: set[str] | None,
    progress: Callable[[str], None],
) -> list[CheckResult]:
    """The Great Expectations suites (those of the rebuilt tables in a partial run, with the other checks'
    last results carried over) after the dbt tests' results: all of them are written to checks.results
    and returned."""
    from expectations.suites import CHECKS

    from .quality import carried_results

    checks = CHECKS if scope is None else [c for c in CHECKS if c.table in scope]
    con = connect(settings.warehouse_path)
    try:
        results = dbt_tests + run_gx_checks(con, checks, gx_home(settings), progress, councils=councils)
        if scope is not None:
            fresh = {(r.check_name, r.table_name, r.council) for r in results}
            batched = {c.name for c in CHECKS if c.batch_by}
            carried = [
                r
                for r in carried_results(con, scope, councils, batched)
                if (r.check_name, r.table_name, r.council) not in fresh
            ]
            progress(
                f"  carried over from the last run: {len(carried)} results of checks on data this run did "
                "not change"
            )
            results += carried
        write_data_quality(con, results)
        return results
    finally:
        con.close()


# Built after the checks write checks.results, not in the main dbt build (which runs before the checks).
DATA_QUALITY_MODELS = ("stg_checks__results", "data_quality")


def build_data_quality(settings: Settings, run_id: str, in_process: bool = False) -> None:
    """dbt builds the `data_quality` mart (with its contract and tests) over the results just written.
    `in_process`: with dbt's Python API in this process (only in a stage's own process: dbt sets up its
    logging and flags globally), which spares a second interpreter importing dbt and reading the project
    (issue 22: 2.5 s instead of 5.2 s at 153 councils); otherwise the `dbt` command."""
    env = dict(
        WORKFORCE_HOME=str(settings.home),
        WORKFORCE_WAREHOUSE_PATH=str(settings.warehouse_path),
        DO_NOT_TRACK="1",
    )
    target = settings.logs / "dbt" / f"{run_id}-data-quality"
    reuse_parse(settings, target)
    args = [
        "build",
        "--select",
        *DATA_QUALITY_MODELS,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR / "profiles"),
        "--target-path",
        str(target),
        "--log-path",
        str(target),
        "--quiet",
    ]
    if in_process:
        os.environ.update(env)
        from dbt.cli.main import dbtRunner

        try:
            done = dbtRunner().invoke(args)
        finally:
            _close_dbt_database()
        if not done.success:
            raise RuntimeError(f"dbt could not build data_quality: {_dbt_failures(done)}")
    else:
        cmd = [str(Path(sys.executable).with_name("dbt")), *args]
        ran = subprocess.run(
            cmd, cwd=PROJECT_DIR, env=dict(os.environ, **env), capture_output=True, text=True
        )
        if ran.returncode != 0:
            raise RuntimeError(
                f"dbt could not build data_quality: {(ran.stdout + ran.stderr).strip()[-1500:]}"
            )
    (target / PARTIAL_PARSE).unlink(missing_ok=True)  # 1.5 MB a run: the home keeps one copy


def _close_dbt_database() -> None:
    """dbt-duckdb keeps its DuckDB database open for the life of the process (a dbt command ends with it).
    Closed, DuckDB writes what dbt built into warehouse.duckdb itself: a stage's process ends without
    closing what it opened, which left the data_quality mart only in the write-ahead log beside the file
    (safe, but a copy of the file alone, e.g. a backup, would miss it)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    env = DuckDBConnectionManager._ENV
    if env is not None:
        env.close()
        DuckDBConnectionManager._ENV = None


def _dbt_failures(done) -> str:
    """What went wrong in a dbtRunner invocation: each failed node and its message, or dbt's exception."""
    lines = [
        f"{r.node.name}: {r.status}: {r.message}"
        for r in getattr(done.result, "results", None) or []
        if str(r.status) in {"error", "fail", "runtime error"}
    ]
    if done.exception is not None:
        lines.append(f"{type(done.exception).__name__}: {done.exception}")
    return "; ".join(lines)[-1500:] or "dbt reported a failure"


PARTIAL_PARSE = "partial_parse.msgpack"


def _parse_cache(settings: Settings) -> Path:
    return settings.logs / "dbt" / PARTIAL_PARSE


def reuse_parse(settings: Settings, target: Path) -> None:
    """Start a dbt build from the last build's parse in this home. dbt re-parses only the files that
    changed, but only when the profile it was parsed with is the same, and the profile names the warehouse
    file: the project's own target/ (parsed at set-up, for no particular home) never matches, so every
    build parsed the whole project again (seconds of every refresh and sensor run)."""
    cached = _parse_cache(settings)
    if cached.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached, target / PARTIAL_PARSE)


def keep_parse(settings: Settings, target: Path) -> None:
    """Keep a finished build's parse for the next build in this home."""
    made = target / PARTIAL_PARSE
    if made.exists():
        cached = _parse_cache(settings)
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        shutil.copyfile(made, tmp)
        os.replace(tmp, cached)


def publish_stage(
    settings: Settings, run_id: str, checks: list[CheckResult], progress: Callable[[str], None] = print
):
    from .publish import build_and_swap

    progress("[4/4] publish: suppressed marts, council files, manifest")
    started = time.monotonic()
    blocking = [c for c in checks if c.blocks]
    extra = {
        "run_id": run_id,
        "checks": {
            "passed": sum(c.outcome == "pass" for c in checks),
            "failed": [dataclasses.asdict(c) for c in checks if c.outcome != "pass"],
        },
    }
    result = isolated.run(
        "publish", build_and_swap, settings, extra, checks_blocked=bool(blocking), progress=progress
    )
    checks_all = checks + result.checks
    record(
        settings,
        run_id,
        "publish",
        {
            "seconds": time.monotonic() - started,
            "published": result.published,
            "tables": result.tables,
            "councils": result.councils,
            "manifest": str(result.manifest_path) if result.manifest_path else None,
            "blocking": [dataclasses.asdict(c) for c in checks_all if c.blocks],
        },
    )
    return result
