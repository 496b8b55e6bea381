"""dbt models as Dagster assets (DbtProject + @dbt_assets), with a translator that maps the `raw`
sources to the load assets and groups models by folder (staging, intermediate, marts)."""

import contextlib
import importlib.metadata
import os
import shutil
import sys
import time
import uuid
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from packaging import version

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


REFRESH_BUILD_ARGS = ("--exclude-resource-type", "unit_test")

# dbt tests are not Dagster asset checks here: a failing test must not stop the run before the checks stage,
# which reads every test's result from run_results.json, writes data_quality and decides whether to publish.
TRANSLATOR = WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=False))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=TRANSLATOR,
    name="dbt_models",
    # built by the checks step over the results it writes (pipeline.build_data_quality)
    exclude=" ".join(pipeline.DATA_QUALITY_MODELS),
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    settings = warehouse.settings()
    os.environ["WORKFORCE_HOME"] = str(settings.home)
    os.environ["WORKFORCE_WAREHOUSE_PATH"] = str(settings.warehouse_path)
    os.environ["WORKFORCE_ALLIANCE"] = settings.alliance
    say = progress_printer(context)
    if context.is_subset:
        say(
            f"[2/4] dbt build: the {len(context.selected_asset_keys)} models and seeds that depend on what this "
            "run loaded, with their dbt tests"
        )
    else:
        say("[2/4] dbt build: seeds, staging -> intermediate -> marts, with dbt tests")
    # Failing tests do not stop the run here: the checks stage reads run_results.json and decides.
    started = time.monotonic()
    # unit tests pin the formulas on fixed inputs: they check the code, which the test command (CI) runs
    # them on, not the data; at every refresh they cost a second or so each (docs/decisions.md)
    target = PROJECT_DIR / "target" / f"dbt_models-{context.run_id[:8]}-{uuid.uuid4().hex[:7]}"
    pipeline.reuse_parse(settings, target)
    invocation = dbt.cli(
        ["build", *REFRESH_BUILD_ARGS], context=context, raise_on_error=False, target_path=target
    )
    outputs = {}
    # dbt's own log (a line per model and test) goes to a file, not the terminal: the summary below and the
    # checks stage say what failed
    log_path = settings.logs / "dbt" / f"{context.run_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log, contextlib.redirect_stdout(log):
        for event in invocation.stream():
            if isinstance(event, dg.Output):
                outputs[context.assets_def.keys_by_output_name[event.output_name]] = event
            elif isinstance(event, dg.MaterializeResult) and event.asset_key is not None:
                outputs[event.asset_key] = event
            else:
                yield event  # observations (test results), logs
    # Outputs go out in dependency order. A model dbt skipped (an upstream test failed) keeps its previous
    # table: it is reported as not rebuilt, so the checks stage still runs, records the failure and blocks
    # publishing, rather than Dagster skipping everything downstream.
    for key in _topological(context.assets_def, context.selected_asset_keys):
        yield outputs.get(key) or dg.MaterializeResult(
            asset_key=key,
            metadata={
                "dbt_status": "not rebuilt: dbt skipped or failed it; the table is unchanged from the last build"
            },
        )
    pipeline.record(
        settings,
        context.run_id,
        "dbt",
        {
            "target_path": str(invocation.target_path),
            "seconds": time.monotonic() - started,
            "selected": sorted(k.to_user_string() for k in context.selected_asset_keys)
            if context.is_subset
            else "all",
        },
    )
    pipeline.keep_parse(settings, target)
    prune_build_folders(target.parent)
    results = invocation.get_artifact("run_results.json").get("results", [])
    counts: dict[str, int] = {}
    for r in results:
        counts[r.get("status", "?")] = counts.get(r.get("status", "?"), 0) + 1
    say(
        f"  dbt: {', '.join(f'{n} {k}' for k, n in sorted(counts.items()))} in {time.monotonic() - started:.0f}s "
        f"(log: {log_path})"
    )
    bad = [r for r in results if r.get("status") in ("error", "fail", "runtime error")]
    for r in bad[:10]:
        message = " ".join(str(r.get("message") or "").split())[:200]
        say(f"    {r.get('status')}: {r.get('unique_id', '?').split('.')[-1]}: {message}")
    if len(bad) > 10:
        say(f"    … and {len(bad) - 10} more in the log")


KEEP_BUILD_FOLDERS = 20


def prune_build_folders(parent: Path, keep: int = KEEP_BUILD_FOLDERS) -> None:
    """Each build writes its own target folder (about 13 MB: compiled SQL, manifest, run results); a
    nightly schedule and the sensor would fill the disk over the years. The newest `keep` stay (a build's
    checks read its own folder right after it)."""
    folders = sorted(parent.glob("dbt_models-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in folders[keep:]:
        shutil.rmtree(old, ignore_errors=True)


# The dbt executable of this environment, whether or not the environment's bin folder is on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))


def _topological(assets_def: dg.AssetsDefinition, keys) -> list[dg.AssetKey]:
    deps = {k: set(assets_def.asset_deps.get(k, set())) & set(keys) for k in keys}
    order, seen = [], set()

    def visit(k):
        if k in seen:
            return
        seen.add(k)
        for d in sorted(deps[k], key=lambda x: x.to_user_string()):
            visit(d)
        order.append(k)

    for k in sorted(keys, key=lambda x: x.to_user_string()):
        visit(k)
    return order


class WarehouseDbtCli(DbtCliResource):
    """dagster-dbt's resource, without two steps it takes before every build that this project does not use
    (issue 22: about 3 s of every refresh and sensor run):
    - it ran `dbt --version` in a new process to learn dbt's version: the executable is this environment's
      own dbt (DBT_EXECUTABLE), whose version is the installed dbt-core's;
    - it loaded the profile and project into a dbt adapter in this process, which dagster-dbt uses only to
      fetch row counts and column metadata after a build, which this project does not ask for.
    Both are private methods of dagster-dbt (pinned in uv.lock); tests/pytest/test_orchestration.py checks
    them on every upgrade."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


dbt_resource = WarehouseDbtCli(
    project_dir=dbt_project,
    profiles_dir=str(PROJECT_DIR / "profiles"),
    dbt_executable=DBT_EXECUTABLE if Path(DBT_EXECUTABLE).exists() else "dbt",
    # dbt's own debug log in the build folder (every statement, about 6 MB a build) is not written: the
    # build's log is logs/dbt/<run id>.log (above), and writing the debug file cost about 1 s a build
    global_config_flags=["--log-level-file", "none"],
)
