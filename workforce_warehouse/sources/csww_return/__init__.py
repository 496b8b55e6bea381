"""A council's own CSWW census return (dfe-census.md, part A): `landing/dfe_census/csww_<LA>_<YYYY>.xml`."""

from __future__ import annotations

import datetime as dt

from ..base import Batch, FileId, FileResult, Source
from .loader import *  # noqa: F403
from .loader import PATTERN, SOURCE, parse_name, parse_return


class CswwReturn(Source):
    name = SOURCE
    folder = "dfe_census"
    pattern = PATTERN
    whole_file_dataset = "return"
    description = "councils' CSWW census returns (worker level, 30 September)"

    def identify(self, name: str) -> FileId | None:
        parsed = parse_name(name)
        if parsed is None:
            return None
        la, year = parsed
        # the reference date's future check needs the header (parse_return), which names the date itself
        return FileId(self.name, la, dt.date(year, 9, 30), str(year), None)

    def parse(self, batch: Batch, pseudo, today, threshold_pct: float) -> list[FileResult]:
        [(path, fid)] = batch.files
        loads, errors = parse_return(path, fid.la_code, fid.period_end.year, pseudo, today, threshold_pct)
        return self.single(path, fid, loads, errors)


SOURCE_DEF = CswwReturn()
