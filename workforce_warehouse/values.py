"""Values in a row: parsing text, dates, flags and numbers, and recording each problem as a row error.

Errors are values: a loader collects :class:`RowError` records for a whole file and the caller decides
once per file whether it loads (no errors, or under the source's threshold) or is quarantined.
"""

from __future__ import annotations

import datetime as dt
import functools
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
        return self._get(column, code_parser(allowed), required, column)

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


_FROM_ROW = object()  # ColumnReader.fail: the value shown is the row's own cell


class ColumnReader:
    """RowReader's checks over whole columns of a sheet (issue 22), for sources whose rules are per column.

    Each distinct value of a column is parsed once, by the same parsers RowReader uses (codes, dates, flags
    and identifiers repeat down a column), and every problem is recorded as RowReader would record it: the
    same row, column, value, rule and message, in the same order (row by row, and within a row in the order
    the checks are made: each check is numbered as it is made and the problems are sorted at `finish`).
    A rule across columns is written as a loop over the rows it concerns (`rows_where`, `fail`)."""

    def __init__(self, errors: ErrorCollector, sheet: Any):
        self.errors = errors
        self._sheet = sheet
        self.numbers = sheet.numbers
        self.failed: set[int] = set()  # indexes of rows with a problem
        self._raw: dict[str, list] = {}
        self._problems: list[tuple] = []
        self._check = 0

    def __len__(self) -> int:
        return len(self.numbers)

    def raw(self, column: str) -> list:
        """The column's cells as read (None where the row has no such cell)."""
        col = self._raw.get(column)
        if col is None:
            col = self._raw[column] = self._sheet.column(column)
        return col

    def check(self) -> None:
        """Start the next check: its problems come after those of the checks before it in each row."""
        self._check += 1

    def fail(self, i: int, column: str, rule: str, message: str, value: Any = _FROM_ROW) -> None:
        """A problem in row `i` (an index, not the row number) of the current check."""
        if value is _FROM_ROW:
            value = self.raw(column)[i]
        shown = clean_text(value) if not isinstance(value, (dt.date, dt.datetime)) else str(value)
        self._problems.append((i, self._check, column, shown, rule, message))
        self.failed.add(i)

    def _keys(self, column: str) -> tuple[list, bool]:
        """The column's cells as dictionary keys, and whether they are the cells themselves. Cells of other
        types than text (a workbook's numbers, dates, TRUE) are keyed with their type: 1, 1.0 and TRUE are
        equal keys but not the same cell; a float with its text too (0.0 and -0.0 are equal)."""
        raw = self.raw(column)
        plain = set(map(type, raw)) <= {str, type(None)}
        if plain:
            return raw, True
        return [(c, v, repr(v)) if (c := v.__class__) is float else (c, v) for v in raw], False

    def map(self, column: str, fn) -> list:
        """fn of each cell of the column (fn must not fail), computed once per distinct cell."""
        keys, plain = self._keys(column)
        done = {key: fn(key if plain else key[1]) for key in dict.fromkeys(keys)}
        return list(map(done.__getitem__, keys))

    def _get(self, column: str, parser, required: bool) -> list:
        self.check()
        keys, plain = self._keys(column)
        parsed: dict = {}
        bad: dict = {}
        for key in dict.fromkeys(keys):
            try:
                value = parser(key if plain else key[1])
            except ValueProblem as exc:
                parsed[key], bad[key] = None, (exc.rule, str(exc))
                continue
            if value is None and required:
                bad[key] = ("required", f"{column} is required and is blank")
            parsed[key] = value
        if bad:
            for i, key in enumerate(keys):
                if key in bad:
                    self.fail(i, column, *bad[key])
        return list(map(parsed.__getitem__, keys))

    def text(self, column: str, required: bool = False) -> list:
        return self._get(column, clean_text, required)

    def date(self, column: str, required: bool = False) -> list:
        return self._get(column, parse_date, required)

    def flag(self, column: str, required: bool = False) -> list:
        return self._get(column, parse_flag, required)

    def number(self, column: str, required: bool = False) -> list:
        return self._get(column, parse_number, required)

    def integer(self, column: str, required: bool = False) -> list:
        return self._get(column, parse_int, required)

    def code(self, column: str, allowed: Iterable[str], required: bool = False) -> list:
        return self._get(column, code_parser(allowed), required)

    def swe(self, column: str, required: bool = False) -> list:
        from .pseudonymise import normalise_swe

        return self._get(column, normalise_swe, required)

    def rows_where(self, values: list, test) -> list[int]:
        """Start a check: the indexes of the rows whose value passes `test` (None is never tested), each
        distinct value tested once."""
        self.check()
        hits = {v for v in set(values) if v is not None and test(v)}
        return [i for i, v in enumerate(values) if v in hits] if hits else []

    def date_within(self, column: str, values: list, start: dt.date, end: dt.date) -> None:
        for i in self.rows_where(values, lambda v: not (start <= v <= end)):
            v = values[i]
            self.fail(
                i,
                column,
                "date_in_period",
                f'"{v.isoformat()}" is outside the period {start.isoformat()} to {end.isoformat()}',
                value=v,
            )

    def unique(self, keys: list, column: str, what) -> None:
        """Duplicate-key rule: the second and later rows with the same key (not None) are problems;
        `what(key)` names the key in the message."""
        self.check()
        seen: dict = {}
        for i, key in enumerate(keys):
            if key is None:
                continue
            first = seen.setdefault(key, i)
            if first != i:
                self.fail(
                    i,
                    column,
                    "duplicate_key",
                    repeated(what(key), self.numbers[first]),
                )

    def finish(self) -> list[int]:
        """Record the problems in the error collector, in RowReader's order; returns the indexes of the rows
        without a problem."""
        for i, _, column, shown, rule, message in sorted(self._problems, key=lambda p: (p[0], p[1])):
            self.errors.add(self.numbers[i], column, shown, rule, message)
        self._problems = []
        failed = self.failed
        return [i for i in range(len(self.numbers)) if i not in failed] if failed else list(range(len(self)))


def repeated(what: str, first_row: int) -> str:
    """The duplicate-key rule's message (RowReader's sources and ColumnReader.unique)."""
    return f"{what} is repeated (first on row {first_row})"


def code_parser(allowed: Iterable[str]):
    """A parser for a code column: blank is None, a code in another case is the code, else a problem."""
    return _code_parser(tuple(allowed))


@functools.lru_cache(maxsize=256)
def _code_parser(allowed: tuple[str, ...]):
    def parse(value: Any) -> str | None:
        text = clean_text(value)
        if text is None:
            return None
        low = text.lower()
        if low not in allowed:
            raise ValueProblem("code", f'"{text}" is not one of: {", ".join(allowed)}')
        return low

    return parse
