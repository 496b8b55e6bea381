"""Benchmark: how long a refresh takes as the alliance grows, each stage beside its floor (issue 22).

    uv run python benchmarks/run.py                           # 10, 50 and 153 councils x 5 years
    uv run python benchmarks/run.py --councils 10             # one size only
    uv run python benchmarks/run.py --baseline REF            # and the code of git ref REF, on the same files
    uv run python benchmarks/run.py --quick                   # smoke check: 10 councils, no baseline

For each size it writes one sample landing folder (`workforce-warehouse sample`, this tree's generator),
then measures, with this working tree's code ("new") and, with --baseline, the code of REF ("old": a
detached git worktree run with the same virtual environment) one after the other, each in its own home on
an identical copy of that landing folder:
- the full refresh: wall time and each stage (load, dbt, checks, publish),
- after both full refreshes, the published files compared row for row (every table of alliance.duckdb,
  of each council.duckdb and each Parquet file; only the columns that record the run are left out),
- the load floor (floors.py): DuckDB reading every landing CSV into tables, python-calamine reading every
  sheet of every workbook and xml.etree's iterparse walking every CSWW return, with no validation,
- the SQL floor: every model's compiled SQL as one script in one DuckDB session on the same raw tables,
- one council's resubmitted staff file to republished by `refresh` (every model),
- the same through the landing sensor: the partitioned run of that council's submission rebuilding only
  what depends on the file (sensor_run.py), for a staff file and for a new agency return,
- peak memory of the whole refresh: the largest sum of PSS over the CLI and every process it starts
  (sampled every 0.2 s), never less than the largest single RSS; the warehouse and published sizes,
and, once, the CSWW XML parse rate beside the liiatools method (csww_parse.py).

Targets (issue 22; 153 councils x 5 years, 2 cores), each printed as a ratio measured in the same run:
- load stage <= 3x the load floor;            - checks stage <= 2x the dbt stage;
- dbt stage <= 2x the SQL floor;              - CSWW parsing >= 6x the liiatools method;
- peak memory of the full refresh <= 1.5 GiB (1536 MiB), shown for every size (growth 10 -> 50 -> 153);
- with --baseline: full refresh new/old <= 0.5; sensor path for a staff file new/old <= 0.25, and for an
  agency return new/old <= 0.25; and the published files identical to the old code's.
Prints the figures and writes benchmarks/results/benchmark.json. Figures, not pass/fail: no timed tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from code_versions import Code, new_code, old_code, remove_worktree
from compare_published import compare_published, describe
from csww_parse import bench_csww
from floors import load_floor, sql_floor
from measure import du, last_run_dir, run_measured, stage_seconds

PROJECT = Path(__file__).resolve().parents[1]
KEY = "benchmark-only-throwaway-key-" + "b" * 20
MEMORY_TARGET_MIB = 1536

sys.path.insert(0, str(PROJECT))


def home_env(home: Path, code: Code) -> dict:
    return code.env(
        dict(
            os.environ,
            WORKFORCE_HOME=str(home),
            WORKFORCE_PSEUDONYMISATION_KEY=KEY,
            DAGSTER_HOME=str(home / "dagster"),
            DO_NOT_TRACK="1",
            GX_ANALYTICS_ENABLED="False",
        )
    )


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


def _mem(m) -> dict:
    return {
        "peak_mib": round(m.peak_mib),
        "tree_pss_mib": round(m.tree_pss_mib),
        "tree_rss_mib": round(m.tree_rss_mib),
        "max_process_rss_mib": round(m.max_process_rss_mib),
    }


class Version:
    """One version's home for one size, and what was measured in it."""

    def __init__(self, code: Code, home: Path):
        self.code, self.home = code, home
        self.env = home_env(home, code)
        self.r: dict = {"code": code.name, "revision": code.revision}

    def say(self, councils: int, msg: str) -> None:
        print(f"  {councils} councils, {self.code.name} ({self.code.revision}): {msg}", flush=True)

    def refresh(self, key: str) -> None:
        m = run_measured(self.code.cli("refresh", "--home", str(self.home)), self.env, self.code.root)
        if m.returncode not in (0, 1):
            print(m.output[-3000:])
            raise SystemExit(f"{self.code.name}: refresh failed with exit code {m.returncode}")
        self.r[f"{key}_seconds"] = round(m.seconds, 1)
        self.r[f"{key}_exit_code"] = m.returncode
        self.r[f"{key}_stages_seconds"] = stage_seconds(self.home)
        self.r[f"{key}_memory"] = _mem(m)

    def sensor(self, key: str) -> None:
        m = run_measured(self.code.sensor(self.home), self.env, self.code.root)
        runs = re.findall(r"^RUN .*seconds=([\d.]+) success=(\w+)", m.output, re.M)
        ok = m.returncode == 0 and bool(runs) and all(s == "True" for _, s in runs)
        if not ok:
            print(m.output[-3000:])
        self.r[f"{key}_seconds"] = round(m.seconds, 1)
        self.r[f"{key}_run_seconds"] = round(sum(float(s) for s, _ in runs), 1)
        self.r[f"{key}_runs"] = len(runs)
        self.r[f"{key}_success"] = ok
        self.r[f"{key}_stages_seconds"] = stage_seconds(self.home)
        self.r[f"{key}_memory"] = _mem(m)

    def floors_and_sizes(self, load: dict) -> None:
        st = self.r["full_refresh_stages_seconds"]
        self.r["warehouse_mb"] = round(du(self.home / "warehouse") / 1e6, 1)
        self.r["published_mb"] = round(du(self.home / "published") / 1e6, 1)
        floor = sql_floor(self.home, last_run_dir(self.home))
        self.r["sql_floor_seconds"] = round(floor, 1)
        self.r["dbt_over_sql_floor"] = round(st["dbt"] / floor, 2) if floor and "dbt" in st else None
        self.r["load_over_load_floor"] = round(st["load"] / load["seconds"], 2) if load["seconds"] else None
        self.r["checks_over_dbt"] = round(st["checks"] / st["dbt"], 2) if st.get("dbt") else None


def bench_size(councils: int, years: int, workdir: Path, new: Code, old: Code | None) -> dict:
    base = workdir / f"c{councils}"
    shutil.rmtree(base, ignore_errors=True)
    versions = [Version(new, base / "new")] + ([Version(old, base / "old")] if old else [])
    start = time.monotonic()
    sample = run_measured(
        new.cli(
            "sample", "--councils", str(councils), "--years", str(years), "--home", str(versions[0].home)
        ),
        versions[0].env,
        new.root,
    )
    if sample.returncode != 0:
        print(sample.output[-3000:])
        raise SystemExit("sample failed")
    landing = versions[0].home / "landing"
    for v in versions[1:]:  # the same bytes for every version (the old generator may differ)
        shutil.copytree(landing, v.home / "landing")
    out = {
        "councils": councils,
        "years": years,
        "sample_seconds": round(time.monotonic() - start, 1),
        "landing_files": sum(1 for p in landing.rglob("*") if p.is_file()),
        "landing_mb": round(du(landing) / 1e6, 1),
    }
    print(
        f"  {councils} councils: sample of {out['landing_files']} files ({out['landing_mb']} MB)", flush=True
    )
    for v in versions:
        v.say(councils, "full refresh ...")
        v.refresh("full_refresh")
    if old:
        print(f"  {councils} councils: comparing the published files ...", flush=True)
        out["published_comparison"] = compare_published(
            versions[0].home / "published", versions[1].home / "published"
        )
    print(f"  {councils} councils: load floor and SQL floor ...", flush=True)
    out["load_floor"] = load_floor(landing)
    for v in versions:
        v.floors_and_sizes(out["load_floor"])
    for v in versions:
        v.say(councils, f"incremental refresh ({resubmit_one_council(v.home)}) ...")
        v.refresh("incremental_refresh")
    for v in versions:
        v.say(councils, f"sensor run for {resubmit_one_council(v.home)} ...")
        v.sensor("sensor_staff_file")
    for v in versions:
        v.say(councils, f"sensor run for {new_agency_return(v.home)} ...")
        v.sensor("sensor_agency_file")
    for v in versions:
        v.r["peak_mib_any_run"] = max(v.r[k]["peak_mib"] for k in v.r if k.endswith("_memory"))
    out["new"] = versions[0].r
    if old:
        out["old"] = versions[1].r
    out["ratios"] = ratios(out)
    return out


def ratios(size: dict) -> list[dict]:
    """Each target of issue 22 as (figure, value, target, met)."""
    new, old = size["new"], size.get("old")
    rows = [
        ("load / load floor", new["load_over_load_floor"], "<=", 3),
        ("checks / dbt", new["checks_over_dbt"], "<=", 2),
        ("dbt / SQL floor", new["dbt_over_sql_floor"], "<=", 2),
        (
            "peak memory of the full refresh, MiB",
            new["full_refresh_memory"]["peak_mib"],
            "<=",
            MEMORY_TARGET_MIB,
        ),
    ]
    if old:
        for label, key, target in (
            ("full refresh new / old", "full_refresh_seconds", 0.5),
            ("sensor, staff file, new / old", "sensor_staff_file_seconds", 0.25),
            ("sensor, agency return, new / old", "sensor_agency_file_seconds", 0.25),
        ):
            rows.append((label, round(new[key] / old[key], 2) if old.get(key) else None, "<=", target))
    return [
        {
            "figure": f,
            "value": v,
            "target": f"{op} {t}",
            "met": v is not None and (v <= t if op == "<=" else v >= t),
        }
        for f, v, op, t in rows
    ]


def print_size(size: dict) -> None:
    new, old = size["new"], size.get("old")
    print(
        f"\n== {size['councils']} councils x {size['years']} years: {size['landing_files']} landing files, ",
        end="",
    )
    print(f"{size['landing_mb']} MB ==")
    cols = ["new " + new["revision"]] + (["old " + old["revision"], "new/old"] if old else [])
    print(f"{'':34}" + "".join(f"{c[:26]:>28}" for c in cols))

    def line(label: str, get) -> None:
        vals = [get(new)] + ([get(old)] if old else [])
        cells = [f"{v:>28}" if v is not None else f"{'-':>28}" for v in vals]
        if old:
            a, b = vals
            cells.append(f"{(round(a / b, 2) if isinstance(a, int | float) and b else '-'):>28}")
        print(f"{label:34}" + "".join(cells))

    line("full refresh, s", lambda r: r["full_refresh_seconds"])
    for stage in ("load", "dbt", "checks", "publish"):
        line(f"  {stage}, s", lambda r, s=stage: r["full_refresh_stages_seconds"].get(s))
    line("incremental refresh (staff file), s", lambda r: r["incremental_refresh_seconds"])
    line("sensor: staff file, s", lambda r: r["sensor_staff_file_seconds"])
    line("  of which the run, s", lambda r: r["sensor_staff_file_run_seconds"])
    line("sensor: agency return, s", lambda r: r["sensor_agency_file_seconds"])
    line("  of which the run, s", lambda r: r["sensor_agency_file_run_seconds"])
    line("peak memory, full refresh, MiB", lambda r: r["full_refresh_memory"]["peak_mib"])
    line("  largest single process, MiB", lambda r: r["full_refresh_memory"]["max_process_rss_mib"])
    line("peak memory, any run, MiB", lambda r: r["peak_mib_any_run"])
    line("warehouse, MB", lambda r: r["warehouse_mb"])
    line("published, MB", lambda r: r["published_mb"])
    line("SQL floor, s", lambda r: r["sql_floor_seconds"])
    line("dbt / SQL floor", lambda r: r["dbt_over_sql_floor"])
    line("load / load floor", lambda r: r["load_over_load_floor"])
    line("checks / dbt", lambda r: r["checks_over_dbt"])
    f = size["load_floor"]
    print(
        f"load floor {f['seconds']} s: DuckDB read {f['csv_files']} CSVs ({f['csv_rows']} rows) in "
        f"{f['csv_seconds']} s, calamine {f['xlsx_files']} workbooks ({f['xlsx_sheets']} sheets) in "
        f"{f['xlsx_seconds']} s, iterparse {f['xml_files']} XML files in {f['xml_seconds']} s"
    )
    for u in f.get("csv_unread", []):
        print(f"  not read by DuckDB: {u}")
    for x in ("new", "old"):
        r = size.get(x) or {}
        failed = [k[: -len("_success")] for k, v in r.items() if k.endswith("_success") and not v]
        if failed:
            print(f"{x}: sensor run failed: {', '.join(failed)} (figures of a failed run are not comparable)")
    print("targets (issue 22):")
    for t in size["ratios"]:
        print(
            f"  {t['figure']:40} {t['value']!s:>8}  target {t['target']:<8} {'met' if t['met'] else 'MISSED'}"
        )
    if "published_comparison" in size:
        for text in describe(size["published_comparison"]):
            print(text)


def print_summary(results: dict) -> None:
    print("\n== all sizes (new code) ==")
    hdr = [
        "councils",
        "full s",
        "load/floor",
        "checks/dbt",
        "dbt/floor",
        "full n/o",
        "staff n/o",
        "agency n/o",
    ]
    hdr += ["peak MiB", "wh MB", "pub MB", "identical"]
    print(" | ".join(f"{h:>10}" for h in hdr))
    for s in results["sizes"]:
        new, by = s["new"], {t["figure"]: t["value"] for t in s["ratios"]}
        comp = s.get("published_comparison")
        row = [
            s["councils"],
            new["full_refresh_seconds"],
            new["load_over_load_floor"],
            new["checks_over_dbt"],
            new["dbt_over_sql_floor"],
            by.get("full refresh new / old", "-"),
            by.get("sensor, staff file, new / old", "-"),
            by.get("sensor, agency return, new / old", "-"),
            new["full_refresh_memory"]["peak_mib"],
            new["warehouse_mb"],
            new["published_mb"],
            ("yes" if comp["identical"] else "NO") if comp else "-",
        ]
        print(" | ".join(f"{v!s:>10}" for v in row))
    c = results.get("csww")
    if c:
        print(
            f"\nCSWW parse: {c['workers']} workers, {c['ours_workers_per_second']} workers/s"
            + (
                f" vs {c['liiatools_method_workers_per_second']} workers/s with the liiatools method "
                f"(x{c['speedup']}; target >= 6: {'met' if c['speedup'] >= 6 else 'MISSED'})"
                if "speedup" in c
                else f" ({c.get('liiatools_method')})"
            )
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--councils", type=int, nargs="*", default=[10, 50, 153])
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "workforce-benchmark"))
    ap.add_argument("--csww-workers", type=int, default=20000)
    ap.add_argument(
        "--baseline", metavar="REF", help="also run the code of this git ref (e.g. before a change)"
    )
    ap.add_argument(
        "--baseline-sizes",
        type=int,
        nargs="*",
        help="the sizes the baseline runs at (default: every size of --councils)",
    )
    ap.add_argument(
        "--quick", action="store_true", help="smoke check: 10 councils, no baseline, 2000 workers"
    )
    ap.add_argument("--out", default=str(PROJECT / "benchmarks" / "results" / "benchmark.json"))
    args = ap.parse_args()
    if args.quick:
        args.councils, args.baseline, args.csww_workers = [10], None, 2000
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    new = new_code()
    old = old_code(args.baseline, workdir) if args.baseline else None
    results = {
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "new": {"revision": new.revision, "root": str(new.root)},
        "old": {"ref": old.ref, "revision": old.revision} if old else None,
        "sizes": [],
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        for n in args.councils:
            with_old = old if args.baseline_sizes is None or n in args.baseline_sizes else None
            results["sizes"].append(bench_size(n, args.years, workdir, new, with_old))
            print_size(results["sizes"][-1])
            out.write_text(json.dumps(results, indent=1))  # what is measured so far, should a size fail
        results["csww"] = bench_csww(workdir, args.csww_workers)
        results["csww"]["target_speedup"] = 6
    finally:
        if old:
            remove_worktree(old)
    results["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    out.write_text(json.dumps(results, indent=1))
    print_summary(results)
    print(f"\nWritten to {out}")


if __name__ == "__main__":
    main()
