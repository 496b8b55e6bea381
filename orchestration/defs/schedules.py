"""Nightly schedule and the landing-folder sensor (interfaces.md, Scheduling)."""


import hashlib
import json
import os
import zipfile
from pathlib import Path

import dagster as dg

from workforce_warehouse.config import load_settings
from workforce_warehouse.ingest import landing_files

REFRESH_CRON = os.environ.get("WORKFORCE_REFRESH_CRON", "0 2 * * *")
SENSOR_INTERVAL_SECONDS = int(os.environ.get("WORKFORCE_SENSOR_INTERVAL_SECONDS", "30"))


def nightly_schedule(job: dg.JobDefinition) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="nightly_refresh", job=job, cron_schedule=REFRESH_CRON,
        execution_timezone=os.environ.get("WORKFORCE_TIMEZONE", "Europe/London"),
        description="Refresh every night (cron from WORKFORCE_REFRESH_CRON, default 02:00).",
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _is_complete(path: Path) -> bool:
    """A workbook must open (a half-copied .xlsx is not yet a valid zip)."""
    if path.suffix.lower() == ".xlsx":
        return zipfile.is_zipfile(path)
    return True


def scan_landing(landing_root: Path, cursor: dict) -> tuple[list[str], dict]:
    """One sensor tick. A file triggers once it is complete (size and modification time unchanged since
    the previous tick, and a workbook that opens), and only once for the same bytes; changed bytes
    trigger again. Returns (files to refresh, new cursor)."""
    seen = cursor.get("seen", {})
    triggered = cursor.get("triggered", {})
    new_seen, ready = {}, []
    settings_like = type("S", (), {"landing": landing_root})
    for p in landing_files(settings_like):
        rel = p.relative_to(landing_root).as_posix()
        st = p.stat()
        sig = [st.st_size, st.st_mtime_ns]
        new_seen[rel] = sig
        if seen.get(rel) != sig or not _is_complete(p):
            continue  # still being written, or first sight: wait a tick
        digest = _digest(p)
        if triggered.get(rel) == digest:
            continue
        triggered[rel] = digest
        ready.append(rel)
    return ready, {"seen": new_seen, "triggered": {k: v for k, v in triggered.items() if k in new_seen}}


def landing_sensor(job: dg.JobDefinition) -> dg.SensorDefinition:
    @dg.sensor(name="landing_folder_sensor", job=job, minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
               default_status=dg.DefaultSensorStatus.STOPPED,
               description="Starts a refresh within a minute of a complete new or changed file in the landing folder.")
    def _sensor(context: dg.SensorEvaluationContext):
        settings = load_settings()
        cursor = json.loads(context.cursor) if context.cursor else {}
        ready, new_cursor = scan_landing(settings.landing, cursor)
        context.update_cursor(json.dumps(new_cursor))
        if not ready:
            return dg.SkipReason("no complete new or changed file in the landing folder")
        key = hashlib.sha256("|".join(f"{r}:{new_cursor['triggered'][r]}" for r in sorted(ready)).encode()).hexdigest()
        # the run loads only the files that triggered it (each council's submission on its own), then
        # rebuilds the marts; files already loaded are untouched
        names = sorted({Path(r).name for r in ready})
        return dg.RunRequest(
            run_key=key,
            run_config={"ops": {"load_landing_files": {"config": {"only_files": names}}}},
            tags={"workforce/files": ", ".join(sorted(ready))[:4000], "workforce/trigger": "landing_sensor"},
        )

    return _sensor
