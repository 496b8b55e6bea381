"""`workforce-warehouse docs` opens with no network (issue 21): the GX data docs' CDN files (Bootstrap,
jQuery, Font Awesome, bootstrap-table, Vega) and S3 logos are vendored and linked locally, and the dbt docs
page loads nothing remote. The site is the one the README's commands built (the bundled sample, 2 councils,
1 year, one refresh, then docs: conftest's `readme_run`)."""

from __future__ import annotations

import re
import shlex
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def docs(readme_run):
    """The docs site the README's `workforce-warehouse docs` line built (conftest's `readme_run`), and what
    that command printed."""
    if readme_run.skipped:
        pytest.skip(readme_run.skipped)
    [line] = [k for k in readme_run.outputs if shlex.split(k, comments=True)[-1:] == ["docs"]]
    assert not [f for f in readme_run.failures if f[0] == line], readme_run.failures
    return readme_run.home / "docs", readme_run.outputs[line]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.links.append((tag, name, value))


def links_of(page: Path) -> list[tuple[str, str, str]]:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.links


def test_docs_built_both_sites_and_vendored_every_remote_file(docs):
    out_dir, output = docs
    assert (out_dir / "dbt" / "index.html").exists()
    assert (out_dir / "great_expectations" / "index.html").exists()
    assert "Not vendored" not in output, output
    assert (out_dir / "great_expectations" / "static" / "vendor" / "jquery@3.7.1" / "LICENSE.txt").exists()


def test_no_copied_page_loads_or_links_to_another_host(docs):
    out_dir, _ = docs
    pages = sorted(out_dir.rglob("*.html"))
    assert len(pages) > 10
    remote = [
        (p.relative_to(out_dir).as_posix(), tag, attr, value)
        for p in pages
        for tag, attr, value in links_of(p)
        if re.match(r"(?i)\s*(https?:)?//", value)
    ]
    assert remote == []
    for css in (out_dir / "great_expectations" / "static").rglob("*.css"):
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css.read_text(encoding="utf-8")), css


def test_every_vendored_asset_a_gx_page_loads_exists(docs):
    # (GX links its favicon one folder too shallow from validation pages: its own slip, not checked here)
    out_dir, _ = docs
    site = out_dir / "great_expectations"
    checked = 0
    for page in site.rglob("*.html"):
        for tag, attr, value in links_of(page):
            if (tag, attr) in (
                ("script", "src"),
                ("link", "href"),
                ("img", "src"),
            ) and "static/vendor/" in value:
                target = (page.parent / unquote(urlsplit(value).path)).resolve()
                assert target.is_file() and target.is_relative_to(site.resolve()), (page, value)
                checked += 1
    assert checked > 100


def test_dbt_docs_page_has_no_remote_assets_and_no_tracking(docs):
    out_dir, _ = docs
    text = (out_dir / "dbt" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'"send_anonymous_usage_stats":\s*false', text)


def test_gx_index_is_styled_and_scripted_with_the_network_off(docs):
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed: the offline rendering is not checked")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright (dev dependency) is not installed"
    )
    out_dir, _ = docs
    index = out_dir / "great_expectations" / "index.html"
    refused: list[str] = []

    def offline(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(offline=True)
            context.route("**/*", offline)
            page = context.new_page()
            page.goto(index.as_uri(), wait_until="load")
            page.wait_for_function("() => document.fonts.status === 'loaded'")
            state = page.evaluate(
                """() => {
                  const nav = document.querySelector('.navbar');
                  const cf = document.querySelector('.container-fluid');
                  return {
                    jquery: typeof window.jQuery === 'function',
                    bootstrapTable: !!(window.jQuery && window.jQuery.fn.bootstrapTable),
                    tablesInitialised: document.querySelectorAll('.bootstrap-table').length,
                    rows: document.querySelectorAll('.ge-index-page-validation-results-table tbody tr').length,
                    navDisplay: getComputedStyle(nav).display,
                    containerPaddingRight: getComputedStyle(cf).paddingRight,
                    vega: typeof window.vegaEmbed === 'function',
                    fontAwesome: document.fonts.check('900 16px "Font Awesome 6 Free"'),
                  };
                }"""
            )
        finally:
            browser.close()
    assert refused == []
    # Bootstrap's rules applied (.navbar is display: flex; .pr-5 is 3rem), its scripts ran and filled the
    # tables, Font Awesome's font and Vega loaded
    assert state["navDisplay"] == "flex" and state["containerPaddingRight"] == "48px", state
    assert state["jquery"] and state["bootstrapTable"] and state["vega"] and state["fontAwesome"], state
    assert state["tablesInitialised"] >= 2 and state["rows"] > 0, state
