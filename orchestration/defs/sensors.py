"""The landing-folder sensor (interfaces.md, Scheduling): one run per council submission, within a minute
of a complete new or changed file, rebuilding only what depends on it."""

import hashlib
import json
import os
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from workforce_warehouse.config import load_settings
from workforce_warehouse.ingest import landing_files, loaded_ledger_path, read_loaded_ledger
from workforce_warehouse.io import looks_complete, sha256_of
from workforce_warehouse.submissions import source_of, submission_of

from .partitions import SUBMISSIONS
from .selection import rebuild_selection

SENSOR_INTERVAL_SECONDS = int(os.environ.get("WORKFORCE_SENSOR_INTERVAL_SECONDS", "15"))
# Two looks 15 s apart prove a file complete; with the run queue's start-up a run starts well within a minute.
# More submissions than this in one tick: one unpartitioned run loads them all (see plan_runs).
MAX_PARTITIONED_RUNS = int(os.environ.get("WORKFORCE_SENSOR_MAX_PARTITION_RUNS", "4"))
PUBLISHED = dg.AssetKey(["published", "alliance"])


def scan_landing(
    landing_root: Path, cursor: dict, loaded: dict[str, set[str]] | None = None
) -> tuple[list[str], dict]:
    """One sensor tick. A file triggers once it is complete (size and modification time unchanged since
    the previous tick, and a workbook that opens), and only once for the same bytes; changed bytes
    trigger again; bytes the warehouse already loaded under that name (`loaded`, the load ledger) do not.
    Returns (files to refresh, new cursor); the cursor's `complete` lists every file that is complete at
    this tick, triggering or not."""
    loaded = loaded or {}
    seen = cursor.get("seen", {})
    triggered = cursor.get("triggered", {})
    hashed = cursor.get("hashed", {})  # rel -> [size, mtime_ns, sha256]: a file is hashed once per change
    new_seen, new_hashed, ready, complete = {}, {}, [], []
    settings_like = type("S", (), {"landing": landing_root})
    steady: list[tuple[str, Path, list[int], str | None]] = []  # complete files, and their digest if known
    for p in landing_files(settings_like):
        rel = p.relative_to(landing_root).as_posix()
        st = p.lstat()  # a link is never followed: the load step quarantines it without reading it
        sig = [st.st_size, st.st_mtime_ns]
        new_seen[rel] = sig
        if seen.get(rel) != sig or not looks_complete(p):
            continue  # still being written, or first sight: wait a tick
        cached = hashed.get(rel)
        if p.is_symlink() or not p.is_file():
            known = f"not-a-file:{st.st_mtime_ns}"
        else:
            known = cached[2] if cached and cached[:2] == sig else None
        steady.append((rel, p, sig, known))
    # files not hashed since they changed, a thread per core (hashlib works outside the interpreter lock):
    # all of them at a first tick, e.g. 376 MB at 153 councils
    to_hash = [p for _, p, _, known in steady if known is None]
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        digests = dict(zip(to_hash, pool.map(sha256_of, to_hash)))
    for rel, p, sig, known in steady:
        complete.append(rel)
        digest = known or digests[p]
        new_hashed[rel] = [*sig, digest]
        if triggered.get(rel) == digest:
            continue
        triggered[rel] = digest
        if digest not in loaded.get(p.name, ()):
            ready.append(rel)
    return ready, {
        "seen": new_seen,
        "triggered": {k: v for k, v in triggered.items() if k in new_seen},
        "hashed": new_hashed,
        "complete": complete,
    }


@dataclass
class PlannedRun:
    """One run the sensor asks for: a submission's partition (or none), the files it loads, what it rebuilds."""

    partition_key: str | None
    files: list[str]  # paths under landing/ that triggered it or belong to its submission and are complete
    sources: set[str]
    full: bool  # rebuild every model (a council seen for the first time, nothing published yet)

    @property
    def names(self) -> list[str]:
        return sorted({Path(f).name for f in self.files})


def plan_runs(
    ready: list[str],
    complete: list[str],
    known_partitions: set[str],
    published_before: bool,
    max_partitioned: int = MAX_PARTITIONED_RUNS,
) -> list[PlannedRun]:
    """Group the files that triggered into runs. Each council submission gets its own partitioned run,
    loading the files that triggered and the submission's other complete files of the same source (so a
    casework file that waited for its staff file loads with it); DfE published files and names that do not
    parse go into one unpartitioned run. When more
    than `max_partitioned` submissions arrive in one tick, one unpartitioned run loads them all instead of a
    queue of runs that each rebuild the marts. A council with no partition yet (its first submission) changes
    which councils the alliance's pooled figures cover, so that run rebuilds every model."""
    if not ready:
        return []
    known_councils = {_council(k) for k in known_partitions}
    by_key: dict[str | None, list[str]] = defaultdict(list)
    for rel in ready:
        sub = submission_of(rel)
        by_key[sub.key if sub else None].append(rel)
    partitioned = [k for k in by_key if k is not None]
    if len(partitioned) > max_partitioned:
        files = sorted(ready)
        new_council = any(_council(k) not in known_councils for k in partitioned)
        return [PlannedRun(None, files, _sources(files), full=new_council or not published_before)]
    runs = []
    for key in sorted(partitioned):
        sources = _sources(by_key[key])
        # with the files that triggered, the submission's other complete files of the same sources (a
        # casework file that waited for its staff file); byte-identical ones are no-ops in the load
        files = sorted(
            set(by_key[key])
            | {c for c in complete if (s := submission_of(c)) and s.key == key and source_of(c) in sources}
        )
        new_council = _council(key) not in known_councils
        runs.append(PlannedRun(key, files, sources, full=new_council or not published_before))
    if by_key.get(None):
        files = sorted(by_key[None])
        runs.append(PlannedRun(None, files, _sources(files), full=not published_before))
    return runs


def _council(partition_key: str) -> str:
    return partition_key.split("_", 1)[0]  # submission keys start with the LA code (submissions.py)


def _sources(files: list[str]) -> set[str]:
    return {s for f in files if (s := source_of(f))}


def landing_sensor(job: dg.JobDefinition) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_folder_sensor",
        job=job,
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Starts a refresh within a minute of a complete new or changed file in the landing "
        "folder: one run per council submission (a partition), rebuilding what depends on it.",
    )
    def _sensor(context: dg.SensorEvaluationContext):
        settings = load_settings()
        cursor = json.loads(context.cursor) if context.cursor else {}
        ready, new_cursor = scan_landing(
            settings.landing, cursor, read_loaded_ledger(loaded_ledger_path(settings))
        )
        complete = new_cursor.pop("complete")
        context.update_cursor(json.dumps(new_cursor))
        if not ready:
            return dg.SkipReason("no complete new or changed file in the landing folder")
        instance = context.instance
        known = set(instance.get_dynamic_partitions(SUBMISSIONS.name))
        published_before = instance.get_latest_materialization_event(PUBLISHED) is not None
        plans = plan_runs(ready, complete, known, published_before)
        requests = []
        for plan in plans:
            digests = "|".join(f"{f}:{new_cursor['triggered'].get(f, '')}" for f in plan.files)
            requests.append(
                dg.RunRequest(
                    run_key=hashlib.sha256(f"{plan.partition_key}|{digests}".encode()).hexdigest(),
                    partition_key=plan.partition_key,
                    # the run loads only these files, then rebuilds what depends on their sources
                    run_config={"ops": {"load_landing_files": {"config": {"only_files": plan.names}}}},
                    asset_selection=None if plan.full else rebuild_selection(plan.sources),
                    tags={
                        "workforce/files": ", ".join(plan.files)[:4000],
                        "workforce/trigger": "landing_sensor",
                        "workforce/sources": ",".join(sorted(plan.sources)),
                        "workforce/rebuild": "all models" if plan.full else "models depending on the sources",
                    },
                )
            )
        new_keys = sorted({p.partition_key for p in plans if p.partition_key} - known)
        return dg.SensorResult(
            run_requests=requests,
            dynamic_partitions_requests=[SUBMISSIONS.build_add_request(new_keys)] if new_keys else None,
        )

    return _sensor
