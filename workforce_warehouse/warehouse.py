"""The analysts' warehouse file: the raw layer's tables, the load log, and loads committed as transactions.

Only the loaders write the `raw` schema; dbt reads it through `source()` and writes the other schemas.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

if TYPE_CHECKING:  # the loaders import this module to register their tables
    from .values import RowError

LOAD_LOG_DDL = """
CREATE TABLE IF NOT EXISTS raw.load_log (
    load_id BIGINT PRIMARY KEY,
    source VARCHAR NOT NULL,
    dataset VARCHAR,
    la_code VARCHAR,
    period_end DATE,
    period_label VARCHAR,
    file_name VARCHAR NOT NULL,
    file_sha256 VARCHAR,
    rows_read BIGINT,
    rows_loaded BIGINT,
    rows_rejected BIGINT,
    dropped_columns VARCHAR,
    warnings VARCHAR,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    outcome VARCHAR NOT NULL,
    message VARCHAR,
    superseded_by BIGINT,
    withdrawn BOOLEAN DEFAULT FALSE,
    withdrawn_at TIMESTAMP
)
"""

ROW_ERRORS_DDL = """
CREATE TABLE IF NOT EXISTS raw.row_errors (
    load_id BIGINT,
    file VARCHAR, sheet VARCHAR, "row" BIGINT, "column" VARCHAR, value VARCHAR, rule VARCHAR, message VARCHAR,
    recorded_at TIMESTAMP
)
"""

# Registry of raw data tables: name -> ordered (column, DuckDB type). Loaders register theirs at import.
RAW_TABLES: dict[str, list[tuple[str, str]]] = {}
# raw table -> the source (loader) that writes it; orchestration uses it to rebuild only what a file feeds.
RAW_TABLE_SOURCES: dict[str, str] = {}
COMMON_COLUMNS = [("load_id", "BIGINT"), ("file_sha256", "VARCHAR")]


def register_raw_table(name: str, columns: list[tuple[str, str]], source: str) -> None:
    RAW_TABLES[name] = COMMON_COLUMNS + columns
    RAW_TABLE_SOURCES[name] = source


_INT_RANGE = {"INTEGER": 2**31 - 1, "BIGINT": 2**63 - 1}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")


def unstorable(load: Load, sheet: str = "") -> list[RowError]:
    """Values the load's raw table cannot hold as they are: numbers too large for their column, not finite
    (NaN, infinity), or a non-zero value that its column's decimal places would store as 0 (an FTE of
    0.0000001). Each is a row error naming the row and column; a value with more decimal places than the
    column keeps is otherwise rounded, as Excel's own arithmetic often gives (0.608108108...)."""
    from .values import RowError

    if not load.table or not load.row_count:
        return []
    numbers = load.column("row_number") if load.columns is not None else None
    problems = []
    for column, sql_type in RAW_TABLES[load.table]:
        limit, scale = _INT_RANGE.get(sql_type), None
        if m := _DECIMAL.match(sql_type):
            precision, scale = int(m[1]), int(m[2])
            limit = Decimal(10) ** (precision - scale)
        elif sql_type != "DOUBLE" and limit is None:
            continue
        # plainly storable ints and floats skip the exact test: well inside the limit and, for a decimal
        # column, not below its smallest step (NaN fails every comparison, so it takes the exact test)
        inside = float(limit) * 0.999 if limit is not None else math.inf
        smallest = 10.0**-scale if scale else 0.0
        inside_d = Decimal(limit) * Decimal("0.999") if limit is not None else None
        smallest_d = Decimal(1).scaleb(-scale) if scale else Decimal(0)
        for j, value in enumerate(load.column(column)):
            kind = value.__class__
            if kind is int or kind is float:
                if -inside < value < inside and (value >= smallest or value <= -smallest or value == 0):
                    continue
            elif kind is Decimal:
                if value.is_finite() and (inside_d is None or -inside_d < value < inside_d):
                    if value == 0 or abs(value) >= smallest_d:
                        continue
            elif value is None or kind is bool or not isinstance(value, (int, float, Decimal)):
                continue
            number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
            if not number.is_finite():
                why = "is not a finite number"
            elif limit is not None and (abs(number) >= limit if scale is not None else abs(number) > limit):
                most = limit if scale is None else limit - Decimal(1).scaleb(-scale)
                why = f"is too large to store (at most {most})"
            elif scale is not None and number != 0 and number.quantize(Decimal(1).scaleb(-scale)) == 0:
                why = f"would be stored as 0 at {scale} decimal places"
            else:
                continue
            if numbers is not None:
                n = numbers[j]
            else:
                row = load.rows[j]
                n = row.get("row_number", row.get("worker_number"))
            problems.append(
                RowError(load.file_name, sheet, n, column, str(value), "unstorable", f'"{value}" {why}')
            )
    return problems


# DuckDB's memory in the refresh's own connections (the load, the checks; issue 22). Its default, 80% of the
# machine's memory, kept what a load wrote as cache, so the load stage grew with the number of councils;
# beyond the limit DuckDB writes out or spills to `<warehouse>.tmp`. dbt has its own (profiles.yml).
MEMORY_LIMIT = "512MB"


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only, config={"memory_limit": MEMORY_LIMIT})
    return con


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    from . import sources  # noqa: F401  (registers every source's raw tables)

    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute("CREATE SEQUENCE IF NOT EXISTS raw.load_id_seq START 1")
    con.execute(LOAD_LOG_DDL)
    con.execute(ROW_ERRORS_DDL)
    from .quality import ensure_check_results

    ensure_check_results(con)  # the dbt model data_quality reads it, before the first checks have run
    for name, cols in RAW_TABLES.items():
        col_sql = ", ".join(f'"{c}" {t}' for c, t in cols)
        con.execute(f"CREATE TABLE IF NOT EXISTS raw.{name} ({col_sql})")


@dataclass
class Load:
    """One identity's worth of accepted rows (or a rejection) ready to commit."""

    source: str
    dataset: str
    la_code: str | None
    period_end: dt.date | None
    period_label: str | None
    file_name: str
    file_sha256: str
    table: str | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    rows_read: int = 0
    rejected: list[RowError] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    outcome: str = "loaded"
    message: str = ""
    # Identity replacement: earlier active loads of (source, dataset, la_code, period_end) are superseded.
    replace_identity: bool = True
    # Row-level replacement (DfE published files): rows of `table` whose key matches a new row are replaced.
    replace_row_keys: tuple[str, ...] = ()
    started_at: dt.datetime = field(default_factory=dt.datetime.now)
    # or the rows as columns (a list per column of the raw table, from a loader that checks column by column)
    columns: dict[str, list] | None = None
    # the rows as Arrow once `pack` has run (in the parse worker); `rows` or `columns` is then emptied
    arrow: pa.Table | None = None

    @property
    def row_count(self) -> int:
        if self.arrow is not None:
            return self.arrow.num_rows
        return len(self.columns["row_number"]) if self.columns is not None else len(self.rows)

    def column(self, name: str) -> list:
        """One column's values, in row order (None where the rows have no such value)."""
        if self.columns is not None:
            return self.columns.get(name) or [None] * self.row_count
        return [row.get(name) for row in self.rows]

    def pack(self) -> None:
        """Hold the rows as Arrow (see `table_of_rows`); a row-key replacement keeps its rows."""
        if self.table and self.row_count and not self.replace_row_keys:
            self.arrow = self.data()
            self.rows, self.columns = [], None

    def data(self) -> pa.Table:
        if self.arrow is not None:
            return self.arrow
        if self.columns is not None:
            return table_of_columns(self.table, self.columns)
        return table_of_rows(self.table, self.rows)


def active_loads(
    con, source: str, dataset: str, la_code: str | None, period_end: dt.date | None
) -> list[tuple]:
    return con.execute(
        """SELECT load_id, file_sha256 FROM raw.load_log
           WHERE source = ? AND dataset = ? AND la_code IS NOT DISTINCT FROM ?
             AND period_end IS NOT DISTINCT FROM ? AND outcome = 'loaded' AND NOT withdrawn""",
        [source, dataset, la_code, period_end],
    ).fetchall()


def table_of_rows(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    """A load's rows as Arrow, with the raw table's columns the rows have, in the table's order (the
    parse workers send this rather than the rows: cheaper to pass between processes and to insert)."""
    data_cols = [c for c, _ in RAW_TABLES[table] if c not in ("load_id", "file_sha256")]
    return pa.Table.from_pylist(rows, schema=None).select([c for c in data_cols if c in rows[0]])


def table_of_columns(table: str, columns: dict[str, list]) -> pa.Table:
    """`table_of_rows` for rows held as columns: the same Arrow types, inferred a column at a time."""
    data_cols = [c for c, _ in RAW_TABLES[table] if c not in ("load_id", "file_sha256")]
    return pa.table({c: pa.array(columns[c]) for c in data_cols if c in columns})


class _Inserts:
    """Raw rows of several loads, inserted with one statement per raw table and run of loads with the same
    columns (a statement per small file cost more than its rows). Each table's rows keep the order of the
    loads: a load with other columns than the one before it in the same table starts a new statement rather
    than joining an earlier one. Within a run, Arrow types that differ only as DuckDB casts them alike are
    made one: decimals of other widths (a salary with pence, 54276 against 54276.50) are widened without
    loss, and a column with no values takes the others' type; each value is then cast by DuckDB exactly as
    a load on its own would be (decimal-to-decimal casts round alike whatever the source width)."""

    def __init__(self, con):
        self.con = con
        self.runs: list[_Run] = []  # in order
        self.last: dict[str, int] = {}  # table -> its latest run

    def add(self, table: str, load_id: int, sha: str, data: pa.Table) -> None:
        n = data.num_rows
        if not n:
            return
        data = data.append_column("load_id", pa.array([load_id] * n, pa.int64()))
        data = data.append_column("file_sha256", pa.array([sha] * n, pa.string()))
        i = self.last.get(table)
        if i is None or not self.runs[i].take(data):
            self.last[table] = len(self.runs)
            self.runs.append(_Run(table, data))

    def flush(self) -> None:
        for run in self.runs:
            present = set(run.names)
            cols = RAW_TABLES[run.table]
            col_list = ", ".join(f'"{c}"' for c, _ in cols)
            casts = ", ".join(
                (f'CAST("{c}" AS {t})' if c in present else f"CAST(NULL AS {t})") for c, t in cols
            )
            parts = run.parts
            # one Arrow chunk: DuckDB scans each chunk (a file's few hundred rows) as a vector of its own
            data = parts[0]
            if len(parts) > 1:
                data = pa.concat_tables(parts, promote_options="permissive").combine_chunks()
            self.con.register("_incoming", data)
            try:
                self.con.execute(f"INSERT INTO raw.{run.table} ({col_list}) SELECT {casts} FROM _incoming")
            finally:
                self.con.unregister("_incoming")
        self.runs, self.last = [], {}


class _Run:
    """Consecutive loads of one raw table inserted by one statement (see _Inserts)."""

    def __init__(self, table: str, data: pa.Table):
        self.table = table
        self.names = data.schema.names
        self.types = list(data.schema.types)
        self.parts = [data]

    def take(self, data: pa.Table) -> bool:
        """Join the run if the load has the same columns, each of the same type, or both decimals that fit
        one decimal of at most 38 digits, or either with no values (Arrow's null type); else False."""
        if data.schema.names != self.names:
            return False
        merged = []
        for mine, theirs in zip(self.types, data.schema.types):
            if mine == theirs or pa.types.is_null(theirs):
                merged.append(mine)
            elif pa.types.is_null(mine):
                merged.append(theirs)
            elif pa.types.is_decimal(mine) and pa.types.is_decimal(theirs):
                scale = max(mine.scale, theirs.scale)
                digits = max(mine.precision - mine.scale, theirs.precision - theirs.scale) + scale
                if digits > 38:
                    return False
                merged.append(pa.decimal128(digits, scale))
            else:
                return False
        self.types = merged
        self.parts.append(data)
        return True


# The load log's columns a load fills (the rest: finished_at is the transaction's time, and superseded_by,
# withdrawn and withdrawn_at start empty).
_LOG_SCHEMA = pa.schema(
    [
        ("load_id", pa.int64()),
        ("source", pa.string()),
        ("dataset", pa.string()),
        ("la_code", pa.string()),
        ("period_end", pa.date32()),
        ("period_label", pa.string()),
        ("file_name", pa.string()),
        ("file_sha256", pa.string()),
        ("rows_read", pa.int64()),
        ("rows_loaded", pa.int64()),
        ("rows_rejected", pa.int64()),
        ("dropped_columns", pa.string()),
        ("warnings", pa.string()),
        ("started_at", pa.timestamp("us")),
        ("outcome", pa.string()),
        ("message", pa.string()),
    ]
)


def _log_row(load_id: int, load: Load, rows_loaded: int, outcome: str) -> tuple:
    return (
        load_id,
        load.source,
        load.dataset,
        load.la_code,
        load.period_end,
        load.period_label,
        load.file_name,
        load.file_sha256,
        load.rows_read,
        rows_loaded,
        len({(e.sheet, e.row) for e in load.rejected}),
        ", ".join(load.dropped_columns) or None,
        "; ".join(load.warnings) or None,
        load.started_at,
        outcome,
        load.message or None,
    )


def _insert_log_rows(con, rows: list[tuple]) -> None:
    """Load-log lines in one statement, in order (one INSERT per load was a tenth of the load stage)."""
    if not rows:
        return
    data = pa.Table.from_arrays(
        [pa.array(col, f.type) for col, f in zip(zip(*rows), _LOG_SCHEMA, strict=True)], schema=_LOG_SCHEMA
    )
    con.register("_log_rows", data)
    try:
        con.execute(
            """INSERT INTO raw.load_log SELECT load_id, source, dataset, la_code, period_end, period_label,
                   file_name, file_sha256, rows_read, rows_loaded, rows_rejected, dropped_columns, warnings,
                   started_at, now()::TIMESTAMP, outcome, message, NULL, FALSE, NULL
               FROM _log_rows"""
        )
    finally:
        con.unregister("_log_rows")


def _record_errors(con, load_id: int, errors: list[RowError]) -> None:
    if not errors:
        return
    con.executemany(
        "INSERT INTO raw.row_errors VALUES (?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
        [[load_id, e.file, e.sheet, e.row, e.column, e.value, e.rule, e.message] for e in errors],
    )


def next_load_id(con) -> int:
    return con.execute("SELECT nextval('raw.load_id_seq')").fetchone()[0]


Identity = tuple[str, str, str | None, dt.date | None]  # (source, dataset, la_code, period_end)


class _Writer:
    """Writes loads inside one open transaction, in order, exactly as writing them one by one would: the
    same load ids, load-log lines, raw rows and retirements. What it saves is statements: the load ids of
    all the loads are taken at once, the active loads of their identities read in one query and then kept
    up to date here, and the load-log lines and raw rows are inserted together (before anything reads or
    changes them)."""

    def __init__(self, con, loads: list[Load], retire: list[Identity]):
        self.con = con
        self.inserts = _Inserts(con)
        self.logs: list[tuple] = []
        n = len(loads)
        self.ids = (
            [r[0] for r in con.execute("SELECT nextval('raw.load_id_seq') FROM range(?)", [n]).fetchall()]
            if n
            else []
        )
        self.ids.sort(reverse=True)  # popped from the end: the first load takes the smallest id
        wanted = {_identity(ld) for ld in loads if ld.replace_identity} | set(retire)
        self.active: dict[Identity, list[tuple]] = {i: [] for i in wanted}
        if wanted:
            data = pa.table(
                {
                    "source": pa.array([i[0] for i in wanted], pa.string()),
                    "dataset": pa.array([i[1] for i in wanted], pa.string()),
                    "la_code": pa.array([i[2] for i in wanted], pa.string()),
                    "period_end": pa.array([i[3] for i in wanted], pa.date32()),
                }
            )
            con.register("_identities", data)
            try:
                found = con.execute(
                    """SELECT l.source, l.dataset, l.la_code, l.period_end, l.load_id, l.file_sha256
                       FROM raw.load_log AS l JOIN _identities AS i
                         ON l.source = i.source AND l.dataset = i.dataset
                        AND l.la_code IS NOT DISTINCT FROM i.la_code
                        AND l.period_end IS NOT DISTINCT FROM i.period_end
                       WHERE l.outcome = 'loaded' AND NOT l.withdrawn
                       ORDER BY l.load_id"""
                ).fetchall()
            finally:
                con.unregister("_identities")
            for source, dataset, la, end, load_id, sha in found:
                self.active[(source, dataset, la, end)].append((load_id, sha))

    def flush(self) -> None:
        self.inserts.flush()
        _insert_log_rows(self.con, self.logs)
        self.logs = []

    def active_of(self, identity: Identity) -> list[tuple]:
        if identity not in self.active:  # not read up front (a row-key replacement changed the log)
            self.flush()
            self.active[identity] = active_loads(self.con, *identity)
        return self.active[identity]

    def write(self, loads: list[Load], supersede: list[Identity]) -> list[int]:
        ids = []
        for load in loads:
            load_id = self.ids.pop()
            ids.append(load_id)
            identity = _identity(load)
            if load.replace_identity:
                earlier = self.active_of(identity)
                if earlier:
                    self.flush()
                for old_id, _ in earlier:
                    _retire(self.con, old_id, load_id, load.table)
                self.active[identity] = []
            if load.replace_row_keys and load.table and load.row_count:
                self.flush()
                _replace_rows(self.con, load, load_id)
                self.active.clear()  # loads it emptied are superseded: read again when needed
            if load.table and load.row_count:
                self.inserts.add(load.table, load_id, load.file_sha256, load.data())
            self.logs.append(_log_row(load_id, load, load.row_count, load.outcome))
            if load.outcome == "loaded" and identity in self.active:
                self.active[identity].append((load_id, load.file_sha256))
            _record_errors(self.con, load_id, load.rejected)
        for identity in supersede:
            earlier = self.active_of(identity)
            if earlier:
                self.flush()
            for old_id, _ in earlier:
                _retire(self.con, old_id, None, None, identity[0])
            self.active[identity] = []
        return ids


def _identity(load: Load) -> Identity:
    return (load.source, load.dataset, load.la_code, load.period_end)


def commit_loads(con, loads: list[Load], supersede: list[Identity] = ()) -> list[int]:
    """Commit accepted loads (and identities to retire without replacement) in one transaction.

    Earlier active loads of each identity are marked superseded and their raw rows deleted, so a
    resubmission replaces and nothing of other councils or periods is touched.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        writer = _Writer(con, loads, list(supersede))
        ids = writer.write(loads, list(supersede))
        writer.flush()
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return ids


def commit_files(con, files: list[tuple[str, list[Load], list]], waiting: set[str] = frozenset()) -> None:
    """Several files' loads in one transaction, in order, each exactly as `commit_loads` would write it
    (a commit costs more than a small file's rows): all of them are kept, or none. `files` holds
    (file name, loads, identities to retire); a file named in `waiting` leaves the waiting list."""
    con.execute("BEGIN TRANSACTION")
    try:
        writer = _Writer(
            con, [ld for _, loads, _ in files for ld in loads], [i for _, _, r in files for i in r]
        )
        for name, loads, retire in files:
            if name in waiting:
                clear_waiting(con, name)
            writer.write(loads, retire)
        writer.flush()
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _retire(con, old_id: int, new_id: int | None, table: str | None, source: str | None = None) -> None:
    """Mark a load superseded and delete its raw rows (from `table`, or from every raw table of `source`)."""
    tables = [table] if table else [t for t, s in RAW_TABLE_SOURCES.items() if s == source]
    for t in tables:
        con.execute(f"DELETE FROM raw.{t} WHERE load_id = ?", [old_id])
    con.execute(
        "UPDATE raw.load_log SET outcome = 'superseded', superseded_by = ? WHERE load_id = ?",
        [new_id, old_id],
    )


def _replace_rows(con, load: Load, load_id: int) -> None:
    keys = load.replace_row_keys
    distinct = {tuple(r.get(k) for k in keys) for r in load.rows}
    arrow = pa.table({k: pa.array([d[i] for d in distinct]) for i, k in enumerate(keys)})
    con.register("_keys", arrow)
    try:
        cond = " AND ".join(f't."{k}" IS NOT DISTINCT FROM k."{k}"' for k in keys)
        touched = [
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT t.load_id FROM raw.{load.table} t JOIN _keys k ON {cond}"
            ).fetchall()
        ]
        con.execute(f"DELETE FROM raw.{load.table} t USING _keys k WHERE {cond}")
    finally:
        con.unregister("_keys")
    for old in touched:
        left = con.execute(f"SELECT count(*) FROM raw.{load.table} WHERE load_id = ?", [old]).fetchone()[0]
        if left == 0:
            con.execute(
                "UPDATE raw.load_log SET outcome = 'superseded', superseded_by = ? WHERE load_id = ?",
                [load_id, old],
            )


def loaded_files(con) -> set[tuple[str, str]]:
    """(file name, sha256) of every file whose bytes the warehouse has loaded (now or before a resubmission):
    the same bytes again change nothing."""
    try:
        return set(
            con.execute(
                "SELECT file_name, file_sha256 FROM raw.load_log WHERE outcome IN ('loaded', 'superseded')"
            ).fetchall()
        )
    except duckdb.CatalogException:  # a warehouse with no raw layer yet
        return set()


def log_outcome(con, load: Load) -> int:
    """Record a rejected / waiting file in the load log (no data rows)."""
    con.execute("BEGIN TRANSACTION")
    try:
        load_id = next_load_id(con)
        if load.outcome in ("waiting_for_staff", "not_ready"):
            # Keep one line per waiting file, not one per refresh.
            con.execute(
                "DELETE FROM raw.load_log WHERE file_name = ? AND outcome = ?", [load.file_name, load.outcome]
            )
        _insert_log_rows(con, [_log_row(load_id, load, 0, load.outcome)])
        _record_errors(con, load_id, load.rejected)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return load_id


def waiting_files(con) -> set[str]:
    """Names of files the load log lists as waiting (for their staff dataset, or not yet readable)."""
    rows = con.execute(
        "SELECT DISTINCT file_name FROM raw.load_log WHERE outcome IN ('waiting_for_staff', 'not_ready')"
    ).fetchall()
    return {r[0] for r in rows}


def clear_waiting(con, file_name: str) -> None:
    con.execute(
        "DELETE FROM raw.load_log WHERE file_name = ? AND outcome IN ('waiting_for_staff', 'not_ready')",
        [file_name],
    )


class WarehouseBusy(Exception):
    """Another process is writing the warehouse file (DuckDB has one writer per file)."""


def _read_only(path: Path) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        raise WarehouseBusy(str(exc)) from exc


def read_loaded_files(path: Path) -> set[tuple[str, str]]:
    """`loaded_files` of a warehouse file, opened read-only (empty when there is none yet)."""
    if not path.exists():
        return set()
    con = _read_only(path)
    try:
        return loaded_files(con)
    finally:
        con.close()


def chase_list(path: Path) -> list[tuple] | None:
    """The latest line of every expected submission that is not loaded (the `submissions` mart), or None
    before the marts are built."""
    con = _read_only(path)
    try:
        return con.execute(
            """select la_code, source, dataset, period_label, status, coalesce(file, ''), coalesce(message, '')
               from marts.submissions
               where is_latest and status <> 'loaded'
               order by la_code, source, dataset, period_end"""
        ).fetchall()
    except duckdb.Error:
        return None
    finally:
        con.close()


def withdraw_loads(path: Path, la_code: str, period_end: dt.date | None, sources: list[str] | None) -> int:
    """Mark a council's loaded files withdrawn (all, or one period end, or some sources). Their rows leave
    every mart at the next refresh; the load log keeps the record. Returns how many loads were withdrawn."""
    where, params = ["la_code = ?", "not withdrawn", "outcome = 'loaded'"], [la_code]
    if period_end is not None:
        where.append("period_end = ?")
        params.append(period_end)
    if sources is not None:
        where.append("list_contains(?, source)")
        params.append(sources)
    con = duckdb.connect(str(path))
    try:
        rows = con.execute(
            "update raw.load_log set withdrawn = true, withdrawn_at = now()::timestamp "
            f"where {' and '.join(where)} returning load_id",
            params,
        ).fetchall()
    finally:
        con.close()
    return len(rows)
