"""`workforce-warehouse refresh` end to end through Dagster on the hand-made fixture: what is published,
what a council lead's file holds, suppression in shared outputs, blocked publishes, one writer at a time."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT, TEST_KEY
from handmade import RAW_SWE, SECRET_DOB, SECRET_NAME, SECRET_SURNAME, A, B, write_landing

from workforce_warehouse import isolated
from workforce_warehouse.cli import main
from workforce_warehouse.config import REFERENCE_DIR

TABLES = [
    "representation_by_seniority",
    "workforce_flows",
    "wres_metrics",
    "asye_outcomes",
    "agency_use",
    "census_reconciliation",
    "pay_offers",
    "pay_gap",
    "pay_quartiles",
    "progression",
    "submissions",
    "data_quality",
]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("e2e")
    write_landing(home / "landing")
    (home / "landing" / "dfe_census").mkdir(parents=True)
    for f in (REFERENCE_DIR / "dfe").glob("*.csv"):
        shutil.copy(f, home / "landing" / "dfe_census" / f.name)
    out = io.StringIO()
    real_run = isolated.run

    def run_noting_the_process(stage, fn, *args, progress, **kwargs):
        def noted(*a, progress, **k):  # runs where the stage runs
            with (home / "stage-processes.txt").open("a") as f:
                f.write(f"{stage} {os.getpid()}\n")
            return fn(*a, progress=progress, **k)

        return real_run(stage, noted, *args, progress=progress, **kwargs)

    isolated.run = run_noting_the_process
    try:
        with contextlib.redirect_stdout(out):
            code = main(["refresh", "--home", str(home)])
    finally:
        isolated.run = real_run
    (home / "refresh-output.txt").write_text(out.getvalue())
    assert code == 0, out.getvalue()[-3000:]
    return home


def test_load_checks_and_publish_each_ran_in_a_child_process(home):
    """Their memory goes back to the system when they end (issue 22), so each ran outside this process."""
    ran = [line.split() for line in (home / "stage-processes.txt").read_text().splitlines()]
    assert [stage for stage, _ in ran] == ["load", "checks", "publish"]
    pids = [int(pid) for _, pid in ran]
    assert os.getpid() not in pids and len(set(pids)) == 3


def test_refresh_prints_a_short_honest_summary(home):
    lines = (home / "refresh-output.txt").read_text().splitlines()
    assert len(lines) < 40, "\n".join(lines)
    text = "\n".join(lines)
    assert "START" not in text and " PASS " not in text  # dbt's own log went to a file
    [dbt_line] = [line for line in lines if line.startswith("  dbt: ")]
    log = Path(dbt_line.split("(log: ")[1].rstrip(")"))
    assert log.is_relative_to(home / "logs" / "dbt") and "START" in log.read_text()
    assert "Summary (run " in text and "load " in text and "publish " in text
    assert "  files: " in text and "loaded" in text


def published(home: Path, table: str, where: str = "true", db: str = "alliance.duckdb") -> list[dict]:
    con = duckdb.connect(str(home / "published" / db), read_only=True)
    try:
        cur = con.execute(f"select * from main.{table} where {where}")
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]
    finally:
        con.close()


def test_the_warehouse_file_holds_everything_the_refresh_wrote(home):
    """No write-ahead log is left beside the warehouse: what the refresh built (data_quality, built by dbt
    inside the checks stage's process) is in warehouse.duckdb itself, so a copy of that file alone (a
    backup) has it."""
    warehouse = home / "warehouse" / "warehouse.duckdb"
    assert not warehouse.with_name(warehouse.name + ".wal").exists()


def test_reports_read_only_the_tables_they_use_and_miss_none(home, monkeypatch):
    """Reports read only the tables listed in the builder (issue 22). Reading every table gives the same
    pages, so no table a report uses is missing from the lists (a table not read is empty: without pay_gap
    in the list a council's pay section is gone and this fails)."""
    from workforce_warehouse.reports import builder

    pub = home / "published"
    councils = sorted((pub / "councils").glob("*/council.duckdb"))

    def pages() -> list[str]:
        return [builder.render_council(f, "then") for f in councils] + [
            builder.render_alliance(pub / "alliance.duckdb", {"E09000007": "x.html"}, "then")
        ]

    listed = pages()
    monkeypatch.setattr(builder, "COUNCIL_REPORT_TABLES", None)
    monkeypatch.setattr(builder, "ALLIANCE_REPORT_TABLES", None)
    assert councils and listed == pages()


def test_published_layout_and_manifest(home):
    pub = home / "published"
    assert (pub / "alliance.duckdb").exists() and (pub / "manifest.json").exists()
    for t in TABLES:
        assert (pub / "parquet" / f"{t}.parquet").exists(), t
    assert sorted(p.name for p in (pub / "councils").iterdir()) == sorted([A, B])
    manifest = json.loads((pub / "manifest.json").read_text())
    assert manifest["published"] is True and manifest["suppression_threshold"] == 5
    loaded = {(x["file_name"], x["file_sha256"]) for x in manifest["loads"]}
    staff = home / "landing" / "council_hr" / f"hr_{A}_2024-03-31_staff.csv"
    assert (staff.name, sha(staff)) in loaded
    assert manifest["checks"]["passed"] > 50


def test_small_counts_suppressed_in_shared_outputs_but_not_in_the_warehouse(home):
    # metric 8 for A: BME 2 leavers of 12 -> the 2 is hidden in the published copy, with the ratio and CI
    row = published(
        home,
        "wres_metrics",
        f"geography_code = '{A}' and metric = '8' and comparison_group = 'BME' and service = 'all'",
    )[0]
    assert row["group_numerator"] is None and row["relative_likelihood"] is None and row["ci_lower"] is None
    assert row["suppressed"] is True
    con = duckdb.connect(str(home / "warehouse" / "warehouse.duckdb"), read_only=True)
    assert con.execute(
        f"select group_numerator from marts.wres_metrics where geography_code = '{A}' and metric = '8' "
        "and comparison_group = 'BME' and service = 'all'"
    ).fetchone() == (2,)
    con.close()
    # metric 2 for A is 6 of 30 vs 20 of 40: shown
    m2 = published(
        home, "wres_metrics", f"geography_code = '{A}' and metric = '2' and comparison_group = 'BME'"
    )[0]
    assert m2["relative_likelihood"] == pytest.approx(0.4) and m2["suppressed"] is False


def test_council_file_holds_no_other_council(home):
    for la, other in ((A, B), (B, A)):
        con = duckdb.connect(str(home / "published" / "councils" / la / "council.duckdb"), read_only=True)
        try:
            tables = [
                r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
            ]
            assert sorted(tables) == sorted(TABLES)
            for t in tables:
                cols = [r[0] for r in con.execute(f"describe main.{t}").fetchall()]
                for c in ("la_code", "geography_code", "council"):
                    if c in cols:
                        values = {r[0] for r in con.execute(f"select distinct {c} from main.{t}").fetchall()}
                        assert other not in values, (la, t, c)
                if "geography_level" in cols and "councils_included" in cols:
                    levels = con.execute(
                        f"select distinct geography_level, geography_code from main.{t} "
                        "where geography_level = 'Local authority'"
                    ).fetchall()
                    assert all(code == la for _, code in levels), (t, levels)
                    # two councils only: no pooled row may reveal the other one
                    assert (
                        con.execute(
                            f"select count(*) from main.{t} where geography_level in ('Region', 'Alliance') "
                            "and councils_included is not null"
                        ).fetchone()[0]
                        == 0
                    )
        finally:
            con.close()


def test_published_files_hold_no_person_level_data(home):
    secrets = [SECRET_NAME, SECRET_SURNAME, SECRET_DOB, "1981-02-03", RAW_SWE, "SW0000077001"]
    for p in (home / "published").rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            for s in secrets:
                assert s.encode() not in data, (p, s)
    con = duckdb.connect(str(home / "published" / "alliance.duckdb"), read_only=True)
    cols = {r[0] for r in con.execute("select column_name from information_schema.columns").fetchall()}
    con.close()
    assert not cols & {"employee_key", "swe_key", "applicant_key", "engagement_key", "case_key"}


def test_file_permissions(home):
    assert stat.S_IMODE((home / "warehouse").stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "quarantine").stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "published" / "alliance.duckdb").stat().st_mode) == 0o640


def test_data_quality_lists_dbt_and_gx_checks(home):
    rows = published(home, "data_quality")
    kinds = {r["check_type"] for r in rows}
    assert kinds == {"dbt_test", "great_expectations"}
    assert all(r["outcome"] == "pass" for r in rows if r["severity"] == "error")


def test_status_runs(home, capsys):
    assert main(["status", "--home", str(home)]) == 0
    out = capsys.readouterr().out
    assert "Last runs:" in out and "published" in out


def test_status_prints_the_chase_list(home, capsys):
    """Worked by hand from handmade.py: A's extract has no asye dataset; B sent only staff and asye, so its
    recruitment, casework, cpd and survey are missing. Both extracts end 2024-03-31 (period 2023-24). Lines are
    `la source/dataset period: status file message`, ordered by council, source, dataset; file is empty."""
    assert main(["status", "--home", str(home)]) == 0
    out = capsys.readouterr().out.splitlines()
    start, end = out.index("Chase list (not loaded):"), out.index("Quarantined files:")
    msg = "no {} dataset for this extract: its metrics are not_submitted"
    assert out[start + 1 : end] == [
        f"  {A} council_hr/asye 2023-24: missing  {msg.format('asye')}",
        f"  {B} council_hr/casework 2023-24: missing  {msg.format('casework')}",
        f"  {B} council_hr/cpd 2023-24: missing  {msg.format('cpd')}",
        f"  {B} council_hr/recruitment 2023-24: missing  {msg.format('recruitment')}",
        f"  {B} council_hr/survey 2023-24: missing  {msg.format('survey')}",
    ]


def _published_snapshot(conn_execute) -> dict[str, tuple[int, int]]:
    """Every published table's row count and a checksum of its rows, through one connection."""
    return {
        t: tuple(conn_execute(f"select count(*), coalesce(bit_xor(hash(t)), 0) from {t} as t"))
        for t in TABLES
    }


def test_bi_reads_through_sqlalchemy_read_only_while_a_refresh_runs(home, tmp_path):
    """The path Superset uses: SQLAlchemy + duckdb-engine, read-only, on the published file, while another
    refresh rebuilds it; every read sees a whole, consistent copy: each table's row count and checksum equal
    those of the old published copy (recorded before the refresh) or all those of the new one (recorded after),
    never a mix of the two."""
    from sqlalchemy import create_engine, text

    def snapshot() -> dict[str, tuple[int, int]]:
        engine = create_engine(
            f"duckdb:///{home / 'published' / 'alliance.duckdb'}", connect_args={"read_only": True}
        )
        try:
            with engine.connect() as conn:
                return _published_snapshot(lambda sql: conn.execute(text(sql)).one())
        finally:
            engine.dispose()

    old = snapshot()
    # a new file makes the next refresh load and republish
    extra = home / "landing" / "council_hr" / f"hr_{A}_2024-03-31_cpd.csv"
    extra.write_bytes(extra.read_bytes() + b"W5,A9,2023-10-01,Y,N\n")
    env = dict(os.environ, WORKFORCE_PSEUDONYMISATION_KEY=TEST_KEY, DAGSTER_HOME=str(tmp_path / "dagster"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "workforce_warehouse.cli", "refresh", "--home", str(home)],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    reads = []
    try:
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            reads.append(snapshot())
            time.sleep(0.2)
        out = proc.communicate(timeout=300)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out[-3000:]
    new = snapshot()
    assert len(reads) >= 3
    # the refresh published a different copy (one more funded CPD row for A changes metric 4 and the checks)
    assert new != old
    assert old["wres_metrics"][0] > 0 and new["wres_metrics"][0] > 0
    for i, r in enumerate(reads):
        assert r in (old, new), (
            i,
            {t: (old[t], r[t], new[t]) for t in TABLES if r[t] not in (old[t], new[t])},
        )


def test_second_refresh_while_one_holds_the_lock_exits_4(home, tmp_path):
    from workforce_warehouse.config import load_settings
    from workforce_warehouse.lock import WarehouseLock

    lock = WarehouseLock(load_settings(home)).acquire("test holder")
    try:
        assert main(["refresh", "--home", str(home)]) == 4
    finally:
        lock.release()


def test_concurrent_refreshes_one_exits_4_and_the_warehouse_stays_good(home, tmp_path):
    env = dict(os.environ, WORKFORCE_PSEUDONYMISATION_KEY=TEST_KEY, WORKFORCE_LOCK_TIMEOUT_SECONDS="0")
    cmd = [sys.executable, "-m", "workforce_warehouse.cli", "refresh", "--home", str(home)]
    procs = [
        subprocess.Popen(
            cmd,
            cwd=PROJECT,
            env=dict(env, DAGSTER_HOME=str(tmp_path / f"d{i}")),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(2)
    ]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 4], outs
    loser = outs[[p.returncode for p in procs].index(4)]
    assert "Another refresh holds the warehouse lock" in loser and "pid" in loser
    rows = published(home, "data_quality", "severity = 'error' and outcome <> 'pass'")
    assert rows == []


def test_blocked_publish_keeps_the_old_copy(home):
    """Corrupt the raw layer in a way ingestion would never let through (a duplicate staff row): the dbt
    uniqueness test fails, publishing is blocked with exit 2, and the published copy is unchanged."""
    before = {p: sha(p) for p in (home / "published").rglob("*") if p.is_file()}
    con = duckdb.connect(str(home / "warehouse" / "warehouse.duckdb"))
    con.execute(f"insert into raw.hr_staff select * from raw.hr_staff where la_code = '{A}' limit 1")
    con.execute(
        "update raw.load_log set rows_loaded = rows_loaded + 1 where dataset = 'staff' and outcome = 'loaded' "
        f"and la_code = '{A}'"
    )
    con.close()
    try:
        assert main(["refresh", "--home", str(home)]) == 2
        after = {
            p: sha(p)
            for p in (home / "published").rglob("*")
            if p.is_file() and p.name != "manifest.failed.json"
        }
        assert after == before
        failed = json.loads((home / "published" / "manifest.failed.json").read_text())
        assert failed["published"] is False
        names = {c["check_name"] for c in failed["checks"]["failed"]}
        assert any("unique_combination_of_columns_stg_council_hr__staff" in n for n in names), names
    finally:
        con = duckdb.connect(str(home / "warehouse" / "warehouse.duckdb"))
        con.execute(f"""delete from raw.hr_staff where rowid in (
            select max(rowid) from raw.hr_staff where la_code = '{A}' group by employee_key, period_end having count(*) > 1)""")
        con.execute(
            "update raw.load_log set rows_loaded = rows_loaded - 1 where dataset = 'staff' and outcome = 'loaded' "
            f"and la_code = '{A}'"
        )
        con.close()


def _contract_types(model: str) -> dict[str, str]:
    manifest = json.loads((PROJECT / "target" / "manifest.json").read_text())
    [node] = [n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == model]
    assert node["config"]["contract"]["enforced"], f"{model} has no enforced contract"
    return {c: v["data_type"].lower() for c, v in node["columns"].items()}


# How DuckDB and Parquet (pyarrow) name each contract type.
_DUCKDB = {"timestamptz": "timestamp with time zone"}
_ARROW = {
    "varchar": ("string", "large_string"),
    "bigint": ("int64",),
    "integer": ("int32",),
    "double": ("double",),
    "boolean": ("bool",),
    "date": ("date32[day]",),
    "timestamptz": ("timestamp[us, tz=",),
}


def test_published_schemas_equal_the_dbt_contracts(home):
    """Every published table, in the DuckDB copy and in Parquet, has the columns and types its dbt contract
    declares (less the identifier columns that are never published)."""
    import pyarrow.parquet as pq

    from workforce_warehouse.publish import FORBIDDEN_COLUMNS, PUBLISHED_TABLES

    con = duckdb.connect(str(home / "published" / "alliance.duckdb"), read_only=True)
    try:
        for table in PUBLISHED_TABLES:
            want = {c: t for c, t in _contract_types(table).items() if c not in FORBIDDEN_COLUMNS}
            got = dict(
                con.execute(
                    "select column_name, lower(data_type) from information_schema.columns where table_name = ? "
                    "order by ordinal_position",
                    [table],
                ).fetchall()
            )
            # the publish step adds one column to tables with pooled rows (which Alliance rows a council's
            # file leaves out); everything else is the contract's
            assert got.pop("withheld_from_region", None) in (None, "varchar"), table
            assert got == {c: _DUCKDB.get(t, t) for c, t in want.items()}, table
            schema = pq.read_schema(home / "published" / "parquet" / f"{table}.parquet")
            for column, t in want.items():
                arrow = str(schema.field(column).type)
                if t.startswith("decimal"):
                    wanted = t.replace("decimal", "decimal128").replace(" ", "")
                    assert arrow.replace(" ", "") == wanted, (table, column, arrow)
                else:
                    assert arrow.startswith(_ARROW[t]), (table, column, t, arrow)
    finally:
        con.close()


def test_superset_dashboard_bundle_matches_the_published_tables(home):
    """published/bi/superset_wres.zip: Superset's import bundle (checked by importing it into Superset 4.1
    by hand: database, 2 datasets, 4 charts, 1 dashboard). Here: every file is there, the references hold,
    the database points at this home's published file read-only, and every dataset column and chart filter
    names a column the published table has."""
    import zipfile

    import yaml

    path = home / "published" / "bi" / "superset_wres.zip"
    with zipfile.ZipFile(path) as z:
        files = {n.split("/", 1)[1]: yaml.safe_load(z.read(n)) for n in z.namelist()}
    assert files["metadata.yaml"]["type"] == "Dashboard"
    [db] = [v for k, v in files.items() if k.startswith("databases/")]
    assert db["sqlalchemy_uri"] == f"duckdb:///{home / 'published' / 'alliance.duckdb'}?access_mode=read_only"
    datasets = {v["uuid"]: v for k, v in files.items() if k.startswith("datasets/")}
    charts = [v for k, v in files.items() if k.startswith("charts/")]
    [dashboard] = [v for k, v in files.items() if k.startswith("dashboards/")]
    assert len(datasets) == 2 and len(charts) == 4
    con = duckdb.connect(str(home / "published" / "alliance.duckdb"), read_only=True)
    try:
        for ds in datasets.values():
            assert ds["database_uuid"] == db["uuid"]
            have = {
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns where table_name = ?",
                    [ds["table_name"]],
                ).fetchall()
            }
            assert {c["column_name"] for c in ds["columns"]} <= have, ds["table_name"]
        chart_uuids = {c["uuid"] for c in charts}
        for chart in charts:
            ds = datasets[chart["dataset_uuid"]]
            names = {c["column_name"] for c in ds["columns"]}
            assert set(chart["params"]["all_columns"]) <= names
            assert {f["subject"] for f in chart["params"]["adhoc_filters"]} <= names
        placed = {
            v["meta"]["uuid"]
            for v in dashboard["position"].values()
            if isinstance(v, dict) and v.get("type") == "CHART"
        }
        assert placed == chart_uuids
    finally:
        con.close()
