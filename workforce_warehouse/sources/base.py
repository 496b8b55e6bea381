"""What every source shares: the Source protocol, the LA-code and period rules, column checks and the
row-error threshold.

A source is one kind of landing file (council HR extracts, CSWW census returns, the DfE's published
files, agency returns). Each lives in its own package beside this module and declares, in one place, its
landing folder, how its files are named and identified, the raw tables it writes and how it validates a
batch of files. The ingest step (`..ingest`) only walks the registry (`sources/__init__.py`): for each file
it asks the source whether the file is ready and valid, then commits or quarantines what the source says.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..io import OLE_MAGIC, Sheet, workbook_opens
from ..pseudonymise import NEVER_STORED, Pseudonymiser
from ..values import ColumnReader, ErrorCollector, RowError, RowReader, clean_text, repeated

if TYPE_CHECKING:
    from ..warehouse import Load

# An ONS code of a local authority with social care responsibilities (inputs-common.md): E06, E08, E09 or
# E10 followed by 6 digits. ASCII digits only ([0-9], not \d), so full-width digits never pass.
LA_CODE = r"(E0[689][0-9]{6}|E10[0-9]{6})"
LA_CODE_RE = re.compile(f"^{LA_CODE}$")
ISO_DATE = r"([0-9]{4}-[0-9]{2}-[0-9]{2})"


def name_pattern(template: str) -> re.Pattern:
    """A file-name pattern from a template: `<LA>` is an LA code, `<DATE>` a YYYY-MM-DD date (ASCII digits
    only), matched case-insensitively against the whole name."""
    return re.compile("^" + template.replace("<LA>", LA_CODE).replace("<DATE>", ISO_DATE) + "$", re.I)


@dataclass(frozen=True)
class FileId:
    """What a file's name says: its source, council, period and dataset (None: several, or not named)."""

    source: str
    la_code: str | None = None
    period_end: dt.date | None = None
    period_label: str | None = None
    dataset: str | None = None
    # the first day on which a file for this period can exist (a period in the future is a file error)
    not_before: dt.date | None = None
    # a file-level problem found while reading the name (e.g. a period end that is not a real date)
    problem: tuple[str, str, str] | None = None  # (rule, value, message)


@dataclass
class FileResult:
    """What a source decided about one file of a batch: loads to commit, errors to quarantine it with, or a
    reason to wait. `retire` lists identities (source, dataset, la_code, period_end) the commit retires."""

    path: Path
    fid: FileId
    loads: list[Load] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    waiting: str | None = None
    retire: list[tuple[str, str, str | None, dt.date | None]] = field(default_factory=list)
    # the source's `after_commit` acts on this file: it is committed before the next file
    act_after_commit: bool = False

    @property
    def accepted(self) -> bool:
        return bool(self.loads) and self.waiting is None


@dataclass
class Batch:
    """Files a source validates together (one council HR extract; otherwise one file) and any context the
    source read from the warehouse for them (e.g. the staff already loaded)."""

    files: list[tuple[Path, FileId]]
    context: Any = None


def _starts_with(path: Path, magic: bytes) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(len(magic)) == magic
    except OSError:
        return False


def file_error(path: Path, rule: str, message: str, value: str = "") -> RowError:
    return RowError(path.name, "", None, "", value, rule, message)


def accept_rows(bad_rows: int, rows_total: int, threshold_pct: float) -> bool:
    """The row-error threshold rule (inputs-common.md, Bad input): by default any row error rejects the
    file; a per-source setting may load the valid rows while errors stay at or under a percentage."""
    if not bad_rows:
        return True
    return rows_total > 0 and 100.0 * bad_rows / rows_total <= threshold_pct


class Source:
    """One kind of landing file. Subclasses set the attributes and implement `identify` and `parse`."""

    name: str  # the load log's `source`
    folder: str  # landing/<folder>
    pattern: str  # file-name pattern, as a person reads it in a message
    description: str = ""
    whole_file_dataset: str = ""  # the load log's dataset for a file rejected as a whole
    catch_all: bool = False  # takes any file of its folder that no other source's pattern takes
    rows_match_load_log: bool = True  # False: the raw tables store a file's rows long (one per measure)

    def identify(self, name: str) -> FileId | None:
        """The file's identity from its name, or None when the name is not one of this source's."""
        raise NotImplementedError

    def check(self, path: Path, fid: FileId, today: dt.date) -> list[RowError]:
        """File-level rules on the name alone: the LA code is in the reference list, the period is not in
        the future, and any problem `identify` found."""
        from ..reference_data import local_authorities

        errors = []
        if fid.problem:
            rule, value, message = fid.problem
            errors.append(file_error(path, rule, message, value))
        if fid.la_code is not None and fid.la_code not in local_authorities():
            errors.append(
                file_error(
                    path,
                    "la_code",
                    f"{fid.la_code} is not a local authority in the reference list (seeds/local_authorities.csv)",
                    fid.la_code,
                )
            )
        if path.suffix.lower() == ".xlsx" and _starts_with(path, OLE_MAGIC):
            errors.append(
                file_error(
                    path,
                    "workbook_protected",
                    "the workbook is password-protected (or an old .xls renamed): save it again as an "
                    "ordinary .xlsx with no password",
                )
            )
        if fid.not_before is not None and fid.not_before > today:
            errors.append(file_error(path, "period_in_future", *self.future(fid)))
        return errors

    def future(self, fid: FileId) -> tuple[str, str]:
        """(message, value) for a file whose period is in the future."""
        return f"the period {fid.period_label} is in the future", fid.period_label or ""

    def not_ready(self, path: Path) -> str | None:
        """Why a file looks half-copied (retried later), or None. A workbook must open as a whole zip."""
        if path.suffix.lower() == ".xlsx" and not workbook_opens(path):
            return "the workbook does not open (yet)"
        return None

    def batches(self, files: list[tuple[Path, FileId]], con) -> list[Batch]:
        """How files are validated together; by default each file on its own."""
        return [Batch([f]) for f in files]

    def parse(
        self, batch: Batch, pseudo: Pseudonymiser, today: dt.date, threshold_pct: float
    ) -> list[FileResult]:
        """Read and validate a batch (in a worker process): one FileResult per file. Must not write."""
        raise NotImplementedError

    def after_commit(self, con, result: FileResult, progress) -> None:
        """Called after a file's loads are committed (e.g. re-validate datasets that depend on it)."""

    def commit_before_next(self, result: FileResult) -> bool:
        """True when `after_commit` acts on this file's commit: the load commits it before the next file
        (accepted files are otherwise committed several to a transaction, see ingest.py)."""
        return False

    def single(self, path: Path, fid: FileId, loads: list[Load], errors: list[RowError]) -> list[FileResult]:
        """The common one-file result: loads when accepted, else the errors that reject the file."""
        if loads:
            return [FileResult(path, fid, loads=loads)]
        return [FileResult(path, fid, errors=errors)]


# --------------------------------------------------------------------------------------------------
# Shared row and column checks
# --------------------------------------------------------------------------------------------------


def check_columns_generic(
    sheet: Sheet,
    required: Iterable[str],
    optional: Iterable[str],
    errors: ErrorCollector,
    label: str,
    never_stored: set[str] = frozenset(),
) -> tuple[list[str], list[str]]:
    """File-level column checks. Returns (personal columns dropped on read, warnings).

    A missing required column or a repeated column is a file-level error; unknown extra columns are ignored
    with a warning listing them.
    """
    present = [h for h in sheet.headers if h]
    dropped = sorted({h for h in present if h in NEVER_STORED or h in never_stored})
    warnings = []
    for col in required:
        if col not in present:
            errors.file_error("missing_column", f"the required column {col} is missing", column=col)
    known = set(required) | set(optional) | set(dropped)
    extra = sorted({h for h in present if h not in known})
    if extra:
        warnings.append(f"{label}: ignored unknown columns {', '.join(extra)}")
    counts = Counter(present)  # linear: a header row of thousands of columns must not take minutes
    dup = sorted(
        h for h, n in counts.items() if n > 1 and h in known
    )  # an unknown column twice is still ignored
    if dup:
        errors.file_error("duplicate_column", f"the column(s) {', '.join(dup)} appear more than once")
    return dropped, warnings


def ethnicity(r: RowReader, ctx: Any, column: str = "ethnicity") -> tuple[str | None, str | None]:
    """(value as given, DfE code). Blank is NOBT (Unknown); an unmapped value is a row error."""
    from ..reference_data import ethnicity_codes

    raw = clean_text(r.row.get(column))
    code = ethnicity_codes().resolve(raw, ctx.la_code)
    if code is None:
        r.fail(column, "ethnicity_code", _unknown_ethnicity(raw))
    return raw, code


def ethnicity_columns(c: ColumnReader, la_code: str, column: str = "ethnicity") -> tuple[list, list]:
    """`ethnicity` over a whole column: (values as given, DfE codes), each distinct value resolved once."""
    from ..reference_data import ethnicity_codes

    raws = c.map(column, clean_text)
    codes = ethnicity_codes()
    resolved = {raw: codes.resolve(raw, la_code) for raw in set(raws)}
    found = list(map(resolved.__getitem__, raws))
    for i in c.rows_where(raws, lambda raw: resolved[raw] is None):
        c.fail(i, column, "ethnicity_code", _unknown_ethnicity(raws[i]))
    return raws, found


def _unknown_ethnicity(raw: str | None) -> str:
    return (
        f'"{raw}" is not a known ethnicity code or label (see seeds/ethnicity_codes.csv, or add the '
        f"council's own label to seeds/ethnicity_local_labels.csv)"
    )


def unique(r: RowReader, seen: dict, key: Any, column: str, what: str) -> None:
    """Duplicate-key rule: the second and later rows with the same key are row errors."""
    if key is None:
        return
    if key in seen:
        r.fail(column, "duplicate_key", repeated(what, seen[key]))
    else:
        seen[key] = r.row_number
