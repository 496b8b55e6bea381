"""The data quality gate: dbt test results and Great Expectations suites into marts.data_quality."""

import dagster as dg

from workforce_warehouse import pipeline
from workforce_warehouse.submissions import Submission, raw_tables_of

from ..dbt.assets import dbt_models
from ..resources import WarehouseResource, progress_printer


def run_scope(context: dg.AssetExecutionContext) -> set[str] | None:
    """The tables a partial run rebuilt (None: a full run). The load step is one step writing every raw
    table, but only the tables of the sources the run loaded can have changed (tag workforce/sources)."""
    selection = context.run.asset_selection
    if not selection:
        return None
    scope = {k.path[-1] for k in selection if k.path[0] != "raw"} | {"load_log", "row_errors"}
    sources = context.run.tags.get("workforce/sources")
    if sources is None:
        return scope | {k.path[-1] for k in selection if k.path[0] == "raw"}
    return scope | raw_tables_of(set(filter(None, sources.split(","))))


def run_councils(context: dg.AssetExecutionContext) -> set[str] | None:
    """The council of a partitioned run (its submission key starts with the LA code); None otherwise."""
    key = context.run.tags.get("dagster/partition")
    if not key:
        return None
    try:
        return {Submission.from_key(key).la_code}
    except ValueError:
        return None


@dg.asset(
    key=["marts", "data_quality"],
    group_name="quality",
    deps=[dbt_models],
    kinds={"great_expectations"},
    description="One row per check of the last refresh: dbt tests and Great Expectations suites.",
)
def data_quality(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    results = pipeline.checks_stage(
        warehouse.settings(),
        context.run_id,
        progress=progress_printer(context),
        scope=run_scope(context),
        councils=run_councils(context),
    )
    blocking = [r for r in results if r.blocks]
    return dg.MaterializeResult(
        metadata={
            "checks": len(results),
            "failed": sum(r.outcome != "pass" for r in results),
            "blocking": len(blocking),
            "carried_over": sum(r.checked_at is not None for r in results),
            "blocking_checks": dg.MetadataValue.md(
                "\n".join(f"- {r.check_name} ({r.table_name}): {r.message[:300]}" for r in blocking) or "none"
            ),
        }
    )
