"""Council HR extracts (council-hr.md): `landing/council_hr/hr_<LA>_<period end>.xlsx` or one CSV per dataset.

The datasets of one extract (council and period end) are validated together: casework, CPD and ASYE rows
must name an employee of the same extract's staff dataset, so a dependent dataset that arrives first waits
for its staff file, and a replaced staff dataset re-validates the dependents already loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..base import Batch, FileId, FileResult, Source
from .loader import *  # noqa: F403
from .loader import (
    DATASETS,
    DEPENDENT,
    PATTERNS,
    SOURCE,
    HrFile,
    parse_name,
    parse_period,
    period_label,
    table_for,
)
from .loader import validate_extract as _validate_extract


class CouncilHr(Source):
    name = SOURCE
    folder = "council_hr"
    pattern = PATTERNS
    whole_file_dataset = "workbook"
    description = "council HR extracts: staff, recruitment, casework, CPD, ASYE and staff survey"

    def identify(self, name: str) -> FileId | None:
        parsed = parse_name(name)
        if parsed is None:
            return None
        la, text, dataset = parsed
        try:
            end = parse_period(text)
        except ValueError:
            return FileId(
                self.name,
                la,
                dataset=dataset,
                problem=("period_end", text, f"{text} in the file name is not a real date"),
            )
        return FileId(self.name, la, end, period_label(end), dataset, not_before=end)

    def future(self, fid: FileId) -> tuple[str, str]:
        return f"the period end {fid.period_end.isoformat()} is in the future", fid.period_end.isoformat()

    def batches(self, files: list[tuple[Path, FileId]], con) -> list[Batch]:
        """One batch per extract (council and period end), with the staff already loaded for it and whether
        the warehouse holds dependent rows a new staff dataset must re-validate."""
        groups: dict[tuple, list] = {}
        for path, fid in files:
            groups.setdefault((fid.la_code, fid.period_end), []).append((path, fid))
        with_staff = extracts_with_staff(con)
        with_dependents = extracts_with_dependents(con)
        return [
            Batch(
                items,
                Extract(
                    loaded_staff_keys(con, la, end) if (la, end) in with_staff else None,
                    (la, end) in with_dependents,
                ),
            )
            for (la, end), items in sorted(groups.items())
        ]

    def parse(self, batch: Batch, pseudo, today, threshold_pct: float) -> list[FileResult]:
        hr_files = {p: HrFile(p, fid.la_code, fid.period_end, fid.dataset) for p, fid in batch.files}
        extract: Extract = batch.context
        accepted, rejected, waiting = _validate_extract(
            list(hr_files.values()), pseudo, extract.staff_keys, threshold_pct
        )
        by_file: dict[str, list] = {}
        for ld in accepted:
            by_file.setdefault(ld.file_name, []).append(ld)
        errors = {f.path: errs for f, errs in rejected}
        waits = {f.path for f in waiting}
        results = []
        # A staff dataset re-validates dependents already in the warehouse (after_commit) when the
        # warehouse held some for the extract, or when an earlier file of this batch (a workbook) loads
        # some; otherwise there is nothing to re-validate and its commit may share a transaction.
        revalidate = (
            extract.dependents_loaded or sum(fid.dataset in (None, "staff") for _, fid in batch.files) > 1
        )
        # workbooks first, then staff: the dependents of an extract commit after the staff they name
        for path, fid in sorted(
            batch.files, key=lambda pf: (pf[1].dataset is not None, pf[1].dataset != "staff")
        ):
            if path in waits:
                results.append(FileResult(path, fid, waiting="waiting for the staff dataset of this extract"))
            elif path in errors or path.name not in by_file:
                results.append(FileResult(path, fid, errors=errors.get(path, [])))
            else:
                loads = by_file[path.name]
                retire = []
                if (
                    fid.dataset is None
                ):  # a workbook is the whole extract: a sheet it no longer has is retired
                    present = {ld.dataset for ld in loads}
                    retire = [
                        (self.name, d, fid.la_code, fid.period_end) for d in DATASETS if d not in present
                    ]
                has_staff = any(ld.dataset == "staff" for ld in loads)
                results.append(
                    FileResult(
                        path, fid, loads=loads, retire=retire, act_after_commit=has_staff and revalidate
                    )
                )
        return results

    def commit_before_next(self, result: FileResult) -> bool:
        return result.act_after_commit

    def after_commit(self, con, result: FileResult, progress) -> None:
        """A replaced staff dataset re-validates the casework, CPD and ASYE already loaded for the extract."""
        if result.act_after_commit:
            tables = {d: table_for(d) for d in DEPENDENT}
            fid = result.fid
            for dataset, message in revalidate_dependents(con, fid.la_code, fid.period_end, tables):
                progress(f"  {fid.la_code} {fid.period_end} {dataset}: {message}")


@dataclass(frozen=True)
class Extract:
    """What the warehouse holds for one extract when its batch is made."""

    staff_keys: set | None  # the employee keys of its loaded staff dataset; None when none is loaded
    dependents_loaded: bool  # casework, CPD or ASYE rows are loaded for it


def extracts_with_staff(con) -> set[tuple]:
    """(LA code, period end) of every extract whose staff dataset is loaded."""
    return set(
        con.execute(
            "SELECT DISTINCT la_code, period_end FROM raw.load_log WHERE source = ? AND dataset = 'staff' "
            "AND outcome = 'loaded' AND NOT withdrawn",
            [SOURCE],
        ).fetchall()
    )


def extracts_with_dependents(con) -> set[tuple]:
    """(LA code, period end) of every extract with rows in a raw table that names the staff dataset."""
    union = " UNION ".join(f"SELECT DISTINCT la_code, period_end FROM raw.{table_for(d)}" for d in DEPENDENT)
    return set(con.execute(union).fetchall())


def loaded_staff_keys(con, la_code: str, period_end) -> set:
    """The employee keys of the extract's staff dataset in the warehouse (for an extract in
    `extracts_with_staff`)."""
    rows = con.execute(
        "SELECT employee_key FROM raw.hr_staff WHERE la_code = ? AND period_end = ?", [la_code, period_end]
    ).fetchall()
    return {r[0] for r in rows}


def revalidate_dependents(con, la_code: str, period_end, tables: dict[str, str]) -> list[tuple[str, str]]:
    """Reject each loaded dependent dataset that names an employee the new staff dataset no longer has: its
    rows leave the raw layer, its metrics become not_submitted, and the chase list asks for it again.
    Returns (dataset, message) for each one rejected."""
    out = []
    for dataset, table in tables.items():
        bad = con.execute(
            f"""SELECT d.load_id, count(*) FROM raw.{table} AS d
                WHERE d.la_code = ? AND d.period_end = ? AND NOT EXISTS (
                    SELECT 1 FROM raw.hr_staff AS s WHERE s.la_code = d.la_code
                      AND s.period_end = d.period_end AND s.employee_key = d.employee_key)
                GROUP BY d.load_id""",
            [la_code, period_end],
        ).fetchall()
        for load_id, n in bad:
            message = (
                f"re-validated against the new staff dataset: {n} row(s) name an employee_id that is no "
                f"longer in it; send this {dataset} dataset again"
            )
            con.execute("BEGIN TRANSACTION")
            con.execute(f"DELETE FROM raw.{table} WHERE load_id = ?", [load_id])
            con.execute(
                "UPDATE raw.load_log SET outcome = 'rejected', message = ? WHERE load_id = ?",
                [message, load_id],
            )
            con.execute("COMMIT")
            out.append((dataset, message))
    return out


SOURCE_DEF = CouncilHr()
