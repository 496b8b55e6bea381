"""The PostgreSQL copy of the published tables, for BI servers and many readers (outputs.md).

When ``WORKFORCE_PUBLISH_POSTGRES_URL`` is set, every publish copies the tables of the freshly built
``alliance.duckdb`` (whatever tables publish.py wrote, with their DuckDB types) into PostgreSQL:

- in ONE transaction: a fresh schema ``wres_build_<stamp>`` is created and filled with COPY (DuckDB writes
  each table as CSV, streamed to ``COPY ... FROM STDIN``), row counts checked, comments from the dbt docs,
  row-level security switched on and forced, policies and grants written; then the live schema ``wres``
  is renamed away and the new one renamed to ``wres``. Readers see the old tables or the new ones, never
  an empty or half-filled one; any failure rolls the whole transaction back and ``wres`` is as it was.
- the old schema is dropped afterwards in its own short transaction (a reader still inside a query on it
  keeps it a moment; a leftover is dropped at the next publish).
- roles (created when missing, NOLOGIN, checked not to bypass row security): ``wres_reader`` reads every
  row; ``wres_lead_<la code, lower case>`` reads exactly what that council's own DuckDB file holds, through
  a policy per table built from publish.council_condition, the same rule that cuts the council files.
  Leads get SELECT only, own nothing, and every table has FORCE ROW LEVEL SECURITY.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from .config import PROJECT_DIR

URL_ENV = "WORKFORCE_PUBLISH_POSTGRES_URL"
LIVE_SCHEMA = "wres"
BUILD_PREFIX = "wres_build_"
OLD_PREFIX = "wres_old_"
READER_ROLE = "wres_reader"
LEAD_PREFIX = "wres_lead_"
PUBLISHER_POLICY = "wres_publisher"
DBT_MANIFEST = PROJECT_DIR / "target" / "manifest.json"


class PostgresCopyError(RuntimeError):
    """The PostgreSQL copy failed; the live schema is unchanged (the refresh exits 2)."""


def postgres_url() -> str | None:
    return os.environ.get(URL_ENV) or None


def lead_role(la_code: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9]+", la_code or ""):
        raise ValueError(f"not an ONS code: {la_code!r}")
    return LEAD_PREFIX + la_code.lower()


def describe_url(url: str) -> str:
    """host:port/dbname of a URL, without user or password (for messages)."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        d = conninfo_to_dict(url)
        return f"{d.get('host') or 'localhost'}:{d.get('port') or 5432}/{d.get('dbname') or ''}"
    except Exception:  # a malformed URL: the connection itself reports it
        return "the configured server"


_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
_SIMPLE_TYPES = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "UTINYINT": "smallint",
    "INTEGER": "integer",
    "USMALLINT": "integer",
    "BIGINT": "bigint",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20,0)",
    "HUGEINT": "numeric(38,0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIME": "time without time zone",
    "TIMESTAMP": "timestamp without time zone",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
    "INTERVAL": "interval",
}


def pg_type(duckdb_type: str) -> str:
    """The PostgreSQL type of a DuckDB column type; anything else (lists, structs) travels as text."""
    t = duckdb_type.upper()
    m = _DECIMAL.fullmatch(t)
    if m:
        return f"numeric({m.group(1)},{m.group(2)})"
    return _SIMPLE_TYPES.get(t, "text")


def dbt_descriptions(manifest_path: Path = DBT_MANIFEST) -> dict[str, tuple[str, dict[str, str]]]:
    """table -> (table description, {column: description}) from the dbt docs of the marts."""
    try:
        nodes = json.loads(manifest_path.read_text())["nodes"].values()
    except (OSError, ValueError, KeyError):
        return {}
    out = {}
    for n in nodes:
        if n.get("resource_type") == "model" and n.get("schema") == "marts":
            cols = {c: (v.get("description") or "") for c, v in (n.get("columns") or {}).items()}
            out[n.get("alias") or n["name"]] = (n.get("description") or "", cols)
    return out


def _tables_of(alliance: Path) -> dict[str, list[tuple[str, str]]]:
    con = duckdb.connect(str(alliance), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'main' order by table_name"
            ).fetchall()
        ]
        return {t: [(r[0], r[1]) for r in con.execute(f'describe main."{t}"').fetchall()] for t in names}
    finally:
        con.close()


def _export_csv(alliance: Path, tables: dict[str, list[tuple[str, str]]], folder: Path) -> dict[str, int]:
    """Each table as CSV, every non-NULL value quoted (so an unquoted empty field is NULL and "" is an
    empty string, as PostgreSQL's CSV COPY reads them). Returns the row counts."""
    con = duckdb.connect(str(alliance), read_only=True)
    counts = {}
    try:
        for t, cols in tables.items():
            select = ", ".join(
                f'"{c}"' if pg_type(ty) != "text" or ty.upper() == "VARCHAR" else f'CAST("{c}" AS VARCHAR)'
                for c, ty in cols
            )
            path = folder / f"{t}.csv"
            con.execute(
                f"COPY (SELECT {select} FROM main.\"{t}\") TO '{path}' (FORMAT csv, HEADER false, FORCE_QUOTE *)"
            )
            counts[t] = con.execute(f'select count(*) from main."{t}"').fetchone()[0]
    finally:
        con.close()
    return counts


def _ensure_roles(cur, roles: list[str]) -> list[str]:
    """Create the roles that do not exist (NOLOGIN); refuse roles that would bypass row security."""
    from psycopg import sql

    cur.execute(
        "select rolname, rolsuper, rolbypassrls from pg_roles where rolname = any(%s)",
        (roles,),
    )
    existing = {r[0]: (r[1], r[2]) for r in cur.fetchall()}
    unsafe = sorted(r for r, (sup, bypass) in existing.items() if sup or bypass)
    if unsafe:
        raise PostgresCopyError(
            f"role(s) {', '.join(unsafe)} are superuser or BYPASSRLS: row-level security would not hold. "
            "An administrator must ALTER ROLE ... NOSUPERUSER NOBYPASSRLS"
        )
    created = [r for r in roles if r not in existing]
    for r in created:
        cur.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(r)))
    return created


def _clear_leftovers(conn, keep: str | None = None) -> None:
    """Drop schemas left by an interrupted or earlier publish (a moment's wait at most for readers)."""
    from psycopg import errors, sql

    with conn.cursor() as cur:
        cur.execute(
            "select nspname from pg_namespace where nspname like %s or nspname like %s",
            (BUILD_PREFIX + "%", OLD_PREFIX + "%"),
        )
        names = [r[0] for r in cur.fetchall() if r[0] != keep]
    for name in names:
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = '5s'")
                cur.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))
        except (errors.LockNotAvailable, errors.InsufficientPrivilege):
            pass  # a long query still reads it, or it is not ours: the next publish tries again


def publish_copy(
    url: str,
    alliance: Path,
    councils: list[str],
    regions: dict[str, str],
    progress: Callable[[str], None] = print,
    work_dir: Path | None = None,
    manifest_path: Path = DBT_MANIFEST,
) -> dict:
    """Copy every table of `alliance` (the built DuckDB file) into PostgreSQL and swap it in as `wres`.
    Raises PostgresCopyError (nothing changed) on any failure. Returns figures for the manifest."""
    import psycopg
    from psycopg import sql

    from .publish import council_condition

    started = time.monotonic()
    tables = _tables_of(alliance)
    descriptions = dbt_descriptions(manifest_path)
    leads = {la: lead_role(la) for la in councils}
    stamp = dt.datetime.now().strftime("%Y%m%d%H%M%S%f")
    build, old = BUILD_PREFIX + stamp, OLD_PREFIX + stamp
    where = describe_url(url)
    try:
        with tempfile.TemporaryDirectory(prefix="pg-copy-", dir=work_dir) as tmp:
            counts = _export_csv(alliance, tables, Path(tmp))
            exported = time.monotonic()
            with psycopg.connect(
                url, connect_timeout=15, application_name="workforce-warehouse publish", autocommit=True
            ) as conn:
                _clear_leftovers(conn)
                with conn.transaction(), conn.cursor() as cur:
                    created = _ensure_roles(cur, [READER_ROLE, *leads.values()])
                    cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(build)))
                    for t, cols in tables.items():
                        _load_table(cur, build, t, cols, Path(tmp) / f"{t}.csv", counts[t])
                        _describe_table(cur, build, t, cols, descriptions.get(t))
                        _secure_table(cur, build, t, {c for c, _ in cols}, leads, regions, council_condition)
                    _grant(cur, build, [READER_ROLE, *leads.values()])
                    # the swap: readers resolve `wres.<table>` to the old tables until this commits
                    cur.execute("select 1 from pg_namespace where nspname = %s", (LIVE_SCHEMA,))
                    if cur.fetchone():
                        cur.execute(
                            sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                                sql.Identifier(LIVE_SCHEMA), sql.Identifier(old)
                            )
                        )
                    cur.execute(
                        sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                            sql.Identifier(build), sql.Identifier(LIVE_SCHEMA)
                        )
                    )
                swapped = time.monotonic()
                _clear_leftovers(conn)
    except PostgresCopyError as exc:
        raise PostgresCopyError(
            f"PostgreSQL copy to {where} failed: {exc}; the live schema {LIVE_SCHEMA} is unchanged"
        ) from exc
    except Exception as exc:  # whatever stopped it, the transaction rolled back
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise PostgresCopyError(
            f"PostgreSQL copy to {where} failed ({exc.__class__.__name__}: {msg}); "
            f"the live schema {LIVE_SCHEMA} is unchanged"
        ) from exc
    seconds = time.monotonic() - started
    progress(
        f"  PostgreSQL copy: {len(tables)} tables, {sum(counts.values())} rows, {len(leads)} lead roles "
        f"-> {where} schema {LIVE_SCHEMA} in {seconds:.1f}s"
        + (f" (created roles {', '.join(created)})" if created else "")
    )
    return {
        "server": where,
        "schema": LIVE_SCHEMA,
        "tables": counts,
        "reader_role": READER_ROLE,
        "lead_roles": sorted(leads.values()),
        "seconds": round(seconds, 2),
        "seconds_export": round(exported - started, 2),
        "seconds_load_and_swap": round(swapped - exported, 2),
    }


def _load_table(cur, schema: str, table: str, cols: list[tuple[str, str]], csv_path: Path, expected: int):
    from psycopg import sql

    target = sql.Identifier(schema, table)
    cur.execute(
        sql.SQL("CREATE TABLE {} ({})").format(
            target,
            sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(pg_type(ty))) for c, ty in cols
            ),
        )
    )
    copy_sql = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        target, sql.SQL(", ").join(sql.Identifier(c) for c, _ in cols)
    )
    with cur.copy(copy_sql) as cp, csv_path.open("rb") as f:
        while chunk := f.read(1 << 20):
            cp.write(chunk)
    if cur.rowcount != expected:
        raise PostgresCopyError(f"{table}: {cur.rowcount} rows copied, {expected} expected")
    cur.execute(sql.SQL("ANALYZE {}").format(target))


def _describe_table(cur, schema: str, table: str, cols, docs: tuple[str, dict[str, str]] | None) -> None:
    from psycopg import sql

    if not docs:
        return
    text, columns = docs
    if text:
        cur.execute(
            sql.SQL("COMMENT ON TABLE {} IS {}").format(sql.Identifier(schema, table), sql.Literal(text))
        )
    for c, _ in cols:
        if columns.get(c):
            cur.execute(
                sql.SQL("COMMENT ON COLUMN {} IS {}").format(
                    sql.Identifier(schema, table, c), sql.Literal(columns[c])
                )
            )


def _secure_table(cur, schema, table, columns: set[str], leads, regions, council_condition) -> None:
    """Row security on and forced (the owner too); the publisher's own policy, the reader's (every row),
    and one per council lead: exactly the rows of that council's DuckDB file."""
    from psycopg import sql

    target = sql.Identifier(schema, table)
    cur.execute(sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(target))
    cur.execute(sql.SQL("ALTER TABLE {} FORCE ROW LEVEL SECURITY").format(target))
    cur.execute(
        sql.SQL("CREATE POLICY {} ON {} FOR ALL TO CURRENT_USER USING (true) WITH CHECK (true)").format(
            sql.Identifier(PUBLISHER_POLICY), target
        )
    )
    cur.execute(
        sql.SQL("CREATE POLICY {} ON {} FOR SELECT TO {} USING (true)").format(
            sql.Identifier(READER_ROLE), target, sql.Identifier(READER_ROLE)
        )
    )
    for la, role in leads.items():
        condition = council_condition(table, columns, la, regions.get(la, ""))
        cur.execute(
            sql.SQL("CREATE POLICY {} ON {} FOR SELECT TO {} USING ({})").format(
                sql.Identifier(role), target, sql.Identifier(role), sql.SQL(condition)
            )
        )


def _grant(cur, schema: str, roles: list[str]) -> None:
    from psycopg import sql

    who = sql.SQL(", ").join(sql.Identifier(r) for r in roles)
    cur.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(sql.Identifier(schema)))
    cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), who))
    cur.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(sql.Identifier(schema), who))
