"""`workforce-warehouse docs`: the dbt documentation site (models, columns, lineage, exposures) and the
Great Expectations data docs, under <home>/docs/, each opening from disk.

dbt's `docs generate --static` writes one static_index.html with the manifest and the catalog inside it,
so it needs no web server (the ordinary index.html fetches manifest.json, which browsers refuse from
file://). The catalog is read from the warehouse when there is one (column types and row counts);
otherwise the site is built with an empty catalog rather than creating an empty warehouse.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..config import PROJECT_DIR, Settings
from ..quality import gx_home


@dataclass
class DocsResult:
    dbt_site: Path | None = None
    gx_site: Path | None = None
    notes: list[str] = field(default_factory=list)


def build_dbt_docs(settings: Settings, out: Path) -> Path:
    work = out / ".dbt_target"
    env = dict(
        os.environ,
        WORKFORCE_HOME=str(settings.home),
        WORKFORCE_WAREHOUSE_PATH=str(settings.warehouse_path),
        DO_NOT_TRACK="1",
        DBT_SEND_ANONYMOUS_USAGE_STATS="False",
    )
    cmd = [
        sys.executable,
        "-m",
        "dbt.cli.main",
        "docs",
        "generate",
        "--static",
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR / "profiles"),
        "--target-path",
        str(work),
        "--log-path",
        str(out / ".dbt_logs"),
        "--quiet",
    ]
    if not settings.warehouse_path.exists():
        cmd.append("--empty-catalog")
    res = subprocess.run(cmd, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900)
    page = work / "static_index.html"
    if res.returncode != 0 or not page.exists():
        raise RuntimeError(f"dbt docs generate failed: {(res.stdout + res.stderr).strip()[-1500:]}")
    site = out / "dbt"
    site.mkdir(parents=True, exist_ok=True)
    shutil.copy2(page, site / "index.html")
    for name in ("manifest.json", "catalog.json"):
        if (work / name).exists():
            shutil.copy2(work / name, site / name)
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(out / ".dbt_logs", ignore_errors=True)
    return site / "index.html"


def copy_gx_docs(settings: Settings, out: Path) -> Path | None:
    """The data docs GX wrote at the last refresh (quality.GxRunner.build_docs), copied whole."""
    src = gx_home(settings) / "gx" / "uncommitted" / "data_docs" / "local_site"
    if not (src / "index.html").exists():
        return None
    dest = out / "great_expectations"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest)
    return dest / "index.html"


def build_docs(settings: Settings, progress: Callable[[str], None] = print) -> DocsResult:
    out = settings.home / "docs"
    out.mkdir(parents=True, exist_ok=True)
    res = DocsResult()
    progress("Building the dbt documentation site (models, columns, lineage, exposures)...")
    res.dbt_site = build_dbt_docs(settings, out)
    res.gx_site = copy_gx_docs(settings, out)
    if res.gx_site is None:
        res.notes.append(
            "No Great Expectations data docs yet: they are written by a refresh (workforce-warehouse refresh)."
        )
    return res
