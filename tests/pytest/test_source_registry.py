"""The source registry: a new source is one package, registered, and nothing else changes (issue 15)."""

from __future__ import annotations

import datetime as dt

import pytest
import toy_source
from conftest import dbt_build, query

from workforce_warehouse import sources
from workforce_warehouse.cli import main, source_choices
from workforce_warehouse.config import load_settings
from workforce_warehouse.ingest import ingest
from workforce_warehouse.submissions import Submission, submission_of


@pytest.fixture
def toy():
    toy_source.install()
    yield toy_source
    toy_source.uninstall()


def _put(home, name, text):
    d = home / "landing" / "toy"
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_text(text)


def _ingest(home):
    return ingest(load_settings(home), today=dt.date(2026, 1, 1), progress=lambda m: None)


def test_registry_lists_every_source_once_and_identifies_names():
    assert sources.names() == ["council_hr", "csww_return", "dfe_published", "agency_use"]
    assert sources.folders() == ["council_hr", "dfe_census", "agency_use"]
    cases = {
        "council_hr/hr_E09000002_2024-09-30.xlsx": ("council_hr", "E09000002", dt.date(2024, 9, 30), None),
        "council_hr/HR_e09000002_2024-09-30_Staff.CSV": (
            "council_hr",
            "E09000002",
            dt.date(2024, 9, 30),
            "staff",
        ),
        "dfe_census/csww_E09000002_2024.xml": ("csww_return", "E09000002", dt.date(2024, 9, 30), None),
        "dfe_census/csww_role_by_characteristics_inpost_2023_to_2024.csv": (
            "dfe_published",
            None,
            None,
            None,
        ),
        "agency_use/agency_E10000002_2024-Q4.xlsx": (
            "agency_use",
            "E10000002",
            dt.date(2024, 12, 31),
            "engagements",
        ),
    }
    for path, (source, la, end, dataset) in cases.items():
        s, fid = sources.identify(path)
        assert (s.name, fid.la_code, fid.period_end, fid.dataset) == (source, la, end, dataset), path
    # full-width digits never pass as an LA code or a date; a misnamed file has no source
    assert sources.identify("council_hr/hr_E09000002_２０２４-09-30.xlsx") is None
    assert sources.identify("council_hr/hr_E07000002_2024-09-30.xlsx") is None
    assert submission_of("agency_E09000002_2024-Q3.csv") == Submission("E09000002", dt.date(2024, 9, 30))


def test_a_toy_source_loads_quarantines_and_is_offered_with_no_other_change(tmp_path, toy):
    home = tmp_path
    assert "toy" in source_choices()
    assert submission_of("toy/toy_E09000002_2024-09-30.csv") == Submission("E09000002", dt.date(2024, 9, 30))
    _put(home, "toy_E09000002_2024-09-30.csv", "visit_id,visits\nv1,3\nv2,4\n")
    _put(home, "toy_E09000005_2024-09-30.csv", "visit_id,visits\nv1,3\nv2,-1\n")
    summary = _ingest(home)
    assert sorted((o.file, o.outcome) for o in summary.outcomes) == [
        ("toy_E09000002_2024-09-30.csv", "loaded"),
        ("toy_E09000005_2024-09-30.csv", "rejected"),
    ]
    assert query(home, "select la_code, visit_id, visits from raw.toy_visit order by visit_id") == [
        ("E09000002", "v1", 3),
        ("E09000002", "v2", 4),
    ]
    errors = (home / "quarantine" / "toy" / "toy_E09000005_2024-09-30.csv.errors.csv").read_text()
    # a cell starting with - is escaped for Excel (formula injection)
    assert 'toy_E09000005_2024-09-30.csv,,3,visits,\'-1,range,"""-1"" is negative"' in errors
    # the chase list lists the toy source's loads and rejections like any other source's
    # seeds and models only: the toy home has no HR data for the staging tests to read
    result = dbt_build(
        home, "+submissions", extra_args=["--resource-type", "seed", "--resource-type", "model"]
    )
    assert result.returncode == 0, result.stdout[-3000:]
    rows = query(
        home,
        "select la_code, source, dataset, status from marts.submissions where source = 'toy' order by la_code",
    )
    assert rows == [("E09000002", "toy", "visits", "loaded"), ("E09000005", "toy", "visits", "rejected")]
    # the CLI offers it: withdraw the toy loads of one council by source name
    assert main(["withdraw", "--la", "E09000002", "--source", "toy", "--home", str(home)]) == 0
    assert query(home, "select count(*) from raw.load_log where source = 'toy' and withdrawn") == [(1,)]
