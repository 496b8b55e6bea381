"""A council's own CSWW census return: `csww_<LA code>_<YYYY>.xml` (dfe-census.md, part A).

Each collection year's return is read with that year's declared layout (`layouts/<year>.toml`, see
layout.py): element names, order, required items, codes and decimals are data, not code. The XML is
streamed with expat (a return can hold thousands of workers; memory stays flat) and is untrusted input:
a DOCTYPE or entity declaration refuses the file at once, so no DTD, external entity or entity expansion
is ever processed. Each worker is then checked against the DfE's validation rules.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from xml.parsers import expat

from ...io import sha256_of
from ...pseudonymise import SPACES, Pseudonymiser, normalise_swe
from ...reference_data import ethnicity_codes, la_for_lea
from ...values import (
    ErrorCollector,
    RowReader,
    ValueProblem,
    age_band,
    clean_text,
    parse_date,
    parse_int,
    parse_number,
)
from ...warehouse import Load, register_raw_table
from ..base import accept_rows, name_pattern
from .layout import Item, Layout, known_years, layouts, mismatch_message

SOURCE = "csww_return"
NAME_RE = name_pattern(r"csww_<LA>_([0-9]{4})\.xml")
PATTERN = "csww_<LA code>_<YYYY>.xml"
SHEET = "CSWWWorker"
CHUNK = 1 << 20

register_raw_table(
    "csww_return",
    [
        ("la_code", "VARCHAR"),
        ("reference_date", "DATE"),
        ("collection_year", "INTEGER"),
        ("lea", "VARCHAR"),
        ("software_code", "VARCHAR"),
        ("vacancies_fte", "DECIMAL(12,2)"),
        ("agency_cover_fte", "DECIMAL(12,2)"),
        ("agency_cover_headcount", "BIGINT"),
        ("workers", "BIGINT"),
    ],
    source=SOURCE,
)
# One row per worker record. Repeating elements keep every value as a list (NULL when the year's layout
# does not collect the element, an empty list when the worker has none).
register_raw_table(
    "csww_worker",
    [
        ("la_code", "VARCHAR"),
        ("reference_date", "DATE"),
        ("worker_number", "BIGINT"),
        ("agency_worker", "BOOLEAN"),
        ("swe_key", "VARCHAR"),
        ("fte", "DECIMAL(9,6)"),
        ("age_band", "VARCHAR"),
        ("sex", "VARCHAR"),
        ("ethnicity_code", "VARCHAR"),
        ("qual_inst", "VARCHAR[]"),
        ("qual_level", "INTEGER"),
        ("step_up_grad", "BOOLEAN"),
        ("frontline_grad", "BOOLEAN"),
        ("org_role", "INTEGER"),
        ("role_start_date", "DATE"),
        ("start_origin", "INTEGER"),
        ("role_end_date", "DATE"),
        ("leaver_destination", "INTEGER"),
        ("reason_leave", "INTEGER"),
        ("fte30", "DECIMAL(9,6)"),
        ("cases30", "INTEGER"),
        ("working_days_lost", "DECIMAL(9,2)"),
        ("contract_weeks", "DECIMAL(9,1)[]"),
        ("absent_at_30_sept", "BOOLEAN[]"),
        ("reason_absence", "VARCHAR[]"),
        ("cfkss_status", "INTEGER[]"),
        ("base_salary", "DECIMAL(12,2)"),
        ("rr_payments", "DECIMAL(12,2)"),
        ("other_payments", "DECIMAL(12,2)"),
    ],
    source=SOURCE,
)
# The LA-level allowance items (2025 on), long: one row per item the return carries.
register_raw_table(
    "csww_la_allowance",
    [
        ("la_code", "VARCHAR"),
        ("reference_date", "DATE"),
        ("item", "VARCHAR"),
        ("item_order", "INTEGER"),
        ("value_code", "INTEGER"),
        ("value_text", "VARCHAR"),
    ],
    source=SOURCE,
)


def parse_name(name: str) -> tuple[str, int] | None:
    m = NAME_RE.match(name)
    return (m[1].upper(), int(m[2])) if m else None


_LOCAL_NAMES: dict[str, str] = {}


def _local(tag: str) -> str:
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = _LOCAL_NAMES[tag] = tag.rsplit(":", 1)[-1].rsplit("}", 1)[-1]
    return name


# -------------------------------------------------------------------------------- one value of one item


def _fail(r: RowReader, item: str, value, rule: str, message: str) -> None:
    r.ok = False
    r.errors.add(r.row_number, item, clean_text(value), rule, message)


# Values already accepted, per layout item and text: a return repeats the same codes, dates and numbers
# thousands of times. Only accepted values are kept, so every problem is still found and recorded.
_ACCEPTED: dict[tuple[int, str], object] = {}
_ACCEPTED_LIMIT = 200_000


def _value(r: RowReader, item: Item, raw: str):
    """The typed value of one element's text (None after recording a row error)."""
    key = (id(item), raw)  # layout items live as long as the process (layouts() is cached)
    value = _ACCEPTED.get(key, _ACCEPTED)
    if value is not _ACCEPTED:
        return value
    value = _check_value(r, item, raw)
    if value is not None and r.ok and len(_ACCEPTED) < _ACCEPTED_LIMIT:
        _ACCEPTED[key] = value
    return value


def _check_value(r: RowReader, item: Item, raw: str):
    name = item.name
    try:
        if item.type == "text":
            return raw
        if item.type == "flag":
            if raw not in ("0", "1"):
                _fail(r, name, raw, "code", f'"{raw}" must be 0 or 1')
                return None
            return raw == "1"
        if item.type in ("decimal", "integer"):
            value = parse_number(raw) if item.type == "decimal" else parse_int(raw)
            if item.places is not None and -Decimal(value).normalize().as_tuple().exponent > item.places:
                _fail(r, name, raw, "decimal_places", f'"{raw}" has more than {item.places} decimal places')
                return None
            if item.min is not None and item.max is not None and not (item.min <= value <= item.max):
                _fail(
                    r,
                    name,
                    raw,
                    item.rule,
                    f'"{raw}" is outside {item.min} to {item.max} ({name} must be between {item.min} and {item.max})',
                )
                return None
            if item.min is not None and value < item.min:
                below = "negative" if item.min == 0 else f"below {item.min}"
                _fail(r, name, raw, item.rule, f'"{raw}" is {below}')
                return None
            return value
        if item.type in ("code", "sex"):
            numeric = isinstance(item.codes[0], int)
            value = parse_int(raw) if numeric else raw.upper()
            if value not in item.codes:
                _fail(
                    r,
                    name,
                    raw,
                    "code",
                    f'"{raw}" is not a valid {name} code ({", ".join(map(str, item.codes))})',
                )
                return None
            return (item.sex[value] or None) if item.type == "sex" else value
        if item.type in ("date", "birth_date"):
            return parse_date(raw)
        if item.type == "ethnicity":
            if raw.upper() not in ethnicity_codes().csww_codes:
                _fail(r, name, raw, "ethnicity_code", f'"{raw}" is not one of the 18 CSWW ethnicity codes')
                return None
            return raw.upper()
        if item.type == "swe":
            return _swe(r, item, raw)
    except ValueProblem as exc:
        _fail(r, name, raw, exc.rule, str(exc))
        return None
    raise AssertionError(item.type)


_LETTERS_DIGITS = re.compile(r"([A-Z]{2})(\d+)")


def _swe(r: RowReader, item: Item, raw: str) -> str | None:
    """Two letters and digits, left-padded to 10 digits as HR numbers are (inputs-common.md)."""
    lo, hi = item.digits
    compact = SPACES.sub("", raw).upper()
    m = _LETTERS_DIGITS.fullmatch(compact)
    if not m or not (lo <= len(m[2]) <= hi):
        digits = f"{hi} digits" if lo == hi else f"{lo} to {hi} digits"
        _fail(r, item.name, raw, "swe_number", f'"{raw}" is not two letters followed by {digits}')
        return None
    return normalise_swe(compact) if m[1] == "SW" else m[1] + m[2].zfill(10)


# -------------------------------------------------------------------------------- one worker


class _Plan:
    """A layout's items arranged for checking workers (built once per layout: a return has thousands)."""

    def __init__(self, lay: Layout):
        self.positions = lay.positions
        self.items = list(lay.items.items())
        self.required = [(n, i.required) for n, i in self.items if i.required is not None]
        # (element, column, kind): 1 = an SWE number (hashed), 2 = a birth date (kept as an age band)
        self.columns = [
            (n, i.column, 1 if i.type == "swe" else 2 if i.type == "birth_date" else 0)
            for n, i in self.items
            if i.column is not None
        ]


_PLANS: dict[int, _Plan] = {}


def _plan(lay: Layout) -> _Plan:
    plan = _PLANS.get(id(lay))  # layouts live as long as the process (layouts() is cached)
    if plan is None:
        plan = _PLANS[id(lay)] = _Plan(lay)
    return plan


def _worker(
    r: RowReader,
    children: list[tuple[str, str]],
    lay: Layout,
    pseudo: Pseudonymiser,
    la_code: str,
    ref: dt.date,
    notes: list[str] | None = None,
) -> dict | None:
    plan = _plan(lay)
    positions = plan.positions
    texts: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    # order: the layout's order is the DfE's, but nothing read from a worker depends on it and the DfE's
    # validation rules do not list it, so the first out-of-order element is noted in the load log, not an
    # error
    last = None
    out_of_order = None
    for name, text in children:
        pos = positions.get(name)
        if pos is None:
            _fail(
                r,
                name,
                text,
                "csww_unknown_element",
                f"{name} is not an element of the {lay.year} layout (see {lay.file})",
            )
            continue
        if name != last:
            if out_of_order is None and last is not None and pos < positions[last]:
                out_of_order = (name, last)
            last = name
        counts[name] = counts.get(name, 0) + 1
        values = texts.get(name)
        if values is None:
            values = texts[name] = []
        if text:
            values.append(text)
    if out_of_order is not None and notes is not None and not notes:
        name, before = out_of_order
        notes.append(
            f"worker {r.row_number}: {name} comes after {before}; the {lay.year} layout puts {name} "
            f"before {before} (loaded; elements are read by name)"
        )
    for name, count in counts.items():
        if count > 1 and not lay.items[name].repeats:
            _fail(r, name, None, "csww_repeated", f"{name} appears {count} times; it may appear only once")
    values = {}
    for name, item in plan.items:
        raws = texts.get(name)
        if not raws:
            values[name] = [] if item.repeats else None
        elif item.repeats:
            kept = values[name] = []
            for t in raws:
                v = _value(r, item, t)
                if v is not None:
                    kept.append(v)
        else:
            values[name] = _value(r, item, raws[0])

    # the DfE's validation rules
    agency = values.get("AgencyWorker")
    rules = lay.rules
    in_post = agency is False and (values.get("FTE") or 0) > 0
    for name, required in plan.required:
        if texts.get(name):
            continue
        if required == "always":
            _fail(r, name, None, "required", f"{name} is required and is blank")
        elif agency is False and required == "non_agency":
            _fail(
                r,
                name,
                None,
                "csww_required",
                f"{name} is required for a worker who is not agency (AgencyWorker 0)",
            )
        elif in_post and required == "non_agency_in_post":
            _fail(
                r,
                name,
                None,
                "csww_required",
                f"{name} is required for a worker in post who is not agency (AgencyWorker 0, FTE above 0) "
                f"from the {lay.year} collection",
            )
    origin, start = rules["start_origin"], rules["start_date"]
    if bool(texts.get(origin)) != bool(texts.get(start)):
        _fail(
            r,
            origin,
            (texts.get(origin) or [None])[0],
            "start_origin_with_role_start",
            f"{origin} must be present exactly when {start} is",
        )
    leaver_item, zero = rules["leaver_when"], rules["leaver_zero"]
    if texts.get(leaver_item):
        if values.get(zero) not in (None, 0):
            _fail(
                r,
                zero,
                texts[zero][0],
                "leaver_fte",
                f'"{texts[zero][0]}" must be 0 for a leaver ({leaver_item} is present)',
            )
        for name, rule in zip(rules["leaver_requires"], ("leaver_reason", "leaver_destination")):
            if not texts.get(name):
                _fail(r, name, None, rule, f"{name} is required for a leaver ({leaver_item} is present)")
    else:
        for name in rules["leaver_requires"]:
            if texts.get(name):
                _fail(
                    r,
                    name,
                    texts[name][0],
                    "not_leaver",
                    f"{name} must be blank for a worker with no {leaver_item}",
                )
    s, e = values.get(start), values.get(leaver_item)
    if s and e and e < s:
        _fail(r, leaver_item, e.isoformat(), "end_before_start", f'"{e}" is before {start} {s}')
    if not r.ok:
        return None
    row = dict(la_code=la_code, reference_date=ref, worker_number=r.row_number)
    for name, column, kind in plan.columns:
        v = values[name]
        if kind == 1:
            v = pseudo.swe(v)
        elif kind == 2:
            v = age_band(v, ref)
        row[column] = v
    return row


# -------------------------------------------------------------------------------- the file


class _Refused(Exception):
    """The file declares a DTD or entities: refused before anything in it is processed."""


class _Stop(Exception):
    """The file cannot be read further (its root or header is wrong): stop parsing."""


class _Reader:
    """Expat callbacks: the header, the Message's child blocks, and each worker as (name, text) pairs."""

    def __init__(self, path: Path, la_code: str, year: int, pseudo: Pseudonymiser, today: dt.date):
        self.path, self.la_code, self.year, self.pseudo, self.today = path, la_code, year, pseudo, today
        self.errors = ErrorCollector(path.name)
        self.header: dict[str, str] = {}
        self.blocks: list[tuple[str, list[tuple[str, str]]]] = []  # the Message's other child blocks
        self.workers: list[dict] = []
        self.n_workers = 0
        self.notes: list[str] = []  # load-log warnings (the first out-of-order element)
        self.bad_workers: set[int] = set()
        self.ref_date: dt.date | None = None
        self.layout: Layout | None = None
        self.present: set[str] = set()
        self.stack: list[str] = []
        self.text: list[str] = []
        self.children: list[tuple[str, str]] = []

    def start(self, tag, _attrs):
        tag = _local(tag)
        if not self.stack and tag != "Message":
            self.errors.file_error("xml_root", f"the root element is {tag}, not Message")
            raise _Stop
        self.stack.append(tag)
        self.text = []
        if len(self.stack) == 2:
            self.children = []
            if tag not in ("Header", "CSWWWorker"):
                self.present.add(tag)

    def chars(self, data):
        self.text.append(data)

    def end(self, _tag):
        depth, tag = len(self.stack), self.stack[-1]
        block = self.stack[1] if depth > 1 else None
        text = "".join(self.text).strip()
        self.text = []
        if block == "Header":
            if depth == 4 and self.stack[2] in ("CollectionDetails", "Source"):
                self.header[tag] = text
            elif depth == 2:
                self._header_done()
        elif depth == 3:
            self.children.append((tag, text))
            self.present.add(tag)
        elif depth == 2:
            if tag == "CSWWWorker":
                self._worker()
            else:
                self.blocks.append((tag, self.children))
        self.stack.pop()

    def _header_done(self):
        self.ref_date = _check_header(self.header, self.errors, self.la_code, self.year, self.today)
        if self.ref_date is None:
            raise _Stop
        collection_year = (
            int(self.header["Year"]) if self.header.get("Year", "").isdigit() else self.ref_date.year
        )
        self.layout = layouts().get(collection_year)
        if self.layout is None:
            known = ", ".join(map(str, known_years()))
            self.errors.file_error(
                "csww_layout",
                f"there is no layout for collection year {collection_year}: the warehouse knows the "
                f"collection years {known} (a new year needs its layout, see docs/csww-collection-years.md)",
                column="Year",
                value=collection_year,
            )
            raise _Stop

    def _worker(self):
        self.n_workers += 1
        if self.layout is None:
            self.errors.file_error("csww_header", "the Header must come before the first CSWWWorker")
            raise _Stop
        before = len(self.errors.errors)
        r = RowReader(self.errors, self.n_workers, {})
        rec = _worker(r, self.children, self.layout, self.pseudo, self.la_code, self.ref_date, self.notes)
        if rec is not None:
            self.workers.append(rec)
        if len(self.errors.errors) > before:
            self.bad_workers.add(self.n_workers)


def _refuse_dtd(*_args):
    raise _Refused


def _read(reader: _Reader) -> None:
    p = expat.ParserCreate()
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    p.StartDoctypeDeclHandler = _refuse_dtd
    p.EntityDeclHandler = _refuse_dtd
    p.UnparsedEntityDeclHandler = _refuse_dtd
    p.ExternalEntityRefHandler = _refuse_dtd
    p.StartElementHandler = reader.start
    p.EndElementHandler = reader.end
    p.CharacterDataHandler = reader.chars
    p.buffer_text = True
    errors = reader.errors
    try:
        with reader.path.open("rb") as f:
            while chunk := f.read(CHUNK):
                p.Parse(chunk, False)
            p.Parse(b"", True)
    except _Refused:
        errors.file_error(
            "xml_doctype",
            "the file declares a DOCTYPE or entities, which a CSWW return never has; it is refused unread "
            "(a return is parsed without DTDs or entities)",
        )
    except _Stop:
        pass
    except expat.ExpatError as exc:
        errors.file_error("xml_not_well_formed", f"the file is not well-formed XML ({exc})")


def parse_return(
    path: Path, la_code: str, year: int, pseudo: Pseudonymiser, today: dt.date, row_threshold_pct: float = 0.0
) -> tuple[list[Load], list]:
    """Parse and validate one return. Returns ([return, workers(, allowances)] loads, []) or ([], errors)."""
    reader = _Reader(path, la_code, year, pseudo, today)
    _read(reader)
    errors, lay = reader.errors, reader.layout
    for e in errors.errors:
        if e.row is not None:
            object.__setattr__(e, "sheet", SHEET)
    if any(e.row is None for e in errors.errors):
        return [], errors.errors
    if reader.ref_date is None or lay is None:
        errors.file_error("csww_header", "the Header (CollectionDetails and Source) is missing")
        return [], errors.errors
    if message := mismatch_message(lay.year, reader.present):
        errors.errors.clear()  # the rows' errors only repeat it
        errors.file_error("csww_layout", message)
        return [], errors.errors
    la_blocks = [children for name, children in reader.blocks if name == lay.la_block]
    for name, _ in reader.blocks:
        if name != lay.la_block:
            errors.file_error(
                "csww_unknown_element",
                f"{name} is not an element of the {lay.year} layout (see {lay.file})",
                column=name,
            )
    if len(la_blocks) != 1:
        errors.file_error(
            "csww_la_level",
            f"{lay.la_block} must appear exactly once (found {len(la_blocks)})",
            column=lay.la_block,
        )
    if reader.n_workers == 0:
        errors.file_error("csww_workers", "the return has no CSWWWorker records")
    la_values, allowances = _la_level(
        errors, lay, la_blocks[0] if len(la_blocks) == 1 else [], la_code, reader
    )
    n = reader.n_workers
    if any(e.row is None for e in errors.errors) or not accept_rows(
        len(reader.bad_workers), n, row_threshold_pct
    ):
        return [], errors.errors
    common = dict(
        source=SOURCE,
        la_code=la_code,
        period_end=reader.ref_date,
        period_label=str(year),
        file_name=path.name,
        file_sha256=sha256_of(path),
    )
    ret = Load(
        dataset="return",
        table="csww_return",
        rows_read=1,
        rows=[
            dict(
                la_code=la_code,
                reference_date=reader.ref_date,
                collection_year=lay.year,
                lea=reader.header.get("LEA"),
                software_code=reader.header.get("SoftwareCode"),
                workers=n,
                **la_values,
            )
        ],
        **common,
    )
    wk = Load(
        dataset="workers",
        table="csww_worker",
        rows=reader.workers,
        rows_read=n,
        rejected=[e for e in errors.errors if e.row is not None],
        dropped_columns=["PersonBirthDate (kept as age band)"],
        warnings=reader.notes,
        **common,
    )
    loads = [ret, wk]
    if lay.allowance_items:
        loads.append(
            Load(
                dataset="allowances",
                table="csww_la_allowance",
                rows=allowances,
                rows_read=len(allowances),
                **common,
            )
        )
    return loads, []


def _la_level(
    errors: ErrorCollector, lay: Layout, children: list[tuple[str, str]], la_code: str, reader: _Reader
) -> tuple[dict, list[dict]]:
    """The LA-level block's values (file errors: it is one per return), and its allowance rows."""
    if not children:
        return {}, []
    texts: dict[str, str] = {}
    for name, text in children:
        if name not in lay.la_items:
            errors.file_error(
                "csww_unknown_element",
                f"{lay.la_block}/{name} is not an element of the {lay.year} layout",
                name,
            )
        elif name in texts:
            errors.file_error(
                "csww_repeated", f"{lay.la_block}/{name} appears more than once; it may appear once", name
            )
        else:
            texts[name] = text
    probe = ErrorCollector(errors.file)
    r = RowReader(probe, 0, {})
    values, allowances = {}, []
    for k, (name, item) in enumerate(lay.la_items.items(), start=1):
        raw = texts.get(name) or None
        if raw is None:
            if item.required == "always":
                probe.add(0, name, None, "required", f"{lay.la_block}/{name} is required and is blank")
            continue
        v = _value(r, item, raw)
        if item.allowance and v is not None:
            allowances.append(
                dict(
                    la_code=la_code,
                    reference_date=reader.ref_date,
                    item=name,
                    item_order=k,
                    value_code=v if item.type == "code" else None,
                    value_text=v if item.type == "text" else None,
                )
            )
        elif item.column:
            values[item.column] = v
    for e in probe.errors:  # the block is one per file: its errors are file errors
        errors.file_error(e.rule, f"{lay.la_block}/{e.column}: {e.message}", e.column, e.value)
    return values, allowances


def _check_header(
    header: dict, errors: ErrorCollector, la_code: str, year: int, today: dt.date
) -> dt.date | None:
    if header.get("Collection", "CSWW").upper() != "CSWW":
        errors.file_error("csww_header", f'Collection is "{header.get("Collection")}", not CSWW')
    lea = header.get("LEA")
    try:
        ref = dt.date.fromisoformat(header.get("ReferenceDate", ""))
    except ValueError:
        errors.file_error(
            "csww_header", f'ReferenceDate "{header.get("ReferenceDate")}" is not a date (yyyy-mm-dd)'
        )
        return None
    if ref.year != year:
        errors.file_error("csww_header", f"ReferenceDate {ref} disagrees with the file name's year {year}")
    if (ref.month, ref.day) != (9, 30):
        errors.file_error("csww_header", f"ReferenceDate {ref} is not 30 September")
    hdr_year = header.get("Year")
    if hdr_year and hdr_year != str(year):
        errors.file_error("csww_header", f"Year {hdr_year} disagrees with the file name's year {year}")
    if ref > today:
        errors.file_error("period_in_future", f"ReferenceDate {ref} is in the future")
    if not lea:
        errors.file_error("csww_header", "the Source has no LEA")
    else:
        la = la_for_lea(lea, ref.year)
        if la is None:
            errors.file_error("csww_header", f"LEA {lea} is not a local authority in {ref.year}")
        elif la.la_code != la_code and la.successor_codes != (la_code,):
            # a council that only changed code (no boundary change) may name its old returns with its new code
            errors.file_error(
                "csww_header",
                f"LEA {lea} is {la.la_name} ({la.la_code}) in {ref.year}, but the file name says {la_code}",
            )
    return None if errors.errors else ref
