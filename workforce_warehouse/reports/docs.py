"""`workforce-warehouse docs`: the dbt documentation site (models, columns, lineage, exposures) and the
Great Expectations data docs, under <home>/docs/, each opening from disk.

dbt's `docs generate --static` writes one static_index.html with the manifest and the catalog inside it,
so it needs no web server (the ordinary index.html fetches manifest.json, which browsers refuse from
file://). The catalog is read from the warehouse when there is one (column types and row counts);
otherwise the site is built with an empty catalog rather than creating an empty warehouse. dbt's page
loads nothing remote (its usage tracking stays off: DBT_SEND_ANONYMOUS_USAGE_STATS=False).

GX's pages load Bootstrap, jQuery, Font Awesome, Vega and friends from CDNs and its logo from S3, so offline
they render unstyled with empty lists. The copy made here works offline: those files are vendored in the
package (reports/vendor/, from npm, with their licences; see its README.md), copied beside the pages
(static/vendor/), and every link to them is rewritten to the local copy; links to GX's web site stay
readable as text (data-online-url) but are not followed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..config import PROJECT_DIR, Settings
from ..quality import gx_home

VENDOR_DIR = Path(__file__).resolve().parent / "vendor"

# every remote file GX's data docs load -> its vendored copy (path under reports/vendor/)
REMOTE_ASSETS = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap@4.3.1/dist/css/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap@4.3.1/dist/js/bootstrap.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": "@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": "bootstrap-datepicker@1.9.0/dist/css/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": "bootstrap-datepicker@1.9.0/dist/js/bootstrap-datepicker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "@fortawesome/fontawesome-free@6.6.0/css/all.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js@1.12.9/dist/umd/popper.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery@3.7.1/dist/jquery.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table@1.19.1/dist/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table@1.19.1/dist/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": "bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": "bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": "bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
    "https://cdn.jsdelivr.net/npm/vega@5": "vega@5.33.1/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite@5.23.0/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed@6.29.0/build/vega-embed.min.js",
}
# GX's logos on S3 (fetched with a tracking query) -> the site's own logo
GX_REMOTE_LOGO = re.compile(r"https://great-expectations-web-assets\.s3[^\"')\s]*\.png[^\"')\s]*")
REMOTE_ATTR = re.compile(r"""\s(src|href)=(["'])(https?://[^"']*)\2""", re.IGNORECASE)
TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")


def _offline_page(text: str, to_site: str, unknown: set[str]) -> str:
    """One GX page with its CDN files and logos pointing at the local copies (to_site: the relative path
    from the page's folder to the site's root, e.g. '../..'), and any other remote src/href made inert."""
    for url, local in REMOTE_ASSETS.items():
        for q in ('"', "'"):
            text = text.replace(f"{q}{url}{q}", f"{q}{to_site}/static/vendor/{local}{q}")
    text = GX_REMOTE_LOGO.sub(f"{to_site}/static/images/logo-long.png", text)

    def inert(tag: re.Match) -> str:
        def one(attr: re.Match) -> str:
            if not (tag.group(1).lower() == "a" and attr.group(1).lower() == "href"):
                unknown.add(attr.group(3))  # a remote asset the vendored set does not cover
            return f" data-online-url={attr.group(2)}{attr.group(3)}{attr.group(2)}"

        return REMOTE_ATTR.sub(one, tag.group(0))

    return TAG.sub(inert, text)


def make_gx_site_offline(site: Path) -> list[str]:
    """Vendor the CDN files into site/static/vendor and rewrite every page's links to them; returns notes
    (remote files no vendored copy covers, which the pages will miss offline)."""
    shutil.copytree(VENDOR_DIR, site / "static" / "vendor", dirs_exist_ok=True)
    for css in (site / "static" / "styles").glob("*.css"):
        css.write_text(
            GX_REMOTE_LOGO.sub("../images/logo-long.png", css.read_text(encoding="utf-8")), encoding="utf-8"
        )
    unknown: set[str] = set()
    for page in site.rglob("*.html"):
        to_site = Path(os.path.relpath(site, page.parent)).as_posix()
        page.write_text(_offline_page(page.read_text(encoding="utf-8"), to_site, unknown), encoding="utf-8")
    return [f"Not vendored, so missing offline (add it to reports/vendor): {u}" for u in sorted(unknown)]


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
    if res.gx_site is not None:
        res.notes += make_gx_site_offline(res.gx_site.parent)
    if res.gx_site is None:
        res.notes.append(
            "No Great Expectations data docs yet: they are written by a refresh (workforce-warehouse refresh)."
        )
    return res
