"""The data quality gate: dbt test results and Great Expectations suites into marts.data_quality."""


import dagster as dg

from workforce_warehouse import pipeline

from ..dbt.assets import dbt_models
from ..resources import WarehouseResource, progress_printer


@dg.asset(key=["marts", "data_quality"], group_name="quality", deps=[dbt_models], kinds={"great_expectations"},
          description="One row per check of the last refresh: dbt tests and Great Expectations suites.")
def data_quality(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    results = pipeline.checks_stage(warehouse.settings(), context.run_id, progress=progress_printer(context))
    blocking = [r for r in results if r.blocks]
    return dg.MaterializeResult(metadata={
        "checks": len(results), "failed": sum(r.outcome != "pass" for r in results), "blocking": len(blocking),
        "blocking_checks": dg.MetadataValue.md("\n".join(f"- {r.check_name} ({r.table_name}): {r.message[:300]}"
                                                         for r in blocking) or "none"),
    })
