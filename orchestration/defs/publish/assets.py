"""The published files for BI tools and council leads: suppressed, atomic, blocked by failing checks."""

import dagster as dg

from workforce_warehouse import pipeline
from workforce_warehouse.quality import CheckResult

from ..quality.assets import data_quality
from ..resources import WarehouseResource, progress_printer


@dg.asset(
    key=["published", "alliance"],
    group_name="published",
    deps=[data_quality],
    kinds={"duckdb", "parquet"},
    description="published/alliance.duckdb, parquet/<table>.parquet, councils/<LA>/council.duckdb, manifest.json",
)
def published(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings()
    rec = pipeline.read_record(settings, context.run_id, "checks") or {"results": []}
    checks = [CheckResult(**r) for r in rec["results"]]
    result = pipeline.publish_stage(settings, context.run_id, checks, progress=progress_printer(context))
    if not result.published:
        blocking = [c for c in checks + result.checks if c.blocks]
        raise dg.Failure(
            description="Publishing blocked by failing data quality checks; the previous published copy is unchanged.",
            metadata={
                "blocking": dg.MetadataValue.md(
                    "\n".join(
                        f"- {c.check_name} ({c.layer}.{c.table_name}{', ' + c.council if c.council else ''}): {c.message[:300]}"
                        for c in blocking
                    )
                )
            },
            allow_retries=False,
        )
    return dg.MaterializeResult(
        metadata={
            "tables": result.tables,
            "councils": len(result.councils),
            "manifest": str(result.manifest_path),
        }
    )
