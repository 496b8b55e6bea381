"""What a run rebuilds: the dbt models that depend on the raw tables a file feeds, not every model.

A council's agency return changes `raw.agency_engagement` (and the load log): the run rebuilds the agency
staging, intermediate and mart models, re-runs their dbt tests and the Great Expectations checks of those
tables, and republishes. The WRES, representation and census models are left as they are, because none of
their inputs changed. Two models read the load log itself (which loads count, the chase list) and are always
rebuilt. Read from dbt's manifest (`child_map`), so a new model is picked up without editing this file.
"""

from __future__ import annotations

import json
from functools import lru_cache

import dagster as dg

from workforce_warehouse.submissions import raw_tables_of

from .dbt.assets import TRANSLATOR, dbt_project
from .ingest.assets import RAW_TABLE_NAMES

# Models that read raw.load_log directly (every load changes it): always rebuilt.
LOAD_LOG_MODELS = ("stg_warehouse__active_loads", "submissions")
DOWNSTREAM = (dg.AssetKey(["marts", "data_quality"]), dg.AssetKey(["published", "alliance"]))


@lru_cache(maxsize=1)
def _manifest() -> dict:
    return json.loads(dbt_project.manifest_path.read_text())


def models_depending_on(tables: set[str]) -> set[str]:
    """dbt unique ids of the models downstream of these raw tables, plus the load-log models."""
    m = _manifest()
    todo = [uid for uid, src in m["sources"].items() if src["source_name"] == "raw" and src["name"] in tables]
    seen: set[str] = set()
    while todo:
        uid = todo.pop()
        if uid in seen:
            continue
        seen.add(uid)
        todo.extend(c for c in m["child_map"].get(uid, []) if c.startswith("model."))
    # The load-log models themselves, not everything below them: which loads count changes only for the
    # rows of the sources loaded, and those rows' models are already selected above.
    seen |= {
        uid
        for uid, node in m["nodes"].items()
        if node["resource_type"] == "model" and node["name"] in LOAD_LOG_MODELS
    }
    return {uid for uid in seen if uid.startswith("model.")}


def rebuild_selection(sources: set[str]) -> list[dg.AssetKey]:
    """The assets a run rebuilds after loading files of these sources: the load step (all raw tables:
    it is one step), the models that depend on those sources' tables, the quality gate and the publish."""
    nodes = _manifest()["nodes"]
    models = models_depending_on(raw_tables_of(sources))
    keys = [dg.AssetKey(["raw", t]) for t in RAW_TABLE_NAMES]
    keys += sorted((TRANSLATOR.get_asset_key(nodes[uid]) for uid in models), key=lambda k: k.to_user_string())
    return keys + list(DOWNSTREAM)
