"""dbt models as Dagster assets (DbtProject + @dbt_assets), with a translator that maps the `raw`
sources to the load assets and groups models by folder (staging, intermediate, marts)."""


import os
import sys
from pathlib import Path
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from workforce_warehouse import pipeline
from workforce_warehouse.config import PROJECT_DIR

from ..resources import WarehouseResource, progress_printer

dbt_project = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR / "profiles")
dbt_project.prepare_if_dev()


class WarehouseTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        if dbt_resource_props["resource_type"] == "seed":
            return dg.AssetKey(["reference", dbt_resource_props["name"]])
        layer = (dbt_resource_props.get("fqn") or ["", "models"])[1]
        return dg.AssetKey([layer, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn") or []
        return fqn[1] if len(fqn) > 2 else "dbt"


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=WarehouseTranslator(),
            name="dbt_models")
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    settings = warehouse.settings()
    os.environ["WORKFORCE_HOME"] = str(settings.home)
    os.environ["WORKFORCE_WAREHOUSE_PATH"] = str(settings.warehouse_path)
    os.environ["WORKFORCE_ALLIANCE"] = settings.alliance
    say = progress_printer(context)
    say("[2/4] dbt build: seeds, staging -> intermediate -> marts, with dbt tests")
    # Failing tests do not stop the run here: the checks stage reads run_results.json and decides.
    invocation = dbt.cli(["build"], context=context, raise_on_error=False)
    yield from invocation.stream()
    pipeline.record(settings, context.run_id, "dbt", {"target_path": str(invocation.target_path)})
    results = invocation.get_artifact("run_results.json").get("results", [])
    counts: dict[str, int] = {}
    for r in results:
        counts[r.get("status", "?")] = counts.get(r.get("status", "?"), 0) + 1
    say("  dbt: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))


# The dbt executable of this environment, whether or not the environment's bin folder is on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
dbt_resource = DbtCliResource(project_dir=dbt_project, profiles_dir=str(PROJECT_DIR / "profiles"),
                              dbt_executable=DBT_EXECUTABLE if Path(DBT_EXECUTABLE).exists() else "dbt")
