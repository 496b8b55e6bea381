"""What every loader shares: reading files, parsing values, collecting row errors, pseudonymising.

Errors are values: a loader collects :class:`RowError` records for a whole file and the caller decides
once per file whether it loads (no errors, or under the source's threshold) or is quarantined.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

# Columns that must never enter the warehouse (inputs-common.md, "Personal data").
NEVER_STORED = {
    "forename",
    "forenames",
    "first_name",
    "firstname",
    "given_name",
    "surname",
    "last_name",
    "lastname",
    "family_name",
    "name",
    "full_name",
    "employee_name",
    "worker_name",
    "applicant_name",
    "date_of_birth",
    "dob",
    "birth_date",
    "ni_number",
    "national_insurance_number",
    "nino",
    "home_postcode",
    "postcode",
    "post_code",
    "address",
    "home_address",
    "email",
    "personal_email",
}

EXCEL_EPOCH = dt.date(1899, 12, 30)
TRUE_FLAGS = {"y", "yes", "1", "true"}
FALSE_FLAGS = {"n", "no", "0", "false"}


@dataclass(frozen=True)
class RowError:
    file: str
    sheet: str
    row: int | None
    column: str
    value: str
    rule: str
    message: str

    def describe(self) -> str:
        where = [self.file]
        if self.sheet:
            where.append(f"sheet {self.sheet}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return ", ".join(where) + f": {self.message}"


ERROR_COLUMNS = ("file", "sheet", "row", "column", "value", "rule", "message")


class FileRejected(Exception):
    """A file-level error, or row errors above the source's threshold: nothing of the file loads."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("; ".join(e.describe() for e in errors[:5]))


class FileNotReady(Exception):
    """A file that looks half-copied (a workbook that does not open yet): retried later."""


class ValueProblem(ValueError):
    """A value that breaks a rule; `rule` is a short machine name, the message is for a person."""

    def __init__(self, rule: str, message: str):
        self.rule = rule
        super().__init__(message)


# --------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------

_SHA_CACHE: dict[tuple[str, int, int], str] = {}


def sha256_of(path: Path) -> str:
    """sha256 of a file's bytes, remembered while its size and modification time stay the same."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _SHA_CACHE:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _SHA_CACHE[key] = h.hexdigest()
    return _SHA_CACHE[key]


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 (with or without BOM), else Windows-1252. Returns (text, encoding)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def normalise_header(name: Any) -> str:
    text = "" if name is None else str(name)
    text = text.replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


@dataclass
class Sheet:
    """One table of a file: normalised headers and rows numbered as a person sees them in Excel."""

    name: str
    headers: list[str]
    rows: list[tuple[int, dict[str, Any]]]
    original_headers: list[str] = field(default_factory=list)


def read_csv(path: Path, sheet_name: str = "") -> Sheet:
    text, _ = decode_text(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return Sheet(sheet_name, [], [])
    headers = [normalise_header(h) for h in header]
    rows = []
    for i, rec in enumerate(reader, start=2):
        if not any(str(v).strip() for v in rec):
            continue
        rows.append((i, {h: (rec[j] if j < len(rec) else None) for j, h in enumerate(headers) if h}))
    return Sheet(sheet_name, headers, rows, [str(h) for h in header])


def read_xlsx(path: Path) -> list[Sheet]:
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise FileNotReady(f"the workbook does not open ({exc.__class__.__name__}: {exc})") from exc
    sheets = []
    try:
        for ws in wb.worksheets:
            it = ws.iter_rows(values_only=True)
            try:
                header = next(it)
            except StopIteration:
                sheets.append(Sheet(ws.title, [], []))
                continue
            headers = [normalise_header(h) for h in header]
            rows = []
            for i, rec in enumerate(it, start=2):
                if rec is None or not any(v is not None and str(v).strip() != "" for v in rec):
                    continue
                rows.append((i, {h: (rec[j] if j < len(rec) else None) for j, h in enumerate(headers) if h}))
            sheets.append(Sheet(ws.title, headers, rows, ["" if h is None else str(h) for h in header]))
    finally:
        wb.close()
    return sheets


# --------------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------------


def clean_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: 00:00(?::00)?)?$")
_SERIAL = re.compile(r"^\d{5}(?:\.0+)?$")


def parse_date(value: Any) -> dt.date | None:
    """YYYY-MM-DD, DD/MM/YYYY (UK order, never US) or an Excel date; blank is None."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueProblem("date_format", f'"{value}" is not a date (use YYYY-MM-DD or DD/MM/YYYY)')
    text = str(value).strip()
    if not text:
        return None
    try:
        if m := _ISO.match(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _UK.match(text):
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
        if _SERIAL.match(text):
            return EXCEL_EPOCH + dt.timedelta(days=int(float(text)))
    except ValueError:
        raise ValueProblem("date_invalid", f'"{text}" is not a real calendar date') from None
    raise ValueProblem("date_format", f'"{text}" is not a date (use YYYY-MM-DD or DD/MM/YYYY)')


def parse_flag(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = clean_text(value)
    if text is None:
        return None
    low = text.lower()
    if low in TRUE_FLAGS:
        return True
    if low in FALSE_FLAGS:
        return False
    raise ValueProblem("flag", f'"{text}" is not a Y/N value (use Y, N, Yes, No, 1, 0, TRUE or FALSE)')


def parse_number(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueProblem("number", f'"{value}" is not a number')
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    text = str(value).strip().replace("£", "").replace(",", "").replace(" ", "")
    if not text:
        return None
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise ValueProblem("number", f'"{str(value).strip()}" is not a number') from None
    if not d.is_finite():
        raise ValueProblem("number", f'"{str(value).strip()}" is not a number')
    return d


def parse_int(value: Any) -> int | None:
    d = parse_number(value)
    if d is None:
        return None
    if d != d.to_integral_value():
        raise ValueProblem("integer", f'"{clean_text(value)}" is not a whole number')
    return int(d)


def age_band(birth: dt.date | None, at: dt.date) -> str | None:
    if birth is None:
        return None
    age = at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day))
    if age < 25:
        return "under 25"
    for lo, hi in ((25, 34), (35, 44), (45, 54), (55, 64)):
        if age <= hi:
            return f"{lo}-{hi}"
    return "65+"


def period_start_for(period_end: dt.date) -> dt.date:
    """The first day of the 12 months ending on period_end (inclusive)."""
    try:
        prior = period_end.replace(year=period_end.year - 1)
    except ValueError:  # 29 February
        prior = period_end.replace(year=period_end.year - 1, day=28)
    return prior + dt.timedelta(days=1)


def add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------------------------------
# Pseudonymisation
# --------------------------------------------------------------------------------------------------

_SWE = re.compile(r"^SW(\d{1,10})$")


def normalise_swe(value: Any) -> str | None:
    """`sw 12345` -> `SW0000012345`. None for blank; ValueProblem for anything that is not SW + digits."""
    text = clean_text(value)
    if text is None:
        return None
    compact = re.sub(r"\s+", "", text).upper()
    m = _SWE.match(compact)
    if not m:
        raise ValueProblem(
            "swe_number", f'"{text}" is not a Social Work England number (SW followed by up to 10 digits)'
        )
    return "SW" + m[1].zfill(10)


@dataclass(frozen=True)
class Pseudonymiser:
    key: bytes

    def _digest(self, message: str) -> str:
        return hmac.new(self.key, message.encode("utf-8"), hashlib.sha256).hexdigest()

    def swe(self, normalised: str | None) -> str | None:
        """Alliance-wide hash of a normalised SWE number: links one person across councils."""
        return None if normalised is None else self._digest(f"swe|{normalised}")

    def local(self, la_code: str, value: str | None) -> str | None:
        """Council-local identifiers are hashed with the LA code so they never collide across councils."""
        return None if value is None else self._digest(f"local|{la_code}|{value}")


# --------------------------------------------------------------------------------------------------
# Row checking
# --------------------------------------------------------------------------------------------------


@dataclass
class ErrorCollector:
    file: str
    sheet: str = ""
    errors: list[RowError] = field(default_factory=list)

    def add(self, row: int | None, column: str, value: Any, rule: str, message: str) -> None:
        shown = "" if value is None else str(value)
        self.errors.append(RowError(self.file, self.sheet, row, column, shown, rule, message))

    def file_error(self, rule: str, message: str, column: str = "", value: Any = None) -> None:
        self.add(None, column, value, rule, message)


class RowReader:
    """Reads typed values from one row, recording each problem once with its row and column."""

    def __init__(self, errors: ErrorCollector, row_number: int, row: dict[str, Any]):
        self.errors = errors
        self.row_number = row_number
        self.row = row
        self.ok = True

    def _fail(self, column: str, value: Any, rule: str, message: str) -> None:
        self.ok = False
        shown = clean_text(value) if not isinstance(value, (dt.date, dt.datetime)) else str(value)
        self.errors.add(self.row_number, column, shown, rule, message)

    def fail(self, column: str, rule: str, message: str) -> None:
        self._fail(column, self.row.get(column), rule, message)

    def _get(self, column: str, parser, required: bool, what: str):
        raw = self.row.get(column)
        try:
            value = parser(raw)
        except ValueProblem as exc:
            self._fail(column, raw, exc.rule, str(exc))
            return None
        if value is None and required:
            self._fail(column, raw, "required", f"{what} is required and is blank")
        return value

    def text(self, column: str, required: bool = False) -> str | None:
        return self._get(column, clean_text, required, column)

    def date(self, column: str, required: bool = False) -> dt.date | None:
        return self._get(column, parse_date, required, column)

    def flag(self, column: str, required: bool = False) -> bool | None:
        return self._get(column, parse_flag, required, column)

    def number(self, column: str, required: bool = False) -> Decimal | None:
        return self._get(column, parse_number, required, column)

    def integer(self, column: str, required: bool = False) -> int | None:
        return self._get(column, parse_int, required, column)

    def code(self, column: str, allowed: Iterable[str], required: bool = False) -> str | None:
        value = self.text(column, required)
        if value is None:
            return None
        allowed = tuple(allowed)
        low = value.lower()
        if low not in allowed:
            self._fail(column, value, "code", f'"{value}" is not one of: {", ".join(allowed)}')
            return None
        return low

    def swe(self, column: str, required: bool = False) -> str | None:
        return self._get(column, normalise_swe, required, column)

    def date_within(self, column: str, value: dt.date | None, start: dt.date, end: dt.date) -> None:
        if value is not None and not (start <= value <= end):
            self._fail(
                column,
                value,
                "date_in_period",
                f'"{value.isoformat()}" is outside the period {start.isoformat()} to {end.isoformat()}',
            )


def iter_chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


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
    dup = sorted({h for h in present if present.count(h) > 1})
    if dup:
        errors.file_error("duplicate_column", f"the column(s) {', '.join(dup)} appear more than once")
    return dropped, warnings


def ethnicity(r: RowReader, ctx: Any, column: str = "ethnicity") -> tuple[str | None, str | None]:
    """(value as given, DfE code). Blank is NOBT (Unknown); an unmapped value is a row error."""
    from ..reference_data import ethnicity_codes

    raw = clean_text(r.row.get(column))
    code = ethnicity_codes().resolve(raw, ctx.la_code)
    if code is None:
        r.fail(
            column,
            "ethnicity_code",
            f'"{raw}" is not a known ethnicity code or label (see seeds/ethnicity_codes.csv, or add the '
            f"council's own label to seeds/ethnicity_local_labels.csv)",
        )
    return raw, code


def unique(r: RowReader, seen: dict, key: Any, column: str, what: str) -> None:
    """Duplicate-key rule: the second and later rows with the same key are row errors."""
    if key is None:
        return
    if key in seen:
        r.fail(column, "duplicate_key", f"{what} is repeated (first on row {seen[key]})")
    else:
        seen[key] = r.row_number
