"""A council's submission for a period: the unit that Dagster partitions loads by.

Every council file names its LA code and its period (inputs-common.md, Landing folder), so the file name
alone says which submission it belongs to (each source's `identify`, sources/):

    hr_E09000002_2024-09-30.xlsx / hr_E09000002_2024-09-30_staff.csv   -> E09000002_2024-09-30
    csww_E09000002_2024.xml   (census reference date 30 September)     -> E09000002_2024-09-30
    agency_E09000002_2024-Q3.csv (the quarter's last day)              -> E09000002_2024-09-30

The partition key is `<LA code>_<period end YYYY-MM-DD>`: a council's HR extract, census return and
agency return for the same period end are one submission. The DfE's published national files belong
to no council: they load in unpartitioned runs only. A name that does not parse belongs to no
submission; an unpartitioned run loads it and reports it (quarantine with the pattern it should follow).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import PurePath

from .sources import identify, raw_tables_of, source_of  # noqa: F401  (re-exported for orchestration)
from .sources.base import ISO_DATE, LA_CODE

KEY_RE = re.compile(f"^{LA_CODE}_{ISO_DATE}$")


@dataclass(frozen=True, order=True)
class Submission:
    la_code: str
    period_end: dt.date

    @property
    def key(self) -> str:
        return f"{self.la_code}_{self.period_end.isoformat()}"

    @classmethod
    def from_key(cls, key: str) -> Submission:
        m = KEY_RE.match(key or "")
        if not m:
            raise ValueError(
                f"{key!r} is not a submission key: expected <LA code>_<period end YYYY-MM-DD>, "
                "e.g. E09000002_2024-09-30"
            )
        try:
            return cls(m[1], dt.date.fromisoformat(m[2]))
        except ValueError as exc:
            raise ValueError(f"{key!r} is not a submission key: {m[2]} is not a date") from exc


def submission_of(name: str | PurePath) -> Submission | None:
    """The submission a landing file belongs to, or None (DfE published files, names that do not parse)."""
    found = identify(name)
    if found is None:
        return None
    fid = found[1]
    if fid.la_code is None or fid.period_end is None:
        return None
    return Submission(fid.la_code, fid.period_end)
