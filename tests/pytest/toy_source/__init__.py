"""A toy source, added to the registry by tests alone: proves that a new dataset needs one package and
nothing else. Files: `landing/toy/toy_<LA code>_<YYYY-MM-DD>.csv` with columns visit_id, visits."""

from __future__ import annotations

import datetime as dt

from workforce_warehouse.io import read_csv, sha256_of
from workforce_warehouse.sources.base import (
    Batch,
    FileId,
    FileResult,
    Source,
    accept_rows,
    check_columns_generic,
    name_pattern,
)
from workforce_warehouse.values import ErrorCollector, RowReader
from workforce_warehouse.warehouse import RAW_TABLE_SOURCES, RAW_TABLES, Load, register_raw_table

NAME_RE = name_pattern(r"toy_<LA>_<DATE>\.csv")
TABLE = "toy_visit"


class Toy(Source):
    name = "toy"
    folder = "toy"
    pattern = "toy_<LA code>_<YYYY-MM-DD>.csv"
    whole_file_dataset = "visits"

    def identify(self, name: str) -> FileId | None:
        m = NAME_RE.match(name)
        if not m:
            return None
        end = dt.date.fromisoformat(m[2])
        return FileId(self.name, m[1].upper(), end, end.isoformat(), "visits", not_before=end)

    def parse(self, batch: Batch, pseudo, today, threshold_pct: float) -> list[FileResult]:
        [(path, fid)] = batch.files
        sheet = read_csv(path)
        errors = ErrorCollector(path.name)
        dropped, warnings = check_columns_generic(sheet, ("visit_id", "visits"), (), errors, "visits")
        rows, bad = [], 0
        if not errors.errors:
            for n, row in sheet.rows:
                r = RowReader(errors, n, row)
                visit, visits = r.text("visit_id", True), r.integer("visits", True)
                if visits is not None and visits < 0:
                    r.fail("visits", "range", f'"{visits}" is negative')
                if r.ok:
                    rows.append(
                        dict(la_code=fid.la_code, period_end=fid.period_end, visit_id=visit, visits=visits)
                    )
                else:
                    bad += 1
        if errors.errors and (
            any(e.row is None for e in errors.errors) or not accept_rows(bad, len(sheet.rows), threshold_pct)
        ):
            return [FileResult(path, fid, errors=errors.errors)]
        load = Load(
            source=self.name,
            dataset="visits",
            la_code=fid.la_code,
            period_end=fid.period_end,
            period_label=fid.period_label,
            file_name=path.name,
            file_sha256=sha256_of(path),
            table=TABLE,
            rows=rows,
            rows_read=len(sheet.rows),
            rejected=errors.errors,
            dropped_columns=dropped,
            warnings=warnings,
        )
        return [FileResult(path, fid, loads=[load])]


SOURCE_DEF = Toy()


def install() -> None:
    from workforce_warehouse import sources

    register_raw_table(
        TABLE,
        [("la_code", "VARCHAR"), ("period_end", "DATE"), ("visit_id", "VARCHAR"), ("visits", "INTEGER")],
        source="toy",
    )
    sources.register(SOURCE_DEF)


def uninstall() -> None:
    from workforce_warehouse import sources

    sources.unregister("toy")
    RAW_TABLES.pop(TABLE, None)
    RAW_TABLE_SOURCES.pop(TABLE, None)
