"""Tick the landing sensor twice over a home's landing folder and run, in process, what it asks for.

    python benchmarks/sensor_run.py --home DIR [--code DIR]

The benchmark uses it to time the path a council's file takes when it arrives on a server running
`workforce-warehouse serve`: one partitioned run of that council's submission, rebuilding only what depends
on the file. Prints one line per run: partition, files, assets selected, seconds, success. --code runs
another checkout of the project (the benchmark's baseline: a git worktree of an older commit).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", required=True)
    ap.add_argument("--code", default=str(Path(__file__).resolve().parents[1]), help="the project to run")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(args.code).resolve()))
    home = Path(args.home).resolve()
    os.environ["WORKFORCE_HOME"] = str(home)
    os.environ["DAGSTER_HOME"] = str(home / "dagster")

    import dagster as dg

    from orchestration.definitions import defs

    sensor = defs.get_sensor_def("landing_folder_sensor")
    job = defs.resolve_job_def("refresh")
    ok = True
    with dg.DagsterInstance.get() as instance:
        ctx = dg.build_sensor_context(instance=instance)
        sensor(ctx)
        ctx = dg.build_sensor_context(instance=instance, cursor=ctx.cursor)
        result = sensor(ctx)
        for req in getattr(result, "dynamic_partitions_requests", None) or []:
            instance.add_dynamic_partitions("submissions", list(req.partition_keys))
        for req in getattr(result, "run_requests", None) or []:
            started = time.monotonic()
            res = job.execute_in_process(
                instance=instance,
                partition_key=req.partition_key,
                asset_selection=req.asset_selection,
                run_config={
                    **req.run_config,
                    "resources": {"warehouse": {"config": {"home": str(home)}}},
                    "loggers": {"console": {"config": {"log_level": "WARNING"}}},
                },
                tags=req.tags,
                raise_on_error=False,
            )
            n = "all" if req.asset_selection is None else str(len(req.asset_selection))
            print(
                f"RUN partition={req.partition_key} files={req.tags['workforce/files']} assets={n} "
                f"seconds={time.monotonic() - started:.1f} success={res.success} run_id={res.run_id}",
                flush=True,
            )
            ok &= res.success
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
