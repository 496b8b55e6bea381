"""Hostile and broken input (issue 18): one bad file never stops the others, and never leaks.

Each test puts a good council beside the bad files and checks the good one loads, the bad ones are
quarantined with a message naming them, and nothing personal or outside the landing folder is read.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import time

import duckdb
from conftest import query
from handmade import SECRET_DOB, STAFF_COLUMNS, B, council_b_staff, to_csv

from workforce_warehouse.config import load_settings
from workforce_warehouse.ingest import ingest

PERIOD = "2024-03-31"


def run(home):
    return ingest(load_settings(home), today=dt.date(2026, 1, 1), progress=lambda m: None)


def put(home, folder, name, data: bytes):
    d = home / "landing" / folder
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)
    return d / name


def staff_with(la_rows_change, la="E09000006"):
    rows = council_b_staff()[:4]
    la_rows_change(rows[1])
    return to_csv(rows, STAFF_COLUMNS)


def errors_of(home, folder, name):
    with (home / "quarantine" / folder / f"{name}.errors.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


AGENCY_HEADER = (
    "engagement_id,swe_registration_number,service,role,engagement_type,agency_name,start_date,"
    "hours_in_quarter,charge_rate_per_hour,post_qualified_la_years\n"
)


def test_five_overflowing_values_quarantine_five_files_and_the_good_council_loads(tmp_path):
    home = tmp_path
    put(home, "council_hr", f"hr_{B}_{PERIOD}_staff.csv", to_csv(council_b_staff(), STAFF_COLUMNS))
    bad = {
        "E09000006": ("Annual FTE Salary", "1e20", "annual_fte_salary", "is too large to store"),
        "E09000007": ("Pay Band Order", "99999999999", "pay_band_order", "is too large to store"),
        "E09000008": ("FTE", "0.0000001", "fte", "would be stored as 0 at 6 decimal places"),
        "E09000009": ("FTE", "1e-400", "fte", "would be stored as 0 at 6 decimal places"),
    }
    for la, (column, value, _, _) in bad.items():
        put(
            home,
            "council_hr",
            f"hr_{la}_{PERIOD}_staff.csv",
            staff_with(lambda r, c=column, v=value: r.update({c: v})),
        )
    agency = (
        AGENCY_HEADER + "E1,SW0000000001,children,case_holder,individual_locum,Acme,2024-01-02,1e30,50,4\n"
    )
    put(home, "agency_use", "agency_E09000010_2024-Q1.csv", agency.encode())
    summary = run(home)
    outcomes = {o.file: o.outcome for o in summary.outcomes}
    assert outcomes[f"hr_{B}_{PERIOD}_staff.csv"] == "loaded"
    assert sorted(f for f, o in outcomes.items() if o == "rejected") == sorted(
        [f"hr_{la}_{PERIOD}_staff.csv" for la in bad] + ["agency_E09000010_2024-Q1.csv"]
    )
    for la, (_, _, column, words) in bad.items():
        [err] = errors_of(home, "council_hr", f"hr_{la}_{PERIOD}_staff.csv")
        assert (err["row"], err["column"], err["rule"]) == ("3", column, "unstorable")
        assert words in err["message"]
    [err] = errors_of(home, "agency_use", "agency_E09000010_2024-Q1.csv")
    assert (err["row"], err["column"], err["rule"]) == ("2", "hours_in_quarter", "unstorable")
    assert query(home, "select count(*) from raw.hr_staff") == [(24,)]


def test_broken_encodings_and_workbooks_are_named(tmp_path):
    home = tmp_path
    text = (
        AGENCY_HEADER
        + "E1,SW0000000001,children,case_holder,individual_locum,Caf\xe9 Ltd,2024-01-02,10,50,4\n"
    )
    put(home, "agency_use", "agency_E09000002_2024-Q1.csv", b"\xef\xbb\xbf" + text.encode("cp1252"))
    put(home, "agency_use", "agency_E09000005_2024-Q1.csv", text.encode("utf-16"))
    put(
        home, "agency_use", "agency_E09000006_2024-Q1.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    )
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    put(home, "agency_use", "agency_E09000007_2024-Q1.xlsx", buf.getvalue())
    outcomes = {o.file: o for o in run(home).outcomes}
    assert outcomes["agency_E09000002_2024-Q1.csv"].outcome == "loaded"  # BOM then cp1252: still loads
    assert query(home, "select agency_name from raw.agency_engagement") == [("Café Ltd",)]
    assert "UTF-16" in errors_of(home, "agency_use", "agency_E09000005_2024-Q1.csv")[0]["message"]
    assert (
        "password-protected" in errors_of(home, "agency_use", "agency_E09000006_2024-Q1.xlsx")[0]["message"]
    )
    assert outcomes["agency_E09000007_2024-Q1.xlsx"].outcome == "rejected"
    assert "agency_E09000007_2024-Q1.xlsx" in outcomes["agency_E09000007_2024-Q1.xlsx"].message


def test_symlinks_are_quarantined_without_being_read(tmp_path):
    home = tmp_path
    other = tmp_path / "elsewhere"
    other.mkdir()
    secret = other / "staff.csv"
    secret.write_bytes(to_csv(council_b_staff(), STAFF_COLUMNS))
    (home / "landing" / "council_hr").mkdir(parents=True)
    link = home / "landing" / "council_hr" / f"hr_E09000006_{PERIOD}_survey.csv"
    os.symlink("/etc/passwd", link)
    os.symlink(secret, home / "landing" / "council_hr" / f"hr_E09000007_{PERIOD}_staff.csv")
    outcomes = {o.file: o for o in run(home).outcomes}
    assert {o.outcome for o in outcomes.values()} == {"rejected"}
    for name in outcomes:
        [err] = errors_of(home, "council_hr", name)
        assert err["rule"] == "not_a_regular_file"
        assert (
            home / "quarantine" / "council_hr" / name
        ).is_symlink()  # the link moved, its target untouched
    con = duckdb.connect(str(home / "warehouse" / "warehouse.duckdb"), read_only=True)
    logged = " ".join(str(v) for row in con.execute("select * from raw.load_log").fetchall() for v in row)
    assert "root:" not in logged and query(home, "select count(*) from raw.hr_staff") == [(0,)]
    assert secret.exists()


def test_a_huge_header_is_rejected_within_seconds(tmp_path):
    home = tmp_path
    header = ",".join(f"c{i}" for i in range(5_000_000))  # about 50 MB on one line
    put(home, "agency_use", "agency_E09000002_2024-Q1.csv", header.encode() + b"\n1\n")
    started = time.monotonic()
    [outcome] = run(home).outcomes
    assert time.monotonic() - started < 10
    assert outcome.outcome == "rejected" and "header row" in outcome.message


def test_long_names_hidden_files_and_repeated_unknown_columns(tmp_path):
    home = tmp_path
    long_name = f"hr_{B}_{PERIOD}_staff" + "x" * 190 + ".csv"
    put(home, "council_hr", long_name, b"a\n1\n")
    put(home, "council_hr", ".~lock.hr_file#", b"x")
    rows = council_b_staff()
    for r in rows:
        r["Notes"] = "x"
    data = (
        to_csv(rows, STAFF_COLUMNS + ["Notes"]).replace(b"\r\n", b"\n").replace(b"Notes", b"Notes,Notes", 1)
    )
    data = (
        b"\n".join(line + (b",y" if i else b"") for i, line in enumerate(data.split(b"\n")) if line) + b"\n"
    )
    put(home, "council_hr", f"hr_{B}_{PERIOD}_staff.csv", data)
    lines = []
    ingest(load_settings(home), today=dt.date(2026, 1, 1), progress=lines.append)
    assert any("skipped hidden file council_hr/.~lock.hr_file#" in line for line in lines)
    assert query(home, "select count(*) from raw.hr_staff") == [(24,)]  # an unknown column twice is ignored
    [quarantined] = [
        p for p in (home / "quarantine" / "council_hr").iterdir() if not p.name.endswith(".errors.csv")
    ]
    assert len(quarantined.name) < 130 and (quarantined.parent / (quarantined.name + ".errors.csv")).exists()


def test_no_cell_value_of_a_rejected_row_reaches_the_load_log_and_personal_values_are_withheld(tmp_path):
    home = tmp_path
    rows = council_b_staff()[:3]
    rows[1]["Date of Birth"] = "07/14/1981"  # US order: a row error on a column that is never stored
    rows[2]["Employee ID"] = rows[0]["Employee ID"]  # a duplicate identifier
    rows[2]["Ethnicity"] = "Zebedee Quxworth"  # a name typed into the ethnicity column
    put(home, "council_hr", f"hr_{B}_{PERIOD}_staff.csv", to_csv(rows, STAFF_COLUMNS))
    run(home)
    con = duckdb.connect(str(home / "warehouse" / "warehouse.duckdb"), read_only=True)
    [(message,)] = con.execute("select message from raw.load_log").fetchall()
    assert "Zebedee" not in message and "07/14/1981" not in message and "BW1" not in message
    stored = con.execute(
        "select value, message from raw.row_errors where \"column\" <> 'ethnicity'"
    ).fetchall()
    text = " ".join(f"{v} {m}" for v, m in stored)
    assert "07/14/1981" not in text and SECRET_DOB not in text and "<date of birth withheld>" in text
    assert '"BW1"' not in text and "<id " in text
    # the analyst's own copy (owner-only quarantine) keeps the values to fix the file
    assert any(
        e["value"] == "07/14/1981" for e in errors_of(home, "council_hr", f"hr_{B}_{PERIOD}_staff.csv")
    )
    for folder in ("quarantine", "logs", "warehouse"):
        assert (home / folder).stat().st_mode & 0o077 == 0, folder
