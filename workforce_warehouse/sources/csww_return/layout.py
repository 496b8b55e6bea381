"""The declared layout of each collection year's CSWW return (dfe-census.md, part A).

One TOML file per year in `layouts/` (`2025.toml` ...). A file may `extends` an earlier year's: its
`[items]` and `[la_items]` entries are merged item by item into the parent's (new items come after the
parent's), `[rules]` key by key, and any other key (`la_block`, `worker_elements`) replaces the parent's.
`worker_elements` (the worker's elements in order) defaults to the order of `[items]`; an item left out
of it is not part of that year. Supporting a new collection year is adding one file (and a test):
docs/csww-collection-years.md.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, cached_property
from importlib import resources

TYPES = {"flag", "swe", "decimal", "integer", "code", "sex", "date", "birth_date", "ethnicity", "text"}
REQUIRED = {None, "always", "non_agency", "non_agency_in_post"}


class LayoutError(ValueError):
    """A layout file that cannot be used (a packaging or editing mistake, not a council's)."""


@dataclass(frozen=True)
class Item:
    name: str
    type: str
    column: str | None = None
    required: str | None = None
    repeats: bool = False
    places: int | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    codes: tuple = ()
    sex: dict = field(default_factory=dict)
    digits: tuple[int, int] = (10, 10)
    replaces: str | None = None
    rule: str = "range"
    allowance: bool = False


@dataclass(frozen=True)
class Layout:
    year: int
    file: str
    la_block: str
    la_block_replaces: str | None
    la_items: dict[str, Item]
    worker_elements: tuple[str, ...]
    items: dict[str, Item]
    rules: dict

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every element name this year's return may carry below Message (Header's aside)."""
        return frozenset({self.la_block, *self.la_items, *self.worker_elements})

    @property
    def allowance_items(self) -> list[Item]:
        return [i for i in self.la_items.values() if i.allowance]

    @cached_property
    def positions(self) -> dict[str, int]:
        """Each worker element's place in the order."""
        return {n: k for k, n in enumerate(self.worker_elements)}


def _item(name: str, spec: dict, where: str) -> Item:
    unknown = set(spec) - set(Item.__dataclass_fields__)
    if unknown:
        raise LayoutError(f"{where}: item {name} has unknown keys {sorted(unknown)}")
    if spec.get("type") not in TYPES:
        raise LayoutError(f"{where}: item {name} has type {spec.get('type')!r}, not one of {sorted(TYPES)}")
    if spec.get("required") not in REQUIRED:
        raise LayoutError(f"{where}: item {name} has required {spec.get('required')!r}")
    if spec["type"] in ("code", "sex") and not spec.get("codes"):
        raise LayoutError(f"{where}: item {name} needs codes")
    kw = dict(spec, name=name)
    for k in ("min", "max"):
        if k in kw:
            kw[k] = Decimal(str(kw[k]))
    kw["codes"] = tuple(kw.get("codes", ()))
    if "digits" in kw:
        kw["digits"] = tuple(kw["digits"])
    return Item(**kw)


def _read_files() -> dict[int, dict]:
    out = {}
    folder = resources.files(__package__) / "layouts"
    for entry in folder.iterdir():
        if not entry.name.endswith(".toml"):
            continue
        stem = entry.name[: -len(".toml")]
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        if not stem.isdigit() or data.get("year") != int(stem):
            raise LayoutError(f"layouts/{entry.name}: year = {data.get('year')!r} must be the file's name")
        out[int(stem)] = data
    return out


def _merged(year: int, files: dict[int, dict], seen: tuple[int, ...] = ()) -> dict:
    if year in seen:
        raise LayoutError(f"layouts/{year}.toml: extends goes round in a circle ({seen})")
    data = files[year]
    parent_year = data.get("extends")
    if parent_year is None:
        return dict(data)
    if parent_year not in files:
        raise LayoutError(f"layouts/{year}.toml extends {parent_year}, which has no layout file")
    base = _merged(parent_year, files, (*seen, year))
    out = {k: v for k, v in base.items() if k != "extends"}
    for k, v in data.items():
        if k in ("items", "la_items"):
            merged = {n: dict(s) for n, s in base.get(k, {}).items()}
            for n, s in v.items():
                merged.setdefault(n, {}).update(s)
            out[k] = merged
        elif k == "rules":
            out[k] = {**base.get(k, {}), **v}
        else:
            out[k] = v
    return out


def _build(year: int, data: dict) -> Layout:
    where = f"layouts/{year}.toml"
    items = {n: _item(n, s, where) for n, s in data.get("items", {}).items()}
    order = tuple(data.get("worker_elements", items))
    missing = [n for n in order if n not in items]
    if missing:
        raise LayoutError(f"{where}: worker_elements {missing} have no [items] entry")
    if len(set(order)) != len(order):
        raise LayoutError(f"{where}: worker_elements names an element twice")
    if "la_block" not in data:
        raise LayoutError(f"{where}: la_block is missing")
    rules = data.get("rules", {})
    for key in (
        "start_origin",
        "start_date",
        "leaver_when",
        "leaver_zero",
        *rules.get("leaver_requires", ()),
    ):
        name = rules.get(key, key)
        if name not in order:
            raise LayoutError(f"{where}: rules name {name}, which is not a worker element of {year}")
    return Layout(
        year=year,
        file=where,
        la_block=data["la_block"],
        la_block_replaces=data.get("la_block_replaces"),
        la_items={n: _item(n, s, where) for n, s in data.get("la_items", {}).items()},
        worker_elements=order,
        items={n: items[n] for n in order},
        rules=rules,
    )


@cache
def layouts() -> dict[int, Layout]:
    """Every declared collection year's layout, by year (checked as they are read)."""
    files = _read_files()
    return {y: _build(y, _merged(y, files)) for y in sorted(files)}


def known_years() -> list[int]:
    return sorted(layouts())


def first_year_with(name: str) -> int | None:
    """The first collection year whose layout has this element name."""
    return next((y for y, lay in sorted(layouts().items()) if name in lay.vocabulary), None)


def best_fit(present: set[str], year: int) -> Layout:
    """The layout the present element names fit best: fewest names it does not know, then most names it
    knows, then the year closest to `year`."""

    def score(lay: Layout) -> tuple:
        return (
            len(present - lay.vocabulary),
            -len(present & lay.vocabulary),
            abs(lay.year - year),
            -lay.year,
        )

    return min(layouts().values(), key=score)


def mismatch_message(year: int, present: set[str]) -> str | None:
    """When the element names of a `year` return fit another year's layout better than its own: why."""
    own = layouts()[year]
    foreign = present - own.vocabulary
    if not foreign:
        return None
    best = best_fit(present, year)
    if len(present - best.vocabulary) >= len(foreign):
        return None  # no other layout explains these names better: they are row errors
    replacements = {own.la_block_replaces: own.la_block} if own.la_block_replaces else {}
    replacements |= {i.replaces: i.name for i in own.items.values() if i.replaces}
    order = {n: k for k, n in enumerate([*best.worker_elements, best.la_block, *best.la_items])}
    foreign_sorted = sorted(foreign, key=lambda n: (order.get(n, len(order)), n))
    replaced = [n for n in foreign_sorted if n in replacements]
    others = [n for n in foreign_sorted if n not in replacements]
    parts = []
    if replaced:
        new = [replacements[n] for n in replaced]
        since = sorted({first_year_with(n) for n in new})
        verb = "was" if len(replaced) == 1 else "were"
        parts.append(f"{_and(replaced)} {verb} replaced by {_and(new)} in {'/'.join(map(str, since))}")
    if others:
        if best.year < year:
            gone = sorted({_removed_in(n, best.year, year) for n in others})
            verb = "was" if len(others) == 1 else "were"
            parts.append(f"{_and(others)} {verb} removed in {'/'.join(map(str, gone))}")
        else:
            firsts = sorted({first_year_with(n) for n in others})
            parts.append(
                f"{_and(others)} {'is' if len(others) == 1 else 'are'} not part of the {year} layout "
                f"(first collected in {'/'.join(map(str, firsts))})"
            )
    return (
        f"this {year} return uses the {best.year} layout: {'; '.join(parts)}. Send it again in the {year} "
        f"layout (Header Year and ReferenceDate say {year})"
    )


def _removed_in(name: str, since: int, until: int) -> int:
    for y in range(since + 1, until + 1):
        if y in layouts() and name not in layouts()[y].vocabulary:
            return y
    return until


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
