"""A council's submission for a period: the unit that Dagster partitions loads by.

Every council file names its LA code and its period (inputs-common.md, Landing folder), so the file name
alone says which submission it belongs to:

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

from .sources import agency_use, council_hr, csww_return
from .warehouse import RAW_TABLE_SOURCES

KEY_RE = re.compile(r"^(E0[689]\d{6}|E10\d{6})_(\d{4}-\d{2}-\d{2})$")


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


def source_of(path: str) -> str | None:
    """Which loader a landing file goes to: from its folder (`council_hr/...`) when the path has one,
    else from its name. None: a file no loader accepts (an unpartitioned run reports and quarantines it)."""
    parts = PurePath(path).parts
    folder, low = (parts[0] if len(parts) > 1 else ""), parts[-1].lower()
    if folder == "dfe_census" or (
        not folder
        and (low.startswith("csww_") or low.endswith(".csv") and not low.startswith(("hr_", "agency_")))
    ):
        return csww_return.SOURCE if low.endswith(".xml") else "dfe_published"
    if folder == "council_hr" or (not folder and low.startswith("hr_")):
        return council_hr.SOURCE
    if folder == "agency_use" or (not folder and low.startswith("agency_")):
        return agency_use.SOURCE
    return None


def submission_of(name: str) -> Submission | None:
    """The submission a landing file belongs to, or None (DfE published files, names that do not parse)."""
    name = PurePath(name).name
    if parsed := council_hr.parse_name(name):
        la, period_text, _ = parsed
        try:
            return Submission(la, council_hr.parse_period(period_text))
        except ValueError:
            return None
    if parsed := csww_return.parse_name(name):
        la, year = parsed
        return Submission(la, dt.date(year, 9, 30))
    if parsed := agency_use.parse_name(name):
        la, year, quarter = parsed
        return Submission(la, agency_use.quarter_bounds(year, quarter)[1])
    return None


def raw_tables_of(sources: set[str]) -> set[str]:
    """The raw data tables the loaders of these sources write."""
    return {t for t, s in RAW_TABLE_SOURCES.items() if s in sources}
