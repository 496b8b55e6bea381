"""One Definitions object for the code location (pyproject [tool.dagster] points here)."""

from __future__ import annotations

import os

import dagster as dg

os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

from .defs.dbt.assets import dbt_models, dbt_resource
from .defs.ingest.assets import LANDING, load_landing_files
from .defs.publish.assets import published
from .defs.quality.assets import data_quality
from .defs.resources import WarehouseResource
from .defs.schedules import nightly_schedule
from .defs.sensors import landing_sensor

refresh_job = dg.define_asset_job(
    name="refresh",
    selection=dg.AssetSelection.all(),
    description="Load landing files -> dbt build -> data quality checks -> publish.",
    executor_def=dg.in_process_executor,  # one process: the warehouse lock is held for the whole run
    tags={"workforce/job": "refresh"},
    op_retry_policy=None,
)

defs = dg.Definitions(
    assets=[LANDING, load_landing_files, dbt_models, data_quality, published],
    jobs=[refresh_job],
    schedules=[nightly_schedule(refresh_job)],
    sensors=[landing_sensor(refresh_job)],
    resources={"dbt": dbt_resource, "warehouse": WarehouseResource()},
)
