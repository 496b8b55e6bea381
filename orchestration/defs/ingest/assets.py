"""Landing folder -> raw layer. One asset per raw table (they are written together by one load step),
so the lineage graph shows each dbt source fed by the files that land.

The step is partitioned by submission (partitions.py): a run for partition `E09000002_2024-09-30` loads
only that council's files for that period end; other councils' raw rows and load ids are untouched.
An unpartitioned run (the nightly schedule, `workforce-warehouse refresh`) loads every new or changed file.
"""

import os

import dagster as dg
import duckdb

from workforce_warehouse import pipeline
from workforce_warehouse.config import ConfigError
from workforce_warehouse.submissions import Submission, raw_tables_of, source_of, submission_of
from workforce_warehouse.warehouse import RAW_TABLES

from ..partitions import SUBMISSIONS
from ..resources import WarehouseResource, progress_printer

RAW_TABLE_NAMES = ["load_log", "row_errors", *RAW_TABLES]


# The head of the lineage: the files councils and the DfE drop in <home>/landing/ (not materialised by the
# warehouse: it only observes them, through the sensor and the load step).
LANDING = dg.AssetSpec(
    key=["landing", "files"],
    group_name="landing",
    description="Files in <home>/landing/<folder>: council HR extracts, CSWW returns, DfE published files, agency "
    "returns (docs/architecture.md).",
    kinds={"file"},
)


class LoadConfig(dg.Config):
    only_files: list[str] = []  # file names to load; empty = every new or changed file (of the partition)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=["raw", t],
            group_name="raw",
            description=f"raw.{t}",
            kinds={"duckdb", "python"},
            deps=[LANDING],
        )
        for t in RAW_TABLE_NAMES
    ],
    can_subset=False,
    partitions_def=SUBMISSIONS,
    name="load_landing_files",
)
def load_landing_files(context: dg.AssetExecutionContext, config: LoadConfig, warehouse: WarehouseResource):
    settings = warehouse.settings()
    submission = None
    if context.has_partition_key:
        try:
            submission = Submission.from_key(context.partition_key)
        except ValueError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from exc
    try:
        summary = pipeline.load_stage(
            settings,
            context.run_id,
            set(config.only_files) or None,
            progress=progress_printer(context),
            submission=submission,
        )
    except duckdb.IOException as exc:
        # transient: another process has the warehouse file open for writing. Data errors never get here
        # (a bad file is quarantined, not raised), and configuration errors are not retried.
        raise dg.RetryRequested(max_retries=3, seconds_to_wait=15) from exc
    except ConfigError as exc:
        # the CLI's exit code comes from the type of the error, recorded with the run (pipeline.record_failure)
        pipeline.record_failure(settings, context.run_id, "load", exc)
        raise dg.Failure(description=f"Configuration error: {exc}", allow_retries=False) from exc
    meta = {
        "loaded": len(summary.of("loaded")),
        "rejected": len(summary.of("rejected")),
        "unchanged": len(summary.of("unchanged")),
        "waiting": len(summary.of("waiting_for_staff")),
        "rejected_files": dg.MetadataValue.md(
            "\n".join(f"- {o.file}: {o.message}" for o in summary.of("rejected")) or "none"
        ),
    }
    if submission is None:
        _record_submissions(context, summary)
    for t in RAW_TABLE_NAMES:
        yield dg.MaterializeResult(asset_key=["raw", t], metadata=meta if t == "load_log" else None)


# A full run records, for each submission it loaded, a materialization of every raw table that submission
# wrote (so the Partitions tab shows each submission's raw assets as loaded), up to this many events; a
# first national load (about 3,800 submissions) would spend minutes in the event log (about 7 ms an
# event), so above it only `raw/load_log` gets one per submission.
MAX_PARTITION_EVENTS = int(os.environ.get("WORKFORCE_MAX_PARTITION_EVENTS", "2000"))


def _record_submissions(context: dg.AssetExecutionContext, summary) -> None:
    """A full run loads many submissions at once: add each one's partition and record its materializations
    (naming its files), so each submission's history in the UI shows this load too."""
    loaded: dict[str, list] = {}
    for o in summary.of("loaded"):
        sub = submission_of(o.file)
        if sub is not None:
            loaded.setdefault(sub.key, []).append(o)
    if not loaded:
        return
    known = set(context.instance.get_dynamic_partitions(SUBMISSIONS.name))
    new = sorted(set(loaded) - known)
    if new:
        context.instance.add_dynamic_partitions(SUBMISSIONS.name, new)
    plans = {}
    for key, outcomes in loaded.items():
        sources = {source_of(o.file) or o.source for o in outcomes}
        plans[key] = (outcomes, sources, ["load_log", "row_errors", *sorted(raw_tables_of(sources))])
    per_table = sum(len(tables) for _, _, tables in plans.values()) <= MAX_PARTITION_EVENTS
    for key, (outcomes, sources, tables) in sorted(plans.items()):
        metadata = {
            "files": ", ".join(sorted(o.file for o in outcomes)),
            "sources": ", ".join(sorted(sources)),
            "loaded_by": "full refresh (unpartitioned run)",
        }
        for table in tables if per_table else ["load_log"]:
            context.log_event(
                dg.AssetMaterialization(
                    asset_key=["raw", table],
                    partition=key,
                    metadata=metadata if table == "load_log" else None,
                )
            )
