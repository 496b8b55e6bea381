"""Code lists the loaders validate against, read from the project's own dbt seeds.

The seeds are the single copy of the reference data: dbt loads them into the warehouse and the
loaders read the same CSV files here, so a value accepted at ingest always maps in the marts.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache, lru_cache

from .config import SEEDS_DIR


def _read_seed(name: str) -> list[dict[str, str]]:
    path = SEEDS_DIR / f"{name}.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _norm_label(value: str) -> str:
    return re.sub(r"\s+", " ", value.strip()).casefold()


def _without_welsh(value: str) -> str:
    # England-only forms write "Black British" where the ONS 2021 label has "Black British, Black Welsh".
    return _norm_label(
        value.replace("Black Welsh, ", "")
        .replace(" or Asian Welsh", "")
        .replace("Black, Black British, Black Welsh", "Black, Black British")
    )


def _slash_as_or(value: str) -> str:
    # The 2011 census wording ("Asian/Asian British: Indian") is also written "Asian or Asian British: Indian"
    # or "Asian / Asian British: Indian": "/" reads as " or ", spaces around "/" are ignored.
    return _norm_label(re.sub(r"\s*/\s*", " or ", value))


@dataclass(frozen=True)
class LocalAuthority:
    la_code: str
    old_la_code: str
    la_name: str
    region_code: str
    region_name: str
    first_year: int
    last_year: int
    successor_codes: tuple[str, ...]


@lru_cache(maxsize=1)
def local_authorities() -> dict[str, LocalAuthority]:
    out = {}
    for r in _read_seed("local_authorities"):
        out[r["la_code"]] = LocalAuthority(
            la_code=r["la_code"],
            old_la_code=r["old_la_code"],
            la_name=r["la_name"],
            region_code=r["region_code"],
            region_name=r["region_name"],
            first_year=int(r["first_year"]),
            last_year=int(r["last_year"]),
            successor_codes=tuple(r["successor_codes"].split()),
        )
    return out


def la_for_lea(lea: str, year: int) -> LocalAuthority | None:
    """Map a CSWW return's 3-digit LEA and collection year to the LA whose years include that year."""
    lea = lea.strip()
    for la in local_authorities().values():
        if la.old_la_code == lea and la.first_year <= year <= la.last_year:
            return la
    return None


@dataclass(frozen=True)
class EthnicityCodes:
    by_label: dict[str, str]
    csww_codes: frozenset[str]
    codes: frozenset[str]
    local: dict[tuple[str, str], str]

    def resolve(self, value: str | None, la_code: str | None = None) -> str | None:
        """Return the DfE code for a value, 'NOBT' for blank, or None when the value is unmapped."""
        if value is None or str(value).strip() == "":
            return "NOBT"
        v = str(value).strip()
        if v.upper() in self.codes:
            return v.upper()
        hit = (
            self.by_label.get(_norm_label(v))
            or self.by_label.get(_without_welsh(v))
            or self.by_label.get(_slash_as_or(v))
        )
        if hit:
            return hit
        if la_code:
            return self.local.get((la_code, _norm_label(v)))
        return None


@lru_cache(maxsize=1)
def ethnicity_codes() -> EthnicityCodes:
    by_label: dict[str, str] = {}
    csww = set()
    codes = set()
    for r in _read_seed("ethnicity_codes"):
        code = r["code"]
        codes.add(code)
        if r["in_csww_schema"] == "Y":
            csww.add(code)
        for label in (r["label"], r["ons_2021_label"]):
            if label:
                by_label[_norm_label(label)] = code
                by_label[_without_welsh(label)] = code
        label_2011 = r.get("ons_2011_label") or ""
        if label_2011:
            by_label.setdefault(_norm_label(label_2011), code)
            by_label.setdefault(_slash_as_or(label_2011), code)
    local = {}
    for r in _read_seed("ethnicity_local_labels"):
        local[(r["la_code"], _norm_label(r["local_label"]))] = r["code"]
    return EthnicityCodes(by_label, frozenset(csww), frozenset(codes), local)


# --------------------------------------------------------------------------------------------------
# Code lists (seeds/_code_lists.yml, seeds/roles.csv): the loaders validate against the same files dbt loads.
# --------------------------------------------------------------------------------------------------


@cache
def code_list(seed: str, column: str) -> tuple[str, ...]:
    """The values of one column of a code-list seed, in file order."""
    return tuple(r[column] for r in _read_seed(seed))


@lru_cache(maxsize=1)
def social_work_roles() -> tuple[str, ...]:
    return tuple(r["role"] for r in _read_seed("roles") if r["is_social_work_role"] == "true")


@cache
def datasets_of(source: str) -> tuple[str, ...]:
    return tuple(r["dataset"] for r in _read_seed("datasets") if r["source"] == source)


@cache
def datasets_naming_staff(source: str) -> tuple[str, ...]:
    return tuple(
        r["dataset"] for r in _read_seed("datasets") if r["source"] == source and r["names_staff"] == "true"
    )
