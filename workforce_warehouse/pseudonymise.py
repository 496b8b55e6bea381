"""Personal data: columns never stored, and identifiers replaced by a keyed hash at ingest."""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from .values import ValueProblem, clean_text

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


_SWE = re.compile(r"^SW(\d{1,10})$")
SPACES = re.compile(r"\s+")  # compiled once: called for every SWE number read


def normalise_swe(value: Any) -> str | None:
    """`sw 12345` -> `SW0000012345`. None for blank; ValueProblem for anything that is not SW + digits."""
    text = clean_text(value)
    if text is None:
        return None
    compact = SPACES.sub("", text).upper()
    m = _SWE.match(compact)
    if not m:
        raise ValueProblem(
            "swe_number", f'"{text}" is not a Social Work England number (SW followed by up to 10 digits)'
        )
    return "SW" + m[1].zfill(10)


# HMAC-SHA256 (RFC 2104) with the key's two padded blocks hashed once: each identifier then costs two
# SHA-256 blocks, not four (hmac.digest sets the key up again for every call). The result is
# hmac.digest's, byte for byte (tests/pytest/test_pseudonymise.py compares them).
_BLOCK = 64
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


@functools.lru_cache(maxsize=8)
def _pads(key: bytes) -> tuple[Any, Any]:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return hashlib.sha256(key.translate(_IPAD)), hashlib.sha256(key.translate(_OPAD))


@functools.lru_cache(maxsize=1 << 18)
def _keyed_hash(key: bytes, message: str) -> str:
    """HMAC-SHA256 of the message, in hex. An identifier repeats across a council's datasets and periods,
    so recent answers are kept (in this process only, never written anywhere)."""
    inner, outer = _pads(key)
    h = inner.copy()
    h.update(message.encode("utf-8"))
    o = outer.copy()
    o.update(h.digest())
    return o.hexdigest()


@dataclass(frozen=True)
class Pseudonymiser:
    key: bytes

    def _digest(self, message: str) -> str:
        return _keyed_hash(self.key, message)

    def swe(self, normalised: str | None) -> str | None:
        """Alliance-wide hash of a normalised SWE number: links one person across councils."""
        return None if normalised is None else self._digest(f"swe|{normalised}")

    def local(self, la_code: str, value: str | None) -> str | None:
        """Council-local identifiers are hashed with the LA code so they never collide across councils."""
        return None if value is None else self._digest(f"local|{la_code}|{value}")


# --------------------------------------------------------------------------------------------------
# Row checking


# Identifier columns of the inputs: in a row error kept in the warehouse their value becomes its keyed hash.
IDENTIFIER_COLUMNS = {
    "employee_id",
    "applicant_id",
    "case_id",
    "engagement_id",
    "respondent_id",
    "swe_registration_number",
    "sweno",
}


def _plain(column: str) -> str:
    return column.strip().lower().replace(" ", "_")


def redact_errors(errors: list, pseudo: Pseudonymiser, la_code: str | None) -> list:
    """Row errors as the warehouse keeps them: the value of a column that is never stored (names, dates of
    birth, NI numbers, postcodes) is withheld, an identifier's value becomes its keyed hash. The analyst's
    copy with the values is the quarantined file's errors.csv (owner-only)."""
    out = []
    for e in errors:
        column = _plain(e.column)
        if not e.value or e.row is None:
            out.append(e)
        elif column in NEVER_STORED or "birth" in column:
            what = "date of birth" if ("birth" in column or column == "dob") else "personal data"
            out.append(e.redacted(f"<{what} withheld>"))
        elif column in IDENTIFIER_COLUMNS:
            out.append(e.redacted(f"<id {pseudo.local(la_code or '', e.value)[:12]}>"))
        else:
            out.append(e)
    return out
