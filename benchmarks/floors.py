"""The floors each stage is measured against: the same work with nothing of the project in between.

- load floor: DuckDB reading every landing CSV into tables (all columns as text, no validation), a fast
  workbook reader (python-calamine) reading every sheet of every .xlsx, and every CSWW XML file walked with
  xml.etree's iterparse (no validation); one process, the same landing files the load stage reads.
- SQL floor: every dbt model's compiled SQL, in dependency order, as one script in one DuckDB session on a
  copy of the same warehouse (raw tables as the load left them), with no dbt in between.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import duckdb


def _csv_groups(landing: Path) -> dict[tuple[str, str, str], list[Path]]:
    """CSV files read as one table: the same folder, encoding and header line (HR files per dataset,
    agency returns together, each DfE published file on its own as each has its own shape). UTF-8 files are
    told from Windows-1252 ones by decoding them, as a loader does."""
    groups: dict[tuple[str, str, str], list[Path]] = defaultdict(list)
    for p in sorted(landing.rglob("*.csv")):
        data = p.read_bytes()
        try:
            text, encoding = data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = data.decode("latin-1"), "latin-1"
        groups[(p.parent.name, encoding, text.partition("\n")[0].strip())].append(p)
    return groups


def _read_csvs(
    con: duckdb.DuckDBPyConnection, table: str, files: list[Path], encoding: str, header: str
) -> int:
    """The group's files as one table, every column as text, the header known (no sniffing); when DuckDB
    cannot take them so (a quoted header), with its sniffer, one file at a time."""
    listed = ", ".join("'" + str(p).replace("'", "''") + "'" for p in files)
    names = next(csv.reader([header]))
    columns = "{" + ", ".join("'" + n.replace("'", "''") + "': 'VARCHAR'" for n in names) + "}"
    try:
        con.execute(
            f'create table "{table}" as select * from read_csv([{listed}], header = true, auto_detect = false, '
            f"columns = {columns}, delim = ',', quote = '\"', escape = '\"', encoding = '{encoding}')"
        )
    except duckdb.Error:
        con.execute(f'drop table if exists "{table}"')
        for i, p in enumerate(files):
            con.execute(
                f"create table \"{table}_{i}\" as select * from read_csv('{p}', header = true, "
                f"all_varchar = true, encoding = '{encoding}')"
            )
        return sum(
            con.execute(f'select count(*) from "{table}_{i}"').fetchone()[0] for i in range(len(files))
        )
    return con.execute(f'select count(*) from "{table}"').fetchone()[0]


def load_floor(landing: Path) -> dict:
    """Seconds to read the landing folder with no validation (see the module's docstring)."""
    result: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        start = time.monotonic()
        con = duckdb.connect(str(Path(tmp) / "floor.duckdb"))
        rows = files = 0
        for i, ((folder, encoding, header), group) in enumerate(_csv_groups(landing).items()):
            table = f"{folder}_{i}"
            try:
                rows += _read_csvs(con, table, group, encoding, header)
            except duckdb.Error as exc:  # a shape DuckDB's sniffer cannot take: said, not hidden
                result.setdefault("csv_unread", []).append(f"{table}: {str(exc).splitlines()[0][:120]}")
                continue
            files += len(group)
        con.close()
        result.update(csv_files=files, csv_rows=rows, csv_seconds=round(time.monotonic() - start, 2))

    from python_calamine import CalamineWorkbook

    start = time.monotonic()
    books = sheets = cells = 0
    for p in sorted(landing.rglob("*.xlsx")):
        wb = CalamineWorkbook.from_path(str(p))
        books += 1
        for name in wb.sheet_names:
            data = wb.get_sheet_by_name(name).to_python()
            sheets += 1
            cells += sum(len(r) for r in data)
    result.update(
        xlsx_files=books,
        xlsx_sheets=sheets,
        xlsx_cells=cells,
        xlsx_seconds=round(time.monotonic() - start, 2),
    )

    start = time.monotonic()
    xml_files = records = 0
    for p in sorted(landing.rglob("*.xml")):
        xml_files += 1
        for _, elem in ET.iterparse(p, events=("end",)):
            if len(elem):  # a record: its children's text, as a loader would take it
                _ = {c.tag: c.text for c in elem}
                records += 1
                elem.clear()
    result.update(xml_files=xml_files, xml_records=records, xml_seconds=round(time.monotonic() - start, 2))
    result["seconds"] = round(result["csv_seconds"] + result["xlsx_seconds"] + result["xml_seconds"], 2)
    return result


def sql_floor(home: Path, run_dir: Path) -> float:
    """Every model's compiled SQL, in dependency order, as one script in one DuckDB session."""
    target = Path(json.loads((run_dir / "dbt.json").read_text())["target_path"])
    manifest = json.loads((target / "manifest.json").read_text())
    nodes = {k: v for k, v in manifest["nodes"].items() if v["resource_type"] == "model"}
    order, seen = [], set()

    def visit(uid):
        if uid in seen or uid not in nodes:
            return
        seen.add(uid)
        for dep in nodes[uid]["depends_on"]["nodes"]:
            visit(dep)
        order.append(uid)

    for uid in sorted(nodes):
        visit(uid)
    compiled_dir = target / "compiled"
    statements = []
    for uid in order:
        n = nodes[uid]
        sql_path = compiled_dir / n["package_name"] / n["original_file_path"]
        if not sql_path.exists():  # a model the run did not build (e.g. the checks step's data_quality)
            continue
        kind = "view" if n["config"]["materialized"] == "view" else "table"
        statements.append(f'create or replace {kind} "{n["schema"]}"."{n["name"]}" as {sql_path.read_text()}')
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "warehouse.duckdb"  # same file name: the compiled SQL names its catalog after it
        shutil.copy(home / "warehouse" / "warehouse.duckdb", copy)
        con = duckdb.connect(str(copy))
        start = time.monotonic()
        for s in statements:
            con.execute(s)
        seconds = time.monotonic() - start
        con.close()
    return seconds
