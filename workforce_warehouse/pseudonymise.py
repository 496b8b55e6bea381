"""Personal data: columns never stored, and identifiers replaced by a keyed hash at ingest."""

from __future__ import annotations

import hashlib
import hmac
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
