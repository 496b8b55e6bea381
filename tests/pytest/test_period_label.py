"""One period label rule (metrics.md, "Period label"), the same in the loaders' load log and in every mart.

The dbt macro `period_label` is pinned by the unit test `period_label_for_every_kind_of_period_end`
(models/marts/_unit_tests.yml) with the same dates and labels as LABELS below; this file pins the Python
side, and checks the two agree on a whole range of dates by asking dbt to evaluate the macro.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workforce_warehouse.sources.council_hr.loader import period_label

PROJECT = Path(__file__).resolve().parents[2]

LABELS = {
    dt.date(2025, 3, 31): "2024-25",  # SC-WRES year
    dt.date(2024, 3, 31): "2023-24",
    dt.date(2000, 3, 31): "1999-00",
    dt.date(2024, 9, 30): "2024",  # census year (an HR extract made for the census too)
    dt.date(2022, 9, 30): "2022",
    dt.date(2024, 12, 31): "year to 2024-12-31",  # a calendar-year or quarterly extract
    dt.date(2024, 6, 30): "year to 2024-06-30",
    dt.date(2025, 1, 31): "year to 2025-01-31",  # monthly
}


@pytest.mark.parametrize("period_end,label", sorted(LABELS.items()))
def test_python_period_label(period_end, label):
    assert period_label(period_end) == label


def test_python_and_dbt_macro_agree_on_every_month_end(tmp_path):
    """Every month end of 2023-2025 gets the same label from the loader and from the macro."""
    ends = [
        dt.date(y, m + 1, 1) - dt.timedelta(days=1) if m < 12 else dt.date(y, 12, 31)
        for y in (2023, 2024, 2025)
        for m in range(1, 13)
    ]
    values = ", ".join(f"(date '{d.isoformat()}')" for d in ends)
    sql = f"select d, {{{{ period_label('d') }}}} as label from (values {values}) as t(d) order by d"
    env = dict(
        os.environ,
        WORKFORCE_HOME=str(tmp_path),
        WORKFORCE_WAREHOUSE_PATH=str(tmp_path / "w.duckdb"),
        DO_NOT_TRACK="1",
    )
    res = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "show",
            "--inline",
            sql,
            "--limit",
            "100",
            "--output",
            "json",
            "--log-format",
            "json",
            "--project-dir",
            str(PROJECT),
            "--profiles-dir",
            str(PROJECT / "profiles"),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout[-3000:]

    shown = None
    for line in res.stdout.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        preview = msg.get("data", {}).get("preview")
        if preview:
            shown = json.loads(preview) if isinstance(preview, str) else preview
    assert shown is not None, res.stdout[-3000:]
    from_dbt = {dt.date.fromisoformat(str(r["d"])[:10]): r["label"] for r in shown}
    assert len(from_dbt) == len(ends)
    assert {d: period_label(d) for d in ends} == from_dbt
