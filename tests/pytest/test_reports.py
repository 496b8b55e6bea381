"""The WRES report and the alliance overview (outputs.md "Reports"), rendered from hand-made published
files whose figures were worked out by hand (metrics.md), then opened in a real browser (Chromium)."""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from workforce_warehouse import publish
from workforce_warehouse.reports import build_reports, render_council, write_pdf
from workforce_warehouse.reports.builder import direction_of_travel

CHROMIUM = Path("/usr/bin/chromium")
PROJECT = Path(__file__).resolve().parents[2]
LA, OTHER, REGION = "E09000099", "E09000098", "E12000007"
LATEST, PREVIOUS = dt.date(2025, 3, 31), dt.date(2024, 3, 31)
LABEL = {LATEST: "2024-25", PREVIOUS: "2023-24"}

# metrics.md worked example, metric 2: 6 of 30 BME appointed (0.20), 20 of 40 White (0.50)
SE_2 = math.sqrt(1 / 6 - 1 / 30 + 1 / 20 - 1 / 40)  # 0.3979
CI_2 = (math.exp(math.log(0.4) - 1.96 * SE_2), math.exp(math.log(0.4) + 1.96 * SE_2))  # 0.183, 0.873
# the year before (year-on-year worked example): RL 0.80 with SE 0.20
CI_2_PREV = (0.8 * math.exp(-1.96 * 0.2), 0.8 * math.exp(1.96 * 0.2))  # 0.54, 1.18

WM_COLUMNS = [
    "geography_level", "geography_code", "geography_name", "la_code", "region_code", "period_end",
    "period_label", "service", "metric", "metric_name", "breakdown_type", "breakdown", "breakdown_order",
    "comparison_group", "comparison_order", "group_numerator", "group_denominator", "white_numerator",
    "white_denominator", "group_rate", "white_rate", "relative_likelihood", "relative_likelihood_nhs_direction",
    "ci_lower", "ci_upper", "band", "significant", "unknown_share", "status", "workforce_share",
    "population_share", "response_rate", "councils_included", "suppressed",
]  # fmt: skip


def geo(level: str) -> dict:
    return {
        "Local authority": dict(geography_level="Local authority", geography_code=LA, geography_name="Testborough", la_code=LA, region_code=REGION, councils_included=1),
        "Other": dict(geography_level="Local authority", geography_code=OTHER, geography_name="Otherville", la_code=OTHER, region_code=REGION, councils_included=1),
        "Region": dict(geography_level="Region", geography_code=REGION, geography_name="London", la_code=None, region_code=REGION, councils_included=3),
        "Alliance": dict(geography_level="Alliance", geography_code="all", geography_name="Test alliance", la_code=None, region_code=None, councils_included=2),
    }[level]  # fmt: skip


def wm(level: str, period: dt.date, metric: str, group: str = "BME", **kw) -> dict:
    row = dict.fromkeys(WM_COLUMNS)
    row.update(geo(level))
    row.update(
        period_end=period, period_label=LABEL[period], service="all", metric=metric, breakdown_type="all",
        breakdown="all", breakdown_order=0, comparison_group=group, comparison_order=1, status="ok",
        suppressed=False, unknown_share=5.0,
    )  # fmt: skip
    row.update(kw)
    return row


def wres_rows() -> list[dict]:
    rows = [
        # metric 2, the worked example, and the year before
        wm("Local authority", LATEST, "2", group_numerator=6, group_denominator=30, white_numerator=20,
           white_denominator=40, group_rate=20.0, white_rate=50.0, relative_likelihood=0.4,
           relative_likelihood_nhs_direction=2.5, ci_lower=CI_2[0], ci_upper=CI_2[1], band="less likely",
           significant=True, unknown_share=6.25),
        wm("Local authority", PREVIOUS, "2", group_numerator=12, group_denominator=30, white_numerator=20,
           white_denominator=40, group_rate=40.0, white_rate=50.0, relative_likelihood=0.8,
           ci_lower=CI_2_PREV[0], ci_upper=CI_2_PREV[1], band="no material difference", significant=False),
        # metric 3: too few BME staff at risk (8 < 10)
        wm("Local authority", LATEST, "3", group_numerator=0, group_denominator=8, white_numerator=7,
           white_denominator=220, group_rate=0.0, white_rate=3.2, status="too_few"),
        # metric 4: a count suppressed (and every figure derived from it)
        wm("Local authority", LATEST, "4", group_numerator=None, group_denominator=230, white_numerator=6,
           white_denominator=220, suppressed=True),
        # metric 5: the CPD dataset was not in the extract
        wm("Local authority", LATEST, "5", status="not_submitted", unknown_share=None),
        # metric 6: more likely, significant
        wm("Local authority", LATEST, "6", group_numerator=45, group_denominator=150, white_numerator=30,
           white_denominator=150, group_rate=30.0, white_rate=20.0, relative_likelihood=1.5, ci_lower=1.01,
           ci_upper=2.23, band="more likely", significant=True, response_rate=61.5),
        # metric 9: shares and the representation ratio
        wm("Local authority", LATEST, "9", group_numerator=2, group_denominator=20, white_numerator=18,
           white_denominator=20, group_rate=10.0, white_rate=90.0, relative_likelihood=0.4, workforce_share=25.0,
           population_share=30.0, status="ok"),
        # metric 1, the top national band
        wm("Local authority", LATEST, "1", breakdown_type="national_band", breakdown="£70k+", group_numerator=3,
           group_denominator=24, white_numerator=21, white_denominator=24, group_rate=12.5, white_rate=87.5,
           relative_likelihood=0.5, workforce_share=25.0),
        # Black staff, metric 2
        wm("Local authority", LATEST, "2", "Black", group_numerator=None, group_denominator=12, suppressed=True),
        # the region pools 3 councils (shown); the alliance only 2 (never in the council's file)
        wm("Region", LATEST, "2", group_numerator=60, group_denominator=300, white_numerator=180,
           white_denominator=500, group_rate=20.0, white_rate=36.0, relative_likelihood=0.5556, ci_lower=0.4321,
           ci_upper=0.7142, band="less likely", significant=True),
        wm("Alliance", LATEST, "2", group_numerator=33, group_denominator=100, white_numerator=50,
           white_denominator=100, relative_likelihood=0.66, ci_lower=0.47, ci_upper=0.93, band="less likely",
           significant=True),
        # another council, with figures that must never reach Testborough's report
        wm("Other", LATEST, "2", group_numerator=95, group_denominator=777, white_numerator=10,
           white_denominator=259, relative_likelihood=3.17, ci_lower=1.71, ci_upper=5.93, band="more likely",
           significant=True),
    ]  # fmt: skip
    return rows


def rep_rows() -> list[dict]:
    base = dict(period_end=LATEST, period_label="2024-25", source="council_hr", service="all", fte=None,
                progression_ratio=None, headcount_note=None, fte_note=None, suppressed=False)  # fmt: skip
    counts = {
        "case_holder": {"White": 60, "BME": 40, "Unknown": 5, "Known": 100},
        "senior_practitioner": {"White": 21, "BME": 9, "Unknown": 2, "Known": 30},
        "manager": {"White": 12, "BME": None, "Unknown": 0, "Known": 15},
        "all": {"White": 93, "BME": 52, "Unknown": 7, "Known": 145},
    }
    rows = []
    for level, cs in counts.items():
        for g, n in cs.items():
            known = cs["Known"]
            pct = None if g == "Unknown" or n is None else 100.0 * n / known
            rows.append(
                dict(
                    base,
                    **geo("Local authority"),
                    seniority_level=level,
                    ethnic_group=g,
                    headcount=n,
                    pct_of_known=pct,
                    suppressed=n is None,
                )  # fmt: skip
            )
    rows.append(
        dict(
            base, **geo("Other"), seniority_level="all", ethnic_group="BME", headcount=888, pct_of_known=81.9
        )
    )
    return rows


def flow_rows() -> list[dict]:
    cols = dict(period_end=LATEST, period_label="2024-25", source="council_hr", inpost_fte=80.0,
                leavers_fte=12.0, turnover_rate_fte=15.0, agency_fte=20.0, agency_rate_fte=20.0,
                vacancy_fte=None, vacancy_rate_fte=None, vacancy_rate_fte_note="z", caseload_fte=None,
                caseload_fte_note="z", absence_rate_fte=None, absence_rate_fte_note="z", suppressed=False)  # fmt: skip
    return [dict(cols, **geo("Local authority")), dict(cols, **geo("Other"), turnover_rate_fte=31.4)]


def submission_rows() -> list[dict]:
    base = dict(source="council_hr", period_end=LATEST, period_label="2024-25", sha256="0" * 64, errors=0,
                loaded_at=dt.datetime(2025, 4, 20, 9, 30), message=None, is_latest=True)  # fmt: skip
    return [
        dict(base, **geo("Local authority"), dataset="staff", status="loaded", file="hr_E09000099_2025-03-31.xlsx", rows=320),
        dict(base, **geo("Local authority"), dataset="cpd", status="missing", file=None, rows=None,
             loaded_at=None, message="no cpd dataset in the extract"),
        dict(base, **geo("Other"), dataset="staff", status="rejected", file="hr_E09000098.xlsx", rows=0,
             message="row 4, column ethnicity: not a known code"),
    ]  # fmt: skip


def dq_rows() -> list[dict]:
    base = dict(check_type="great_expectations", layer="marts", table_name="wres_metrics", severity="warn",
                checked_at=dt.datetime(2025, 4, 20, 9, 40))  # fmt: skip
    return [
        dict(base, check_name="unknown_share_in_range", council=LA, outcome="warn", failing_rows=2,
             message="unknown share above 20% on 2 rows"),
        dict(base, check_name="shares_sum_to_100", council=LA, outcome="pass", failing_rows=0, message="passed"),
        dict(base, check_name="other_council_check", council=OTHER, outcome="warn", failing_rows=41,
             message="Otherville check"),
    ]  # fmt: skip


def write_table(con, name: str, rows: list[dict]) -> None:
    df = pd.DataFrame(rows)
    con.register("_df", df)
    casts = ", ".join(f'CAST("{c}" AS DATE) AS "{c}"' for c in ("period_end",) if c in df.columns)
    con.execute(
        f"CREATE OR REPLACE TABLE main.{name} AS SELECT * {f'REPLACE ({casts})' if casts else ''} FROM _df"
    )
    con.unregister("_df")


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """A hand-made published folder: alliance.duckdb with two councils, and the council files cut from it
    by publish's own filter (so Testborough's file holds its rows, the region pooled from 3 councils, and
    no row of Otherville)."""
    pub = tmp_path_factory.mktemp("published")
    con = duckdb.connect(str(pub / "alliance.duckdb"))
    tables = {
        "wres_metrics": wres_rows(),
        "representation_by_seniority": rep_rows(),
        "workforce_flows": flow_rows(),
        "submissions": submission_rows(),
        "data_quality": dq_rows(),
    }
    for t, rows in tables.items():
        write_table(con, t, rows)
    for t in publish.PUBLISHED_TABLES:  # tables this test has no rows for: empty, with the filter's columns
        if t not in tables:
            con.execute(
                f"CREATE TABLE main.{t} (geography_level VARCHAR, geography_code VARCHAR, "
                "councils_included BIGINT, la_code VARCHAR, council VARCHAR)"
            )
    con.close()
    publish._write_council_files(
        pub / "alliance.duckdb", pub / "councils", [LA, OTHER], {LA: REGION, OTHER: REGION}
    )
    return pub


@pytest.fixture(scope="module")
def reports(published) -> dict:
    res = build_reports(published, progress=lambda m: None)
    assert not res.errors, res.errors
    return {
        "council": res.council_reports[LA],
        "alliance": res.alliance_report,
        "html": res.council_reports[LA].read_text(encoding="utf-8"),
    }


class TextOf(HTMLParser):
    """The text a reader sees (and a screen reader reads: chart titles and descriptions too), without the
    stylesheet and the charts' axis ticks."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        cls = dict(attrs).get("class") or ""
        if tag == "style" or (tag == "text" and "tick" in cls.split()):
            self._skip += 1

    def handle_endtag(self, tag):
        if self._skip and tag in ("style", "text"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    p = TextOf()
    p.feed(html)
    return re.sub(r"\s+", " ", " ".join(p.parts))


# --------------------------------------------------------------------------------------------------


def test_metric_2_reads_as_the_worked_example(reports):
    text = visible_text(reports["html"])
    assert (
        "BME applicants were 0.40 times as likely as White applicants to be appointed from shortlisting "
        "(95% CI 0.18 to 0.87): less likely, significant." in text
    )
    assert "0.40 (0.18 to 0.87)" in text
    # the year before, 0.80 (SE 0.20): change ratio 0.5, z = 1.556 < 1.96
    assert "0.80 (0.54 to 1.18)" in text
    html = reports["html"]
    row = re.search(r"<tr>\s*<th scope=\"row\">2 [^<]*</th>(.*?)</tr>", html, re.S).group(1)
    assert "no significant change" in row and "less likely" in row and "6.2%" in row  # unknown 6.25 -> 6.2%


def test_direction_of_travel_follows_metrics_md():
    cur = {"metric": "2", "relative_likelihood": 0.4, "ci_lower": CI_2[0], "ci_upper": CI_2[1]}
    prev = {"metric": "2", "relative_likelihood": 0.8, "ci_lower": CI_2_PREV[0], "ci_upper": CI_2_PREV[1]}
    assert direction_of_travel(cur, prev) == "no significant change"
    far = {"metric": "2", "relative_likelihood": 1.0, "ci_lower": 0.9, "ci_upper": 1.11}
    assert direction_of_travel(cur, far) == "away from parity"
    assert direction_of_travel(far, cur) == "towards parity"
    assert direction_of_travel(dict(cur, direction="towards parity"), None) == "towards parity"


def test_missing_figures_are_words_never_zero(reports):
    text = visible_text(reports["html"])
    assert "Too few to compare: fewer than 10 BME or White staff were at risk" in text
    assert "Suppressed: a count behind this figure is too small to publish" in text
    assert (
        "Not submitted: the council's extract for 2024-25 did not include the data this metric needs" in text
    )
    html = reports["html"]
    for metric in ("3", "4", "5"):
        row = re.search(rf"<tr>\s*<th scope=\"row\">{metric} [^<]*</th>(.*?)</tr>", html, re.S).group(1)
        figure = re.findall(r"<td class=\"num\">(.*?)</td>", row, re.S)[0]
        assert re.sub(r"<[^>]+>", "", figure).strip() in ("too few", "suppressed", "not submitted")
        assert "0.00" not in row
    # in the forest plot the suppressed and too-few rows carry words where a marker would be
    forest = re.search(r'<svg[^>]*data-chart="forest".*?</svg>', html, re.S).group(0)
    assert "too few people to compare" in forest and "suppressed: small numbers" in forest
    assert "not submitted: no figure" in forest
    # a suppressed headcount in the ladder table
    assert re.search(r"Managers</th>.*?suppressed", html, re.S)


def test_shares_ladder_and_comparisons(reports):
    text = visible_text(reports["html"])
    assert (
        "BME staff were 10.0% of staff of known ethnicity among senior managers, against 25.0% of all known "
        "staff in post and 30.0% of the area's population (Census 2021): representation ratio 0.40." in text
    )
    assert "BME staff were 12.5% of staff of known ethnicity in the pay band £70k+" in text
    # ladder: 40 of 100 case holders, 9 of 30 senior practitioners
    assert "Case holders 40.0%" in text and "Senior practitioners 30.0%" in text
    assert "area population 30.0%" in text
    # the region (3 councils) beside the council; the alliance of 2 councils never appears
    assert "0.56 (0.43 to 0.71)" in text and "London (region, 3 councils pooled)" in text
    assert "Test alliance" not in text and "0.66" not in text
    # data quality: the missing dataset and the check that warned
    assert "no cpd dataset in the extract" in text and "unknown_share_in_range" in text
    assert "1 of 2 checks passed" in text


def without_timestamp(text: str) -> str:
    """The footer's date and time of generation is not a figure (at 01:41 it would print "41")."""
    return re.sub(r"Generated .*? by the workforce warehouse", "", text)


def test_council_report_names_no_other_council(reports, published):
    html = reports["html"]
    text = without_timestamp(visible_text(html))
    for name in ("Otherville", OTHER, "hr_E09000098", "Test alliance"):
        assert name not in html, name
    for figure in ("3.17", "1.71", "5.93", "777", "888", "81.9", "31.4", "0.66", "41"):
        assert not re.search(rf"(?<![\d.]){re.escape(figure)}(?![\d])", text), figure


def _file_figures(db: Path) -> set[str]:
    """Every way the report may print a value the council's file holds."""
    out: set[str] = set()
    con = duckdb.connect(str(db), read_only=True)
    try:
        for (t,) in con.execute("select table_name from information_schema.tables").fetchall():
            for row in con.execute(f"select * from main.{t}").fetchall():
                for v in row:
                    if isinstance(v, bool) or v is None:
                        continue
                    if isinstance(v, (int, float)):
                        out |= {f"{v:.2f}", f"{v:.1f}", f"{round(v):,}", f"{v:g}", str(v)}
                    else:
                        out |= set(re.findall(r"\d[\d,]*(?:\.\d+)?", str(v)))
    finally:
        con.close()
    return out


# numbers the report prints that are not figures: the CI level, the band limits, the too-few threshold,
# the 12 months of the year-on-year change, the census year, the reading guide's examples, ticks of the
# log scale, metric numbers and pay quartiles.
STRUCTURAL = {"95", "0.80", "0.8", "1.25", "10", "12", "2021", "0.50", "1.40", "40", "1", "2", "3", "4", "5",
              "6", "7", "8", "9", "0.25", "0.5"}  # fmt: skip


def test_council_report_holds_no_figure_its_file_does_not_hold(reports, published):
    allowed = _file_figures(published / "councils" / LA / "council.duckdb") | STRUCTURAL
    text = without_timestamp(visible_text(reports["html"]))
    numbers = re.findall(r"(?<![\w.£-])\d[\d,]*(?:\.\d+)?", text.replace("£", " "))
    stray = sorted({n.rstrip(",") for n in numbers} - allowed)
    assert not stray, f"figures not in the council's file: {stray}"


def test_report_is_self_contained(reports):
    for path in (reports["council"], reports["alliance"]):
        html = path.read_text(encoding="utf-8")
        assert '<html lang="en-GB">' in html
        assert not re.search(r"<script|<link|<img|@import|url\(|https?://", html, re.I)
        # headings in order: one h1, no level skipped
        levels = [int(h) for h in re.findall(r"<h([1-6])", html)]
        assert levels[0] == 1 and levels.count(1) == 1
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:]))
        # every chart has a title and a description, and a table follows it
        for m in re.finditer(r"<svg[^>]*class=\"chart\"[^>]*>", html):
            assert 'role="img"' in m.group(0) and "aria-labelledby" in m.group(0)
            assert "<table" in html[m.end() :]


def test_alliance_overview_grid_links_and_chase_list(reports):
    html = reports["alliance"].read_text(encoding="utf-8")
    text = visible_text(html)
    assert (
        f'href="councils/{LA}/wres_report.html"' in html
        and f'href="councils/{OTHER}/wres_report.html"' in html
    )
    assert "Testborough" in text and "Otherville" in text
    assert "3.17*" in text and "0.40*" in text  # significant, marked in text as well as colour
    assert "too few" in text and "suppressed" in text and "not submitted" in text
    # pooled rows with their council counts; who has not submitted what
    assert "London (region)" in text and "Test alliance (alliance)" in text
    assert "Testborough, 2024-25: 5 Non-mandatory training (CPD)" in text
    assert "missing" in text and "rejected" in text and "row 4, column ethnicity" in text
    assert 'aria-label="Testborough, metric 2: 0.40, less likely, significant"' in html


def test_pay_gap_section_only_when_published(reports, published, tmp_path):
    assert "pay gap" not in visible_text(reports["html"]).lower()
    db = tmp_path / "council.duckdb"
    shutil.copy(published / "councils" / LA / "council.duckdb", db)
    con = duckdb.connect(str(db))
    # metrics.md worked example: White 30,000 40,000 50,000 60,000; Black 30,000 32,000 46,000
    gap = dict(geo("Local authority"), period_end=LATEST, period_label="2024-25", source="council_hr",
               service="all", seniority_level="all", sex="all", comparison_group="Black", group_headcount=3,
               white_headcount=4, group_mean_salary=36000.0, white_mean_salary=45000.0, group_median_salary=32000.0,
               white_median_salary=45000.0, mean_gap_pct=20.0, median_gap_pct=(45000 - 32000) / 45000 * 100,
               status="ok", suppressed=False)  # fmt: skip
    write_table(con, "pay_gap", [gap])
    quart = [
        dict(geo("Local authority"), period_end=LATEST, period_label="2024-25", source="council_hr", service="all",
             quartile=q, ethnic_group=g, headcount=n, pct_of_known=p, suppressed=False)
        for q, (b, w) in enumerate([(1, 1), (1, 1), (1, 1), (0, 1)], start=1)
        for g, n, p in (("BME", b, 100.0 * b / (b + w)), ("White", w, 100.0 * w / (b + w)))
    ]  # fmt: skip
    write_table(con, "pay_quartiles", quart)
    con.close()
    text = visible_text(render_council(db))
    assert "Ethnicity pay gap and pay quartiles" in text
    assert "20.0% (paid less)" in text and "28.9% (paid less)" in text and "£36,000" not in text
    assert "£32,000" in text and "£45,000" in text
    assert "Quartile 1 (lowest) 50.0%" in text and "Quartile 4 (highest) 0.0%" in text


def test_publish_survives_a_failing_report(monkeypatch, tmp_path):
    import workforce_warehouse.reports as reports_pkg

    def boom(*a, **k):
        raise RuntimeError("template exploded")

    monkeypatch.setattr(reports_pkg, "build_reports", boom)
    said = []
    publish._write_reports(tmp_path, said.append)
    assert any("reports not written" in s and "published data is unaffected" in s for s in said)


def test_report_command(published, capsys, monkeypatch):
    from workforce_warehouse.cli import main

    home = published.parent / "home_for_cli"
    if not home.exists():
        shutil.copytree(published, home / "published")
    assert main(["report", "--home", str(home), "--la", LA]) == 0
    out = capsys.readouterr().out
    assert str(home / "published" / "councils" / LA / "wres_report.html") in out
    assert main(["report", "--home", str(home), "--la", "E00000000"]) != 0


# --------------------------------------------------------------------------------------------------
# A real browser
# --------------------------------------------------------------------------------------------------

BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright (dev dependency) is not installed"
    )
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield b
        b.close()


def _non_blank(browser, png: bytes) -> tuple[int, int]:
    """(distinct colours, share of non-white pixels in per mille) of a screenshot, counted in a canvas."""
    page = browser.new_page()
    try:
        page.set_content(f'<img id="i" src="data:image/png;base64,{base64.b64encode(png).decode()}">')
        page.wait_for_function("document.getElementById('i').complete")
        return tuple(
            page.evaluate(
                """() => { const i = document.getElementById('i'); const c = document.createElement('canvas');
                c.width = i.naturalWidth; c.height = i.naturalHeight; const x = c.getContext('2d');
                x.drawImage(i, 0, 0); const d = x.getImageData(0, 0, c.width, c.height).data;
                const seen = new Set(); let ink = 0;
                for (let k = 0; k < d.length; k += 4) { seen.add((d[k] << 16) | (d[k+1] << 8) | d[k+2]);
                  if (d[k] < 240 || d[k+1] < 240 || d[k+2] < 240) ink++; }
                return [seen.size, Math.round(1000 * ink / (d.length / 4))]; }"""
            )
        )
    finally:
        page.close()


@needs_chromium
@pytest.mark.parametrize("which", ["council", "alliance"])
def test_report_in_a_real_browser(browser, reports, which):
    page = browser.new_page(viewport={"width": 1100, "height": 1400})
    console, requests, errors = [], [], []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    url = reports[which].resolve().as_uri()
    page.goto(url, wait_until="load")
    assert [c for c in console if c.startswith(("error", "warning"))] == [] and errors == []
    assert requests == [url], f"the page fetched something: {requests[1:]}"
    charts = page.evaluate(
        """() => [...document.querySelectorAll('svg.chart')].map(s => { const b = s.getBoundingClientRect();
        return {id: s.dataset.chart, w: b.width, h: b.height, shapes: s.querySelectorAll('line,rect,circle,polygon').length,
                title: s.querySelector('title').textContent, desc: s.querySelector('desc').textContent}; })"""
    )
    if which == "council":
        assert {c["id"] for c in charts} == {"forest", "ladder", "trends", "compare"}
    for c in charts:
        assert c["w"] > 300 and c["h"] > 100 and c["shapes"] >= 8 and c["title"] and c["desc"], c
    assert page.evaluate("document.documentElement.lang") == "en-GB"
    png = page.screenshot(full_page=False)
    colours, ink = _non_blank(browser, png)
    assert colours > 20 and ink > 20, (colours, ink)
    page.close()


@needs_chromium
@pytest.mark.parametrize("which", ["council", "alliance"])
def test_print_stylesheet(browser, reports, which):
    # A4 less the print margins (186 mm) at 96 dpi: nothing may be wider
    page = browser.new_page(viewport={"width": 703, "height": 1000})
    page.goto(reports[which].resolve().as_uri())
    page.emulate_media(media="print")
    assert page.evaluate("document.documentElement.scrollWidth") <= 703
    if which == "alliance":
        page.close()
        return
    assert page.evaluate("getComputedStyle(document.querySelector('nav.toc')).display") == "none"
    assert page.evaluate(
        "[...document.querySelectorAll('svg.chart')].every(s => s.getBoundingClientRect().height > 100)"
    )
    page.close()


@needs_chromium
def test_pdf_beside_the_report(reports, tmp_path):
    html = tmp_path / "wres_report.html"
    shutil.copy(reports["council"], html)
    pdf = write_pdf(html)
    data = pdf.read_bytes()
    assert pdf == tmp_path / "wres_report.pdf" and data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages >= 2
    # A4: 595 x 842 points
    assert re.search(rb"/MediaBox\s*\[\s*0 0 59[45](\.\d+)? 84[12](\.\d+)?", data)


def test_reports_written_by_a_pool_read_as_written_one_by_one(published, tmp_path, monkeypatch):
    """From PARALLEL_MIN_TASKS councils the reports are rendered by forked processes: the same pages, in the same
    order, and a council whose file cannot be read is named in the errors while the others are written."""
    from workforce_warehouse import isolated
    from workforce_warehouse.reports import builder

    serial = tmp_path / "serial"
    shutil.copytree(published, serial)
    (serial / "councils" / "E99999999").mkdir()
    (serial / "councils" / "E99999999" / "council.duckdb").write_bytes(b"not a database")
    pooled = tmp_path / "pooled"
    shutil.copytree(serial, pooled)
    monkeypatch.setattr(builder, "_now", lambda: "5 December 2026 01:00")
    monkeypatch.setattr(isolated, "PARALLEL_MIN_TASKS", 10_000)
    one_by_one = build_reports(serial, progress=lambda m: None)
    monkeypatch.setattr(isolated, "PARALLEL_MIN_TASKS", 1)
    import concurrent.futures

    calls = []
    real_pool = concurrent.futures.ProcessPoolExecutor
    monkeypatch.setattr(
        concurrent.futures, "ProcessPoolExecutor", lambda *a, **k: calls.append(k) or real_pool(*a, **k)
    )
    monkeypatch.setattr(builder.os, "cpu_count", lambda: 2)  # a pool even on a one-core machine
    by_pool = build_reports(pooled, progress=lambda m: None)
    assert calls, "the pool was not used"
    assert list(by_pool.council_reports) == list(one_by_one.council_reports) == sorted([LA, OTHER])
    for code, page in one_by_one.council_reports.items():
        assert by_pool.council_reports[code].read_bytes() == page.read_bytes()
    assert [e.split(":")[0] for e in by_pool.errors] == [e.split(":")[0] for e in one_by_one.errors]
    assert [e.split(":")[0] for e in by_pool.errors] == ["E99999999"]
