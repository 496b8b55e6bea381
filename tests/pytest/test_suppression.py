"""Small-number suppression on hand-made tables (metrics.md, "Small numbers in shared outputs")."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from workforce_warehouse.suppression import apply

GROUPS = ["White", "Mixed", "Asian", "Black", "Other", "Unknown", "BME", "Known", "Total"]


def cell(counts: dict[str, int], level: str = "case_holder", source: str = "council_hr") -> pd.DataFrame:
    known = sum(counts[g] for g in ["White", "Mixed", "Asian", "Black", "Other"])
    values = dict(
        counts,
        BME=sum(counts[g] for g in ["Mixed", "Asian", "Black", "Other"]),
        Known=known,
        Total=known + counts["Unknown"],
    )
    rows = []
    for g in GROUPS:
        rows.append(
            dict(
                geography_level="Local authority",
                geography_code="E09000002",
                period_end="2024-03-31",
                source=source,
                service="children",
                seniority_level=level,
                ethnic_group=g,
                headcount=values[g],
                fte=float(values[g]),
                pct_of_known=(100.0 * values[g] / known if g not in ("Unknown", "Total") else None),
                progression_ratio=1.0,
                councils_included=1,
                suppressed=False,
            )
        )
    return pd.DataFrame(rows)


def hidden(df: pd.DataFrame) -> set[str]:
    return {r.ethnic_group for r in df.itertuples() if pd.isna(r.headcount)}


def test_primary_suppression_hides_the_count_and_what_is_derived_from_it():
    df = apply(
        "representation_by_seniority",
        cell({"White": 20, "Mixed": 0, "Asian": 3, "Black": 12, "Other": 6, "Unknown": 7}),
        5,
    )
    asian = df[df.ethnic_group == "Asian"].iloc[0]
    assert pd.isna(asian.headcount) and pd.isna(asian.fte) and pd.isna(asian.pct_of_known)
    assert bool(asian.suppressed) is True
    mixed = df[df.ethnic_group == "Mixed"].iloc[0]
    assert mixed.headcount == 0 and bool(mixed.suppressed) is False  # zero is never suppressed


def test_secondary_suppression_worked_by_hand():
    # Known = White 20 + Mixed 0 + Asian 3 + Black 12 + Other 6. Asian (3) is hidden, so Known and the other
    # parts would give it away: the smallest other visible non-zero part, Other (6), is hidden too. Then
    # BME = Mixed + Asian + Black + Other has two hidden parts, and Total = Known + Unknown none: done.
    df = apply(
        "representation_by_seniority",
        cell({"White": 20, "Mixed": 0, "Asian": 3, "Black": 12, "Other": 6, "Unknown": 7}),
        5,
    )
    assert hidden(df) == {"Asian", "Other"}
    assert df[df.ethnic_group == "Black"].iloc[0].headcount == 12


def test_secondary_suppression_tie_takes_the_first_in_order():
    # Mixed 4 hidden; Asian 6 and Other 6 tie as the smallest visible parts: Asian (first in order) is hidden.
    df = apply(
        "representation_by_seniority",
        cell({"White": 20, "Mixed": 4, "Asian": 6, "Black": 9, "Other": 6, "Unknown": 0}),
        5,
    )
    assert hidden(df) == {"Mixed", "Asian"}


def test_secondary_suppression_cascades_across_hierarchies():
    # Unknown 2 hidden. Total 34 = Known 32 + Unknown: one hidden member, so Known (the other part) is hidden.
    # Known = White 20 + Black 12 (+ zeros) is then the one hidden member of its sum: Black (12, the smallest
    # visible non-zero part) is hidden. BME = 0 + 0 + Black + 0: Black alone is hidden and no non-zero part
    # is left, so BME itself is hidden. Now every sum has two hidden members or none.
    df = apply(
        "representation_by_seniority",
        cell({"White": 20, "Mixed": 0, "Asian": 0, "Black": 12, "Other": 0, "Unknown": 2}),
        5,
    )
    assert hidden(df) == {"Unknown", "Known", "Black", "BME"}


def test_threshold_one_shows_everything():
    # threshold 1: no count is "from 1 to 0", so every cell is shown exactly as computed, ones included
    df = apply(
        "representation_by_seniority",
        cell({"White": 20, "Mixed": 1, "Asian": 3, "Black": 12, "Other": 2, "Unknown": 1}),
        1,
    )
    assert hidden(df) == set() and not df.suppressed.any()
    got = {r.ethnic_group: (r.headcount, r.fte, r.pct_of_known) for r in df.itertuples()}
    # Known = 20 + 1 + 3 + 12 + 2 = 38; BME = 18; Total = 39
    assert got["Mixed"] == (1, 1.0, pytest.approx(100 / 38))
    assert got["Unknown"][:2] == (1, 1.0) and pd.isna(got["Unknown"][2])
    assert got["BME"] == (18, 18.0, pytest.approx(100 * 18 / 38))
    assert got["Known"][:2] == (38, 38.0) and got["Total"][:2] == (39, 39.0)


def test_threshold_two_hides_only_the_ones_and_what_gives_them_away():
    # threshold 2: only counts of 1 are small. Mixed 1 and Unknown 1 are hidden. Known = 20 + Mixed + 3 + 12 + 2:
    # one hidden part, so the smallest other visible non-zero part, Other (2), is hidden. Total = Known + Unknown:
    # one hidden part, so Known (38) is hidden. BME = Mixed + 3 + 12 + Other: two hidden, nothing more.
    # Known = White + BME (issue 18): Known alone is hidden, so the smaller of White 20 and BME 18 is hidden
    # too (else Total 39 - White 20 - BME 18 = Unknown 1). Two or more hidden in every sum. Done.
    df = apply(
        "representation_by_seniority",
        cell({"White": 20, "Mixed": 1, "Asian": 3, "Black": 12, "Other": 2, "Unknown": 1}),
        2,
    )
    assert hidden(df) == {"Mixed", "Unknown", "Other", "Known", "BME"}
    assert df[df.ethnic_group == "Asian"].iloc[0].headcount == 3  # 3 is not small at threshold 2


def test_dfe_published_rows_are_not_resuppressed():
    df = apply(
        "representation_by_seniority",
        cell(
            {"White": 20, "Mixed": 1, "Asian": 3, "Black": 12, "Other": 2, "Unknown": 1},
            source="dfe_published",
        ),
        5,
    )
    assert hidden(df) == set()


def test_wres_row_with_a_small_numerator_hides_ratio_and_ci():
    base = dict(
        geography_level="Local authority",
        geography_code="E09000002",
        period_end="2024-03-31",
        service="all",
        metric="3",
        breakdown_type="all",
        breakdown="all",
        white_numerator=10,
        white_denominator=100,
        group_rate=3.0,
        white_rate=10.0,
        relative_likelihood=0.3,
        relative_likelihood_nhs_direction=None,
        ci_lower=0.1,
        ci_upper=0.9,
        band="less likely",
        significant=True,
        suppressed=False,
    )
    rows = []
    for g, num, den in (
        ("BME", 9, 100),
        ("Black", 3, 50),
        ("Asian", 6, 50),
        ("Mixed", 0, 0),
        ("Other", 0, 0),
    ):
        rows.append(dict(base, comparison_group=g, group_numerator=num, group_denominator=den))
    df = apply("wres_metrics", pd.DataFrame(rows), 5)
    black = df[df.comparison_group == "Black"].iloc[0]
    assert pd.isna(black.group_numerator) and pd.isna(black.relative_likelihood) and pd.isna(black.ci_lower)
    assert pd.isna(black.group_rate) and black.suppressed
    # BME 9 = Black (hidden) + Asian 6: Asian is hidden too, so Black cannot be worked out
    asian = df[df.comparison_group == "Asian"].iloc[0]
    assert pd.isna(asian.group_numerator) and asian.suppressed
    assert df[df.comparison_group == "BME"].iloc[0].group_numerator == 9
    assert not math.isnan(df[df.comparison_group == "BME"].iloc[0].relative_likelihood)


def test_year_on_year_columns_hidden_when_either_years_ratio_is_hidden():
    """previous_relative_likelihood repeats last year's ratio and change_ratio divides by it: shown only when
    both years' ratios are shown (a hidden 2024 ratio must not come back through the 2025 row)."""
    import datetime as dt

    from workforce_warehouse.suppression import _year_on_year_after_suppression

    keys = (
        "geography_level",
        "geography_code",
        "service",
        "metric",
        "breakdown_type",
        "breakdown",
        "comparison_group",
    )
    base = dict(zip(keys, ("Local authority", "E09000007", "all", "2", "all", "all", "BME"), strict=True))
    rows = [
        # 2024: ratio hidden by suppression; 2025: shown, with 2024's 0.5 in previous_relative_likelihood
        dict(
            base,
            period_end=dt.date(2024, 3, 31),
            relative_likelihood=None,
            previous_relative_likelihood=None,
            change_ratio=None,
            change_significant=None,
            direction=None,
        ),
        dict(
            base,
            period_end=dt.date(2025, 3, 31),
            relative_likelihood=0.4,
            previous_relative_likelihood=0.5,
            change_ratio=0.8,
            change_significant=False,
            direction="no significant change",
        ),
        # another group: both years shown, kept as they are
        dict(
            base,
            comparison_group="Black",
            period_end=dt.date(2024, 3, 31),
            relative_likelihood=0.8,
            previous_relative_likelihood=None,
            change_ratio=None,
            change_significant=None,
            direction=None,
        ),
        dict(
            base,
            comparison_group="Black",
            period_end=dt.date(2025, 3, 31),
            relative_likelihood=0.4,
            previous_relative_likelihood=0.8,
            change_ratio=0.5,
            change_significant=False,
            direction="no significant change",
        ),
    ]
    out = _year_on_year_after_suppression(pd.DataFrame(rows), keys).to_dict("records")
    assert [r["previous_relative_likelihood"] for r in out] == [None, None, None, 0.8]
    assert [r["change_ratio"] for r in out] == [None, None, None, 0.5]
    assert [r["direction"] for r in out] == [None, None, None, "no significant change"]
