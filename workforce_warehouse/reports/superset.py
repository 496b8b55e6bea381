"""A ready-made Superset dashboard of the WRES metrics, as the ZIP bundle Superset's "Import dashboard" takes
(Superset 2.1 to 4.x, export format version 1.0.0): the database (the published DuckDB file, read only,
through duckdb-engine), the `wres_metrics` and `representation_by_seniority` datasets, four charts and a
dashboard laying them out. Written beside the reports at every publish: `published/bi/superset_wres.zip`.

The UUIDs are fixed, so importing a newer bundle updates the same dashboard (Superset asks to overwrite).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import yaml

VERSION = "1.0.0"
DATABASE_UUID = "6f0c2d3e-7a41-4e57-9a35-1b0c8e7d2a01"
DATASETS = {
    "wres_metrics": "6f0c2d3e-7a41-4e57-9a35-1b0c8e7d2a02",
    "representation_by_seniority": "6f0c2d3e-7a41-4e57-9a35-1b0c8e7d2a03",
}
DASHBOARD_UUID = "6f0c2d3e-7a41-4e57-9a35-1b0c8e7d2a10"

# Columns of the datasets (name, Superset type, is a dimension a user filters or groups by)
WRES_COLUMNS = [
    ("geography_level", "VARCHAR", True),
    ("geography_code", "VARCHAR", True),
    ("geography_name", "VARCHAR", True),
    ("period_end", "DATE", True),
    ("period_label", "VARCHAR", True),
    ("service", "VARCHAR", True),
    ("metric", "VARCHAR", True),
    ("metric_name", "VARCHAR", True),
    ("breakdown_type", "VARCHAR", True),
    ("breakdown", "VARCHAR", True),
    ("comparison_group", "VARCHAR", True),
    ("relative_likelihood", "DOUBLE", False),
    ("ci_lower", "DOUBLE", False),
    ("ci_upper", "DOUBLE", False),
    ("band", "VARCHAR", True),
    ("significant", "BOOLEAN", True),
    ("status", "VARCHAR", True),
    ("suppressed", "BOOLEAN", True),
    ("unknown_share", "DOUBLE", False),
    ("councils_included", "BIGINT", False),
]
REPRESENTATION_COLUMNS = [
    ("geography_level", "VARCHAR", True),
    ("geography_code", "VARCHAR", True),
    ("geography_name", "VARCHAR", True),
    ("period_end", "DATE", True),
    ("period_label", "VARCHAR", True),
    ("source", "VARCHAR", True),
    ("service", "VARCHAR", True),
    ("seniority_level", "VARCHAR", True),
    ("ethnic_group", "VARCHAR", True),
    ("headcount", "BIGINT", False),
    ("pct_of_known", "DOUBLE", False),
    ("progression_ratio", "DOUBLE", False),
    ("suppressed", "BOOLEAN", True),
]


def _columns(columns) -> list[dict]:
    return [
        {
            "column_name": name,
            "verbose_name": None,
            "is_dttm": sql_type == "DATE",
            "is_active": True,
            "type": sql_type,
            "advanced_data_type": None,
            "groupby": groupable,
            "filterable": True,
            "expression": None,
            "description": None,
            "python_date_format": None,
            "extra": {},
        }
        for name, sql_type, groupable in columns
    ]


def _dataset(table: str, columns, description: str) -> dict:
    return {
        "table_name": table,
        "main_dttm_col": "period_end",
        "description": description,
        "default_endpoint": None,
        "offset": 0,
        "cache_timeout": None,
        "schema": "main",
        "sql": None,
        "params": None,
        "template_params": None,
        "filter_select_enabled": True,
        "fetch_values_predicate": None,
        "extra": None,
        "normalize_columns": False,
        "always_filter_main_dttm": False,
        "uuid": DATASETS[table],
        "metrics": [
            {
                "metric_name": "count",
                "verbose_name": "COUNT(*)",
                "metric_type": "count",
                "expression": "COUNT(*)",
                "description": None,
                "d3format": None,
                "currency": None,
                "extra": {},
                "warning_text": None,
            }
        ],
        "columns": _columns(columns),
        "version": VERSION,
        "database_uuid": DATABASE_UUID,
    }


def _filter(column: str, value) -> dict:
    return {
        "clause": "WHERE",
        "expressionType": "SIMPLE",
        "subject": column,
        "operator": "==",
        "comparator": value,
    }


# The dashboard's charts: (slug, title, dataset, description, columns shown, filters)
CHARTS = [
    (
        "alliance_wres",
        "Alliance: BME relative likelihoods, latest period",
        "wres_metrics",
        "Each SC-WRES metric for BME against White staff across the alliance, with its 95% CI and band. "
        "A blank figure is suppressed or not submitted (see status), never zero.",
        [
            "period_label",
            "metric",
            "metric_name",
            "relative_likelihood",
            "ci_lower",
            "ci_upper",
            "band",
            "status",
        ],
        [
            _filter("geography_level", "Alliance"),
            _filter("service", "all"),
            _filter("breakdown_type", "all"),
            _filter("comparison_group", "BME"),
        ],
    ),
    (
        "council_wres",
        "Councils: relative likelihoods by comparison group",
        "wres_metrics",
        "Every council's figures by metric and comparison group; filter on a council or a metric.",
        [
            "geography_name",
            "period_label",
            "metric",
            "comparison_group",
            "relative_likelihood",
            "ci_lower",
            "ci_upper",
            "band",
            "status",
            "unknown_share",
        ],
        [
            _filter("geography_level", "Local authority"),
            _filter("service", "all"),
            _filter("breakdown_type", "all"),
        ],
    ),
    (
        "representation_ladder",
        "Representation by seniority (share of known ethnicity)",
        "representation_by_seniority",
        "People in post by seniority and ethnic group as a share of those whose ethnicity is known, with the "
        "progression ratio (managers' share over case holders').",
        [
            "geography_name",
            "period_label",
            "source",
            "seniority_level",
            "ethnic_group",
            "pct_of_known",
            "progression_ratio",
        ],
        [_filter("service", "all"), _filter("geography_level", "Alliance")],
    ),
    (
        "not_submitted",
        "Figures not submitted or too few to show",
        "wres_metrics",
        "Rows whose status is not ok: a missing dataset (not_submitted), or too few people (too_few).",
        ["geography_name", "period_label", "metric", "comparison_group", "status"],
        [
            _filter("geography_level", "Local authority"),
            _filter("service", "all"),
            {
                "clause": "WHERE",
                "expressionType": "SIMPLE",
                "subject": "status",
                "operator": "NOT IN",
                "comparator": ["ok", "no_events"],
            },
        ],
    ),
]


def _chart_uuid(i: int) -> str:
    return f"6f0c2d3e-7a41-4e57-9a35-1b0c8e7d2b{i:02d}"


def _chart(i: int, slug: str, title: str, table: str, description: str, columns: list[str], filters) -> dict:
    params = {
        "datasource": f"{DATASETS[table]}__table",
        "viz_type": "table",
        "query_mode": "raw",
        "all_columns": columns,
        "groupby": [],
        "metrics": [],
        "adhoc_filters": filters,
        "order_by_cols": [],
        "row_limit": 10000,
        "server_page_length": 50,
        "include_search": True,
        "show_cell_bars": False,
        "table_timestamp_format": "smart_date",
        "extra_form_data": {},
        "dashboards": [],
    }
    return {
        "slice_name": title,
        "description": description,
        "certified_by": None,
        "certification_details": None,
        "viz_type": "table",
        "params": params,
        "query_context": None,
        "cache_timeout": None,
        "uuid": _chart_uuid(i),
        "version": VERSION,
        "dataset_uuid": DATASETS[table],
    }


def _dashboard() -> dict:
    position: dict = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {
            "id": "HEADER_ID",
            "type": "HEADER",
            "meta": {"text": "Workforce Race Equality Standard"},
        },
    }
    for i, (slug, title, *_rest) in enumerate(CHARTS, start=1):
        row, chart = f"ROW-{slug}", f"CHART-{slug}"
        position["GRID_ID"]["children"].append(row)
        position[row] = {
            "type": "ROW",
            "id": row,
            "children": [chart],
            "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        }
        position[chart] = {
            "type": "CHART",
            "id": chart,
            "children": [],
            "parents": ["ROOT_ID", "GRID_ID", row],
            "meta": {"width": 12, "height": 60, "chartId": i, "uuid": _chart_uuid(i), "sliceName": title},
        }
    return {
        "dashboard_title": "Workforce Race Equality Standard",
        "description": None,
        "css": "",
        "slug": "wres",
        "uuid": DASHBOARD_UUID,
        "position": position,
        "metadata": {
            "color_scheme": "",
            "refresh_frequency": 0,
            "expanded_slices": {},
            "label_colors": {},
            "timed_refresh_immune_slices": [],
            "cross_filters_enabled": True,
            "native_filter_configuration": [],
            "shared_label_colors": {},
            "color_scheme_domain": [],
        },
        "version": VERSION,
    }


def bundle(alliance_db: Path) -> dict[str, dict]:
    """The bundle's files (path inside the ZIP -> YAML content) for a published alliance.duckdb."""
    database = {
        "database_name": "WRES published (read only)",
        "sqlalchemy_uri": f"duckdb:///{alliance_db.resolve()}?access_mode=read_only",
        "cache_timeout": None,
        "expose_in_sqllab": True,
        "allow_run_async": False,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "allow_file_upload": False,
        "extra": {"allows_virtual_table_explore": True},
        "uuid": DATABASE_UUID,
        "version": VERSION,
    }
    files = {
        "metadata.yaml": {
            "version": VERSION,
            "type": "Dashboard",
            "timestamp": dt.datetime.now(dt.UTC).isoformat(),
        },
        "databases/WRES_published.yaml": database,
        "datasets/WRES_published/wres_metrics.yaml": _dataset(
            "wres_metrics", WRES_COLUMNS, "The nine SC-WRES metrics (published, small counts suppressed)."
        ),
        "datasets/WRES_published/representation_by_seniority.yaml": _dataset(
            "representation_by_seniority",
            REPRESENTATION_COLUMNS,
            "People in post by seniority and ethnic group.",
        ),
        "dashboards/Workforce_Race_Equality_Standard.yaml": _dashboard(),
    }
    for i, chart in enumerate(CHARTS, start=1):
        files[f"charts/{chart[0]}_{i}.yaml"] = _chart(i, *chart)
    return files


def write_superset_export(published: Path) -> Path:
    """`published/bi/superset_wres.zip` for the published alliance file (import it in Superset: Dashboards →
    Import dashboard; Superset needs duckdb-engine and read access to the file)."""
    out = published / "bi" / "superset_wres.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    root = "wres_dashboard_export"
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in bundle(published / "alliance.duckdb").items():
            z.writestr(f"{root}/{name}", yaml.safe_dump(json.loads(json.dumps(content)), sort_keys=False))
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(out)
    return out
