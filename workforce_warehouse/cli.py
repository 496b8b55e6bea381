"""`workforce-warehouse`: sample, refresh, status, withdraw, serve, report, docs (interfaces.md).

The CLI is thin: it parses arguments, checks the environment, and runs the same Dagster job that the
schedule and the sensor run, in process.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from .config import ConfigError, Settings, load_settings
from .lock import LockHeld, WarehouseLock

EXIT_OK, EXIT_REJECTED, EXIT_BLOCKED, EXIT_CONFIG, EXIT_LOCKED = 0, 1, 2, 3, 4

DAGSTER_YAML = """# Written by workforce-warehouse. Nothing phones home; one run at a time writes the warehouse.
telemetry:
  enabled: false
run_queue:
  max_concurrent_runs: 1
run_retries:
  enabled: true
  max_retries: 0
# A run whose process died (killed, machine restarted) is marked failed, so the queue of one never jams.
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  max_resume_run_attempts: 0
  poll_interval_seconds: 30
"""


def _say(msg: str = "") -> None:
    print(msg, flush=True)


def prepare_dagster_home(settings: Settings) -> Path:
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)  # run logs and events name files and rows: owner only
    cfg = home / "dagster.yaml"
    wanted = DAGSTER_YAML
    pg_url = os.environ.get("WORKFORCE_DAGSTER_POSTGRES_URL")
    if pg_url:
        # A shared server: runs, event logs and schedules in PostgreSQL (dagster-postgres) instead of SQLite
        # files under DAGSTER_HOME. Dagster's storage speaks psycopg2, while SQLAlchemy 2.1 takes a plain
        # postgresql:// URL to mean psycopg 3: the URL is handed on with the driver named, through the
        # environment (inherited by `dagster dev` and its processes), so no password is written to a file.
        scheme, sep, rest = pg_url.partition("://")
        os.environ["WORKFORCE_DAGSTER_POSTGRES_SQLALCHEMY_URL"] = (
            f"postgresql+psycopg2://{rest}" if sep and scheme in ("postgres", "postgresql") else pg_url
        )
        wanted += (
            "# Runs, event logs and schedules in PostgreSQL: WORKFORCE_DAGSTER_POSTGRES_URL with the psycopg2\n"
            "# driver named (workforce-warehouse sets WORKFORCE_DAGSTER_POSTGRES_SQLALCHEMY_URL from it).\n"
            "storage:\n"
            "  postgres:\n"
            "    postgres_url:\n"
            "      env: WORKFORCE_DAGSTER_POSTGRES_SQLALCHEMY_URL\n"
        )
    # written by us (and not edited by hand since): kept up to date, the storage section too
    if not cfg.exists() or (
        cfg.read_text().startswith("# Written by workforce-warehouse") and cfg.read_text() != wanted
    ):
        cfg.write_text(wanted)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def clear_dead_runs(instance, say=None) -> int:
    """Mark failed the runs left STARTED or STARTING by a process that died (kill -9, a reboot). Called
    while holding the warehouse lock: every run that writes the warehouse holds that lock for its whole
    run, so no run that started more than a minute ago can still be alive. Without this, a queue of one
    run would wait for a dead run for ever, and neither the schedule nor the sensor would run again."""
    import time as _time

    from dagster import DagsterRunStatus, RunsFilter

    stale = instance.get_run_records(
        filters=RunsFilter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING])
    )
    cleared = 0
    for rec in stale:
        started = rec.start_time or (rec.create_timestamp.timestamp() if rec.create_timestamp else 0)
        if started and _time.time() - started < 60:
            continue
        instance.report_run_failed(rec.dagster_run, "its process is gone (the warehouse lock was free)")
        cleared += 1
        if say:
            say(
                f"Marked run {rec.dagster_run.run_id[:8]} failed: it was left running by a process that died."
            )
    return cleared


def _export_env(settings: Settings) -> None:
    os.environ["WORKFORCE_HOME"] = str(settings.home)
    os.environ["WORKFORCE_WAREHOUSE_PATH"] = str(settings.warehouse_path)
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("DO_NOT_TRACK", "1")


def check_alliance(settings: Settings) -> None:
    if settings.alliance == "all":
        return
    from .reference_data import _read_seed

    codes = {r["alliance_code"] for r in _read_seed("alliances")}
    if settings.alliance not in codes:
        raise ConfigError(
            f"WORKFORCE_ALLIANCE={settings.alliance!r} is not an alliance_code in seeds/alliances.csv "
            f"(known: {', '.join(sorted(codes)) or 'none'}; or use 'all')"
        )


def preflight(settings: Settings) -> list[Path]:
    """Key rules before anything is written: real files need the alliance key (exit 3)."""
    from .ingest import SAMPLE_MANIFEST, landing_files, require_key_for_real_files

    files = [f for f in landing_files(settings) if f.name != SAMPLE_MANIFEST]
    require_key_for_real_files(settings, files)
    return files


def new_files(settings: Settings, files: list[Path]) -> list[Path]:
    """The landing files whose bytes the warehouse has not loaded (all of them when there is no warehouse)."""
    from .io import sha256_of
    from .warehouse import read_loaded_files

    done = read_loaded_files(settings.warehouse_path)
    return [f for f in files if (f.name, sha256_of(f)) not in done]


# --------------------------------------------------------------------------------------------------


def cmd_sample(args) -> int:
    from .sample import generate

    settings = load_settings(args.home)
    out = Path(args.out) if args.out else settings.landing
    started = time.monotonic()
    _say(
        f"Writing sample landing folder {out} ({args.councils} councils, {args.years} years, seed {args.seed})"
    )
    files = generate(
        out,
        councils=args.councils,
        years=args.years,
        seed=args.seed,
        progress=_say if args.councils <= 20 else (lambda m: None),
    )
    _say(f"Wrote {len(files)} files in {time.monotonic() - started:.1f}s. Next: workforce-warehouse refresh")
    return EXIT_OK


def check_landing(settings: Settings, allow_empty: bool) -> None:
    """A home with no landing folder, or nothing in it, is most often a typo'd --home: say so (exit 3)
    rather than create a new empty warehouse and publish empty tables."""
    from .ingest import SAMPLE_MANIFEST, landing_files

    if allow_empty:
        return
    hint = (
        f"put the councils' files in {settings.landing}/<folder> (see README), or write the sample with: "
        f"workforce-warehouse sample --out {settings.landing}; --allow-empty refreshes anyway"
    )
    if not settings.landing.is_dir():
        raise ConfigError(f"{settings.home} has no landing folder (is --home right?): {hint}")
    files = [f for f in landing_files(settings) if f.name != SAMPLE_MANIFEST]
    if not files and not settings.warehouse_path.exists():
        raise ConfigError(
            f"the landing folder {settings.landing} is empty and there is no warehouse yet: {hint}"
        )


def cmd_refresh(args) -> int:
    started = time.monotonic()
    if args.verbose:
        os.environ["WORKFORCE_VERBOSE"] = "1"
    try:
        settings = load_settings(args.home)
        check_landing(settings, args.allow_empty)
        settings.ensure_dirs()
        check_alliance(settings)
        files = preflight(settings)
    except ConfigError as exc:
        _say(f"Configuration error: {exc}")
        return EXIT_CONFIG
    if args.only_new and not new_files(settings, files):
        _say("Nothing new in the landing folder: no refresh needed (--only-new).")
        return EXIT_OK
    lock = WarehouseLock(settings)
    try:
        lock.acquire("workforce-warehouse refresh")
    except LockHeld as exc:
        _say(str(exc))
        return EXIT_LOCKED
    try:
        return _run_refresh(settings, started)
    finally:
        lock.release()


ENV_SET_BY_REFRESH = ("WORKFORCE_HOME", "WORKFORCE_WAREHOUSE_PATH", "DAGSTER_HOME")


def _run_refresh(settings: Settings, started: float) -> int:
    from dagster import DagsterInstance

    from . import pipeline

    saved = {k: os.environ.get(k) for k in ENV_SET_BY_REFRESH}
    try:
        _export_env(settings)
        prepare_dagster_home(settings)
        _say(f"Refreshing the warehouse in {settings.home}")
        pipeline.ensure_dbt_manifest()
        from orchestration.definitions import defs

        job = defs.resolve_job_def("refresh")
        with DagsterInstance.get() as instance:
            clear_dead_runs(instance, _say)
            result = job.execute_in_process(
                instance=instance,
                raise_on_error=False,
                run_config={
                    "resources": {"warehouse": {"config": {"home": str(settings.home), "hold_lock": False}}},
                    "loggers": {"console": {"config": {"log_level": "WARNING"}}},
                },
                tags={"workforce/trigger": "cli"},
            )
        return summarise(settings, result.run_id, result.success, started, result)
    finally:
        # a refresh called in process (tests, a notebook) leaves the caller's environment as it found it
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def summarise(settings: Settings, run_id: str, success: bool, started: float, result=None) -> int:
    from . import pipeline

    load = pipeline.read_record(settings, run_id, "load")
    checks = pipeline.read_record(settings, run_id, "checks")
    pub = pipeline.read_record(settings, run_id, "publish")
    dbt_rec = pipeline.read_record(settings, run_id, "dbt")
    _say("")
    stages = [
        (name, rec) for name, rec in (("load", load), ("dbt", dbt_rec), ("checks", checks), ("publish", pub))
    ]
    times = ", ".join(f"{name} {rec['seconds']:.0f}s" for name, rec in stages if rec and "seconds" in rec)
    _say(f"Summary (run {run_id[:8]}, {time.monotonic() - started:.0f}s: {times})")
    rejected = []
    if load:
        _say(f"  files: {load['line']}")
        rejected = [o for o in load["outcomes"] if o["outcome"] == "rejected"]
        for o in rejected:
            _say(f"    rejected {o['file']}: {o['message'][:300]}")
    else:
        _say("  files: the load stage did not finish")
    chase = _chase_counts(settings)
    if chase:
        _say(f"  chase list: {chase}")
    if checks:
        res = checks["results"]
        for label, kind in (("dbt tests", "dbt_test"), ("expectations", "great_expectations")):
            mine = [r for r in res if r["check_type"] == kind]
            warned = sum(r["outcome"] != "pass" and r["severity"] != "error" for r in mine)
            failed = sum(r["outcome"] != "pass" and r["severity"] == "error" for r in mine)
            _say(
                f"  {label}: {sum(r['outcome'] == 'pass' for r in mine)} passed, {warned} warned, {failed} failed"
            )
        for r in res:
            if r["outcome"] != "pass":
                where = f"{r['layer']}.{r['table_name']}" + (f" ({r['council']})" if r["council"] else "")
                kind = "failed" if r["severity"] == "error" else "warning"
                _say(f"    {kind}: {r['check_name']} on {where}: {_short(r['message'])}")
    if pub and pub["published"]:
        _say(
            f"  published: {len(pub['tables'])} tables, {len(pub['councils'])} council files -> {settings.published}"
        )
        _say(
            f"    BI tools: {settings.published / 'alliance.duckdb'} (read-only) or {settings.published / 'parquet'}"
        )
        _say("    a first look (the alliance's latest WRES relative likelihoods, all services):")
        _say(f'      {sys.executable} -c "{_first_look(settings.published / "alliance.duckdb")}"')
        return EXIT_REJECTED if rejected else EXIT_OK
    if pub and not pub["published"]:
        _say("  NOT published: blocking checks failed; the previous published copy is unchanged.")
        for b in pub.get("blocking", [])[:20]:
            where = f"{b['layer']}.{b['table_name']}" + (f" ({b['council']})" if b["council"] else "")
            _say(f"    {b['check_name']} on {where}: {b['message'][:400]}")
        _say(f"  attempt's manifest: {pub.get('manifest')}")
        return EXIT_BLOCKED
    # The run failed before publishing: say where, and why by the kind of error recorded.
    failure = pipeline.failure_of(settings, run_id)
    if failure is not None:
        _say(f"  failed in the {failure['stage']} stage: {failure['message'][:1500]}")
        if failure["kind"] == "configuration":
            return EXIT_CONFIG
    elif result is not None:
        for ev in result.all_events:
            if ev.is_failure and ev.event_specific_data is not None:
                err = getattr(ev.event_specific_data, "error", None)
                if err is not None:
                    _say(f"  failed in {ev.step_key}: {err.message.strip()[:1500]}")
    _say("  NOT published: the refresh failed before publishing; the previous published copy is unchanged.")
    return EXIT_BLOCKED


def _first_look(path: Path) -> str:
    sql = (
        "select period_label, metric, comparison_group, round(relative_likelihood, 2) as rl, "
        "round(ci_lower, 2) as ci_low, round(ci_upper, 2) as ci_high, band, status "
        "from wres_metrics where geography_level = 'Alliance' and service = 'all' "
        "and breakdown_type = 'all' and period_end = (select max(period_end) from wres_metrics) "
        "order by metric, comparison_order"
    )
    return f"import duckdb; duckdb.connect('{path}', read_only=True).sql(\\\"{sql}\\\").show(max_rows=60)"


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _chase_counts(settings: Settings) -> str:
    """The chase list in counts (withdrawn, missing, rejected, waiting), saying when the bundled sample
    leaves submissions out on purpose."""
    from .ingest import sample_manifest
    from .warehouse import WarehouseBusy, chase_list

    try:
        rows = chase_list(settings.warehouse_path) if settings.warehouse_path.exists() else None
    except WarehouseBusy:
        return ""
    if not rows:
        return ""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r[4]] = counts.get(r[4], 0) + 1
    text = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    if counts.get("missing") and sample_manifest(settings):
        text += " (the bundled sample leaves some submissions out on purpose: docs/sample-data.md)"
    return text + "; workforce-warehouse status lists them"


def cmd_status(args) -> int:
    from .warehouse import WarehouseBusy, chase_list

    try:
        settings = load_settings(args.home)
    except ConfigError as exc:
        _say(f"Configuration error: {exc}")
        return EXIT_CONFIG
    if not settings.home.is_dir():
        _say(f"Configuration error: there is no home folder {settings.home} (is --home right?)")
        return EXIT_CONFIG
    runs = sorted((settings.logs / "runs").glob("*"), key=lambda p: p.stat().st_mtime, reverse=True)[:5]
    _say("Last runs:")
    for r in runs:
        pub = json.loads((r / "publish.json").read_text()) if (r / "publish.json").exists() else None
        load = json.loads((r / "load.json").read_text()) if (r / "load.json").exists() else None
        when = dt.datetime.fromtimestamp(r.stat().st_mtime).isoformat(timespec="seconds")
        state = (
            "published" if pub and pub["published"] else ("blocked" if pub else "failed before publishing")
        )
        scope = f" (submission {load['submission']})" if load and load.get("submission") else ""
        _say(f"  {when} run {r.name[:8]}{scope}: {state}; files {load['line'] if load else '?'}")
    if not runs:
        _say("  none yet")
    if settings.warehouse_path.exists():
        try:
            rows = chase_list(settings.warehouse_path)
        except WarehouseBusy:
            _say("The warehouse is being written by a refresh; try again in a moment.")
            return EXIT_LOCKED
        if rows is None:
            _say("Chase list: not built yet (run a refresh).")
        else:
            _say("Chase list (not loaded):" if rows else "Chase list: every expected submission is loaded.")
            for r in rows:
                _say(f"  {r[0]} {r[1]}/{r[2]} {r[3]}: {r[4]} {r[5]} {r[6][:160]}")
    _say("Quarantined files:")
    errs = sorted(settings.quarantine.rglob("*.errors.csv"))
    for e in errs:
        with e.open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        first = rows[0]["message"] if rows else ""
        _say(
            f"  {e.relative_to(settings.home).as_posix()[: -len('.errors.csv')]}: {len(rows)} error(s); {first[:200]}"
        )
    if not errs:
        _say("  none")
    return EXIT_OK


def cmd_withdraw(args) -> int:
    from .sources import sources_named
    from .warehouse import withdraw_loads

    try:
        settings = load_settings(args.home)
    except ConfigError as exc:
        _say(f"Configuration error: {exc}")
        return EXIT_CONFIG
    if not settings.warehouse_path.exists():
        _say("There is no warehouse yet: nothing to withdraw.")
        return EXIT_CONFIG
    chosen = sources_named(args.source) if args.source else None
    try:
        lock = WarehouseLock(settings).acquire("withdraw")
    except LockHeld as exc:
        _say(str(exc))
        return EXIT_LOCKED
    try:
        period = dt.date.fromisoformat(args.period) if args.period else None
        n = withdraw_loads(settings.warehouse_path, args.la.upper(), period, chosen)
    finally:
        lock.release()
    _say(
        f"Withdrew {n} load(s) of {args.la.upper()}. The next refresh removes their rows from every mart "
        "and published file; the load log keeps the record."
    )
    return EXIT_OK


def _clear_dead_runs_if_idle(settings: Settings) -> None:
    """At `serve`: when no process holds the warehouse, runs still marked running are dead."""
    from dagster import DagsterInstance

    try:
        lock = WarehouseLock(settings, timeout=0).acquire("serve start-up")
    except LockHeld:
        return
    try:
        with DagsterInstance.get() as instance:
            clear_dead_runs(instance, _say)
    finally:
        lock.release()


WORKSPACE_YAML = """# Written by workforce-warehouse serve: the project's one code location.
load_from:
  - python_module:
      module_name: orchestration.definitions
      location_name: workforce_warehouse
      working_directory: {project}
"""


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _copy_without_colour(stream) -> None:
    for raw in iter(stream.readline, b""):
        sys.stdout.write(_ANSI.sub("", raw.decode("utf-8", "replace")))
        sys.stdout.flush()


def cmd_serve(args) -> int:
    """The Dagster webserver and daemon (schedule, sensor, run queue, run monitoring) as two child processes
    of this one: the URL is printed once the port answers; Ctrl+C or SIGTERM stops both and waits for them."""
    import signal
    import socket

    try:
        settings = load_settings(args.home)
        settings.ensure_dirs()
    except ConfigError as exc:
        _say(f"Configuration error: {exc}")
        return EXIT_CONFIG
    _export_env(settings)
    home = prepare_dagster_home(settings)
    from .config import PROJECT_DIR
    from .pipeline import ensure_dbt_manifest

    ensure_dbt_manifest()
    _clear_dead_runs_if_idle(settings)
    workspace = home / "workspace.yaml"
    workspace.write_text(WORKSPACE_YAML.format(project=PROJECT_DIR))
    bin_dir = Path(sys.executable).parent
    log_format = ["--log-format", "colored" if sys.stdout.isatty() else "json"]
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    if not sys.stdout.isatty():
        env["NO_COLOR"] = "1"
    commands = [
        [str(bin_dir / "dagster-daemon"), "run", "-w", str(workspace), *log_format],
        [
            str(bin_dir / "dagster-webserver"),
            "-w",
            str(workspace),
            "-h",
            args.host,
            "-p",
            str(args.port),
            *log_format,
        ],
    ]
    plain = not sys.stdout.isatty()  # a log file: the children's colour codes are stripped
    pipe = subprocess.PIPE if plain else None
    children = [
        subprocess.Popen(
            c,
            env=env,
            cwd=PROJECT_DIR,
            start_new_session=True,
            stdout=pipe,
            stderr=subprocess.STDOUT if plain else None,
        )
        for c in commands
    ]
    if plain:
        for child in children:
            threading.Thread(target=_copy_without_colour, args=(child.stdout,), daemon=True).start()
    stopping = False

    def stop(signum=None, frame=None):
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGTERM)  # the child and the code server it started

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _say(f"Starting the Dagster webserver and daemon (DAGSTER_HOME={settings.dagster_home}) ...")
    url_shown = False
    try:
        while not stopping and all(c.poll() is None for c in children):
            if not url_shown:
                with socket.socket() as sock:
                    sock.settimeout(0.5)
                    if sock.connect_ex((args.host, args.port)) == 0:
                        _say(f"Dagster UI on http://{args.host}:{args.port} ; Ctrl+C stops it.")
                        url_shown = True
            time.sleep(0.5)
    finally:
        stop()
        deadline = time.monotonic() + 30
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
                child.wait()
    codes = [c.returncode for c in children]
    return EXIT_OK if stopping or all(c in (0, -signal.SIGTERM) for c in codes) else EXIT_BLOCKED


def cmd_report(args) -> int:
    from .reports import build_reports

    try:
        settings = load_settings(args.home)
    except ConfigError as exc:
        _say(f"Configuration error: {exc}")
        return EXIT_CONFIG
    if not (settings.published / "alliance.duckdb").exists():
        _say(f"Nothing is published in {settings.published} yet: run workforce-warehouse refresh first.")
        return EXIT_CONFIG
    res = build_reports(settings.published, la=args.la, pdf=args.pdf, progress=_say)
    for la, path in sorted(res.council_reports.items()):
        _say(f"  {la}: {path}")
    if res.alliance_report:
        _say(f"  alliance overview: {res.alliance_report}")
    for path in res.pdfs:
        _say(f"  PDF: {path}")
    if res.pdf_note:
        _say(res.pdf_note)
    for err in res.errors:
        _say(f"  not written: {err}")
    _say("Open a report in any browser (it needs no network); print it to A4 from the browser if you wish.")
    return EXIT_BLOCKED if res.errors else EXIT_OK


def cmd_docs(args) -> int:
    from .reports.docs import build_docs

    try:
        settings = load_settings(args.home)
    except ConfigError as exc:
        _say(f"Configuration error: {exc}")
        return EXIT_CONFIG
    try:  # dbt reads the warehouse's catalog: not while a refresh writes it
        lock = WarehouseLock(settings, timeout=0).acquire("docs")
    except LockHeld as exc:
        _say(str(exc))
        return EXIT_LOCKED
    try:
        res = build_docs(settings, progress=_say)
    except RuntimeError as exc:
        _say(str(exc))
        return EXIT_BLOCKED
    finally:
        lock.release()
    _say(f"dbt docs (models, columns, lineage, exposures): {res.dbt_site}")
    _say(f"  open it from disk: {res.dbt_site.as_uri()}")
    if res.gx_site:
        _say(f"Great Expectations data docs: {res.gx_site}")
        _say(f"  open it from disk: {res.gx_site.as_uri()}")
    for note in res.notes:
        _say(note)
    return EXIT_OK


def source_choices() -> list[str]:
    """Every registered source, and every landing folder (standing for the sources it holds)."""
    from .sources import folders, names

    return list(dict.fromkeys([*names(), *folders()]))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="workforce-warehouse",
        description="Workforce race-equality data warehouse for English social care.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample", help="write synthetic landing files (plus the real DfE published files)")
    s.add_argument("--out", help="landing folder to write (default <home>/landing)")
    s.add_argument("--councils", type=int, default=6)
    s.add_argument("--years", type=int, default=3)
    s.add_argument("--seed", type=int, default=42)
    s.add_argument("--home")
    s.set_defaults(func=cmd_sample)
    r = sub.add_parser("refresh", help="load -> dbt build -> checks -> publish, through Dagster in process")
    r.add_argument("--home")
    r.add_argument(
        "--only-new", action="store_true", help="do nothing unless a landing file is new or changed"
    )
    r.add_argument(
        "--verbose", action="store_true", help="a line for every file loaded, not only the rejected"
    )
    r.add_argument(
        "--allow-empty", action="store_true", help="refresh even with no landing folder or no files in it"
    )
    r.set_defaults(func=cmd_refresh)
    st = sub.add_parser("status", help="last runs, the chase list and quarantined files")
    st.add_argument("--home")
    st.set_defaults(func=cmd_status)
    w = sub.add_parser("withdraw", help="withdraw a council's loads (all, or one period or source)")
    w.add_argument("--la", required=True)
    w.add_argument("--period", help="period end YYYY-MM-DD")
    w.add_argument(
        "--source", choices=source_choices(), help="a source, or a landing folder (all its sources)"
    )
    w.add_argument("--home")
    w.set_defaults(func=cmd_withdraw)
    sv = sub.add_parser("serve", help="the Dagster UI with the schedule and the landing sensor")
    sv.add_argument("--home")
    sv.add_argument("--host", default=os.environ.get("WORKFORCE_SERVE_HOST", "127.0.0.1"))
    sv.add_argument("--port", type=int, default=int(os.environ.get("WORKFORCE_SERVE_PORT", "3000")))
    sv.set_defaults(func=cmd_serve)
    rp = sub.add_parser("report", help="(re)write the council WRES reports and the alliance overview")
    rp.add_argument("--home")
    rp.add_argument("--la", help="one council's report only (its LA code)")
    rp.add_argument("--pdf", action="store_true", help="also a PDF beside each report (needs Chromium)")
    rp.set_defaults(func=cmd_report)
    dp = sub.add_parser("docs", help="the dbt documentation site and the Great Expectations data docs")
    dp.add_argument("--home")
    dp.set_defaults(func=cmd_docs)
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
