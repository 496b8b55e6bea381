"""The DfE's newer long role-by-characteristics files (dfe-census.md B.2) and ethnicity labels in the 2011
census wording (inputs-common.md, "Codes")."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from conftest import dbt_build, query, query_dicts
from handmade import STAFF_COLUMNS, B, council_b_staff, to_csv

from workforce_warehouse.config import REFERENCE_DIR, load_settings
from workforce_warehouse.ingest import ingest
from workforce_warehouse.reference_data import ethnicity_codes
from workforce_warehouse.sources.dfe_published import parse_file

WIDE = REFERENCE_DIR / "dfe" / "csww_workforce_role_by_ethnicity_2019_to_2022.csv"
GEO = (
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "old_la_code",
    "new_la_code",
    "la_name",
)
# Upper-case headers as some releases write them: matched case-insensitively.
LONG_HEAD = list(GEO) + [
    "role",
    "breakdown_topic",
    "breakdown",
    "inpost_FTE",
    "inpost_FTE_percentage",
    "inpost_headcount",
    "inpost_headcount_percentage",
]
NATIONAL = ["2023", "Reporting year", "National", "E92000001", "England", "", "", "", "", ""]
BRENT = ["2023", "Reporting year", "Local authority", "E92000001", "England", "E12000007", "London", "304"]
BRENT += ["E09000005", "Brent"]
RAW_COLS = "org_role, measure, value, value_note"


def run(home: Path):
    return ingest(load_settings(home), today=dt.date(2026, 1, 1), progress=lambda m: None)


def put(home: Path, source: str, name: str, data: bytes) -> Path:
    d = home / "landing" / source
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)
    return d / name


def long_csv(rows: list[list], head: list[str] = LONG_HEAD) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(head)
    w.writerows(rows)
    return buf.getvalue().encode()


def errors_of(home: Path, name: str) -> list[dict]:
    path = home / "quarantine" / "dfe_published" / f"{name}.errors.csv"
    assert path.exists(), f"{name} was not quarantined"
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


# The hand-made file: symbols in every case the newer releases write them, a skipped Sex topic, a minor row.
HANDMADE = [
    NATIONAL + ["Total", "Ethnicity major", "White", "20500.5", "70.1", "21000", "71.0"],
    NATIONAL + ["Total", "Ethnicity major", "Mixed / Multiple ethnic groups", "Z", "k", "c", "x"],
    NATIONAL + ["Total", "Ethnicity major", "Not known", "1500.25", "z", "1600", "u"],
    NATIONAL + ["Total", "Sex", "Female", "25000", "85", "26000", "86"],
    NATIONAL + ["Total", "Age group", "Under 30", "4000", "14", "4100", "14"],
    BRENT + ["Senior manager", "Ethnicity minor", "Asian or Asian British: Indian", "1.5", "LOW", "2", "K"],
    BRENT
    + [
        "Case holder",
        "Ethnicity minor",
        "Black/African/Caribbean/Black British: African",
        "30",
        "",
        "31",
        "",
    ],
]


def test_long_file_rows_nulls_and_notes(tmp_path):
    put(tmp_path, "dfe_census", "csww_role_by_characteristics_inpost_2023_to_2023.csv", long_csv(HANDMADE))
    summary = run(tmp_path)
    assert [o.outcome for o in summary.outcomes] == ["loaded"], [o.message for o in summary.outcomes]
    assert query(
        tmp_path,
        f"select {RAW_COLS} from raw.dfe_role_ethnicity where geographic_level = 'National' order by measure",
    ) == [
        ("Total", "inpost_fte:mixed", None, "z"),
        ("Total", "inpost_fte:unknown", 1500.25, None),
        ("Total", "inpost_fte:white", 20500.5, None),
        ("Total", "inpost_fte_percentage:mixed", None, "low"),
        ("Total", "inpost_fte_percentage:unknown", None, "z"),
        ("Total", "inpost_fte_percentage:white", 70.1, None),
        ("Total", "inpost_headcount:mixed", None, "c"),
        ("Total", "inpost_headcount:unknown", 1600.0, None),
        ("Total", "inpost_headcount:white", 21000.0, None),
        ("Total", "inpost_headcount_percentage:mixed", None, "x"),
        ("Total", "inpost_headcount_percentage:unknown", None, "u"),
        ("Total", "inpost_headcount_percentage:white", 71.0, None),
    ]
    # minor labels in the 2011 wording, with "or" and with "/", matched to their codes
    assert query(
        tmp_path,
        f"select {RAW_COLS} from raw.dfe_role_ethnicity where new_la_code = 'E09000005' order by org_role, measure",
    ) == [
        ("Case holder", "inpost_fte:minor:BAFR", 30.0, None),
        ("Case holder", "inpost_fte_percentage:minor:BAFR", None, None),
        ("Case holder", "inpost_headcount:minor:BAFR", 31.0, None),
        ("Case holder", "inpost_headcount_percentage:minor:BAFR", None, None),
        ("Senior manager", "inpost_fte:minor:AIND", 1.5, None),
        ("Senior manager", "inpost_fte_percentage:minor:AIND", None, "low"),
        ("Senior manager", "inpost_headcount:minor:AIND", 2.0, None),
        ("Senior manager", "inpost_headcount_percentage:minor:AIND", None, "low"),
    ]
    # a symbol is never read as 0
    assert query(tmp_path, "select count(*) from raw.dfe_role_ethnicity where value = 0") == [(0,)]
    [(dataset, rows, warnings)] = query(tmp_path, "select dataset, rows_loaded, warnings from raw.load_log")
    assert dataset == "role_ethnicity" and rows == 20
    assert warnings == (
        "skipped rows of breakdown_topic Age group (1 row), Sex (1 row): only Ethnicity major and Ethnicity minor load"
    )


def test_parse_file_lower_case_headers_and_a_headline_file_still_headline(tmp_path):
    lower = tmp_path / "lower.csv"
    lower.write_bytes(long_csv(HANDMADE[:1], [h.lower() for h in LONG_HEAD]))
    [load], errors = parse_file(lower)
    assert not errors and load.table == "dfe_role_ethnicity"
    assert sorted(r["measure"] for r in load.rows) == [
        "inpost_fte:white",
        "inpost_fte_percentage:white",
        "inpost_headcount:white",
        "inpost_headcount_percentage:white",
    ]
    # a headline file with upper-case headers is still a headline file
    head = tmp_path / "head.csv"
    head.write_bytes(long_csv([NATIONAL + ["100.5", "Z"]], list(GEO) + ["INPOST_FTE", "Inpost_Headcount"]))
    [load], errors = parse_file(head)
    assert not errors and load.table == "dfe_headline"
    assert sorted((r["measure"], r["value"], r["value_note"]) for r in load.rows) == [
        ("inpost_fte", 100.5, None),
        ("inpost_headcount", None, "z"),
    ]


@pytest.mark.parametrize(
    "row,column,value,rule,message",
    [
        (
            BRENT + ["Case holder", "Ethnicity minor", "Martian", "1", "1", "1", "1"],
            "breakdown",
            "Martian",
            "ethnicity_code",
            '"Martian" is not a known ethnicity code or label (see seeds/ethnicity_codes.csv)',
        ),
        (
            BRENT + ["Case holder", "Ethnicity major", "White", "1", "n/a", "1", "1"],
            "inpost_fte_percentage",
            "n/a",
            "dfe_value",
            '"n/a" is not a number or a DfE symbol (c, x, z, u, low)',
        ),
        (
            BRENT + ["Case holder", "Ethnicity major", "Purple", "1", "1", "1", "1"],
            "breakdown",
            "Purple",
            "dfe_breakdown",
            '"Purple" is not a DfE major ethnic group (White, Mixed / Multiple ethnic groups, Asian / Asian British, '
            "Black / African / Caribbean / Black British, Other ethnic group, Known, Not known, Total)",
        ),
        (
            BRENT + ["Chief", "Ethnicity major", "White", "1", "1", "1", "1"],
            "role",
            "Chief",
            "dfe_role",
            '"Chief" is not a DfE social worker role (Total, Senior manager, Middle manager, First line manager, '
            "Senior practitioner, Case holder, Qualified without cases)",
        ),
    ],
    ids=["unknown-minor-label", "non-numeric", "unknown-major-group", "unknown-role"],
)
def test_long_file_row_error_names_the_value(tmp_path, row, column, value, rule, message):
    name = "csww_role_by_characteristics_inpost_2023_to_2023.csv"
    put(tmp_path, "dfe_census", name, long_csv(HANDMADE[:1] + [row]))
    summary = run(tmp_path)
    assert [o.outcome for o in summary.outcomes] == ["rejected"]
    errors = errors_of(tmp_path, name)
    assert [(e["row"], e["column"], e["value"], e["rule"], e["message"]) for e in errors] == [
        ("3", column, value, rule, message)
    ]
    assert query(tmp_path, "select count(*) from raw.dfe_role_ethnicity") == [(0,)]


def test_long_file_duplicate_break_down_is_a_row_error(tmp_path):
    f = tmp_path / "dup.csv"
    # "Asian/Asian British: Indian" and "Indian" are both AIND
    f.write_bytes(
        long_csv(
            [
                BRENT + ["Case holder", "Ethnicity minor", "Asian/Asian British: Indian", "1", "1", "1", "1"],
                BRENT + ["Case holder", "Ethnicity minor", "Indian", "1", "1", "1", "1"],
            ]
        )
    )
    loads, errors = parse_file(f)
    assert loads == [] and [(e.row, e.rule) for e in errors] == [(3, "duplicate_row")]


# -------------------------------------------------------------------------------- wide and long agree


def wide_to_long(year: int) -> bytes:
    """The bundled wide file's rows for one year written in the long layout. Not known, Total and FTE are not
    in the wide file: Total and FTE are written `x`; Not known is written `c`, so that the published rows
    show which layout the figures came from (the wide layout's Unknown is NULL with note `x`)."""
    groups = [
        ("White", "white"),
        ("Mixed / Multiple ethnic groups", "mixed"),
        ("Asian / Asian British", "asian"),
        ("Black / African / Caribbean / Black British", "black"),
        ("Other ethnic group", "other"),
    ]
    out = []
    with WIDE.open(encoding="utf-8-sig", newline="") as f:
        for rec in csv.DictReader(f):
            if rec["time_period"] != str(year):
                continue
            geo = [rec[c] for c in GEO]
            role = "Total" if rec["OrgRole"] == "All children and family social workers" else rec["OrgRole"]
            for label, col in groups:
                out.append(geo + [role, "Ethnicity major", label, "x", "x", rec[col], rec[f"{col}_perc"]])
            out.append(geo + [role, "Ethnicity major", "Known", "x", "x", rec["known_headcount"], "x"])
            out.append(geo + [role, "Ethnicity major", "Not known", "x", "x", "c", "x"])
            out.append(geo + [role, "Ethnicity major", "Total", "x", "x", "x", "x"])
    assert out
    return long_csv(out)


# A later year only the long layout has, with FTE, Not known and Total, to see them reach the model.
EXTRA_2023 = [
    NATIONAL + [role, "Ethnicity major", label, fte, "x", hc, "x"]
    for role, label, fte, hc in [
        ("Total", "White", "100.5", "110"),
        ("Total", "Mixed / Multiple ethnic groups", "10", "11"),
        ("Total", "Asian / Asian British", "20", "21"),
        ("Total", "Black / African / Caribbean / Black British", "30", "31"),
        ("Total", "Other ethnic group", "k", "k"),
        ("Total", "Known", "160.5", "173"),
        ("Total", "Not known", "5.25", "6"),
        ("Total", "Total", "165.75", "179"),
    ]
]

SELECT = "+representation_by_seniority"
# the DfE's own rows (statistical-neighbour rows are medians of them, with no counts: compared elsewhere)
MART_DFE = """select * exclude (period_label) from marts.representation_by_seniority
    where source = 'dfe_published' and year(period_end) = ? and geography_level <> 'Statistical neighbours'
    order by geography_level, geography_code, seniority_level, ethnic_group"""


@pytest.fixture(scope="module")
def wide_and_long(tmp_path_factory):
    wide = tmp_path_factory.mktemp("dfe_wide")
    put(wide, "dfe_census", WIDE.name, WIDE.read_bytes())
    both = tmp_path_factory.mktemp("dfe_long")
    # the long file sorts (and loads) before the wide one: the long layout must still be the one used
    put(both, "dfe_census", "csww_role_by_characteristics_inpost_2022_to_2022.csv", wide_to_long(2022))
    put(both, "dfe_census", "csww_role_by_characteristics_inpost_2023_to_2023.csv", long_csv(EXTRA_2023))
    put(both, "dfe_census", WIDE.name, WIDE.read_bytes())
    for home in (wide, both):
        summary = run(home)
        assert {o.outcome for o in summary.outcomes} == {"loaded"}, [o.message for o in summary.outcomes]
        # cautious: only the tests whose every parent is built (not e.g. a seed relationship to an unbuilt seed)
        res = dbt_build(home, select=SELECT, env_extra={"DBT_INDIRECT_SELECTION": "cautious"})
        assert res.returncode == 0, res.stdout[-3000:]
    return wide, both


def test_wide_and_long_publish_the_same_2022_figures(wide_and_long):
    wide, both = wide_and_long
    from_wide = query_dicts(wide, MART_DFE, [2022])
    from_long = query_dicts(both, MART_DFE, [2022])
    assert len(from_wide) > 1000
    # every group's headcount, note, share of known and progression ratio agree; had both layouts' rows been
    # used, every figure would be doubled
    assert [r for r in from_long if r["ethnic_group"] != "Unknown"] == [
        r for r in from_wide if r["ethnic_group"] != "Unknown"
    ]
    # Unknown shows which layout was used: the long file's `c` (it loaded first, the wide file after it)
    unknown_notes = {
        (r["headcount"], r["headcount_note"]) for r in from_long if r["ethnic_group"] == "Unknown"
    }
    assert unknown_notes == {(None, "c")}
    assert {(r["headcount"], r["headcount_note"]) for r in from_wide if r["ethnic_group"] == "Unknown"} == {
        (None, "x")
    }
    england = {
        (r["seniority_level"], r["ethnic_group"]): r for r in from_long if r["geography_level"] == "England"
    }
    # the bundled file's national row for all social workers, 2022
    assert england[("all", "Known")]["headcount"] == 27373
    assert england[("all", "White")]["headcount"] == 20833
    assert england[("all", "BME")]["headcount"] == 1050 + 1614 + 3632 + 244
    # both layouts' 2022 rows are kept in raw and staging; the intermediate model chose the long one
    assert query(
        both,
        """select layout, count(*) > 0 from staging.stg_dfe_published__role_ethnicity
           where time_period = 2022 group by layout order by layout""",
    ) == [("long", True), ("wide", True)]


def test_long_layout_fte_unknown_and_total_reach_the_model(wide_and_long):
    _, both = wide_and_long
    rows = {
        r["ethnic_group"]: (r["headcount"], r["headcount_note"], r["fte"], r["fte_note"])
        for r in query_dicts(
            both,
            """select * from intermediate.int_dfe_representation_pivoted
               where period_end = date '2023-09-30' and geography_level = 'England' and seniority_level = 'all'""",
        )
    }
    assert rows == {
        "White": (110.0, None, 100.5, None),
        "Mixed": (11.0, None, 10.0, None),
        "Asian": (21.0, None, 20.0, None),
        "Black": (31.0, None, 30.0, None),
        "Other": (None, "low", None, "low"),
        "Known": (173.0, None, 160.5, None),
        "Unknown": (6.0, None, 5.25, None),
        "Total": (179.0, None, 165.75, None),
        "BME": (None, "low", None, "low"),
    }
    # the wide layout's years still have FTE, Unknown and Total as NULL with note x
    assert query(
        both,
        """select distinct fte, fte_note from intermediate.int_dfe_representation_pivoted
           where period_end = date '2021-09-30'""",
    ) == [(None, "x")]
    # and the published mart carries the long file's FTE (the wide years' stay NULL with note x)
    assert query(
        both,
        """select ethnic_group, fte, fte_note from marts.representation_by_seniority
           where source = 'dfe_published' and period_end = date '2023-09-30' and geography_level = 'England'
             and seniority_level = 'all' and ethnic_group in ('White', 'Other', 'Unknown') order by group_order""",
    ) == [("White", 100.5, None), ("Other", None, "low"), ("Unknown", 5.25, None)]
    assert query(
        both,
        """select distinct fte, fte_note from marts.representation_by_seniority
           where source = 'dfe_published' and period_end = date '2021-09-30'
             and geography_level <> 'Statistical neighbours'""",
    ) == [(None, "x")]


# -------------------------------------------------------------------------------- ethnicity labels, 2011 wording


@pytest.mark.parametrize(
    "label,code",
    [
        ("Asian or Asian British: Indian", "AIND"),
        ("Asian/Asian British: Indian", "AIND"),
        ("asian  /  ASIAN british:   indian", "AIND"),
        ("Black/African/Caribbean/Black British: African", "BAFR"),
        ("Black or African or Caribbean or Black British: African", "BAFR"),
        ("White: English/Welsh/Scottish/Northern Irish/British", "WBRI"),
        ("Mixed / multiple ethnic groups: Any other Mixed / multiple ethnic background", "MOTH"),
        # the existing wordings still map
        ("Black, Black British, Caribbean or African: African", "BAFR"),
        ("Asian, Asian British or Asian Welsh: Indian", "AIND"),
        ("Black African", "BAFR"),
        ("Gypsy/Roma", "WROM"),
        ("Refused / not stated", "REFU"),
    ],
)
def test_ethnicity_label_2011_wording(label, code):
    assert ethnicity_codes().resolve(label) == code


def test_ethnicity_2011_wording_through_an_hr_staff_file(tmp_path):
    rows = council_b_staff()
    rows[0]["Ethnicity"] = "Asian or Asian British: Indian"
    rows[1]["Ethnicity"] = "Asian/Asian British: Indian"
    rows[2]["Ethnicity"] = "Black/African/Caribbean/Black British: African"
    put(tmp_path, "council_hr", f"hr_{B}_2024-03-31_staff.csv", to_csv(rows, STAFF_COLUMNS))
    summary = run(tmp_path)
    assert [o.outcome for o in summary.outcomes] == ["loaded"], [o.message for o in summary.outcomes]
    assert query(
        tmp_path,
        """select ethnicity_raw, ethnicity_code from raw.hr_staff
           where ethnicity_raw like '%British:%' order by ethnicity_raw""",
    ) == [
        ("Asian or Asian British: Indian", "AIND"),
        ("Asian/Asian British: Indian", "AIND"),
        ("Black/African/Caribbean/Black British: African", "BAFR"),
    ]
