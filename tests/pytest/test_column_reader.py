"""ColumnReader (values.py) checks whole columns but must record exactly what RowReader records, in the
same order: the council HR loader relies on it for every row error an analyst reads (issue 22)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from workforce_warehouse.io import Sheet
from workforce_warehouse.values import ColumnReader, ErrorCollector, RowReader


def _sheet(rows: list[dict]) -> Sheet:
    return Sheet("staff", sorted({k for r in rows for k in r}), [(i + 2, r) for i, r in enumerate(rows)])


# A workbook's cells: 1, 1.0 and TRUE are equal Python keys but different cells (TRUE is not a number,
# 1 is a flag), a date cell is a date, and the same text repeats.
ROWS = [
    {"n": 1, "f": True, "d": dt.datetime(2024, 3, 31), "c": "Children"},
    {"n": True, "f": 1, "d": "31/02/2024", "c": "nope"},
    {"n": 1.0, "f": "maybe", "d": None, "c": None},
    {"n": "£1,234.50", "f": "N", "d": 45382, "c": "adults"},
    {"n": "1", "f": "1", "d": "2024-03-31", "c": "nope"},
]


def _row_by_row(sheet: Sheet) -> tuple[list, list]:
    errors, values = ErrorCollector("x.xlsx", "staff"), []
    for n, row in sheet.rows:
        r = RowReader(errors, n, row)
        values.append(
            (r.number("n"), r.flag("f", True), r.date("d", True), r.code("c", ("children", "adults")))
        )
    return errors.errors, values


def test_column_reader_records_what_row_reader_records_in_the_same_order():
    sheet = _sheet(ROWS)
    expected_errors, expected_values = _row_by_row(sheet)
    errors = ErrorCollector("x.xlsx", "staff")
    c = ColumnReader(errors, sheet)
    columns = (c.number("n"), c.flag("f", True), c.date("d", True), c.code("c", ("children", "adults")))
    keep = c.finish()
    assert list(zip(*columns)) == expected_values
    assert errors.errors == expected_errors
    # worked by hand: row 3 (TRUE is not a number; 31 February; "nope"), row 4 ("maybe"; blank date),
    # row 6 ("nope"); rows 2 and 5 are clean
    assert [(e.row, e.column, e.rule) for e in errors.errors] == [
        (3, "n", "number"),
        (3, "d", "date_invalid"),
        (3, "c", "code"),
        (4, "f", "flag"),
        (4, "d", "required"),
        (6, "c", "code"),
    ]
    assert keep == [0, 3]
    assert columns[0][0] == Decimal("1") and columns[0][3] == Decimal("1234.50")
    assert columns[2][3] == dt.date(2024, 3, 31)  # Excel serial 45382


def test_column_reader_numbers_checks_across_columns_in_the_order_they_are_made():
    sheet = _sheet([{"a": "x", "b": "y"}, {"a": "x", "b": "x"}])
    errors = ErrorCollector("x.csv")
    c = ColumnReader(errors, sheet)
    b = c.text("b")
    for i in c.rows_where(b, lambda v: v == "x"):
        c.fail(i, "b", "second", "b check")
    a = c.text("a")
    c.unique(a, "a", lambda k: f'a "{k}"')
    c.finish()
    # within row 3 the check on b was made before the duplicate check on a
    assert [(e.row, e.column, e.rule, e.message) for e in errors.errors] == [
        (3, "b", "second", "b check"),
        (3, "a", "duplicate_key", 'a "x" is repeated (first on row 2)'),
    ]


def test_zero_and_minus_zero_cells_are_read_apart():
    """0.0 and -0.0 are equal floats but a person typed different cells: each is shown as typed."""
    sheet = _sheet([{"d": 0.0}, {"d": -0.0}])
    errors = ErrorCollector("x.xlsx", "staff")
    c = ColumnReader(errors, sheet)
    c.date("d")
    c.finish()
    expected = ErrorCollector("x.xlsx", "staff")
    for n, row in sheet.rows:
        RowReader(expected, n, row).date("d")
    assert errors.errors == expected.errors
    assert [e.message.split(" ")[0] for e in errors.errors] == ['"0.0"', '"-0.0"']
