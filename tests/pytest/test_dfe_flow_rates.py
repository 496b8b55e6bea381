"""The project's own rate formulas (macro flow_rates, used by every mart) reproduce the DfE's published rates
from the DfE's published counts (metrics.md: to 0.1 for at least 99% of the rows with numeric inputs).

The check is the dbt data test `dfe_published_rates_reproduced_by_flow_rates` (a warning in production, so a
future DfE release cannot block publishing); here it must pass on the DfE files of reference/dfe, and its
figures are read back: every measure compared on hundreds of rows.
"""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import dbt_build, query

from workforce_warehouse.config import REFERENCE_DIR, load_settings
from workforce_warehouse.ingest import ingest


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("dfe_rates")
    (home / "landing" / "dfe_census").mkdir(parents=True)
    for f in (REFERENCE_DIR / "dfe").glob("*.csv"):
        shutil.copy(f, home / "landing" / "dfe_census" / f.name)
    summary = ingest(load_settings(home), progress=lambda m: None)
    assert not summary.of("rejected"), [o.message for o in summary.of("rejected")]
    res = dbt_build(home)
    assert res.returncode == 0, res.stdout[-3000:]
    return home


def test_flow_rates_reproduce_the_dfe_published_rates(home):
    results = json.loads((home / "dbt_target" / "run_results.json").read_text())["results"]
    mine = [r for r in results if r["unique_id"].endswith(".dfe_published_rates_reproduced_by_flow_rates")]
    assert len(mine) == 1 and mine[0]["status"] == "pass", mine


def test_every_rate_is_compared_on_the_published_rows(home):
    n = query(
        home,
        """select count(*) filter (where turnover_rate_fte is not null and inpost_fte > 0 and leavers_fte is not null),
                  count(*) filter (where agency_rate_fte is not null and agency_fte is not null),
                  count(*) filter (where vacancy_rate_fte is not null and vacancy_fte is not null),
                  count(*) filter (where caseload_fte is not null and case_holders_fte > 0)
           from intermediate.int_dfe_headline_pivoted""",
    )[0]
    assert all(x > 900 for x in n), n  # 2017-2022, England, regions and every council
