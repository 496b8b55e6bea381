"""Publish the marts for BI tools and council leads (outputs.md): suppressed, aggregates only, atomic.

Everything is built in a hidden folder beside the published one, checked, then each file is swapped in
with an atomic rename, so a BI tool that has a file open keeps a consistent copy and never sees half a
refresh. When checks fail, nothing is swapped and the attempt's manifest is written beside the live one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from . import publish_postgres, suppression
from .config import PROJECT_DIR, Settings
from .quality import CheckResult, frame_of

PUBLISHED_TABLES = (
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
)
# Columns that would let a published table be linked to a person: never published.
FORBIDDEN_COLUMNS = {"employee_key", "swe_key", "applicant_key", "engagement_key", "case_key", "load_id"}
FAILED_MANIFEST = "manifest.failed.json"


@dataclass
class PublishResult:
    published: bool
    tables: dict[str, int] = field(default_factory=dict)
    councils: list[str] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    manifest_path: Path | None = None


def git_revision() -> str:
    try:
        return (
            subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=10
            ).stdout.strip()
            or "unknown"
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"


# DuckDB's memory in this process (issue 22): its default, 80% of the machine's memory, kept everything the
# publish read and wrote as cache. Beyond the limit DuckDB spills to `temp_directory`.
DUCKDB_MEMORY_LIMIT = "256MB"


@contextlib.contextmanager
def _duckdb(temp_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with the publish's memory limit (files are attached to it), spilling to
    `temp_dir`, which is gone when the connection is closed (never swapped in with the built files)."""
    con = duckdb.connect(config={"memory_limit": DUCKDB_MEMORY_LIMIT, "temp_directory": str(temp_dir)})
    try:
        yield con
    finally:
        con.close()
        shutil.rmtree(temp_dir, ignore_errors=True)


def mart_types(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """A mart's published columns and their types (never a per-person column)."""
    return [
        (r[0], r[1])
        for r in con.execute(f"describe marts.{table}").fetchall()
        if r[0] not in FORBIDDEN_COLUMNS
    ]


def read_mart(con: duckdb.DuckDBPyConnection, table: str, cols: list[tuple[str, str]]) -> pd.DataFrame:
    # decimals travel as doubles through pandas and are cast back to their type when written; rows in one
    # order, every column left to right (keys come first): suppression breaks ties between equal cells by
    # row order, and a mart's rows come out of a parallel build in any order, so the same warehouse always
    # hides the same cells
    select = ", ".join(f'"{c}"::double as "{c}"' if ty.startswith("DECIMAL") else f'"{c}"' for c, ty in cols)
    return frame_of(con, f"select {select} from marts.{table} order by all")


def read_context(con: duckdb.DuckDBPyConnection) -> tuple[list[dict], list[str], dict[str, str]]:
    """The loads behind the copy (for the manifest), the alliance's councils and their regions."""
    loads = frame_of(
        con,
        """select load_id, source, dataset, la_code, period_end, file_name, file_sha256,
                                        rows_loaded, finished_at
                                 from raw.load_log where outcome = 'loaded' and not withdrawn order by load_id""",
    )
    councils = [
        r[0]
        for r in con.execute(
            "select la_code from intermediate.int_alliance_councils order by la_code"
        ).fetchall()
    ]
    regions = dict(con.execute("select la_code, region_code from reference.local_authorities").fetchall())
    loads["period_end"] = loads["period_end"].astype(str)
    loads["finished_at"] = loads["finished_at"].astype(str)
    return loads.to_dict(orient="records"), councils, regions


def suppress_table(table: str, df: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """One table as it is published: small counts suppressed, pooled rows one council apart marked."""
    out = suppression.apply(table, df, threshold)
    del df  # the caller's frame, when it holds no other reference: one copy of the table less at a time
    return mark_pools_one_apart(table, out, copy=False)


WITHHELD = "withheld_from_region"


def pool_dims(table: str, columns) -> list[str]:
    """The columns that, with the geography, name a row of a table with pooled rows (suppression.SPECS)."""
    spec = suppression.SPECS.get(table)
    return [c for c in (spec.dims if spec else ()) if c in set(columns)]


def mark_pools_one_apart(table: str, df: pd.DataFrame, copy: bool = True) -> pd.DataFrame:
    """`withheld_from_region` on an Alliance row whose councils are one more than those of a Region row
    of the same figure that a council sees (at least 3 councils): the difference of the two would be that
    one council's figures, so that region's councils see the smaller pool only (metrics.md). Pooled sets
    are nested (a region's councils are among the alliance's), so one council apart = counts one apart.
    `copy=False` adds the column to `df` itself."""
    dims = pool_dims(table, df.columns)
    if not dims or "councils_included" not in df.columns or "geography_level" not in df.columns:
        return df
    out = df.copy() if copy else df
    out[WITHHELD] = pd.Series([None] * len(out), index=out.index, dtype=object)
    n = pd.to_numeric(out["councils_included"], errors="coerce")
    region = out[(out["geography_level"] == "Region") & (n >= 3)]
    alliance = out[(out["geography_level"] == "Alliance") & n.notna()]
    if region.empty or alliance.empty:
        return out
    pairs = (
        alliance[dims + ["councils_included"]]
        .reset_index()
        .merge(
            region[dims + ["councils_included", "geography_code"]],
            on=dims,
            how="inner",
            suffixes=("", "_region"),
        )
    )
    one_apart = pairs[pairs["councils_included"] - pairs["councils_included_region"] == 1]
    if not one_apart.empty:
        out.loc[one_apart["index"].to_numpy(), WITHHELD] = one_apart["geography_code"].to_numpy()
    return out


def council_branches(table: str, columns: set[str]) -> list[str]:
    """What a council may see, as SQL conditions of which a row must meet one (parameters: LA code, region
    code): its own rows plus the pooled rows it is compared with (each pooling at least 3 councils, so the
    others cannot be worked out; and never an Alliance row one council larger than its Region row,
    `mark_pools_one_apart`), the median of its own statistical neighbours, the DfE's rows for its region and
    England; nothing of any other council. No row meets two conditions (each names its geography level).

    The one definition of the rule: the council files (DuckDB) and the PostgreSQL copy's row-level security
    policies (publish_postgres.py) both take it through `council_condition` (the branches joined by OR) or
    `council_select` (one scan per branch). Plain SQL that DuckDB and PostgreSQL read alike."""
    if table == "submissions":
        return ["la_code = $la"]
    if table == "data_quality":
        return ["council = $la"]
    pooled_ok = "coalesce(councils_included, 0) >= 3" if "councils_included" in columns else "false"
    dfe_region = "councils_included is null" if "councils_included" in columns else "true"
    # an Alliance row one council larger than the council's Region row: the smaller pool only (issue 18)
    not_one_apart = f"{WITHHELD} is distinct from $region" if WITHHELD in columns else "true"
    return [
        "geography_level = 'Local authority' and geography_code = $la",
        f"geography_level = 'Region' and geography_code = $region and ({pooled_ok} or {dfe_region})",
        f"geography_level = 'Alliance' and {pooled_ok} and {not_one_apart}",
        "geography_level = 'Statistical neighbours' and geography_code = $la",
        "geography_level = 'England'",
    ]


_CODE = re.compile(r"[A-Za-z0-9]+")


def _literals(condition: str, la: str, region: str) -> str:
    for code in (la, region or "X"):  # a council whose region is unknown sees no region rows
        if not _CODE.fullmatch(code or ""):
            raise ValueError(f"not an ONS code: {code!r}")
    return condition.replace("$la", f"'{la}'").replace("$region", f"'{region or ''}'")


def council_condition(table: str, columns: set[str], la: str, region: str) -> str:
    """`council_branches` joined by OR, for one council, its codes written in as SQL literals (a row-level
    security policy takes no parameters). Codes are letters and digits only (ONS codes), checked here."""
    branches = council_branches(table, columns)
    condition = branches[0] if len(branches) == 1 else " or ".join(f"({b})" for b in branches)
    return _literals(condition, la, region)


def council_select(source: str, table: str, columns: set[str], la: str, region: str) -> str:
    """A query of the rows of `source` (a published table) one council may see, in the table's row order.
    One scan per branch of `council_branches`: each is a plain AND of comparisons, which DuckDB applies
    while it scans and so reads the other columns only where a row is kept (issue 22: with the branches
    joined by OR it read every column of every row, for each council: 18.8 s of the 153 council files)."""
    branches = council_branches(table, columns)
    if len(branches) == 1:
        return f"SELECT * FROM {source} WHERE {_literals(branches[0], la, region)}"
    scans = " UNION ALL ".join(
        f"SELECT *, rowid AS _row FROM {source} WHERE {_literals(b, la, region)}" for b in branches
    )
    return f"SELECT * EXCLUDE (_row) FROM ({scans}) ORDER BY _row"


# Compression methods left out of the council files (issue 22): trying FSST and the floating-point ones on
# every column of 12 small tables was half the time of writing each file, for no smaller a file (a file
# is mostly its tables' first blocks). DuckDB reads them all alike: this only changes how the file is written.
COUNCIL_FILE_SKIPPED_COMPRESSION = "fsst,alp,alprd,chimp,patas"


def _write_council_files(
    alliance: Path, councils_dir: Path, councils: list[str], regions: dict[str, str]
) -> None:
    """Each council's file, cut from the published alliance file inside DuckDB, a few councils at a time
    (one cursor per thread; each file is written in one transaction)."""
    with _duckdb(councils_dir.parent / ".duckdb_tmp") as con:
        con.execute(f"SET disabled_compression_methods = '{COUNCIL_FILE_SKIPPED_COMPRESSION}'")
        # one DuckDB thread per query, a file per Python thread: each query is small, and DuckDB's own
        # threads only contended with the other files' (8.9 s instead of 12.0 s for 153 council files)
        con.execute("SET threads = 1")
        con.execute(f"ATTACH '{alliance}' AS a (READ_ONLY)")
        con.execute("USE a")
        tables = {t: {r[0] for r in con.execute(f"describe a.main.{t}").fetchall()} for t in PUBLISHED_TABLES}

        def write_one(la: str) -> None:
            cur = con.cursor()
            try:
                target = councils_dir / la / "council.duckdb"
                target.parent.mkdir(parents=True)
                alias = f"c_{la}"
                cur.execute(f"ATTACH '{target}' AS {alias}")
                try:
                    cur.execute("BEGIN")
                    for t, cols in tables.items():
                        query = council_select(f"a.main.{t}", t, cols, la, regions.get(la, ""))
                        cur.execute(f"CREATE TABLE {alias}.main.{t} AS {query}")
                    cur.execute("COMMIT")
                finally:
                    cur.execute(f"DETACH {alias}")
            finally:
                cur.close()

        workers = max(1, min(4, os.cpu_count() or 1))
        from .ingest import _progress_bar

        bar = _progress_bar(len(councils), "  council files")  # on a terminal, for many councils
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for _ in pool.map(write_one, councils):
                if bar is not None:
                    bar.update(1)
        if bar is not None:
            bar.close()


def _write_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    df: pd.DataFrame,
    types: list[tuple[str, str]],
    parquet_dir: Path | None = None,
) -> None:
    """One table into the attached `pub` file, with the warehouse's column types (suppression may have
    turned counts into floats), and its Parquet copy. The frame goes to DuckDB as Arrow, which DuckDB reads
    in bulk (issue 22: 2.5 times faster than its scan of a pandas frame's Python objects; the same rows and
    types); a frame Arrow cannot convert (a column mixing kinds of values) goes as it is."""
    try:
        data = pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        data = df
    con.register("_df", data)
    try:
        cols = [(c, ty) for c, ty in types if c in df.columns] + [
            (c, "BOOLEAN" if c == "suppressed" else "VARCHAR")
            for c in df.columns
            if c not in {x for x, _ in types}
        ]
        select = ", ".join(f'CAST("{c}" AS {ty}) AS "{c}"' for c, ty in cols)
        con.execute(f"CREATE TABLE pub.main.{table} AS SELECT {select} FROM _df")
    finally:
        con.unregister("_df")
    if parquet_dir is not None:
        con.execute(f"COPY pub.main.{table} TO '{parquet_dir / (table + '.parquet')}' (FORMAT parquet)")


def _publish_tables(
    settings: Settings, path: Path, parquet_dir: Path
) -> tuple[dict[str, int], list[CheckResult], list[dict], list[str], dict[str, str]]:
    """Read, suppress, check and write the marts one table at a time, each frame released before the next
    is read (issue 22: holding every table's frames at once grew with the number of councils)."""
    tables: dict[str, int] = {}
    checks: list[CheckResult] = []
    with _duckdb(path.parent / ".duckdb_tmp") as con:
        con.execute(f"ATTACH '{settings.warehouse_path}' AS w (READ_ONLY)")
        con.execute(f"ATTACH '{path}' AS pub")
        con.execute("USE w")
        for t in PUBLISHED_TABLES:
            types = mart_types(con, t)
            df = suppress_table(t, read_mart(con, t, types), settings.suppression_threshold)
            checks += published_checks({t: df}, settings.suppression_threshold)
            _write_table(con, t, df, types, parquet_dir)
            tables[t] = len(df)
            del df
            con.execute("CHECKPOINT pub")  # written out, so DuckDB need not keep it in memory
            _release_freed_memory()
        loads, councils, regions = read_context(con)
    return tables, checks, loads, councils, regions


def _release_freed_memory() -> None:
    """Give freed memory back to the system: glibc keeps what pandas and DuckDB free for reuse, so the
    peaks of one step (the load, a table's frames, the council files) would stay under the next one's."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def published_checks(frames: dict[str, pd.DataFrame], threshold: int) -> list[CheckResult]:
    """No published count between 1 and threshold-1; no per-person column. Run on what is about to ship."""
    out = []
    for t, df in frames.items():
        bad = 0
        spec = suppression.SPECS.get(t)
        for c in spec.counts if spec else ():
            if c in df.columns:
                bad += int(suppression.small_counts(df, spec, c, threshold).sum())
        leaked = sorted(set(df.columns) & FORBIDDEN_COLUMNS)
        ok = bad == 0 and not leaked
        msg = (
            "passed"
            if ok
            else (
                f"{bad} count(s) below the suppression threshold {threshold}"
                + (f"; identifier columns {', '.join(leaked)}" if leaked else "")
            )
        )
        out.append(
            CheckResult(
                "published_no_small_counts",
                "publish_check",
                "published",
                t,
                None,
                "pass" if ok else "fail",
                "error",
                bad,
                msg,
            )
        )
    return out


def _chmod_tree(root: Path) -> None:
    for p in [root, *root.rglob("*")]:
        try:
            p.chmod(0o750 if p.is_dir() else 0o640)
        except OSError:
            pass


def build_and_swap(
    settings: Settings, manifest_extra: dict, checks_blocked: bool, progress: Callable[[str], None] = print
) -> PublishResult:
    """Build the published copy beside the live one; swap it in unless a check blocks."""
    pub = settings.published
    pub.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    manifest = {
        "built_at": dt.datetime.now().isoformat(timespec="seconds"),
        "git_revision": git_revision(),
        "suppression_threshold": settings.suppression_threshold,
        "alliance": settings.alliance,
        **manifest_extra,
    }
    if checks_blocked:
        manifest["published"] = False
        manifest["reason"] = "a blocking data quality check failed; the previous published copy is unchanged"
        path = pub / FAILED_MANIFEST
        path.write_text(json.dumps(manifest, indent=1, default=str))
        return PublishResult(False, manifest_path=path)
    _release_freed_memory()  # what the run's earlier stages (load, checks) freed, in this same process
    for leftover in pub.glob(".build-*"):  # from a publish that was killed half-way (one writer at a time)
        shutil.rmtree(leftover, ignore_errors=True)
    build = pub / f".build-{stamp}"
    build.mkdir()
    try:
        (build / "parquet").mkdir()
        tables, checks, loads, councils, regions = _publish_tables(
            settings, build / "alliance.duckdb", build / "parquet"
        )
        manifest["loads"] = loads
        _write_council_files(build / "alliance.duckdb", build / "councils", councils, regions)
        manifest["tables"] = tables
        manifest["councils"] = councils
        manifest["published_checks"] = [c.__dict__ for c in checks]
        if any(c.blocks for c in checks):
            manifest["published"] = False
            manifest["reason"] = "; ".join(f"{c.table_name}: {c.message}" for c in checks if c.blocks)
            (pub / FAILED_MANIFEST).write_text(json.dumps(manifest, indent=1, default=str))
            return PublishResult(False, checks=checks, manifest_path=pub / FAILED_MANIFEST)
        manifest["published"] = True
        # PostgreSQL copy (publish_postgres.py), only when WORKFORCE_PUBLISH_POSTGRES_URL is set: loaded from
        # the built alliance file and swapped in as schema `wres` just before the files are swapped, so when
        # it fails nothing is swapped (files and PostgreSQL stay the last good copy) and the run exits 2.
        pg_url = publish_postgres.postgres_url()
        if pg_url:
            try:
                manifest["postgres"] = publish_postgres.publish_copy(
                    pg_url, build / "alliance.duckdb", councils, regions, progress=progress, work_dir=build
                )
            except publish_postgres.PostgresCopyError as exc:
                _postgres_failed(settings, manifest, exc)
                raise
        (build / "manifest.json").write_text(json.dumps(manifest, indent=1, default=str))
        _chmod_tree(build)
        _swap(build, pub)
        stale = pub / FAILED_MANIFEST
        if stale.exists():
            stale.unlink()
    finally:
        shutil.rmtree(build, ignore_errors=True)
    progress(f"  published {len(tables)} tables and {len(councils)} council files to {pub}")
    _release_freed_memory()
    _write_reports(pub, progress)
    return PublishResult(
        True, tables=manifest["tables"], councils=councils, checks=checks, manifest_path=pub / "manifest.json"
    )


def _postgres_failed(settings: Settings, manifest: dict, exc: Exception) -> None:
    """The attempt's manifest beside the live one, and the failure recorded with the run (the CLI exits 2)."""
    from . import pipeline

    manifest["published"] = False
    manifest["reason"] = f"{exc}; the previous published copy (files and PostgreSQL) is unchanged"
    (settings.published / FAILED_MANIFEST).write_text(json.dumps(manifest, indent=1, default=str))
    if manifest.get("run_id"):
        pipeline.record_failure(settings, manifest["run_id"], "publish", exc)


def _write_reports(pub: Path, progress: Callable[[str], None]) -> None:
    """Reports (outputs.md "Reports"): each council's wres_report.html and alliance_report.html, from the
    files just published. The data is published by now: a report failure is logged and said, and never
    unpublishes it (`workforce-warehouse report` writes them again)."""
    try:
        from .reports import build_reports

        result = build_reports(pub, progress=progress)
        for err in result.errors:
            progress(f"  report not written: {err}")
        from .reports.superset import write_superset_export

        write_superset_export(pub)  # the WRES dashboard for Superset's "Import dashboard": published/bi/
    except Exception as exc:
        logging.getLogger(__name__).exception("reports failed after a successful publish")
        progress(f"  reports not written ({type(exc).__name__}: {exc}); the published data is unaffected")


def _swap(build: Path, pub: Path) -> None:
    """Move each built file over the live one with os.replace (atomic per file); then drop stale files."""
    new_files = [p.relative_to(build) for p in build.rglob("*") if p.is_file() and p.name != "manifest.json"]
    for rel in new_files:
        target = pub / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(build / rel, target)
    keep = {pub / r for r in new_files}
    for sub in ("parquet", "councils"):
        for p in (pub / sub).rglob("*") if (pub / sub).exists() else []:
            if p.is_file() and p not in keep:
                p.unlink()
    for d in sorted((pub / "councils").glob("*"), reverse=True) if (pub / "councils").exists() else []:
        if d.is_dir() and not any(d.iterdir()):
            d.rmdir()
    os.replace(build / "manifest.json", pub / "manifest.json")  # last: the manifest describes a whole copy
    _chmod_tree(pub)
