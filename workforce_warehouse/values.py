"""Values in a row: parsing text, dates, flags and numbers, and recording each problem as a row error.

Errors are values: a loader collects :class:`RowError` records for a whole file and the caller decides
once per file whether it loads (no errors, or under the source's threshold) or is quarantined.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

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

    def where(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def describe(self) -> str:
        """For the analyst (console, the quarantined file's errors.csv): where, and the message with the value."""
        return f"{self.where()}: {self.message}"

    def describe_without_value(self) -> str:
        """For tables others read (the load log, the published chase list): where and the rule, never the
        cell's value, which may be personal data typed into the wrong column."""
        if self.row is None:  # a file-level message names the file's problem, not a cell
            return self.describe()
        return (
            f"{self.where()}: breaks the rule {self.rule} (the value is in the quarantined file's errors.csv)"
        )

    def redacted(self, note: str) -> RowError:
        """The same error with the cell's value replaced by a note, in the value and in the message."""
        message = self.message.replace(self.value, note) if self.value else self.message
        return RowError(self.file, self.sheet, self.row, self.column, note, self.rule, message)


ERROR_COLUMNS = ("file", "sheet", "row", "column", "value", "rule", "message")


class ValueProblem(ValueError):
    """A value that breaks a rule; `rule` is a short machine name, the message is for a person."""

    def __init__(self, rule: str, message: str):
        self.rule = rule
        super().__init__(message)


def clean_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


# ASCII digits only: full-width or other scripts' digits are not dates.
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$", re.ASCII)
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: 00:00(?::00)?)?$", re.ASCII)
_SERIAL = re.compile(r"^\d{5}(?:\.0+)?$", re.ASCII)


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
    known = _DATES_SEEN.get(text)
    if known is not None:
        return known
    parsed = _parse_date_text(text)
    if len(_DATES_SEEN) < _CACHE_LIMIT:
        _DATES_SEEN[text] = parsed
    return parsed


# Texts already parsed (dates and numbers repeat across rows and files): parsed once per process.
_DATES_SEEN: dict[str, dt.date] = {}
_NUMBERS_SEEN: dict[str, Decimal] = {}
_CACHE_LIMIT = 200_000


def _parse_date_text(text: str) -> dt.date:
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
    if value.__class__ is str and (known := _NUMBERS_SEEN.get(value)) is not None:
        return known
    text = str(value).strip().replace("£", "").replace(",", "").replace(" ", "")
    if not text:
        return None
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise ValueProblem("number", f'"{str(value).strip()}" is not a number') from None
    if not d.is_finite():
        raise ValueProblem("number", f'"{str(value).strip()}" is not a number')
    if value.__class__ is str and len(_NUMBERS_SEEN) < _CACHE_LIMIT:
        _NUMBERS_SEEN[value] = d
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
        from .pseudonymise import normalise_swe

        return self._get(column, normalise_swe, required, column)

    def date_within(self, column: str, value: dt.date | None, start: dt.date, end: dt.date) -> None:
        if value is not None and not (start <= value <= end):
            self._fail(
                column,
                value,
                "date_in_period",
                f'"{value.isoformat()}" is outside the period {start.isoformat()} to {end.isoformat()}',
            )
