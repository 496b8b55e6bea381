"""Benchmark: how long a refresh takes as the alliance grows, and where the time goes.

    uv run python benchmarks/run.py                    # 10, 50 and 153 councils x 5 years
    uv run python benchmarks/run.py --councils 10      # one size only

For each size it writes a sample landing folder (`workforce-warehouse sample`), then measures:
- the full refresh (wall time, each stage's share: load, dbt, checks, publish),
- one council's resubmitted staff file to republished (incremental refresh: `refresh`, every model),
- the same through the landing sensor: a partitioned run of that council's submission rebuilding only
  the models that depend on the file (benchmarks/sensor_run.py), for a staff file and an agency return,
- peak memory (the largest RSS of any process of the run: the CLI, dbt),
- the warehouse and published sizes,
- the SQL floor: every model's compiled SQL run as one script in a single DuckDB session on the same raw
  tables, with no dbt in between; reported as dbt stage / floor,
and, once, the CSWW XML parse rate (workers per second) beside the method of the London alliance's
cleaner (liiatools: XSD validation with xmlschema, then a DOM walk). liiatools itself does not install on
Python 3.11 (it pins cchardet 2.1.7), so its method is reimplemented here with xmlschema and a schema
written from the contract (benchmarks/csww.xsd).

Targets (153 councils x 5 years, 2 cores): full refresh <= 5 min; one council's file to republished
<= 30 s; peak RSS <= 2 GiB; dbt <= 3x the SQL floor; CSWW parsing >= 5x the liiatools method.
Prints a table and writes benchmarks/results/benchmark.json. Figures, not pass/fail: no timed tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
KEY = "benchmark-only-throwaway-key-" + "b" * 20

sys.path.insert(0, str(PROJECT))


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def timed_rss(cmd: list[str], env: dict) -> tuple[float, int, int, str]:
    """Run cmd in a wrapper that reports the largest RSS among the wrapper's descendants (KiB)."""
    wrapper = (
        "import resource, subprocess, sys; p = subprocess.run(sys.argv[1:]); "
        "print('MAXRSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
        "sys.exit(p.returncode)"
    )
    start = time.monotonic()
    p = subprocess.run(
        [sys.executable, "-c", wrapper, *cmd], env=env, capture_output=True, text=True, cwd=PROJECT
    )
    seconds = time.monotonic() - start
    rss = 0
    for line in p.stderr.splitlines():
        if line.startswith("MAXRSS"):
            rss = int(line.split()[1])
    return seconds, rss, p.returncode, p.stdout + p.stderr


def stage_seconds(home: Path) -> dict[str, float]:
    runs = sorted((home / "logs" / "runs").glob("*"), key=lambda p: p.stat().st_mtime)
    out = {}
    if runs:
        for stage in ("load", "dbt", "checks", "publish"):
            f = runs[-1] / f"{stage}.json"
            if f.exists():
                out[stage] = json.loads(f.read_text()).get("seconds", 0.0)
    return out


def sql_floor(home: Path) -> float:
    """Every model's compiled SQL, in dependency order, as one script in one DuckDB session."""
    import duckdb

    runs = sorted((home / "logs" / "runs").glob("*"), key=lambda p: p.stat().st_mtime)
    target = Path(json.loads((runs[-1] / "dbt.json").read_text())["target_path"])
    manifest = json.loads((target / "manifest.json").read_text())
    nodes = {k: v for k, v in manifest["nodes"].items() if v["resource_type"] == "model"}
    order, seen = [], set()

    def visit(uid):
        if uid in seen or uid not in nodes:
            return
        seen.add(uid)
        for dep in nodes[uid]["depends_on"]["nodes"]:
            visit(dep)
        order.append(uid)

    for uid in sorted(nodes):
        visit(uid)
    compiled_dir = target / "compiled"
    statements = []
    for uid in order:
        n = nodes[uid]
        sql_path = compiled_dir / n["package_name"] / n["original_file_path"]
        kind = "view" if n["config"]["materialized"] == "view" else "table"
        statements.append(f'create or replace {kind} "{n["schema"]}"."{n["name"]}" as {sql_path.read_text()}')
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "warehouse.duckdb"  # same file name: the compiled SQL names its catalog after it
        shutil.copy(home / "warehouse" / "warehouse.duckdb", copy)
        con = duckdb.connect(str(copy))
        start = time.monotonic()
        for s in statements:
            con.execute(s)
        seconds = time.monotonic() - start
        con.close()
    return seconds


def resubmit_one_council(home: Path) -> str:
    """Drop the last row of one council's newest staff CSV (a realistic correction)."""
    staff = sorted((home / "landing" / "council_hr").glob("hr_*_staff.csv"))[-1]
    lines = staff.read_bytes().splitlines(keepends=True)
    staff.write_bytes(b"".join(lines[:-1]))
    return staff.name


def new_agency_return(home: Path) -> str:
    """One council's agency return for the quarter after its newest one (a new file, as the sensor sees it)."""
    newest = sorted((home / "landing" / "agency_use").glob("agency_*.csv"))[-1]
    la, quarter = newest.stem.split("_")[1:3]
    year, q = int(quarter[:4]), int(quarter[-1])
    year, q = (year + 1, 1) if q == 4 else (year, q + 1)
    target = newest.with_name(f"agency_{la}_{year}-Q{q}.csv")
    shutil.copy(newest, target)
    return target.name


def sensor_run(home: Path, env: dict) -> tuple[float, int, dict, str]:
    """The file-arrival path: the sensor's partitioned run of one council's submission."""
    seconds, rss, code, out = timed_rss(
        [sys.executable, str(PROJECT / "benchmarks" / "sensor_run.py"), "--home", str(home)], env
    )
    if code != 0 or "RUN " not in out:
        print(out[-3000:])
    return seconds, rss, stage_seconds(home), out


def bench_size(councils: int, years: int, workdir: Path) -> dict:
    home = workdir / f"c{councils}"
    shutil.rmtree(home, ignore_errors=True)
    env = dict(
        os.environ,
        WORKFORCE_HOME=str(home),
        WORKFORCE_PSEUDONYMISATION_KEY=KEY,
        DAGSTER_HOME=str(home / "dagster"),
        DO_NOT_TRACK="1",
        GX_ANALYTICS_ENABLED="False",
    )
    cli = str(BIN / "workforce-warehouse")
    t0 = time.monotonic()
    subprocess.run(
        [cli, "sample", "--councils", str(councils), "--years", str(years), "--home", str(home)],
        env=env,
        check=True,
        capture_output=True,
    )
    sample_s = time.monotonic() - t0
    print(f"  {councils} councils: sample written in {sample_s:.1f}s; full refresh ...", flush=True)
    full_s, rss_kib, code, out = timed_rss([cli, "refresh", "--home", str(home)], env)
    if code not in (0, 1):
        print(out[-3000:])
        raise SystemExit(f"refresh failed with exit code {code}")
    stages = stage_seconds(home)
    name = resubmit_one_council(home)
    print(f"  {councils} councils: full refresh {full_s:.0f}s; incremental ({name}) ...", flush=True)
    inc_s, inc_rss, code, out = timed_rss([cli, "refresh", "--home", str(home)], env)
    if code not in (0, 1):
        print(out[-3000:])
    inc_stages = stage_seconds(home)
    floor_s = sql_floor(home)
    # the sensor's path: one partitioned run per council submission, rebuilding only what depends on it
    name = resubmit_one_council(home)
    print(f"  {councils} councils: incremental {inc_s:.0f}s; partitioned run for {name} ...", flush=True)
    part_hr_s, part_hr_rss, part_hr_stages, _ = sensor_run(home, env)
    name = new_agency_return(home)
    print(f"  {councils} councils: partitioned run for {name} ...", flush=True)
    part_ag_s, part_ag_rss, part_ag_stages, _ = sensor_run(home, env)
    return {
        "councils": councils,
        "years": years,
        "sample_seconds": round(sample_s, 1),
        "landing_mb": round(du(home / "landing") / 1e6, 1),
        "full_refresh_seconds": round(full_s, 1),
        "stages_seconds": {k: round(v, 1) for k, v in stages.items()},
        "incremental_seconds": round(inc_s, 1),
        "incremental_stages_seconds": {k: round(v, 1) for k, v in inc_stages.items()},
        "partitioned_staff_file_seconds": round(part_hr_s, 1),
        "partitioned_staff_file_stages_seconds": {k: round(v, 1) for k, v in part_hr_stages.items()},
        "partitioned_agency_file_seconds": round(part_ag_s, 1),
        "partitioned_agency_file_stages_seconds": {k: round(v, 1) for k, v in part_ag_stages.items()},
        "peak_rss_mb": round(max(rss_kib, inc_rss, part_hr_rss, part_ag_rss) / 1024, 0),
        "warehouse_mb": round(du(home / "warehouse") / 1e6, 1),
        "published_mb": round(du(home / "published") / 1e6, 1),
        "sql_floor_seconds": round(floor_s, 1),
        "dbt_over_floor": round(stages.get("dbt", 0) / floor_s, 2) if floor_s else None,
    }


def bench_csww(workdir: Path, workers: int = 20000) -> dict:
    """Parse rate of one large CSWW return: this project's streaming parser vs the liiatools method."""
    import random
    import xml.etree.ElementTree as ET

    from workforce_warehouse.pseudonymise import Pseudonymiser
    from workforce_warehouse.sample import Council
    from workforce_warehouse.sources.csww_return import parse_return
    from workforce_warehouse.sources.csww_return.sample import csww_xml

    rng = random.Random(1)
    council = Council("E09000022", 0, rng, dt.date(2023, 4, 1), dt.date(2025, 3, 31), 400)
    # the 2023 layout: the one benchmarks/csww.xsd describes (GenderCurrent, SWENo of exactly 10 digits)
    text = csww_xml(council, 2023, rng, [])
    head, first, rest = text.partition("  <CSWWWorker>")
    blocks = [("  <CSWWWorker>" + b) for b in (first and rest or "").split("  <CSWWWorker>")]
    blocks[-1] = blocks[-1].replace("</Message>\n", "")
    parts = [
        re.sub(r"<SWENo>SW\d{10}</SWENo>", f"<SWENo>SW{i:010d}</SWENo>", blocks[i % len(blocks)])
        for i in range(workers)
    ]
    big = workdir / "csww_E09000022_2023.xml"
    big.write_text(head + "".join(parts) + "</Message>\n", encoding="utf-8")
    n = workers

    start = time.monotonic()
    loads, errors = parse_return(big, "E09000022", 2023, Pseudonymiser(KEY.encode()), dt.date(2026, 1, 1))
    ours = time.monotonic() - start
    result = {"workers": n, "ours_seconds": round(ours, 2), "ours_workers_per_second": round(n / ours)}

    try:
        import xmlschema
    except ImportError:
        result["liiatools_method"] = "xmlschema not installed (uv sync installs it with the dev group)"
        return result
    start = time.monotonic()
    schema = xmlschema.XMLSchema(str(PROJECT / "benchmarks" / "csww.xsd"))
    schema.validate(str(big))
    tree = ET.parse(big)
    rows = [{c.tag: c.text for c in w} for w in tree.getroot().iter("CSWWWorker")]
    theirs = time.monotonic() - start
    result.update(
        {
            "liiatools_method_seconds": round(theirs, 2),
            "liiatools_method_workers_per_second": round(len(rows) / theirs),
            "speedup": round(theirs / ours, 1),
        }
    )
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--councils", type=int, nargs="*", default=[10, 50, 153])
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "workforce-benchmark"))
    ap.add_argument("--csww-workers", type=int, default=20000)
    args = ap.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    results = {
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "sizes": [],
    }
    for n in args.councils:
        results["sizes"].append(bench_size(n, args.years, workdir))
    results["csww"] = bench_csww(workdir, args.csww_workers)
    out = PROJECT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "benchmark.json").write_text(json.dumps(results, indent=1))

    print()
    hdr = (
        "councils",
        "full s",
        "load",
        "dbt",
        "checks",
        "publish",
        "incr s",
        "part hr s",
        "part ag s",
        "peak MB",
        "wh MB",
        "pub MB",
        "floor s",
        "dbt/floor",
    )
    print(" | ".join(f"{h:>9}" for h in hdr))
    for r in results["sizes"]:
        s = r["stages_seconds"]

        def share(k, s=s, r=r):
            return f"{100 * s.get(k, 0) / r['full_refresh_seconds']:.0f}%"

        row = (
            r["councils"],
            r["full_refresh_seconds"],
            share("load"),
            share("dbt"),
            share("checks"),
            share("publish"),
            r["incremental_seconds"],
            r["partitioned_staff_file_seconds"],
            r["partitioned_agency_file_seconds"],
            r["peak_rss_mb"],
            r["warehouse_mb"],
            r["published_mb"],
            r["sql_floor_seconds"],
            r["dbt_over_floor"],
        )
        print(" | ".join(f"{v!s:>9}" for v in row))
    c = results["csww"]
    print(
        f"\nCSWW parse: {c['workers']} workers, {c['ours_workers_per_second']} workers/s"
        + (
            f" vs {c['liiatools_method_workers_per_second']} workers/s with the liiatools method "
            f"(x{c['speedup']})"
            if "speedup" in c
            else f" ({c.get('liiatools_method')})"
        )
    )
    print(f"\nWritten to {out / 'benchmark.json'}")


if __name__ == "__main__":
    main()
