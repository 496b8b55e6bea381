"""The dbt unit tests (models/*/_unit_tests.yml) run in the test command, and fail when a formula is broken.

Unit tests need the tables of their inputs to exist (dbt reads their column types): on a temporary DuckDB the
raw layer is created as the loaders create it, every model is built empty (`dbt build --empty`, no unit
tests), then `dbt test --select test_type:unit` runs the unit tests.

The second half proves the unit tests notice the mistakes metrics.md warns about: each is made in a copy of
the project's macros and must turn the unit tests red.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
DBT = str(Path(sys.executable).with_name("dbt"))


def _env(home: Path) -> dict:
    return dict(
        os.environ,
        WORKFORCE_HOME=str(home),
        WORKFORCE_WAREHOUSE_PATH=str(home / "warehouse.duckdb"),
        DO_NOT_TRACK="1",
    )


def _dbt(project: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        DBT,
        *args,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(PROJECT / "profiles"),
        "--target-path",
        str(home / "target"),
        "--log-path",
        str(home / "logs"),
    ]
    return subprocess.run(cmd, cwd=project, env=_env(home), capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def empty_warehouse(tmp_path_factory) -> Path:
    """A DuckDB file holding the raw layer and every model, empty: what unit tests need to read types."""
    home = tmp_path_factory.mktemp("dbt_unit")
    import workforce_warehouse.ingest  # noqa: F401  (registers every source's raw tables)
    from workforce_warehouse.warehouse import connect, ensure_raw_schema

    con = connect(home / "warehouse.duckdb")
    ensure_raw_schema(con)
    con.close()
    res = _dbt(PROJECT, home, "build", "--empty", "--exclude-resource-type", "unit_test", "test")
    assert res.returncode == 0, res.stdout[-4000:]
    return home


def _unit_results(stdout: str) -> tuple[int, int]:
    m = re.search(r"PASS=(\d+) WARN=\d+ ERROR=(\d+)", stdout)
    assert m, stdout[-3000:]
    return int(m.group(1)), int(m.group(2))


def test_dbt_unit_tests_pass(empty_warehouse):
    res = _dbt(PROJECT, empty_warehouse, "test", "--select", "test_type:unit")
    assert res.returncode == 0, res.stdout[-6000:]
    passed, errors = _unit_results(res.stdout)
    assert errors == 0 and passed >= 9, res.stdout[-3000:]


# Each mistake: (file, correct text, wrong text, a unit test that must fail).
MISTAKES = {
    "agency rate over in-post FTE": (
        "macros/flow_rates.sql",
        "{{ ratio('agency_fte', 'agency_fte + inpost_fte') }}",
        "{{ ratio('agency_fte', 'inpost_fte') }}",
        "workforce_flows_worked_example_and_period_labels",
    ),
    "caseload over in-post FTE": (
        "macros/flow_rates.sql",
        "{{ ratio('cases', 'case_holders_fte') }}",
        "{{ ratio('cases', 'inpost_fte') }}",
        "workforce_flows_worked_example_and_period_labels",
    ),
    "absence over 250 days": (
        "macros/flow_rates.sql",
        "'inpost_fte * 253'",
        "'inpost_fte * 250'",
        "workforce_flows_worked_example_and_period_labels",
    ),
    "a different period label": (
        "macros/formulas.sql",
        "when month({{ period_end }}) = 9 and day({{ period_end }}) = 30 then year({{ period_end }})::varchar",
        "when month({{ period_end }}) = 9 and day({{ period_end }}) = 30"
        " then year({{ period_end }})::varchar || '-' || right((year({{ period_end }}) + 1)::varchar, 2)",
        "period_label_for_every_kind_of_period_end",
    ),
    "CI without the 1.96": (
        "macros/formulas.sql",
        "exp(ln({{ rl }}) - 1.96 * {{ se }}) end as ci_lower",
        "exp(ln({{ rl }}) - 1.645 * {{ se }}) end as ci_lower",
        "wres_metric2_worked_example",
    ),
    "too_few after no_events": (
        "macros/formulas.sql",
        "when ({{ n1 }}) < {{ min_n }} or ({{ n2 }}) < {{ min_n }} then 'too_few'\n"
        "        when ({{ a }}) = 0 or ({{ c }}) = 0 then 'no_events'",
        "when ({{ a }}) = 0 or ({{ c }}) = 0 then 'no_events'\n"
        "        when ({{ n1 }}) < {{ min_n }} or ({{ n2 }}) < {{ min_n }} then 'too_few'",
        "wres_status_precedence_and_bands",
    ),
    "pooling averages instead of summing": (
        "macros/pooling.sql",
        "{% for s in sums %}case when count({{ s }}) = count(*) then sum({{ s }}) end as {{ s }}, {% endfor %}\n"
        "    count(distinct la_code)\nfrom pool_base\nwhere {{ pool_filter }}\ngroup by alliance_code",
        "{% for s in sums %}case when count({{ s }}) = count(*) then avg({{ s }}) end as {{ s }}, {% endfor %}\n"
        "    count(distinct la_code)\nfrom pool_base\nwhere {{ pool_filter }}\ngroup by alliance_code",
        "pooling_sums_numerators_and_denominators_over_councils",
    ),
}


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory) -> Path:
    """A copy of the dbt project (models, macros, seeds, tests) whose macros each test may break."""
    dest = tmp_path_factory.mktemp("project") / "p"
    dest.mkdir()
    for name in ("models", "macros", "seeds", "tests", "dbt_project.yml"):
        src = PROJECT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("pytest", "__pycache__"))
        else:
            shutil.copy(src, dest / name)
    return dest


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_unit_tests_fail_when_a_formula_is_wrong(mistake, empty_warehouse, project_copy):
    path, right, wrong, unit_test = MISTAKES[mistake]
    original = (PROJECT / path).read_text()
    assert original.count(right) == 1, f"{path} no longer holds the formula this test breaks"
    target = project_copy / path
    target.write_text(original.replace(right, wrong))
    try:
        res = _dbt(project_copy, empty_warehouse, "test", "--select", unit_test)
    finally:
        target.write_text(original)
    assert res.returncode != 0, f"the unit tests did not notice: {mistake}\n{res.stdout[-3000:]}"
    assert (
        f"Failure in unit_test {unit_test}" in res.stdout or "actual differs from expected" in res.stdout
    ), res.stdout[-3000:]
