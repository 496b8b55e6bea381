"""Ingestion rules (inputs-common.md, council-hr.md, dfe-census.md, agency-use.md) on small hand-made files."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import time
from pathlib import Path

import pytest
from conftest import query
from handmade import (
    AGENCY_COLUMNS,
    STAFF_COLUMNS,
    A,
    B,
    council_a_casework,
    council_a_staff,
    council_b_staff,
    to_csv,
)

from workforce_warehouse.config import REFERENCE_DIR, ConfigError, load_settings
from workforce_warehouse.ingest import ingest

P = "2024-03-31"
RAW_COLS = "* exclude (load_id, file_sha256)"


def run(home: Path, today: dt.date | None = None):
    return ingest(load_settings(home), today=today or dt.date(2026, 1, 1), progress=lambda m: None)


def put(home: Path, source: str, name: str, data: bytes) -> Path:
    d = home / "landing" / source
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)
    return d / name


def errors_of(home: Path, name: str, source: str = "council_hr") -> list[dict]:
    path = home / "quarantine" / source / f"{name}.errors.csv"
    assert path.exists(), f"{name} was not quarantined"
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def staff_rows(n: int = 3) -> list[dict]:
    return council_b_staff()[:n]


# -------------------------------------------------------------------------------- row rules and messages

ROW_CASES = [
    # (column, bad value, rule, exact message)
    ("FTE", "1.5", "fte_range", '"1.5" is above 1.0 (FTE must be between 0 and 1)'),
    ("FTE", "0", "fte_range", '"0" is not above 0 (FTE must be between 0 and 1)'),
    ("Start Date", "2024/13/01", "date_format", '"2024/13/01" is not a date (use YYYY-MM-DD or DD/MM/YYYY)'),
    ("Start Date", "31/02/2020", "date_invalid", '"31/02/2020" is not a real calendar date'),
    (
        "Start Date",
        "05/01/2025",
        "employment_in_period",
        '"2025-01-05" is after the period end 2024-03-31 (staff must be employed on some day of the period)',
    ),
    ("End Date", "2019-12-31", "end_before_start", '"2019-12-31" is before start_date 2020-01-01'),
    (
        "Role",
        "boss",
        "code",
        '"boss" is not one of: case_holder, qualified_no_cases, senior_practitioner, '
        "first_line_manager, middle_manager, senior_manager, non_qualified",
    ),
    (
        "Ethnicity",
        "Martian",
        "ethnicity_code",
        '"Martian" is not a known ethnicity code or label (see seeds/ethnicity_codes.csv, or add the council\'s own '
        "label to seeds/ethnicity_local_labels.csv)",
    ),
    (
        "Registered Professional",
        "maybe",
        "flag",
        '"maybe" is not a Y/N value (use Y, N, Yes, No, 1, 0, TRUE or FALSE)',
    ),
    (
        "SWE Registration Number",
        "XY123",
        "swe_number",
        '"XY123" is not a Social Work England number (SW followed by up to 10 digits)',
    ),
    ("Pay Band Order", "2.5", "integer", '"2.5" is not a whole number'),
    ("Service", "", "required", "service is required and is blank"),
]


@pytest.mark.parametrize("column,value,rule,message", ROW_CASES, ids=[f"{c[0]}-{c[2]}" for c in ROW_CASES])
def test_staff_row_rule_rejects_file_with_exact_message(tmp_path, column, value, rule, message):
    rows = staff_rows()
    rows[1][column] = value
    name = f"hr_{B}_{P}_staff.csv"
    put(tmp_path, "council_hr", name, to_csv(rows, STAFF_COLUMNS))
    summary = run(tmp_path)
    assert [o.outcome for o in summary.outcomes] == ["rejected"]
    errs = errors_of(tmp_path, name)
    norm = column.lower().replace(" ", "_")
    assert {
        "file": name,
        "sheet": "",
        "row": "3",
        "column": norm,
        "value": value.strip(),
        "rule": rule,
        "message": message,
    } in errs, errs
    assert not (tmp_path / "landing" / "council_hr" / name).exists()
    assert query(tmp_path, "select count(*) from raw.hr_staff") == [(0,)]


def test_duplicate_employee_is_a_row_error(tmp_path):
    rows = staff_rows()
    rows[2]["Employee ID"] = rows[0]["Employee ID"]
    put(tmp_path, "council_hr", f"hr_{B}_{P}_staff.csv", to_csv(rows, STAFF_COLUMNS))
    run(tmp_path)
    errs = errors_of(tmp_path, f"hr_{B}_{P}_staff.csv")
    assert errs[0]["row"] == "4" and errs[0]["rule"] == "duplicate_key"
    assert errs[0]["message"] == 'employee_id "BW1" is repeated (first on row 2)'


def test_cross_dataset_and_event_rules(tmp_path):
    put(tmp_path, "council_hr", f"hr_{A}_{P}_staff.csv", to_csv(council_a_staff(), STAFF_COLUMNS))
    cases = council_a_casework() + [
        {
            "case_id": "C9",
            "employee_id": "NOBODY",
            "case_type": "disciplinary",
            "opened_date": "2023-05-01",
            "outcome": "",
        },
        {
            "case_id": "C1",
            "employee_id": "W5",
            "case_type": "disciplinary",
            "opened_date": "2022-05-01",
            "outcome": "",
        },
    ]
    put(tmp_path, "council_hr", f"hr_{A}_{P}_casework.csv", to_csv(cases))
    recruitment = [
        {
            "vacancy_id": "V1",
            "applicant_id": "X1",
            "ethnicity": "WBRI",
            "role": "case_holder",
            "closing_date": "2023-10-01",
            "shortlisted": "N",
            "appointed": "Y",
        }
    ]
    put(tmp_path, "council_hr", f"hr_{A}_{P}_recruitment.csv", to_csv(recruitment))
    asye = [
        {
            "employee_id": "W9",
            "programme": "children",
            "registration_date": "2023-04-10",
            "outcome": "passed",
            "outcome_date": "",
        }
    ]
    put(tmp_path, "council_hr", f"hr_{A}_{P}_asye.csv", to_csv(asye))
    summary = run(tmp_path)
    outcomes = {o.file: o.outcome for o in summary.outcomes}
    assert outcomes[f"hr_{A}_{P}_staff.csv"] == "loaded"
    case_errs = {
        (e["row"], e["column"], e["rule"]): e["message"]
        for e in errors_of(tmp_path, f"hr_{A}_{P}_casework.csv")
    }
    assert (
        case_errs[("6", "employee_id", "unknown_employee")]
        == '"NOBODY" does not match any employee_id in the staff dataset of this extract'
    )
    assert case_errs[("7", "case_id", "duplicate_key")] == 'case_id "C1" is repeated (first on row 2)'
    assert (
        case_errs[("7", "opened_date", "date_in_period")]
        == '"2022-05-01" is outside the period 2023-04-01 to 2024-03-31'
    )
    rec = errors_of(tmp_path, f"hr_{A}_{P}_recruitment.csv")
    assert rec[0]["rule"] == "appointed_not_shortlisted"
    assert (
        errors_of(tmp_path, f"hr_{A}_{P}_asye.csv")[0]["message"]
        == "outcome_date is required when the outcome is passed"
    )


# -------------------------------------------------------------------------------- file-level errors


def test_file_level_errors_quarantine_the_file(tmp_path):
    put(tmp_path, "council_hr", "staff_2024.csv", b"employee_id\n1\n")
    put(tmp_path, "council_hr", f"hr_E09999999_{P}_staff.csv", to_csv(staff_rows(), STAFF_COLUMNS))
    put(tmp_path, "council_hr", f"hr_{B}_2030-03-31_staff.csv", to_csv(staff_rows(), STAFF_COLUMNS))
    missing = [{k: v for k, v in r.items() if k != "Role"} for r in staff_rows()]
    put(
        tmp_path,
        "council_hr",
        f"hr_{A}_{P}_staff.csv",
        to_csv(missing, [c for c in STAFF_COLUMNS if c != "Role"]),
    )
    put(tmp_path, "council_hr", f"hr_{A}_2023-03-31_staff.csv", b"")
    summary = run(tmp_path)
    assert {o.outcome for o in summary.outcomes} == {"rejected"}
    assert errors_of(tmp_path, "staff_2024.csv")[0]["message"] == (
        "the file name does not follow the pattern hr_<LA code>_<YYYY-MM-DD>.xlsx or "
        "hr_<LA code>_<YYYY-MM-DD>_<dataset>.csv"
    )
    assert (
        "not a local authority in the reference list"
        in errors_of(tmp_path, f"hr_E09999999_{P}_staff.csv")[0]["message"]
    )
    assert errors_of(tmp_path, f"hr_{B}_2030-03-31_staff.csv")[0]["rule"] == "period_in_future"
    assert errors_of(tmp_path, f"hr_{A}_{P}_staff.csv")[0]["message"] == "the required column role is missing"
    assert errors_of(tmp_path, f"hr_{A}_2023-03-31_staff.csv")[0]["rule"] == "empty"


def test_extra_columns_warn_and_personal_columns_are_dropped(tmp_path):
    rows = staff_rows()
    for r in rows:
        r["Favourite Colour"] = "blue"
        r["NI Number"] = "QQ123456C"
    put(
        tmp_path,
        "council_hr",
        f"hr_{B}_{P}_staff.csv",
        to_csv(rows, STAFF_COLUMNS + ["Favourite Colour", "NI Number"]),
    )
    run(tmp_path)
    ((dropped, warnings),) = query(tmp_path, "select dropped_columns, warnings from raw.load_log")
    assert dropped == "date_of_birth, forename, ni_number, surname"
    assert warnings == "staff: ignored unknown columns favourite_colour"
    assert b"QQ123456C" not in (tmp_path / "warehouse" / "warehouse.duckdb").read_bytes()


# -------------------------------------------------------------------------------- encodings and formats


def _raw(home, table):
    return query(home, f"select {RAW_COLS} from raw.{table} order by all")


def test_cp1252_and_bom_load_identically_to_utf8(tmp_path):
    rows = staff_rows()
    rows[0]["Forename"] = "Zoë"
    rows[0]["Annual FTE Salary"] = "£41,500"
    rows[1]["Job Title"] = "Travailleuse sociale é"
    homes = {}
    for label, data in (
        ("utf8", to_csv(rows, STAFF_COLUMNS).replace(b"\r\n", b"\n")),
        ("bom", b"\xef\xbb\xbf" + to_csv(rows, STAFF_COLUMNS)),
        ("cp1252", to_csv(rows, STAFF_COLUMNS, encoding="cp1252")),
    ):
        home = tmp_path / label
        put(home, "council_hr", f"hr_{B}_{P}_staff.csv", data)
        assert [o.outcome for o in run(home).outcomes] == ["loaded"]
        homes[label] = _raw(home, "hr_staff")
    assert homes["utf8"] == homes["bom"] == homes["cp1252"]
    assert any(r for r in homes["cp1252"] if "Travailleuse sociale é" in r)


def _workbook(staff: list[dict], cases: list[dict]):
    """A council HR workbook with a Staff and a casework sheet, dates and FTE as Excel values."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows, cols in (("Staff", staff, STAFF_COLUMNS), ("casework", cases, list(cases[0]))):
        ws = wb.create_sheet(name)
        ws.append(cols)
        for r in rows:
            vals = []
            for c in cols:
                v = r.get(c, "")
                if c in ("Start Date", "End Date", "opened_date") and v:
                    v = dt.datetime.strptime(v, "%d/%m/%Y") if "/" in v else dt.datetime.fromisoformat(v)
                elif c == "FTE":
                    v = float(v)
                vals.append(v)
            ws.append(vals)
    return wb


def test_workbook_and_csvs_give_identical_raw_rows(tmp_path):
    staff = council_a_staff()
    cases = council_a_casework()
    wb_home, csv_home = tmp_path / "wb", tmp_path / "csv"
    (wb_home / "landing" / "council_hr").mkdir(parents=True)
    _workbook(staff, cases).save(wb_home / "landing" / "council_hr" / f"hr_{A}_{P}.xlsx")
    put(csv_home, "council_hr", f"hr_{A}_{P}_staff.csv", to_csv(staff, STAFF_COLUMNS))
    put(csv_home, "council_hr", f"hr_{A}_{P}_casework.csv", to_csv(cases))
    assert {o.outcome for o in run(wb_home).outcomes} == {"loaded"}
    assert {o.outcome for o in run(csv_home).outcomes} == {"loaded"}
    for table in ("hr_staff", "hr_casework"):
        assert _raw(wb_home, table) == _raw(csv_home, table)
    assert len(_raw(wb_home, "hr_staff")) == 67


# -------------------------------------------------------------------------------- resubmission and idempotence


def test_resubmission_replaces_and_identical_reload_changes_nothing(tmp_path):
    name = f"hr_{B}_{P}_staff.csv"
    put(tmp_path, "council_hr", name, to_csv(staff_rows(5), STAFF_COLUMNS))
    run(tmp_path)
    assert query(tmp_path, "select count(*) from raw.hr_staff") == [(5,)]
    assert [o.outcome for o in run(tmp_path).outcomes] == ["unchanged"]
    assert query(tmp_path, "select count(*) from raw.hr_staff") == [(5,)]
    assert query(tmp_path, "select count(*) from raw.load_log") == [(1,)]
    put(tmp_path, "council_hr", name, to_csv(staff_rows(3), STAFF_COLUMNS))
    run(tmp_path)
    assert query(tmp_path, "select count(*) from raw.hr_staff") == [(3,)]
    assert query(tmp_path, "select outcome, superseded_by from raw.load_log order by load_id") == [
        ("superseded", 2),
        ("loaded", None),
    ]


def test_rejected_resubmission_keeps_loaded_data(tmp_path):
    name = f"hr_{B}_{P}_staff.csv"
    put(tmp_path, "council_hr", name, to_csv(staff_rows(5), STAFF_COLUMNS))
    run(tmp_path)
    bad = staff_rows(5)
    bad[0]["FTE"] = "2"
    put(tmp_path, "council_hr", name, to_csv(bad, STAFF_COLUMNS))
    assert [o.outcome for o in run(tmp_path).outcomes] == ["rejected"]
    assert query(tmp_path, "select count(*) from raw.hr_staff") == [(5,)]


def test_two_councils_in_either_order_give_the_same_warehouse(tmp_path):
    files = {A: to_csv(council_a_staff(), STAFF_COLUMNS), B: to_csv(council_b_staff(), STAFF_COLUMNS)}
    results = []
    for order in ((A, B), (B, A)):
        home = tmp_path / "_".join(order)
        for la in order:
            put(home, "council_hr", f"hr_{la}_{P}_staff.csv", files[la])
            run(home)
        results.append(_raw(home, "hr_staff"))
    assert results[0] == results[1]


def test_workbook_resubmission_retires_missing_sheets(tmp_path):
    from openpyxl import Workbook

    def workbook(with_casework: bool) -> Path:
        wb = Workbook()
        wb.remove(wb.active)
        ws = wb.create_sheet("staff")
        ws.append(STAFF_COLUMNS)
        for r in council_a_staff():
            ws.append([r.get(c, "") for c in STAFF_COLUMNS])
        if with_casework:
            ws = wb.create_sheet("casework")
            cases = council_a_casework()
            ws.append(list(cases[0]))
            for r in cases:
                ws.append(list(r.values()))
        path = tmp_path / "landing" / "council_hr" / f"hr_{A}_{P}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        wb.save(path)
        return path

    workbook(True)
    run(tmp_path)
    assert query(tmp_path, "select count(*) from raw.hr_casework") == [(4,)]
    workbook(False)
    run(tmp_path)
    assert query(tmp_path, "select count(*) from raw.hr_casework") == [(0,)]
    assert query(
        tmp_path, "select count(*) from raw.load_log where dataset = 'casework' and outcome = 'loaded'"
    ) == [(0,)]


def test_dependent_dataset_waits_for_staff(tmp_path):
    put(tmp_path, "council_hr", f"hr_{A}_{P}_casework.csv", to_csv(council_a_casework()))
    assert [o.outcome for o in run(tmp_path).outcomes] == ["waiting_for_staff"]
    assert (tmp_path / "landing" / "council_hr" / f"hr_{A}_{P}_casework.csv").exists()
    put(tmp_path, "council_hr", f"hr_{A}_{P}_staff.csv", to_csv(council_a_staff(), STAFF_COLUMNS))
    assert sorted(o.outcome for o in run(tmp_path).outcomes) == ["loaded", "loaded"]
    assert query(tmp_path, "select count(*) from raw.hr_casework") == [(4,)]
    assert query(tmp_path, "select count(*) from raw.load_log where outcome = 'waiting_for_staff'") == [(0,)]


# -------------------------------------------------------------------------------- pseudonymisation and keys


def test_swe_numbers_are_normalised_before_hashing(tmp_path):
    rows = staff_rows(2)
    rows[0]["SWE Registration Number"] = "sw 12345"
    rows[1]["SWE Registration Number"] = "SW0000012345"
    rows[1]["Employee ID"] = "other"
    put(tmp_path, "council_hr", f"hr_{B}_{P}_staff.csv", to_csv(rows, STAFF_COLUMNS))
    run(tmp_path)
    keys = query(tmp_path, "select distinct swe_key from raw.hr_staff")
    assert len(keys) == 1 and len(keys[0][0]) == 64


def test_real_files_without_a_key_are_refused(tmp_path, monkeypatch):
    from workforce_warehouse.cli import main

    monkeypatch.delenv("WORKFORCE_PSEUDONYMISATION_KEY")
    put(tmp_path, "council_hr", f"hr_{B}_{P}_staff.csv", to_csv(staff_rows(), STAFF_COLUMNS))
    with pytest.raises(ConfigError):
        run(tmp_path)
    assert main(["refresh", "--home", str(tmp_path)]) == 3
    assert not (tmp_path / "warehouse" / "warehouse.duckdb").exists() or query(
        tmp_path, "select count(*) from raw.hr_staff"
    ) == [(0,)]


def test_short_key_is_a_configuration_error(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKFORCE_PSEUDONYMISATION_KEY", "too-short")
    with pytest.raises(ConfigError):
        load_settings(tmp_path)


# -------------------------------------------------------------------------------- CSWW XML returns


def _sample_return(tmp_path: Path, la="E09000007", year=2023, edit=None) -> Path:
    text = (REFERENCE_DIR / "dfe" / "csww_sample_return.xml").read_text()
    if edit:
        text = edit(text)
    return put(tmp_path, "dfe_census", f"csww_{la}_{year}.xml", text.encode())


def test_csww_return_loads_with_lea_mapped(tmp_path):
    _sample_return(tmp_path)  # LEA 202 is Camden (E09000007) in 2023, through the reference list
    summary = run(tmp_path)
    o = summary.outcomes[0]
    if o.outcome == "rejected":
        pytest.fail(o.message)
    rows = query(
        tmp_path,
        "select agency_worker, fte, fte30, role_end_date is not null from raw.csww_worker order by worker_number",
    )
    assert len(rows) == 4
    assert query(tmp_path, "select vacancies_fte, agency_cover_fte, workers from raw.csww_return")[0][2] == 4
    # the return says LEA 202, collection year 2023: stored under Camden's LA code, on the return and every worker
    assert query(tmp_path, "select lea, la_code from raw.csww_return") == [("202", "E09000007")]
    assert query(tmp_path, "select distinct la_code from raw.csww_worker") == [("E09000007",)]


@pytest.mark.parametrize(
    "lea,year,la_code",
    [
        ("202", 2023, "E09000007"),  # Camden, unchanged
        (" 202 ", 2023, "E09000007"),  # padding ignored
        ("825", 2019, "E10000002"),  # Buckinghamshire County Council, to 2019
        ("825", 2020, "E06000060"),  # Buckinghamshire unitary, from 2020, same LEA
        ("928", 2020, "E10000021"),  # Northamptonshire, last year 2020
        ("928", 2021, None),  # abolished: split into 940 and 941
        ("940", 2021, "E06000061"),  # North Northamptonshire
        ("941", 2021, "E06000062"),  # West Northamptonshire
        ("940", 2020, None),  # not yet created
        ("370", 2024, "E08000016"),  # Barnsley's old code
        ("370", 2025, "E08000038"),  # Barnsley's new code (no boundary change)
        ("202", 2016, None),  # before the reference list starts
        ("999", 2023, None),  # no such LEA
    ],
)
def test_la_for_lea_maps_hand_picked_leas_and_years(lea, year, la_code):
    from workforce_warehouse.reference_data import la_for_lea

    la = la_for_lea(lea, year)
    assert (la.la_code if la else None) == la_code


def test_csww_header_must_agree_with_name(tmp_path):
    _sample_return(tmp_path, la="E09000002")
    run(tmp_path)
    errs = errors_of(tmp_path, "csww_E09000002_2023.xml", "csww_return")
    assert errs[0]["rule"] == "csww_header" and "but the file name says E09000002" in errs[0]["message"]


def test_csww_validation_rules(tmp_path):
    def breaks(text):
        # the leaver (worker 3) loses ReasonLeave; worker 1 gets FTE 1.2
        text = text.replace("<ReasonLeave>1</ReasonLeave>", "", 1)
        return text.replace("<FTE>1</FTE>", "<FTE>1.2</FTE>", 1)

    _sample_return(tmp_path, edit=breaks)
    run(tmp_path)
    errs = {
        (e["row"], e["column"], e["rule"])
        for e in errors_of(tmp_path, "csww_E09000007_2023.xml", "csww_return")
    }
    assert ("3", "ReasonLeave", "leaver_reason") in errs
    assert ("1", "FTE", "fte_range") in errs


def test_csww_not_well_formed_is_rejected(tmp_path):
    _sample_return(tmp_path, edit=lambda t: t[: len(t) // 2])
    run(tmp_path)
    assert errors_of(tmp_path, "csww_E09000007_2023.xml", "csww_return")[0]["rule"] == "xml_not_well_formed"


# -------------------------------------------------------------------------------- DfE published files


def test_dfe_both_vocabularies_and_symbols(tmp_path):
    for f in (REFERENCE_DIR / "dfe").glob("*.csv"):
        put(tmp_path, "dfe_census", f.name, f.read_bytes())
    newer = (
        "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
        "old_la_code,new_la_code,la_name,inpost_fte,inpost_headcount,starters_fte,leavers_fte,turnover_rate_fte\n"
        "2023,Reporting year,Local authority,E92000001,England,E12000007,London,301,E09000002,Barking and Dagenham,"
        "300.5,320,40.0,45.0,15.0\n"
        "2023,Reporting year,Local authority,E92000001,England,E12000007,London,304,E09000005,Brent,c,low,x,z,u\n"
    )
    put(tmp_path, "dfe_census", "csww_2023_release.csv", newer.encode())
    summary = run(tmp_path)
    assert {o.outcome for o in summary.outcomes} == {"loaded"}
    assert query(
        tmp_path,
        """select measure, value, value_note from raw.dfe_headline where time_period = 2023
                              and new_la_code = 'E09000005' order by measure""",
    ) == [
        ("inpost_fte", None, "c"),
        ("inpost_headcount", None, "low"),
        ("leavers_fte", None, "z"),
        ("starters_fte", None, "x"),
        ("turnover_rate_fte", None, "u"),
    ]
    # older vocabulary renamed to the newer one
    assert query(
        tmp_path,
        """select value from raw.dfe_headline where time_period = 2022 and measure = 'inpost_fte'
                              and geographic_level = 'National'""",
    ) == [(31634.1,)]


def test_dfe_file_loaded_last_wins_per_row(tmp_path):
    head = (
        "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
        "old_la_code,new_la_code,la_name,inpost_fte\n"
    )
    put(
        tmp_path,
        "dfe_census",
        "a.csv",
        (
            head + "2022,Reporting year,Local authority,E92000001,England,E12000007,"
            "London,301,E09000002,Barking and Dagenham,100\n"
        ).encode(),
    )
    run(tmp_path)
    put(
        tmp_path,
        "dfe_census",
        "b.csv",
        (
            head + "2022,Reporting year,Local authority,E92000001,England,E12000007,"
            "London,301,E09000002,Barking and Dagenham,101\n"
        ).encode(),
    )
    run(tmp_path)
    assert query(tmp_path, "select value, file_name from raw.dfe_headline") == [(101.0, "b.csv")]
    assert query(tmp_path, "select file_name, outcome from raw.load_log order by load_id") == [
        ("a.csv", "superseded"),
        ("b.csv", "loaded"),
    ]


def test_dfe_bad_value_is_a_row_error(tmp_path):
    head = (
        "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
        "old_la_code,new_la_code,la_name,inpost_fte\n"
    )
    put(
        tmp_path,
        "dfe_census",
        "bad.csv",
        (
            head + "2022,Reporting year,Local authority,E92000001,England,E12000007,"
            "London,301,E09000002,Barking and Dagenham,n/a\n"
        ).encode(),
    )
    run(tmp_path)
    e = errors_of(tmp_path, "bad.csv", "dfe_published")[0]
    assert (e["row"], e["column"], e["message"]) == (
        "2",
        "inpost_fte",
        '"n/a" is not a number or a DfE symbol (c, x, z, u, low)',
    )


# -------------------------------------------------------------------------------- agency returns

AGENCY_HEAD = AGENCY_COLUMNS[:12]


def agency_row(**kw):
    base = dict(
        engagement_id="E1",
        swe_registration_number="SW123",
        service="children",
        role="case_holder",
        engagement_type="individual_locum",
        agency_name="Example",
        start_date="2025-01-06",
        end_date="",
        hours_in_quarter="120",
        fte="",
        charge_rate_per_hour="£50.00",
        post_qualified_la_years="3",
    )
    base.update(kw)
    return base


def test_agency_return_loads_and_validates(tmp_path):
    put(tmp_path, "agency_use", f"agency_{A}_2025-Q1.csv", to_csv([agency_row()], AGENCY_HEAD))
    put(
        tmp_path,
        "agency_use",
        f"agency_{B}_2025-Q1.csv",
        to_csv(
            [agency_row(), agency_row(engagement_id="E2", end_date="2024-12-01", hours_in_quarter="-1")],
            AGENCY_HEAD,
        ),
    )
    summary = {o.file: o for o in run(tmp_path).outcomes}
    assert summary[f"agency_{A}_2025-Q1.csv"].outcome == "loaded"
    errs = {(e["column"], e["rule"]) for e in errors_of(tmp_path, f"agency_{B}_2025-Q1.csv", "agency_use")}
    assert errs == {("hours_in_quarter", "range"), ("end_date", "end_before_start")}
    assert query(
        tmp_path, "select quarter, quarter_end, charge_rate_per_hour from raw.agency_engagement"
    ) == [("2025-Q1", dt.date(2025, 3, 31), __import__("decimal").Decimal("50.00"))]


def test_sample_generator_is_deterministic(tmp_path):
    from workforce_warehouse.sample import generate

    a = generate(tmp_path / "a", councils=2, years=1, seed=7, progress=lambda m: None)
    b = generate(tmp_path / "b", councils=2, years=1, seed=7, progress=lambda m: None)
    assert a == b
    shutil.rmtree(tmp_path / "b")


def test_csww_return_named_with_a_successor_code_loads(tmp_path):
    # Barnsley: LEA 370 is E08000016 until 2024 and E08000038 from 2025 (a code change, no boundary change)
    def barnsley(text):
        return text.replace("<LEA>202</LEA>", "<LEA>370</LEA>")

    _sample_return(tmp_path, la="E08000038", edit=barnsley)
    assert [o.outcome for o in run(tmp_path).outcomes] == ["loaded"]
    _sample_return(tmp_path, la="E08000019", edit=barnsley)  # Sheffield's code: not Barnsley's successor
    run(tmp_path)
    assert (
        "LEA 370 is Barnsley (E08000016) in 2023"
        in errors_of(tmp_path, "csww_E08000019_2023.xml", "csww_return")[0]["message"]
    )


def test_replacing_staff_revalidates_loaded_casework(tmp_path):
    put(tmp_path, "council_hr", f"hr_{A}_{P}_staff.csv", to_csv(council_a_staff(), STAFF_COLUMNS))
    put(tmp_path, "council_hr", f"hr_{A}_{P}_casework.csv", to_csv(council_a_casework()))
    run(tmp_path)
    assert query(tmp_path, "select count(*) from raw.hr_casework") == [(4,)]
    # the new staff dataset no longer has B1, who has two casework rows
    put(
        tmp_path,
        "council_hr",
        f"hr_{A}_{P}_staff.csv",
        to_csv([r for r in council_a_staff() if r["Employee ID"] != "B1"], STAFF_COLUMNS),
    )
    run(tmp_path)
    assert query(tmp_path, "select count(*) from raw.hr_casework") == [(0,)]
    ((outcome, message),) = query(
        tmp_path, "select outcome, message from raw.load_log where dataset = 'casework'"
    )
    assert outcome == "rejected"
    assert message == (
        "re-validated against the new staff dataset: 2 row(s) name an employee_id that is no longer "
        "in it; send this casework dataset again"
    )


def test_staff_file_after_a_workbook_of_the_same_extract_revalidates_its_casework(tmp_path):
    """A workbook (staff and casework) and a staff CSV of the same extract arrive together. The workbook's
    casework is valid against its own staff sheet, but the staff CSV, committed after it, no longer has
    B1: the casework is re-validated against it, as when the two arrive in separate refreshes. (A staff
    dataset shares a transaction with other files only when there is nothing to re-validate.)"""
    (tmp_path / "landing" / "council_hr").mkdir(parents=True)
    _workbook(council_a_staff(), council_a_casework()).save(
        tmp_path / "landing" / "council_hr" / f"hr_{A}_{P}.xlsx"
    )
    put(
        tmp_path,
        "council_hr",
        f"hr_{A}_{P}_staff.csv",
        to_csv([r for r in council_a_staff() if r["Employee ID"] != "B1"], STAFF_COLUMNS),
    )
    assert {o.outcome for o in run(tmp_path).outcomes} == {"loaded"}
    assert query(tmp_path, "select count(*) from raw.hr_staff") == [(66,)]
    assert query(tmp_path, "select count(*) from raw.hr_casework") == [(0,)]
    assert query(tmp_path, "select file_name, dataset, outcome from raw.load_log order by load_id") == [
        (f"hr_{A}_{P}.xlsx", "staff", "superseded"),
        (f"hr_{A}_{P}.xlsx", "casework", "rejected"),
        (f"hr_{A}_{P}_staff.csv", "staff", "loaded"),
    ]


def test_raw_rows_keep_the_order_of_the_files_committed_together(tmp_path):
    """Three staff files committed in one transaction, the middle one with pence in its salaries (its
    salary column reaches DuckDB with another decimal type): each file's rows follow the file before it,
    as when the files are committed one by one. Grouping the rows by layout alone put the third file's
    rows before the second's."""
    salaries = {"2024-03-31": "£41,500", "2025-03-31": "£41,500.50", "2025-09-30": "£41,500"}
    for period, salary in salaries.items():
        rows = [dict(r, **{"Annual FTE Salary": salary}) for r in staff_rows(2)]
        put(tmp_path, "council_hr", f"hr_{A}_{period}_staff.csv", to_csv(rows, STAFF_COLUMNS))
    assert {o.outcome for o in run(tmp_path).outcomes} == {"loaded"}
    assert query(
        tmp_path, "select period_end::varchar, annual_fte_salary::varchar from raw.hr_staff order by rowid"
    ) == [
        ("2024-03-31", "41500.00"),
        ("2024-03-31", "41500.00"),
        ("2025-03-31", "41500.50"),
        ("2025-03-31", "41500.50"),
        ("2025-09-30", "41500.00"),
        ("2025-09-30", "41500.00"),
    ]
    assert query(tmp_path, "select count(distinct load_id) from raw.hr_staff") == [(3,)]


def test_row_error_threshold_loads_valid_rows_and_keeps_the_rejected_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKFORCE_ROW_ERROR_THRESHOLD_PCT_COUNCIL_HR", "5")
    rows = council_a_staff()
    rows[0]["FTE"] = "1.5"  # 1 bad row of 67 = 1.5%, under 5%
    put(tmp_path, "council_hr", f"hr_{A}_{P}_staff.csv", to_csv(rows, STAFF_COLUMNS))
    assert [o.outcome for o in run(tmp_path).outcomes] == ["loaded"]
    assert query(tmp_path, "select count(*) from raw.hr_staff") == [(66,)]
    assert query(tmp_path, "select rows_read, rows_loaded, rows_rejected from raw.load_log") == [(67, 66, 1)]
    assert query(tmp_path, 'select "row", "column", rule from raw.row_errors') == [(2, "fte", "fte_range")]


def test_files_committed_together_fall_back_one_by_one_when_the_group_fails(tmp_path, monkeypatch):
    """Accepted files are committed several to a transaction (ingest.Ingestor._commit_together). When the
    group's commit fails, it is rolled back and each file is committed on its own: only the file that
    cannot be stored is quarantined, and every other file's rows are in the raw layer exactly once."""
    from workforce_warehouse import warehouse
    from workforce_warehouse.pseudonymise import Pseudonymiser

    quarters = ("2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1")
    for i, q in enumerate(quarters):
        row = agency_row(engagement_id=f"E{i}", start_date="2024-04-01")
        put(tmp_path, "agency_use", f"agency_{A}_{q}.csv", to_csv([row], AGENCY_HEAD))
    refused = Pseudonymiser(load_settings(tmp_path).key).local(A, "E1")  # the 2024-Q3 file's engagement
    real_add = warehouse._Inserts.add
    calls = []

    def add(self, table, load_id, sha, data):
        calls.append(load_id)
        if data.num_rows and data.column("engagement_key")[0].as_py() == refused:
            raise RuntimeError("the raw table refused a value")
        real_add(self, table, load_id, sha, data)

    monkeypatch.setattr(warehouse._Inserts, "add", add)
    outcomes = {o.file: o.outcome for o in run(tmp_path).outcomes}
    assert outcomes == {f"agency_{A}_{q}.csv": ("rejected" if q == "2024-Q3" else "loaded") for q in quarters}
    assert len(calls) == 2 * len(quarters) - 2  # the group up to the failure, then each file alone
    assert query(tmp_path, "select quarter, count(*) from raw.agency_engagement group by 1 order by 1") == [
        ("2024-Q2", 1),
        ("2024-Q4", 1),
        ("2025-Q1", 1),
    ]
    assert query(tmp_path, "select outcome, count(*) from raw.load_log group by 1 order by 1") == [
        ("loaded", 3),
        ("rejected", 1),
    ]
    [row] = errors_of(tmp_path, f"agency_{A}_2024-Q3.csv", "agency_use")
    assert row["rule"] == "not_stored" and "could not be stored" in row["message"]


def _parse_marker(folder: str, i: int) -> int:
    (Path(folder) / f"{i:03d}").touch()  # this task has started parsing
    return i


def test_parsing_runs_only_a_few_files_ahead_of_committing(tmp_path, monkeypatch):
    """The parse workers may not race through the landing folder while the committing side is slow: the
    parsed files waiting in memory are bounded (issue 22: they were the whole landing folder's)."""
    from workforce_warehouse import ingest, isolated

    monkeypatch.setenv("WORKFORCE_LOAD_WORKERS", "2")
    tasks = [(str(tmp_path), i) for i in range(60)]
    results = ingest.parallel_map(_parse_marker, tasks)
    first = next(results)
    time.sleep(1.5)  # committing the first file takes long
    started = len(list(tmp_path.iterdir()))
    assert started <= 2 * isolated.PARSED_AHEAD_PER_WORKER + 1
    assert [first, *results] == list(range(60))  # every file, in order
    assert len(list(tmp_path.iterdir())) == 60


def test_loads_whose_types_differ_only_in_decimal_width_or_empty_columns_share_one_insert():
    """_Inserts joins consecutive loads of a table into one statement when their Arrow types differ only
    as DuckDB casts them alike (decimals of other widths, a column with no values); any other difference
    starts a new statement. Values and order are those of inserting each load on its own."""
    from decimal import Decimal

    import duckdb
    import pyarrow as pa

    from workforce_warehouse import warehouse

    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    warehouse.RAW_TABLES["_t"] = [("load_id", "BIGINT"), ("file_sha256", "VARCHAR"), ("pay", "DECIMAL(18,2)")]
    try:
        con.execute("CREATE TABLE raw._t (load_id BIGINT, file_sha256 VARCHAR, pay DECIMAL(18,2))")
        ins = warehouse._Inserts(con)
        ins.add("_t", 1, "a", pa.table({"pay": pa.array([Decimal("41500")])}))  # decimal(5, 0)
        ins.add("_t", 2, "b", pa.table({"pay": pa.array([Decimal("41500.505")])}))  # decimal(8, 3)
        ins.add("_t", 3, "c", pa.table({"pay": pa.array([None])}))  # null
        assert len(ins.runs) == 1
        ins.add("_t", 4, "d", pa.table({"pay": pa.array([41500.25])}))  # double: a new statement
        ins.add("_t", 5, "e", pa.table({"pay": pa.array([Decimal("0.125")])}))
        assert len(ins.runs) == 3
        ins.flush()
        assert con.execute("SELECT load_id, pay::VARCHAR FROM raw._t ORDER BY rowid").fetchall() == [
            (1, "41500.00"),
            (2, "41500.51"),
            (3, None),
            (4, "41500.25"),
            (5, "0.13"),
        ]
    finally:
        del warehouse.RAW_TABLES["_t"]
    # decimals that would need more than 38 digits together stay apart
    run = warehouse._Run("_t", pa.table({"pay": pa.array([Decimal("1" * 36)])}))
    assert not run.take(pa.table({"pay": pa.array([Decimal("0.125")])}))
    assert run.take(pa.table({"pay": pa.array([Decimal("0.5")])}))
