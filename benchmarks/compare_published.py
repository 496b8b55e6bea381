"""Are two published folders the same figures? Every table of alliance.duckdb, of every council's
council.duckdb and every Parquet file, compared row for row in DuckDB (EXCEPT ALL both ways, so order does
not matter and duplicates count), leaving out only the columns that record the run itself."""

from __future__ import annotations

from pathlib import Path

import duckdb

# Columns that say when or by which run a row was written, not what it says: the load log's finish time
# (submissions.loaded_at), the load's id (a sequence: its numbers follow the order files were loaded in),
# the checks' time (data_quality.checked_at), and any run/revision stamp a later version may add.
RUN_COLUMNS = {
    "loaded_at",
    "load_id",
    "checked_at",
    "published_at",
    "refreshed_at",
    "built_at",
    "generated_at",
    "git_revision",
    "run_id",
}
EXAMPLES = 3
DOUBLE_PLACES = 9


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, dict[str, str]]:
    rows = con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = 'main' order by table_name, ordinal_position",
        [catalog],
    ).fetchall()
    out: dict[str, dict[str, str]] = {}
    for t, c, ty in rows:
        out.setdefault(t, {})[c] = ty
    return out


def _compare_relations(con, label: str, new_rel: str, old_rel: str, new_cols, old_cols, report: dict) -> None:
    if set(new_cols) != set(old_cols) or any(new_cols[c] != old_cols[c] for c in new_cols if c in old_cols):
        report["schema_differences"].append(
            {
                "table": label,
                "only_new": sorted(set(new_cols) - set(old_cols)),
                "only_old": sorted(set(old_cols) - set(new_cols)),
                "types": {
                    c: [new_cols[c], old_cols[c]]
                    for c in new_cols
                    if c in old_cols and new_cols[c] != old_cols[c]
                },
            }
        )
    cols = [c for c in new_cols if c in old_cols and c not in RUN_COLUMNS]
    report["ignored_columns"].update(c for c in new_cols if c in RUN_COLUMNS)
    # a double to 9 decimal places: a sum of doubles may differ in its last bit from one build to the next
    # (DuckDB adds in parallel, in any order: 5418.900000000001 against 5418.9000000000015), which is not
    # a different figure; decimals, counts and texts are compared exactly
    sel = ", ".join(
        f"round({_q(c)}, {DOUBLE_PLACES}) as {_q(c)}" if new_cols[c] in ("DOUBLE", "FLOAT") else _q(c)
        for c in cols
    )
    n_new = con.execute(f"select count(*) from {new_rel}").fetchone()[0]
    n_old = con.execute(f"select count(*) from {old_rel}").fetchone()[0]
    report["tables"] += 1
    report["rows"] += n_new
    if not cols:
        return
    # one pass: each distinct row with how many more times the new copy holds it than the old (never 0)
    con.execute(
        f"create or replace temp table bench_diff as select {sel}, sum(bench_side) as bench_more "
        f"from (select {sel}, 1 as bench_side from {new_rel} union all select {sel}, -1 from {old_rel}) "
        "group by all having sum(bench_side) <> 0"
    )
    a, b = con.execute(
        "select coalesce(sum(bench_more) filter (where bench_more > 0), 0), "
        "coalesce(-sum(bench_more) filter (where bench_more < 0), 0) from bench_diff"
    ).fetchone()
    if a or b or n_new != n_old:

        def examples(cond: str) -> list[list[str]]:
            rows = con.execute(f"select {sel} from bench_diff where {cond} limit {EXAMPLES}").fetchall()
            return [list(map(str, r)) for r in rows]

        report["differences"].append(
            {
                "table": label,
                "rows_new": n_new,
                "rows_old": n_old,
                "only_in_new": int(a),
                "only_in_old": int(b),
                "columns": cols,
                "examples_new": examples("bench_more > 0"),
                "examples_old": examples("bench_more < 0"),
            }
        )


def _compare_files(con, label: str, new_file: Path, old_file: Path, report: dict) -> None:
    con.execute(f"attach '{new_file}' as n (read_only)")
    con.execute(f"attach '{old_file}' as o (read_only)")
    try:
        new_t, old_t = _tables(con, "n"), _tables(con, "o")
        for t in sorted(set(new_t) - set(old_t)):
            report["only_in_new"].append(f"{label}:{t}")
        for t in sorted(set(old_t) - set(new_t)):
            report["only_in_old"].append(f"{label}:{t}")
        for t in sorted(set(new_t) & set(old_t)):
            _compare_relations(
                con, f"{label}:{t}", f"n.main.{_q(t)}", f"o.main.{_q(t)}", new_t[t], old_t[t], report
            )
    finally:
        con.execute("detach n")
        con.execute("detach o")


def compare_published(new_pub: Path, old_pub: Path) -> dict:
    report: dict = {
        "tables": 0,
        "rows": 0,
        "differences": [],
        "schema_differences": [],
        "only_in_new": [],
        "only_in_old": [],
        "ignored_columns": set(),
    }
    con = duckdb.connect()
    pairs: list[tuple[str, Path, Path]] = [
        ("alliance.duckdb", new_pub / "alliance.duckdb", old_pub / "alliance.duckdb")
    ]
    new_c = {p.parent.name for p in (new_pub / "councils").glob("*/council.duckdb")}
    old_c = {p.parent.name for p in (old_pub / "councils").glob("*/council.duckdb")}
    report["only_in_new"] += [f"councils/{c}/council.duckdb" for c in sorted(new_c - old_c)]
    report["only_in_old"] += [f"councils/{c}/council.duckdb" for c in sorted(old_c - new_c)]
    for c in sorted(new_c & old_c):
        rel = f"councils/{c}/council.duckdb"
        pairs.append((rel, new_pub / rel, old_pub / rel))
    for label, a, b in pairs:
        if a.exists() and b.exists():
            _compare_files(con, label, a, b, report)
        else:
            report["only_in_new" if a.exists() else "only_in_old"].append(label)
    new_p = {p.name for p in (new_pub / "parquet").glob("*.parquet")}
    old_p = {p.name for p in (old_pub / "parquet").glob("*.parquet")}
    report["only_in_new"] += [f"parquet/{n}" for n in sorted(new_p - old_p)]
    report["only_in_old"] += [f"parquet/{n}" for n in sorted(old_p - new_p)]
    for n in sorted(new_p & old_p):
        rels = [f"read_parquet('{pub / 'parquet' / n}')" for pub in (new_pub, old_pub)]
        cols = [
            {row[0]: row[1] for row in con.execute(f"describe select * from {r}").fetchall()} for r in rels
        ]
        _compare_relations(con, f"parquet/{n}", rels[0], rels[1], cols[0], cols[1], report)
    con.close()
    report["ignored_columns"] = sorted(report["ignored_columns"])
    report["identical"] = not (
        report["differences"]
        or report["schema_differences"]
        or report["only_in_new"]
        or report["only_in_old"]
    )
    return report


def describe(report: dict) -> list[str]:
    """Lines to print: one when identical, else each difference with a few example rows."""
    ignored = ", ".join(report["ignored_columns"]) or "none"
    if report["identical"]:
        return [
            f"published files identical: {report['tables']} tables, {report['rows']} rows "
            f"(row for row, doubles to {DOUBLE_PLACES} decimal places; run columns left out: {ignored})"
        ]
    lines = [
        f"published files DIFFER: {report['tables']} tables compared ({report['rows']} rows in the new), "
        f"{len(report['differences'])} with different rows (run columns left out: {ignored})"
    ]
    for name in ("only_in_new", "only_in_old"):
        items = report[name]
        if items:
            shown = ", ".join(items[:12]) + (f", … ({len(items)} in all)" if len(items) > 12 else "")
            lines.append(f"  {name.replace('_', ' ')}: {shown}")

    def grouped(items: list[dict]) -> dict[str, list[dict]]:
        """The same table in many council files: said once, with the first file's details."""
        out: dict[str, list[dict]] = {}
        for d in items:
            file, _, table = d["table"].rpartition(":")
            kind = "councils/*/council.duckdb" if file.startswith("councils/") else file
            out.setdefault(f"{kind}:{table}", []).append(d)
        return out

    def more(ds: list[dict]) -> str:
        return f" (and {len(ds) - 1} more council files)" if len(ds) > 1 else ""

    for ds in list(grouped(report["schema_differences"]).values())[:25]:
        d = ds[0]
        lines.append(
            f"  columns differ in {d['table']}{more(ds)}: new only {d['only_new']}, old only {d['only_old']}, "
            f"types (new, old) {d['types']}"
        )
    by_table = grouped(report["differences"])
    for ds in list(by_table.values())[:25]:
        d = ds[0]
        lines.append(
            f"  {d['table']}{more(ds)}: {d['rows_new']} rows new, {d['rows_old']} old; "
            f"{d['only_in_new']} only in new, {d['only_in_old']} only in old"
        )
        for r in d["examples_new"][:2]:
            lines.append(f"    new: {', '.join(r)[:160]}")
        for r in d["examples_old"][:2]:
            lines.append(f"    old: {', '.join(r)[:160]}")
    if len(by_table) > 25:
        lines.append(f"  … {len(by_table) - 25} more tables differ (all in the JSON)")
    return lines
