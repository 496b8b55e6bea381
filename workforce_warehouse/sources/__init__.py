"""One package per input source. Importing this package registers every source's raw tables."""

from . import agency_use, council_hr, csww_return, dfe_published  # noqa: F401  (registers raw tables)

_TABLES = {("council_hr", d): council_hr.table_for(d) for d in council_hr.DATASETS} | {
    ("csww_return", "return"): "csww_return",
    ("csww_return", "workers"): "csww_worker",
    ("dfe_published", "headline"): "dfe_headline",
    ("dfe_published", "role_ethnicity"): "dfe_role_ethnicity",
    ("agency_use", "engagements"): "agency_engagement",
}


def table_for(source: str, dataset: str) -> str | None:
    return _TABLES.get((source, dataset))
