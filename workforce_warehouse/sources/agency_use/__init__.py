"""Quarterly agency use-and-cost returns (agency-use.md): `landing/agency_use/agency_<LA>_<YYYY>-Q<n>.csv|xlsx`."""

from __future__ import annotations

from ..base import Batch, FileId, FileResult, Source
from .loader import *  # noqa: F403
from .loader import PATTERN, SOURCE, parse_file, parse_name, quarter_bounds


class AgencyUse(Source):
    name = SOURCE
    folder = "agency_use"
    pattern = PATTERN
    whole_file_dataset = "engagements"
    description = "quarterly agency social worker use and cost returns"

    def identify(self, name: str) -> FileId | None:
        parsed = parse_name(name)
        if parsed is None:
            return None
        la, year, q = parsed
        start, end = quarter_bounds(year, q)
        return FileId(self.name, la, end, f"{year}-Q{q}", "engagements", not_before=start)

    def future(self, fid: FileId) -> tuple[str, str]:
        return f"the quarter {fid.period_label} has not started yet", fid.period_label

    def parse(self, batch: Batch, pseudo, today, threshold_pct: float) -> list[FileResult]:
        [(path, fid)] = batch.files
        year, q = fid.period_label.split("-Q")
        loads, errors = parse_file(path, fid.la_code, int(year), int(q), pseudo, threshold_pct)
        return self.single(path, fid, loads, errors)


SOURCE_DEF = AgencyUse()
