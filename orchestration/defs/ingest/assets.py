"""Landing folder -> raw layer. One asset per raw table (they are written together by one load step),
so the lineage graph shows each dbt source fed by the files that land."""


import dagster as dg
import duckdb

from workforce_warehouse import pipeline
from workforce_warehouse.config import ConfigError
from workforce_warehouse.warehouse import RAW_TABLES

from ..resources import WarehouseResource, progress_printer

RAW_TABLE_NAMES = ["load_log", "row_errors", *RAW_TABLES]


class LoadConfig(dg.Config):
    only_files: list[str] = []  # file names to load; empty = every new or changed file in the landing folder


@dg.multi_asset(
    specs=[dg.AssetSpec(key=["raw", t], group_name="raw", description=f"raw.{t}", kinds={"duckdb", "python"})
           for t in RAW_TABLE_NAMES],
    can_subset=False,
    name="load_landing_files",
)
def load_landing_files(context: dg.AssetExecutionContext, config: LoadConfig, warehouse: WarehouseResource):
    settings = warehouse.settings()
    try:
        summary = pipeline.load_stage(settings, context.run_id, set(config.only_files) or None,
                                      progress=progress_printer(context))
    except duckdb.IOException as exc:
        # transient: another process has the warehouse file open for writing. Data errors never get here
        # (a bad file is quarantined, not raised), and configuration errors are not retried.
        raise dg.RetryRequested(max_retries=3, seconds_to_wait=15) from exc
    except ConfigError as exc:
        raise dg.Failure(description=f"ConfigError: {exc}", allow_retries=False) from exc
    meta = {
        "loaded": len(summary.of("loaded")), "rejected": len(summary.of("rejected")),
        "unchanged": len(summary.of("unchanged")), "waiting": len(summary.of("waiting_for_staff")),
        "rejected_files": dg.MetadataValue.md("\n".join(f"- {o.file}: {o.message}" for o in summary.of("rejected"))
                                              or "none"),
    }
    for t in RAW_TABLE_NAMES:
        yield dg.MaterializeResult(asset_key=["raw", t], metadata=meta if t == "load_log" else None)
