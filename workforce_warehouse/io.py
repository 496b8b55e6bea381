"""Reading landing files: bytes, encodings, CSV and workbook sheets, and their sha256."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from pathlib import Path
from typing import Any


class FileNotReady(Exception):
    """A file that looks half-copied (a workbook that does not open yet): retried later."""


class FileUnreadable(Exception):
    """A file that can never be read as it is (an encoding or a shape the warehouse does not take); the
    message says what to do. The load step quarantines the file with it."""


# Caps that reject an absurd file quickly instead of holding the warehouse lock while it is parsed.
MAX_COLUMNS = 500
MAX_FIELD_CHARS = 1_000_000
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted .xlsx or an old .xls: not a zip


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
    """Decode CSV bytes: UTF-8 (with or without BOM), else Windows-1252 (also after a UTF-8 BOM: some tools
    write one in front of cp1252 text). UTF-16 is named and refused. Returns (text, encoding)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(data) >= 4 and data[1:4:2] == b"\x00\x00"):
        raise FileUnreadable(
            'the file is UTF-16 text (Excel\'s "Unicode text"): save it as "CSV UTF-8 (comma delimited)"'
        )
    if b"\x00" in data[:4096]:
        raise FileUnreadable("the file holds binary data (NUL bytes), not CSV text")
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    try:
        return body.decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace"), "cp1252"


def normalise_header(name: Any) -> str:
    text = "" if name is None else str(name)
    text = text.replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


class Sheet:
    """One table of a file: normalised headers and rows numbered as a person sees them in Excel.

    A CSV's rows are kept as read (a list of fields per row, `records`): a loader that checks column by
    column reads `column`, and `rows` (a dict per row) is made only when a loader asks for it."""

    def __init__(
        self,
        name: str,
        headers: list[str],
        rows: list[tuple[int, dict[str, Any]]] | None = None,
        *,
        numbers: list[int] | None = None,
        records: list[list[str]] | None = None,
    ):
        self.name = name
        self.headers = headers
        self._rows = rows
        self._records = records
        self._shortest: int | None = None  # the fewest fields a row has (column)
        self.numbers = numbers if numbers is not None else [n for n, _ in (rows or [])]

    def __len__(self) -> int:
        return len(self.numbers)

    @property
    def rows(self) -> list[tuple[int, dict[str, Any]]]:
        if self._rows is None:
            headers, width = self.headers, len(self.headers)
            named = all(headers)
            self._rows = [
                (n, dict(zip(headers, rec)))
                if named and len(rec) >= width  # the usual row: every column named, none missing
                else (n, {h: (rec[j] if j < len(rec) else None) for j, h in enumerate(headers) if h})
                for n, rec in zip(self.numbers, self._records or [])
            ]
        return self._rows

    def column(self, header: str) -> list:
        """One column's cells in row order (None where a row has no such cell), as `rows` would give them."""
        if self._records is None or self._rows is not None:
            return [row.get(header) for _, row in self.rows]
        if not header or header not in self.headers:
            return [None] * len(self.numbers)
        j = len(self.headers) - 1 - self.headers[::-1].index(header)  # a repeated header: its last column
        records = self._records
        if self._shortest is None:
            self._shortest = min(map(len, records), default=0)
        if j < self._shortest:
            return [rec[j] for rec in records]
        return [rec[j] if j < len(rec) else None for rec in records]


def read_csv(path: Path, sheet_name: str = "") -> Sheet:
    text, _ = decode_text(path.read_bytes())
    first_line = text.split("\n", 1)[0]
    if len(first_line) > MAX_FIELD_CHARS or first_line.count(",") >= MAX_COLUMNS * 4:
        raise FileUnreadable(
            f"the header row is {len(first_line):,} characters long: not a CSV extract "
            f"(at most {MAX_COLUMNS} columns are read)"
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return Sheet(sheet_name, [], [])
    except csv.Error as exc:
        raise FileUnreadable(f"the header row cannot be read as CSV ({exc})") from exc
    headers = _headers(header)
    numbers, records = [], []
    i = 1
    try:
        for i, rec in enumerate(reader, start=2):
            if not "".join(rec).strip():  # a blank row (every field empty or spaces)
                continue
            numbers.append(i)
            records.append(rec)
    except csv.Error as exc:  # e.g. a field longer than the csv module's limit
        raise FileUnreadable(f"row {i + 1} cannot be read as CSV ({exc})") from exc
    return Sheet(sheet_name, headers, numbers=numbers, records=records)


def _headers(header) -> list[str]:
    if len(header) > MAX_COLUMNS:
        raise FileUnreadable(f"the header row has {len(header):,} columns; at most {MAX_COLUMNS} are read")
    return [normalise_header(h) for h in header]


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
            headers = _headers(header)
            rows = []
            for i, rec in enumerate(it, start=2):
                if rec is None or not any(v is not None and str(v).strip() != "" for v in rec):
                    continue
                rows.append((i, {h: (rec[j] if j < len(rec) else None) for j, h in enumerate(headers) if h}))
            sheets.append(Sheet(ws.title, headers, rows))
    finally:
        wb.close()
    return sheets


# --------------------------------------------------------------------------------------------------
# Values


def workbook_opens(path: Path) -> bool:
    """A half-copied .xlsx is not yet a whole zip archive."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            return z.testzip() is None
    except (zipfile.BadZipFile, OSError):
        return False


def looks_complete(path: Path) -> bool:
    """A cheap look for the landing sensor, which asks every few seconds: a workbook must at least be a zip
    archive (a half-copied .xlsx is not). The load step opens it properly (`workbook_opens`)."""
    import zipfile

    if path.is_symlink() or path.suffix.lower() != ".xlsx":
        return True  # a link is never opened (the load step quarantines it)
    return zipfile.is_zipfile(path)


# --------------------------------------------------------------------------------------------------
# Writing (the sample generator): deterministic bytes, so a sample's manifest is stable across runs.
# --------------------------------------------------------------------------------------------------


def write_csv(
    path: Path, rows: list[dict], encoding: str = "utf-8", columns: list[str] | None = None
) -> None:
    columns = columns or (list(rows[0].keys()) if rows else [])
    buf = io.StringIO(newline="")
    w = csv.DictWriter(
        buf,
        fieldnames=[c for c in columns if not c.startswith("_")],
        extrasaction="ignore",
        lineterminator="\r\n" if encoding == "cp1252" else "\n",
    )
    w.writeheader()
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def write_xlsx(path: Path, sheets: dict[str, list[dict]], columns: dict[str, list[str]]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        cols = columns[name]
        ws.append(cols)
        for r in rows:
            values = []
            for col in cols:
                v = r.get(col, "")
                # real Excel dates for date columns written as ISO text by the generator
                if isinstance(v, str) and len(v) == 10 and v[4] == "-" and v[7] == "-":
                    v = dt.date.fromisoformat(v)
                values.append(v)
            ws.append(values)
    wb.save(path)
    _freeze_zip(path)


def _freeze_zip(path: Path) -> None:
    """Make a saved workbook byte-identical across runs: fixed entry times and document timestamps."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", b"2025-04-01T00:00:00Z", data)
            z.writestr(zipfile.ZipInfo(name, date_time=(2025, 4, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
