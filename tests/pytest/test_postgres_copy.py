"""The PostgreSQL copy for BI servers (outputs.md): a real PostgreSQL server, started for this module.

One refresh of the hand-made fixture with WORKFORCE_PUBLISH_POSTGRES_URL and WORKFORCE_DAGSTER_POSTGRES_URL
set (the publisher a plain login with CREATEROLE that owns the database, not a superuser); then: tables,
types and row counts as in the DuckDB copy; a council lead's login sees exactly its council file, whatever
query it runs; readers never see a half-published copy; a failed publish leaves `wres` as it was.
"""

from __future__ import annotations

import glob
import hashlib
import math
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from handmade import A, B, write_landing

from workforce_warehouse import pipeline, publish, publish_postgres
from workforce_warehouse.cli import main, prepare_dagster_home, summarise
from workforce_warehouse.config import REFERENCE_DIR, load_settings

psycopg = pytest.importorskip("psycopg")


def _pg_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(d) / "initdb").exists():
            return Path(d)
    return None


PG_BIN = _pg_bin()
pytestmark = pytest.mark.skipif(
    PG_BIN is None,
    reason="PostgreSQL server binaries (initdb, pg_ctl) not found; scripts/system-deps.sh installs them",
)

PUBLISHER = "warehouse"  # the warehouse's own login: CREATEROLE, owns the database, not a superuser
LEAD_LOGIN_A, LEAD_LOGIN_B, READER_LOGIN = "lead_login_a", "lead_login_b", "bi_reader"


class PgServer:
    """A throwaway PostgreSQL cluster on a free loopback port (run as `postgres` when we are root)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="wres-pg-"))
        self.data = self.dir / "data"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.dir, "postgres")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]

    def _run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        full = [str(PG_BIN / cmd[0]), *cmd[1:]]
        if self.as_postgres:
            full = ["runuser", "-u", "postgres", "--", *full]
        return subprocess.run(full, capture_output=True, text=True, timeout=120, check=check)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def url(self, user: str = "postgres", db: str = "wres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{db}"

    def connect(self, user: str = "postgres", db: str = "wres"):
        return psycopg.connect(self.url(user, db), autocommit=True)

    def query(self, sql: str, params=None, user: str = "postgres", db: str = "wres") -> list[tuple]:
        with self.connect(user, db) as conn:
            return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def pg():
    server = PgServer()
    server.init()
    server.start()
    try:
        with server.connect(db="postgres") as c:
            c.execute(f"CREATE ROLE {PUBLISHER} LOGIN CREATEROLE")
            c.execute(f"CREATE DATABASE wres OWNER {PUBLISHER}")
            c.execute(f"CREATE DATABASE dagster OWNER {PUBLISHER}")
            for login in (LEAD_LOGIN_A, LEAD_LOGIN_B, READER_LOGIN):
                c.execute(f"CREATE ROLE {login} LOGIN")
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(server.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def home(pg, tmp_path_factory):
    home = tmp_path_factory.mktemp("pg_home")
    write_landing(home / "landing")
    (home / "landing" / "dfe_census").mkdir(parents=True)
    for f in (REFERENCE_DIR / "dfe").glob("*.csv"):
        shutil.copy(f, home / "landing" / "dfe_census" / f.name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKFORCE_PUBLISH_POSTGRES_URL", pg.url(PUBLISHER))
        mp.setenv("WORKFORCE_DAGSTER_POSTGRES_URL", pg.url(PUBLISHER, "dagster"))
        mp.setenv("DAGSTER_HOME", str(home / "dagster"))
        started = time.monotonic()
        assert main(["refresh", "--home", str(home)]) == 0
        print(f"refresh with the PostgreSQL copy: {time.monotonic() - started:.1f}s")
    # the administrator's part: lead roles and the reader role granted to logins
    with pg.connect() as c:
        c.execute(f"GRANT {publish_postgres.lead_role(A)} TO {LEAD_LOGIN_A}")
        c.execute(f"GRANT {publish_postgres.lead_role(B)} TO {LEAD_LOGIN_B}")
        c.execute(f"GRANT {publish_postgres.READER_ROLE} TO {READER_LOGIN}")
    return home


def _duck(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _norm(rows) -> Counter:
    def v(x):
        if isinstance(x, float) and math.isnan(x):
            return "NaN"
        if isinstance(x, Decimal):
            return x.normalize()
        return x

    return Counter(tuple(v(x) for x in r) for r in rows)


def _tables(home: Path) -> list[str]:
    return [
        r[0]
        for r in _duck(
            home / "published" / "alliance.duckdb",
            "select table_name from duckdb_tables() where schema_name = 'main' order by 1",
        )
    ]


def _live_oids(pg) -> dict[str, int]:
    return dict(
        pg.query(
            "select c.relname, c.oid::bigint from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'wres' and c.relkind = 'r'"
        )
    )


def _councils_and_regions(home: Path) -> tuple[list[str], dict[str, str]]:
    wh = home / "warehouse" / "warehouse.duckdb"
    councils = [r[0] for r in _duck(wh, "select la_code from intermediate.int_alliance_councils order by 1")]
    regions = dict(_duck(wh, "select la_code, region_code from reference.local_authorities"))
    return councils, regions


# --------------------------------------------------------------------------------------------------


def test_tables_types_counts_and_comments_as_in_the_duckdb_copy(home, pg):
    alliance = home / "published" / "alliance.duckdb"
    tables = _tables(home)
    assert set(publish.PUBLISHED_TABLES) <= set(tables)
    assert sorted(_live_oids(pg)) == tables
    for t in tables:
        duck_cols = _duck(alliance, f"describe main.{t}")
        pg_cols = pg.query(
            "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
            "where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum",
            (f"wres.{t}",),
        )
        assert [c for c, _ in pg_cols] == [r[0] for r in duck_cols], t
        assert [ty for _, ty in pg_cols] == [publish_postgres.pg_type(r[1]) for r in duck_cols], t
        # every row, value for value (the superuser sees through row security)
        assert _norm(pg.query(f"select * from wres.{t}")) == _norm(
            _duck(alliance, f"select * from main.{t}")
        ), t
    types = {ty for t in tables for _, ty in (r[:2] for r in _duck(alliance, f"describe main.{t}"))}
    assert {"DATE", "BIGINT", "DOUBLE", "BOOLEAN", "VARCHAR"} <= types
    assert any(ty.startswith("DECIMAL") for ty in types)
    # comments from the dbt docs, on the table and its columns
    docs = publish_postgres.dbt_descriptions()
    (comment,) = pg.query("select obj_description('wres.wres_metrics'::regclass, 'pg_class')")[0]
    assert comment and comment == docs["wres_metrics"][0]
    (col_comment,) = pg.query(
        "select col_description('wres.wres_metrics'::regclass, "
        "(select attnum from pg_attribute where attrelid = 'wres.wres_metrics'::regclass "
        "and attname = 'relative_likelihood'))"
    )[0]
    assert col_comment == docs["wres_metrics"][1]["relative_likelihood"] != ""
    manifest = (home / "published" / "manifest.json").read_text()
    assert '"postgres"' in manifest and "wres_lead_" in manifest and pg.url(PUBLISHER) not in manifest


def test_roles_are_nologin_not_bypassing_and_tables_force_row_security(home, pg):
    roles = [publish_postgres.READER_ROLE, publish_postgres.lead_role(A), publish_postgres.lead_role(B)]
    rows = pg.query(
        "select rolname, rolcanlogin, rolbypassrls, rolsuper from pg_roles where rolname = any(%s)", (roles,)
    )
    assert sorted(r[0] for r in rows) == sorted(roles)
    assert all(not login and not bypass and not sup for _, login, bypass, sup in rows)
    tables = pg.query(
        "select c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) "
        "from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'wres' and c.relkind = 'r'"
    )
    assert tables and all(rls and force and owner == PUBLISHER for _, rls, force, owner in tables)
    policies = pg.query("select tablename, roles::text from pg_policies where schemaname = 'wres'")
    for t, *_ in tables:
        on_t = {r for tt, r in policies if tt == t}
        assert {"{" + publish_postgres.lead_role(A) + "}", "{" + publish_postgres.READER_ROLE + "}"} <= on_t


def test_reader_sees_every_row(home, pg):
    alliance = home / "published" / "alliance.duckdb"
    for t in _tables(home):
        (n,) = pg.query(f"select count(*) from wres.{t}", user=READER_LOGIN)[0]
        assert n == _duck(alliance, f"select count(*) from main.{t}")[0][0], t


@pytest.mark.parametrize("la,login", [(A, LEAD_LOGIN_A), (B, LEAD_LOGIN_B)])
def test_lead_sees_exactly_its_council_file(home, pg, la, login):
    council_file = home / "published" / "councils" / la / "council.duckdb"
    for t in _tables(home):
        got = _norm(pg.query(f"select * from wres.{t}", user=login))
        want = _norm(_duck(council_file, f"select * from main.{t}"))
        assert got == want, t
    # the fixture's own rows are there, and pooled or national rows it may see
    levels = {r[0] for r in pg.query("select distinct geography_level from wres.wres_metrics", user=login)}
    assert "Local authority" in levels


def test_lead_cannot_reach_another_councils_rows_by_any_query(home, pg):
    other = B
    with pg.connect(LEAD_LOGIN_A) as c:
        for t in _tables(home):
            cols = {r[0] for r in c.execute(f"select * from wres.{t} limit 0").description or []}
            if "geography_code" in cols:
                assert c.execute(
                    f"select count(*) from wres.{t} where geography_level = 'Local authority' "
                    "and geography_code <> %s",
                    (A,),
                ).fetchone() == (0,), t
            if "la_code" in cols:
                assert c.execute(
                    f"select count(*) from wres.{t} where la_code = %s", (other,)
                ).fetchone() == (0,), t
        # aggregates and joins see only what the policy lets through
        codes = c.execute(
            "select geography_code, count(*), sum(headcount) from wres.representation_by_seniority "
            "where geography_level = 'Local authority' group by 1"
        ).fetchall()
        assert {r[0] for r in codes} == {A}
        joined = c.execute(
            "select count(*) from wres.wres_metrics m join wres.workforce_flows f "
            "on f.geography_code = m.geography_code where m.geography_code = %s",
            (other,),
        ).fetchone()
        assert joined == (0,)
        assert c.execute(
            "select count(*) from wres.submissions s left join wres.data_quality d on d.council = s.la_code "
            "where s.la_code <> %s or d.council <> %s",
            (A, A),
        ).fetchone() == (0,)
        # a function of its own that would print every value it is given: row security runs first
        c.execute(
            "create function pg_temp.peek(code text) returns boolean language plpgsql cost 0.0000001 as "
            "$$ begin raise notice 'saw %', code; return true; end $$"
        )
        seen: list[str] = []
        c.add_notice_handler(lambda d: seen.append(d.message_primary))
        c.execute("select count(*) from wres.wres_metrics where pg_temp.peek(geography_code)").fetchone()
        assert seen and not any(other in s for s in seen)
        # no turning row security off, no writing, no altering
        c.execute("set row_security = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("select count(*) from wres.wres_metrics").fetchone()
        c.execute("reset row_security")
        for stmt in (
            "insert into wres.submissions (la_code) values ('E09000005')",
            "update wres.wres_metrics set geography_code = 'x'",
            "delete from wres.wres_metrics",
            "alter table wres.wres_metrics disable row level security",
            "alter table wres.wres_metrics no force row level security",
            "drop policy wres_reader on wres.wres_metrics",
            "create table wres.leak (x int)",
            "set role wres_reader",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute(stmt)
        # no statistics that would show other councils' values
        assert c.execute("select count(*) from pg_stats where schemaname = 'wres'").fetchone() == (0,)


def test_republish_is_idempotent_and_readers_always_see_a_complete_copy(home, pg):
    """Two logins query in a loop (threads) while the copy is published three times over: every statement
    sees all the tables, full (the reader) or exactly the council file's (the lead), never an empty or
    half-filled table, never a missing one."""
    tables = _tables(home)
    files = {
        READER_LOGIN: home / "published" / "alliance.duckdb",
        LEAD_LOGIN_A: home / "published" / "councils" / A / "council.duckdb",
    }
    expected = {
        login: tuple(_duck(f, f"select count(*) from main.{t}")[0][0] for t in tables)
        for login, f in files.items()
    }
    one_query = "select " + ", ".join(f"(select count(*) from wres.{t})" for t in tables)
    councils, regions = _councils_and_regions(home)
    before = _live_oids(pg)
    stop, errors = threading.Event(), []
    seen: dict[str, list[tuple]] = {login: [] for login in files}

    def read_loop(login: str) -> None:
        try:
            with pg.connect(login) as c:
                while not stop.is_set():
                    seen[login].append(c.execute(one_query).fetchone())
                    for t, n in zip(tables, expected[login], strict=True):  # and table by table
                        got = c.execute(f"select count(*) from wres.{t}").fetchone()
                        if got != (n,):
                            errors.append(f"{login} {t}: {got[0]} rows, {n} expected")
        except Exception as exc:  # reported by the test below
            errors.append(exc)

    readers = [threading.Thread(target=read_loop, args=(login,)) for login in files]
    for r in readers:
        r.start()
    timings = []
    try:
        time.sleep(0.2)
        for _ in range(3):
            t0 = time.monotonic()
            publish_postgres.publish_copy(
                pg.url(PUBLISHER), files[READER_LOGIN], councils, regions, progress=lambda m: None
            )
            timings.append(time.monotonic() - t0)
        time.sleep(0.2)
    finally:
        stop.set()
        for r in readers:
            r.join(timeout=60)
    print(f"PostgreSQL copy of the hand-made fixture: {', '.join(f'{t:.2f}s' for t in timings)}")
    assert not errors, errors[:5]
    for login, rows in seen.items():
        assert len(rows) > 5, login
        assert set(rows) == {expected[login]}, login
    after = _live_oids(pg)
    assert sorted(after) == sorted(before) and set(after.values()).isdisjoint(before.values())
    # nothing left behind, the roles not duplicated, the lead still sees its file
    assert pg.query("select nspname from pg_namespace where nspname like 'wres%' order by 1") == [("wres",)]
    assert pg.query("select count(*) from pg_roles where rolname like 'wres_lead_%'") == [(len(councils),)]
    test_lead_sees_exactly_its_council_file(home, pg, A, LEAD_LOGIN_A)


def test_publish_failing_half_way_leaves_everything_as_it_was(home, pg, monkeypatch):
    """The server stops in the middle of the copy: the publish raises, `wres` keeps the last good tables,
    the files are not swapped, the failure is recorded and the CLI's summary exits 2."""
    settings = load_settings(home)
    before_oids = _live_oids(pg)
    alliance = home / "published" / "alliance.duckdb"
    before_sha = hashlib.sha256(alliance.read_bytes()).hexdigest()
    real_load, loaded = publish_postgres._load_table, []

    def load_then_stop(cur, schema, table, *args):
        real_load(cur, schema, table, *args)
        loaded.append(table)
        if len(loaded) == 3:
            pg.stop("immediate")

    monkeypatch.setattr(publish_postgres, "_load_table", load_then_stop)
    monkeypatch.setenv("WORKFORCE_PUBLISH_POSTGRES_URL", pg.url(PUBLISHER))
    run_id = "pg-failure-test"
    try:
        with pytest.raises(publish_postgres.PostgresCopyError, match="unchanged"):
            publish.build_and_swap(
                settings, {"run_id": run_id}, checks_blocked=False, progress=lambda m: None
            )
    finally:
        pg.start()
    assert len(loaded) == 3
    assert _live_oids(pg) == before_oids
    assert pg.query("select count(*) from pg_namespace where nspname like 'wres_build%'") == [(0,)]
    assert hashlib.sha256(alliance.read_bytes()).hexdigest() == before_sha
    assert "PostgreSQL" in (home / "published" / publish.FAILED_MANIFEST).read_text()
    failure = pipeline.failure_of(settings, run_id)
    assert failure and failure["stage"] == "publish" and "PostgreSQL copy" in failure["message"]
    assert summarise(settings, run_id, False, time.monotonic()) == 2
    # and the lead's view is intact
    test_lead_sees_exactly_its_council_file(home, pg, A, LEAD_LOGIN_A)


def test_refresh_whose_copy_cannot_reach_the_server_exits_2_and_names_it(home, pg, monkeypatch, capsys):
    """The `refresh` job and its summary as the CLI runs them (cli._run_refresh), the publish step only: the
    fixture's refresh ran load, dbt and checks, and running them again would add a minute and test nothing
    more here. (The whole `workforce-warehouse refresh` with this URL also exits 2; it takes ~90 s.)"""
    import dagster as dg

    from orchestration.definitions import defs

    before_oids = _live_oids(pg)
    manifest = (home / "published" / "manifest.json").read_text()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    monkeypatch.setenv(
        "WORKFORCE_PUBLISH_POSTGRES_URL", f"postgresql://{PUBLISHER}@127.0.0.1:{dead_port}/wres"
    )
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster_sqlite"))
    settings = load_settings(home)
    prepare_dagster_home(settings)
    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def("refresh").execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={
                "resources": {"warehouse": {"config": {"home": str(home), "hold_lock": False}}},
                "loggers": {"console": {"config": {"log_level": "WARNING"}}},
            },
            asset_selection=[dg.AssetKey(["published", "alliance"])],
        )
    assert not result.success
    capsys.readouterr()
    assert summarise(settings, result.run_id, result.success, time.monotonic(), result) == 2
    out = capsys.readouterr().out
    assert "failed in the publish stage" in out and f"127.0.0.1:{dead_port}/wres" in out
    assert "PostgreSQL copy" in out and "unchanged" in out
    assert _live_oids(pg) == before_oids
    assert (home / "published" / "manifest.json").read_text() == manifest


def test_dagster_keeps_its_runs_in_postgresql(home, pg, monkeypatch, tmp_path):
    # the fixture's refresh ran through a Dagster instance on PostgreSQL storage: its run is recorded there
    rows = pg.query("select status from runs", user=PUBLISHER, db="dagster")
    assert ("SUCCESS",) in rows
    assert pg.query("select count(*) from event_logs", user=PUBLISHER, db="dagster")[0][0] > 10
    cfg = (home / "dagster" / "dagster.yaml").read_text()
    assert "postgres_url" in cfg and "127.0.0.1" not in cfg  # the URL (and any password) stays in the env
    assert not (home / "dagster" / "history" / "runs.db").exists()
    # and an instance prepared the same way runs a job there
    import dagster as dg

    monkeypatch.setenv("WORKFORCE_DAGSTER_POSTGRES_URL", pg.url(PUBLISHER, "dagster"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    prepare_dagster_home(load_settings(home))

    @dg.op
    def one() -> int:
        return 1

    @dg.job
    def tiny():
        one()

    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        result = tiny.execute_in_process(instance=instance)
    assert result.success
    assert pg.query(
        "select status from runs where run_id = %s", (result.run_id,), user=PUBLISHER, db="dagster"
    ) == [("SUCCESS",)]
    # without the variable, the file goes back to SQLite storage
    monkeypatch.delenv("WORKFORCE_DAGSTER_POSTGRES_URL")
    prepare_dagster_home(load_settings(home))
    assert "storage:" not in (tmp_path / "dagster" / "dagster.yaml").read_text()
