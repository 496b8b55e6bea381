"""The DfE's published CSWW statistics (dfe-census.md, part B): any other `*.csv` under `landing/dfe_census/`,
recognised by its columns. These files belong to no council: they load in unpartitioned runs only, and
the file loaded last wins for each (family, year, geography) row."""

from __future__ import annotations

from ..base import Batch, FileId, FileResult, Source
from .loader import *  # noqa: F403
from .loader import SOURCE, parse_file


class DfePublished(Source):
    name = SOURCE
    folder = "dfe_census"
    pattern = "a DfE published *.csv"
    description = "the DfE's published CSWW statistics (local-authority level)"
    catch_all = True  # any CSV of the folder that is not a council's return
    rows_match_load_log = False  # one raw row per measure of a file row

    def identify(self, name: str) -> FileId | None:
        # any CSV in the folder that is not another source's (checked after the council returns)
        return FileId(self.name) if name.lower().endswith(".csv") else None

    def parse(self, batch: Batch, pseudo, today, threshold_pct: float) -> list[FileResult]:
        [(path, fid)] = batch.files
        loads, errors = parse_file(path, threshold_pct)
        return self.single(path, fid, loads, errors)


SOURCE_DEF = DfePublished()
