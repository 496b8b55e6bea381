"""CSWW census returns in every collection year's layout (dfe-census.md part A), on hand-made returns.

Every return below is Camden's (E09000007, LEA 202) with the same four workers, written in its year's
layout; the expected counts were worked out by hand:
  worker 1  in post, not agency, FTE 1, started 2015, Cases30 12
  worker 2  a starter: in post, FTE 0.5, RoleStartDate in the 12 months to 30 September, Cases30 5
  worker 3  a leaver: RoleEndDate in the 12 months, FTE 0, FTE30 0.8
  worker 4  agency, FTE 1, Cases30 10
  -> in post 2 (FTE 1.5), starters 1 (FTE 0.5), leavers 1 (FTE 0.8), agency FTE 1, cases 27,
     case holders' FTE 2.5 (workers 1, 2 and 4), vacancies 2.50.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import dbt_build, query, query_dicts
from handmade import STAFF_COLUMNS, council_b_staff, to_csv

from workforce_warehouse.config import load_settings
from workforce_warehouse.ingest import ingest
from workforce_warehouse.sources.csww_return import layout as layouts_mod
from workforce_warehouse.warehouse import RAW_TABLES

LA = "E09000007"
YEARS = (2021, 2022, 2023, 2024, 2025)


def run(home: Path):
    return ingest(load_settings(home), today=dt.date(2026, 1, 1), progress=lambda m: None)


def put(home: Path, source: str, name: str, data: bytes) -> Path:
    d = home / "landing" / source
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)
    return d / name


def outcome(home: Path, name: str):
    summary = run(home)
    return next(o for o in summary.outcomes if o.file == name)


def header(year: int, lea: str = "202") -> str:
    return (
        "<Header><CollectionDetails><Collection>CSWW</Collection>"
        f"<Year>{year}</Year><ReferenceDate>{year}-09-30</ReferenceDate></CollectionDetails>"
        f"<Source><SourceLevel>L</SourceLevel><LEA>{lea}</LEA><SoftwareCode>hand</SoftwareCode>"
        f"<DateTime>{year}-10-20T09:00:00Z</DateTime></Source></Header>"
    )


def la_block(year: int) -> str:
    common = "<NumberOfVacancies>2.50</NumberOfVacancies><NoAgencyFTE>1.00</NoAgencyFTE><NoAgencyHeadcount>1</NoAgencyHeadcount>"
    if year <= 2024:
        return f"<LALevelVacancies>{common}</LALevelVacancies>"
    allowances = (
        "<RecruitmentBonus>1</RecruitmentBonus><RetentionBonus>2</RetentionBonus><PerformanceAward>0</PerformanceAward>"
        "<CarAllowance>0</CarAllowance><RelocationPackage>2</RelocationPackage><RegionalWeighting>1</RegionalWeighting>"
        "<CostSWE>1</CostSWE><CostDBS>1</CostDBS><OtherAllowances>Free parking</OtherAllowances>"
    )
    return f"<LALevel>{common}{allowances}</LALevel>"


def el(items: list[tuple[str, object]]) -> str:
    return "<CSWWWorker>" + "".join(f"<{k}>{v}</{k}>" for k, v in items) + "</CSWWWorker>"


def workers(year: int, swe1: str = "SW0000000101", sex: tuple[str, str, str] = ("F", "M", "F")) -> list[str]:
    """The four workers of the module docstring in `year`'s layout."""

    def sex_item(s: str) -> tuple[str, str]:
        return ("GenderCurrent", {"F": "2", "M": "1", "X": "9", "": "0"}[s]) if year <= 2023 else ("Sex", s)

    qual = [("QualInst", "University of Hand"), ("QualInst", "Open University")] if year <= 2024 else []
    qual1 = [("QualInst", "University of Hand")] if year <= 2024 else []
    pay = (lambda s: [("BaseSalary", s)]) if year >= 2025 else (lambda s: [])
    w1 = [
        ("AgencyWorker", 0), ("SWENo", swe1), ("FTE", 1), ("PersonBirthDate", "1980-05-01"), sex_item(sex[0]),
        ("Ethnicity", "WBRI"), *qual, ("QualLevel", 2), ("StepUpGrad", 0), ("OrgRole", 5),
        ("RoleStartDate", "2015-01-05"), ("StartOrigin", 2), ("FTE30", 1), ("Cases30", 12),
        ("WorkingDaysLost", "2.50"), ("ContractWeeks", "52.0"), ("FrontlineGrad", 0),
        ("Absat30Sept", 0), ("Absat30Sept", 1), ("ReasonAbsence", "SIC"), ("ReasonAbsence", "TRN"),
        *([("CFKSSstatus", 1), ("CFKSSstatus", 2)] if year <= 2024 else []), *pay("41000.00"),
    ]  # fmt: skip
    w2 = [
        ("AgencyWorker", 0), ("SWENo", "SW0000000102"), ("FTE", "0.5"), ("PersonBirthDate", "1995-01-01"),
        sex_item(sex[1]), ("Ethnicity", "BAFR"), *qual1, ("QualLevel", 1), ("StepUpGrad", 0), ("OrgRole", 5),
        ("RoleStartDate", f"{year}-01-06"), ("StartOrigin", 1), ("FTE30", "0.5"), ("Cases30", 5),
        ("WorkingDaysLost", "0"), ("FrontlineGrad", 1), *pay("36000.00"),
    ]  # fmt: skip
    w3 = [
        ("AgencyWorker", 0), ("SWENo", "SW0000000103"), ("FTE", 0), ("PersonBirthDate", "1970-07-07"),
        sex_item(sex[2]), ("Ethnicity", "AIND"), *qual1, ("QualLevel", 3), ("StepUpGrad", 0), ("OrgRole", 3),
        ("RoleStartDate", "2010-03-01"), ("StartOrigin", 9), ("RoleEndDate", f"{year}-05-31"),
        ("LeaverDestination", 1), ("ReasonLeave", 1), ("FTE30", "0.8"), ("WorkingDaysLost", "4.00"),
        ("FrontlineGrad", 0),
    ]  # fmt: skip
    w4 = [
        ("AgencyWorker", 1),
        ("SWENo", "SW0000000104"),
        ("FTE", 1),
        ("Ethnicity", "WIRI"),
        ("OrgRole", 5),
        ("Cases30", 10),
    ]
    return [el(w) for w in (w1, w2, w3, w4)]


def message(
    year: int, block: str | None = None, body: list[str] | None = None, hdr: str | None = None
) -> bytes:
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Message>'
        + (hdr if hdr is not None else header(year))
        + (block if block is not None else la_block(year))
        + "".join(body if body is not None else workers(year))
        + "</Message>\n"
    )
    return text.encode()


def put_return(home: Path, year: int, data: bytes, la: str = LA) -> str:
    name = f"csww_{la}_{year}.xml"
    put(home, "dfe_census", name, data)
    return name


def quarantine_errors(home: Path, name: str) -> list[dict]:
    import csv

    path = home / "quarantine" / "csww_return" / f"{name}.errors.csv"
    assert path.exists(), f"{name} was not quarantined"
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


# -------------------------------------------------------------------------------- layouts as data


def test_every_year_has_its_own_layout_file():
    folder = Path(layouts_mod.__file__).with_name("layouts")
    assert sorted(int(p.stem) for p in folder.glob("*.toml")) == list(YEARS)
    lays = layouts_mod.layouts()
    assert [lays[y].la_block for y in YEARS] == ["LALevelVacancies"] * 4 + ["LALevel"]
    assert "GenderCurrent" in lays[2023].worker_elements and "Sex" in lays[2024].worker_elements
    assert lays[2023].items["SWENo"].digits == (10, 10) and lays[2024].items["SWENo"].digits == (1, 10)
    assert "QualInst" not in lays[2025].worker_elements and "BaseSalary" in lays[2025].worker_elements
    assert [i.name for i in lays[2025].allowance_items][-1] == "OtherAllowances"
    assert len(lays[2025].allowance_items) == 9


# -------------------------------------------------------------------------------- each year loads


@pytest.fixture(scope="module")
def every_year(tmp_path_factory):
    """One warehouse with the hand-made return of every year, built by dbt once."""
    home = tmp_path_factory.mktemp("csww_years")
    for y in YEARS:
        put_return(home, y, message(y))
    summary = run(home)
    bad = [o.message for o in summary.outcomes if o.outcome != "loaded"]
    assert not bad, bad
    res = dbt_build(
        home,
        select="+int_workforce_flows_counted +int_csww_workers_classified +pay_offers",
        env_extra={"DBT_INDIRECT_SELECTION": "cautious"},  # only tests of the models built here
    )
    assert res.returncode == 0, res.stdout[-3000:]
    return home


@pytest.mark.parametrize("year", YEARS)
def test_each_years_return_loads_with_its_counts(every_year, year):
    ref = dt.date(year, 9, 30)
    rows = query_dicts(
        every_year,
        "select * from raw.csww_worker where reference_date = ? order by worker_number",
        [ref],
    )
    assert len(rows) == 4
    in_post = [r for r in rows if not r["agency_worker"] and r["fte"] > 0]
    assert len(in_post) == 2 and sum(r["fte"] for r in in_post) == Decimal("1.5")
    starters = [r for r in in_post if r["role_start_date"] >= dt.date(year - 1, 10, 1)]
    assert len(starters) == 1
    leavers = [r for r in rows if r["role_end_date"] is not None]
    assert len(leavers) == 1 and leavers[0]["fte30"] == Decimal("0.8") and leavers[0]["fte"] == 0
    assert [r["agency_worker"] for r in rows] == [False, False, False, True]
    assert sum(r["cases30"] or 0 for r in rows) == 27
    assert [r["sex"] for r in rows] == ["F", "M", "F", None]
    assert rows[0]["age_band"] in ("35-44", "45-54") and "PersonBirthDate" not in rows[0]
    ret = query_dicts(every_year, "select * from raw.csww_return where reference_date = ?", [ref])[0]
    assert (ret["collection_year"], ret["vacancies_fte"], ret["workers"]) == (year, Decimal("2.50"), 4)
    # the repeated elements keep every value
    assert rows[0]["absent_at_30_sept"] == [False, True]
    assert rows[0]["reason_absence"] == ["SIC", "TRN"]
    assert rows[1]["reason_absence"] == [] and rows[1]["contract_weeks"] == []
    if year <= 2024:
        assert rows[0]["qual_inst"] == ["University of Hand", "Open University"]
        assert rows[0]["cfkss_status"] == [1, 2]
        assert rows[0]["base_salary"] is None
    else:
        assert rows[0]["qual_inst"] is None and rows[0]["cfkss_status"] is None  # not collected in 2025
        assert [r["base_salary"] for r in rows] == [Decimal("41000.00"), Decimal("36000.00"), None, None]
    # ... and the intermediate flows count what was counted by hand
    flows = query_dicts(
        every_year,
        "select * from intermediate.int_workforce_flows_counted where source = 'csww_return' and period_end = ?",
        [ref],
    )[0]
    assert (flows["inpost_fte"], flows["inpost_headcount"]) == (1.5, 2)
    assert (flows["starters_fte"], flows["starters_headcount"]) == (0.5, 1)
    assert (flows["leavers_fte"], flows["leavers_headcount"]) == (0.8, 1)
    assert (flows["agency_fte"], flows["cases"], flows["case_holders_fte"]) == (1.0, 27.0, 2.5)
    assert flows["vacancy_fte"] == 2.5
    stg = query_dicts(
        every_year,
        "select absent_at_30_sept, reason_absence, contract_weeks, sex from intermediate.int_csww_workers_classified "
        "where period_end = ? order by worker_number",
        [ref],
    )
    assert stg[0] == {
        "absent_at_30_sept": True,
        "reason_absence": "SIC",
        "contract_weeks": Decimal("52.0"),
        "sex": "F",
    }


def test_gender_current_9_is_x_and_0_is_blank(tmp_path):
    name = put_return(tmp_path, 2023, message(2023, body=workers(2023, sex=("X", "", "F"))))
    assert outcome(tmp_path, name).outcome == "loaded"
    assert query(tmp_path, "select sex from raw.csww_worker order by worker_number") == [
        ("X",),
        (None,),
        ("F",),
        (None,),
    ]


def test_2025_allowances_and_pay_offers(every_year):
    rows = query(
        every_year,
        "select item, value_code, value_text from raw.csww_la_allowance order by item_order",
    )
    assert rows[0] == ("RecruitmentBonus", 1, None) and rows[-1] == ("OtherAllowances", None, "Free parking")
    assert len(rows) == 9
    offers = dict(
        query(every_year, "select item, value from marts.pay_offers where geography_code = ?", [LA])
    )
    assert offers["RetentionBonus"] == "some" and offers["PerformanceAward"] == "no"
    assert offers["CostSWE"] == "all" and offers["OtherAllowances"] == "Free parking"
    assert query(every_year, "select distinct period_label from marts.pay_offers") == [("2025",)]


def test_base_salary_required_for_non_agency_in_post_2025(tmp_path):
    body = workers(2025)
    body[1] = body[1].replace("<BaseSalary>36000.00</BaseSalary>", "")
    name = put_return(tmp_path, 2025, message(2025, body=body))
    assert outcome(tmp_path, name).outcome == "rejected"
    errs = quarantine_errors(tmp_path, name)
    assert [(e["row"], e["column"], e["rule"]) for e in errs] == [("2", "BaseSalary", "csww_required")]


def test_qual_inst_required_up_to_2024_only(tmp_path):
    body = workers(2024)
    body[1] = body[1].replace("<QualInst>University of Hand</QualInst>", "")
    name = put_return(tmp_path, 2024, message(2024, body=body))
    run(tmp_path)
    errs = quarantine_errors(tmp_path, name)
    assert [(e["sheet"], e["row"], e["column"], e["rule"]) for e in errs] == [
        ("CSWWWorker", "2", "QualInst", "csww_required")
    ]
    assert errs[0]["message"] == "QualInst is required for a worker who is not agency (AgencyWorker 0)"


def test_repeating_an_element_that_may_not_repeat_is_a_row_error(tmp_path):
    body = workers(2023)
    body[0] = body[0].replace("<FTE>1</FTE>", "<FTE>1</FTE><FTE>1</FTE>")
    name = put_return(tmp_path, 2023, message(2023, body=body))
    run(tmp_path)
    errs = quarantine_errors(tmp_path, name)
    assert [(e["row"], e["column"], e["rule"]) for e in errs] == [("1", "FTE", "csww_repeated")]


# -------------------------------------------------------------------------------- wrong layout, unknown year


def test_return_in_another_years_layout_is_rejected_naming_it(tmp_path):
    # a 2025 return written with the 2023 layout (GenderCurrent, LALevelVacancies, QualInst)
    text = message(2023).decode().replace("2023-", "2025-").replace("<Year>2023</Year>", "<Year>2025</Year>")
    name = put_return(tmp_path, 2025, text.encode())
    assert outcome(tmp_path, name).outcome == "rejected"
    errs = quarantine_errors(tmp_path, name)
    assert len(errs) == 1 and errs[0]["rule"] == "csww_layout" and errs[0]["row"] == ""
    msg = errs[0]["message"]
    assert msg.startswith(
        "this 2025 return uses the 2023 layout: GenderCurrent and LALevelVacancies were replaced by Sex "
        "and LALevel in 2024/2025"
    ), msg
    assert "QualInst and CFKSSstatus were removed in 2025" in msg


def test_2023_return_in_the_2025_layout_is_rejected(tmp_path):
    text = message(2025).decode().replace("2025-", "2023-").replace("<Year>2025</Year>", "<Year>2023</Year>")
    name = put_return(tmp_path, 2023, text.encode())
    run(tmp_path)
    msg = quarantine_errors(tmp_path, name)[0]["message"]
    assert msg.startswith("this 2023 return uses the 2025 layout: "), msg


def test_unknown_element_is_a_row_error_when_no_layout_fits_better(tmp_path):
    body = workers(2024)
    body[0] = body[0].replace("<Ethnicity>", "<Etnicity>WBRI</Etnicity><Ethnicity>")
    name = put_return(tmp_path, 2024, message(2024, body=body))
    run(tmp_path)
    errs = quarantine_errors(tmp_path, name)
    assert [(e["row"], e["column"], e["rule"]) for e in errs] == [("1", "Etnicity", "csww_unknown_element")]


def test_year_with_no_layout_is_rejected_naming_the_known_years(tmp_path):
    name = put_return(tmp_path, 2020, message(2020))
    run(tmp_path)
    errs = quarantine_errors(tmp_path, name)
    assert errs[0]["rule"] == "csww_layout"
    assert "no layout for collection year 2020" in errs[0]["message"]
    assert "2021, 2022, 2023, 2024, 2025" in errs[0]["message"]


def test_elements_out_of_order_load_with_a_note(tmp_path):
    body = workers(2022)
    body[3] = el([("SWENo", "SW0000000104"), ("AgencyWorker", 1), ("FTE", 1)])
    put_return(tmp_path, 2022, message(2022, body=body))
    [outcome] = run(tmp_path).outcomes
    assert outcome.outcome == "loaded"
    [(warnings,)] = query(tmp_path, "select warnings from raw.load_log where dataset = 'workers'")
    assert "worker 4: AgencyWorker comes after SWENo" in warnings


# -------------------------------------------------------------------------------- SWE numbers


def test_short_swe_number_2024_links_to_hr_padded_number(tmp_path):
    staff = council_b_staff()[:3]
    staff[0]["SWE Registration Number"] = "sw 0000001234"
    put(tmp_path, "council_hr", "hr_E09000005_2024-03-31_staff.csv", to_csv(staff, STAFF_COLUMNS))
    name = put_return(tmp_path, 2024, message(2024, body=workers(2024, swe1="SW1234")))
    summary = run(tmp_path)
    assert all(o.outcome == "loaded" for o in summary.outcomes), [o.message for o in summary.outcomes]
    linked = query(
        tmp_path,
        "select count(*) from raw.csww_worker w join raw.hr_staff s on s.swe_key = w.swe_key "
        "where w.worker_number = 1",
    )
    assert linked == [(1,)], name


def test_short_swe_number_before_2024_is_a_row_error(tmp_path):
    name = put_return(tmp_path, 2023, message(2023, body=workers(2023, swe1="SW1234")))
    run(tmp_path)
    errs = quarantine_errors(tmp_path, name)
    assert [(e["row"], e["column"], e["rule"], e["message"]) for e in errs] == [
        ("1", "SWENo", "swe_number", '"SW1234" is not two letters followed by 10 digits')
    ]


# -------------------------------------------------------------------------------- untrusted XML


def test_external_entity_is_refused_without_reading_it(tmp_path, monkeypatch):
    secret = tmp_path / "secret.txt"
    secret.write_text("SW9999999999")
    xxe = (
        f'<?xml version="1.0"?>\n<!DOCTYPE Message [<!ENTITY xxe SYSTEM "file://{secret}">'
        '<!ENTITY pw SYSTEM "file:///etc/passwd">]>\n'
        "<Message>" + header(2024) + la_block(2024) + "".join(workers(2024, swe1="&xxe;")) + "&pw;</Message>"
    )
    name = put_return(tmp_path, 2024, xxe.encode())
    opened = []
    real_open = Path.open

    def watch(self, *a, **k):
        opened.append(str(self))
        return real_open(self, *a, **k)

    monkeypatch.setattr(Path, "open", watch)
    t0 = time.perf_counter()
    o = outcome(tmp_path, name)
    assert time.perf_counter() - t0 < 10  # the whole ingest; the parse itself is checked below
    monkeypatch.undo()
    assert o.outcome == "rejected"
    assert not any("secret" in p or "passwd" in p for p in opened)
    errs = quarantine_errors(tmp_path, name)
    assert [e["rule"] for e in errs] == ["xml_doctype"]
    assert query(tmp_path, "select count(*) from raw.csww_worker") == [(0,)]


def test_entity_bomb_is_refused_at_once(tmp_path):
    from workforce_warehouse.pseudonymise import Pseudonymiser
    from workforce_warehouse.sources.csww_return.loader import parse_return

    lol = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    bomb = f'<?xml version="1.0"?>\n<!DOCTYPE Message [{"".join(lol)}]>\n<Message>&lol9;</Message>'
    path = put(tmp_path, "dfe_census", f"csww_{LA}_2024.xml", bomb.encode())
    t0 = time.perf_counter()
    loads, errs = parse_return(path, LA, 2024, Pseudonymiser(b"k" * 32), dt.date(2026, 1, 1))
    assert time.perf_counter() - t0 < 2
    assert loads == [] and [e.rule for e in errs] == ["xml_doctype"]
    assert "DOCTYPE" in errs[0].message


def test_repeating_elements_are_list_columns():
    types = dict(RAW_TABLES["csww_worker"])
    assert types["qual_inst"] == "VARCHAR[]" and types["contract_weeks"] == "DECIMAL(9,1)[]"
    assert types["absent_at_30_sept"] == "BOOLEAN[]" and types["reason_absence"] == "VARCHAR[]"
    assert types["cfkss_status"] == "INTEGER[]" and types["sex"] == "VARCHAR" and "gender" not in types
