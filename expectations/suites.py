"""Great Expectations suites as code, one per layer, validated through GX's pandas datasource.

GX 1.x's SQL datasource fails silently on DuckDB (every expectation returns success=False with an empty
result), so each check reads its relation from DuckDB via Arrow into a pandas DataFrame and validates
that. A check names a SQL query (the frame), the expectations to run on it, its severity, and optionally
a column to batch by (large tables are validated one council at a time).

Severity `error` blocks publishing; `warn` publishes and is listed in data_quality.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import great_expectations.expectations as gxe


@dataclass(frozen=True)
class Check:
    name: str
    layer: str  # raw | staging | marts | published
    table: str
    query: str
    expectations: Callable[[dict], list]
    severity: str = "error"
    batch_by: str | None = None
    description: str = ""
    params: dict = field(default_factory=dict)


def _row_counts_query() -> str:
    """Every registered source's raw tables hold one row per accepted file row, except sources that store
    a file long (the DfE's published files: one row per measure; their load log counts file rows)."""
    from workforce_warehouse import sources
    from workforce_warehouse.warehouse import RAW_TABLE_SOURCES

    per_row = sorted(s.name for s in sources.SOURCES if s.rows_match_load_log)
    tables = sorted(t for t, s in RAW_TABLE_SOURCES.items() if s in per_row)
    parts = [f"select load_id, count(*) as n from raw.{t} group by load_id" for t in tables]
    return f"""
        with counted as ({" union all ".join(parts)})
        select l.load_id, l.file_name, l.la_code as council, l.source, l.dataset, l.rows_loaded,
               coalesce(c.n, 0) as rows_in_raw, coalesce(c.n, 0) - l.rows_loaded as difference
        from raw.load_log as l
        left join counted as c using (load_id)
        where l.outcome = 'loaded' and l.source in ({", ".join(f"'{s}'" for s in per_row)})
    """


CHECKS: list[Check] = [
    # ---------------------------------------------------------------- raw
    Check(
        name="raw_rows_match_load_log",
        layer="raw",
        table="load_log",
        query=_row_counts_query(),
        expectations=lambda p: [
            gxe.ExpectColumnValuesToBeBetween(column="difference", min_value=0, max_value=0)
        ],
        description="Every active load has exactly the rows the load log says it loaded.",
    ),
    Check(
        name="raw_staff_required_complete",
        layer="raw",
        table="hr_staff",
        query="""select la_code as council, employee_key, service, role, pay_band, pay_band_order,
                        registered_professional, contract_type, fte, start_date, ethnicity_code
                 from raw.hr_staff""",
        batch_by="council",
        expectations=lambda p: [
            gxe.ExpectColumnValuesToNotBeNull(column=c)
            for c in (
                "employee_key",
                "service",
                "role",
                "pay_band",
                "pay_band_order",
                "registered_professional",
                "contract_type",
                "fte",
                "start_date",
                "ethnicity_code",
            )
        ],
        description="Required staff columns are complete in the raw layer.",
    ),
    Check(
        name="raw_agency_required_complete",
        layer="raw",
        table="agency_engagement",
        query="""select la_code as council, engagement_key, swe_key, service, role, engagement_type, start_date,
                        hours_in_quarter, charge_rate_per_hour, post_qualified_la_years
                 from raw.agency_engagement""",
        expectations=lambda p: [
            gxe.ExpectColumnValuesToNotBeNull(column=c)
            for c in (
                "engagement_key",
                "swe_key",
                "service",
                "role",
                "engagement_type",
                "start_date",
                "hours_in_quarter",
                "charge_rate_per_hour",
                "post_qualified_la_years",
            )
        ],
    ),
    # ---------------------------------------------------------------- staging
    Check(
        name="staging_staff_codes_mapped",
        layer="intermediate",
        table="int_staff_classified",
        query="""select la_code as council, ethnic_group, wres_group, fte, period_end, start_date
                 from intermediate.int_staff_classified""",
        batch_by="council",
        expectations=lambda p: [
            gxe.ExpectColumnValuesToBeInSet(
                column="ethnic_group", value_set=["White", "Mixed", "Asian", "Black", "Other", "Unknown"]
            ),
            gxe.ExpectColumnValuesToBeInSet(column="wres_group", value_set=["White", "BME", "Unknown"]),
            gxe.ExpectColumnValuesToNotBeNull(column="ethnic_group"),
            gxe.ExpectColumnValuesToBeBetween(column="fte", min_value=0, max_value=1, strict_min=True),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="period_end", column_B="start_date", or_equal=True
            ),
        ],
        description="Ethnicity codes map to a group, FTE is in (0, 1], nobody starts after the period end.",
    ),
    Check(
        name="staging_events_inside_period",
        layer="staging",
        table="stg_council_hr__casework",
        query="""select c.la_code as council, c.opened_date,
                        (c.opened_date between (c.period_end - interval 1 year + interval 1 day)::date and c.period_end)
                            as inside_period
                 from staging.stg_council_hr__casework as c""",
        expectations=lambda p: [gxe.ExpectColumnValuesToBeInSet(column="inside_period", value_set=[True])],
    ),
    Check(
        name="staging_csww_codes_mapped",
        layer="intermediate",
        table="int_csww_workers_classified",
        query="select la_code as council, fte, ethnic_group from intermediate.int_csww_workers_classified",
        expectations=lambda p: [
            gxe.ExpectColumnValuesToBeBetween(column="fte", min_value=0, max_value=1),
            gxe.ExpectColumnValuesToBeInSet(
                column="ethnic_group", value_set=["White", "Mixed", "Asian", "Black", "Other", "Unknown"]
            ),
        ],
    ),
    # ---------------------------------------------------------------- marts
    Check(
        name="marts_shares_sum_to_100",
        layer="marts",
        table="representation_by_seniority",
        query="""select geography_level, geography_code as council, period_end, source, service, seniority_level,
                        sum(pct_of_known) as total_pct
                 from marts.representation_by_seniority
                 where ethnic_group in ('White', 'Mixed', 'Asian', 'Black', 'Other') and pct_of_known is not null
                   and geography_level <> 'Statistical neighbours'
                 group by all""",
        expectations=lambda p: [
            gxe.ExpectColumnValuesToBeBetween(column="total_pct", min_value=99.9, max_value=100.1)
        ],
        description="The five groups' shares of known staff sum to 100 per geography, period and level.",
    ),
    Check(
        name="marts_ratio_inside_ci",
        layer="marts",
        table="wres_metrics",
        query="""select geography_code as council, metric, relative_likelihood, ci_lower, ci_upper
                 from marts.wres_metrics where relative_likelihood is not null and ci_lower is not null""",
        expectations=lambda p: [
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="relative_likelihood", column_B="ci_lower", or_equal=True
            ),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="ci_upper", column_B="relative_likelihood", or_equal=True
            ),
        ],
        description="CI lower <= relative likelihood <= CI upper.",
    ),
    Check(
        name="marts_every_council_period_present",
        layer="marts",
        table="wres_metrics",
        query="""select s.la_code as council, s.period_end
                 from (select distinct la_code, period_end from staging.stg_council_hr__datasets_submitted
                       where dataset = 'staff') as s
                 inner join intermediate.int_alliance_councils as a using (la_code)
                 where not exists (select 1 from marts.wres_metrics as w
                                   where w.geography_level = 'Local authority' and w.geography_code = s.la_code
                                     and w.period_end = s.period_end)
                    or not exists (select 1 from marts.representation_by_seniority as r
                                   where r.geography_level = 'Local authority' and r.geography_code = s.la_code
                                     and r.period_end = s.period_end and r.source = 'council_hr')""",
        expectations=lambda p: [gxe.ExpectTableRowCountToEqual(value=0)],
        description="Every council of the alliance has rows for every period it submitted.",
    ),
    Check(
        name="marts_unknown_share_in_range",
        layer="marts",
        table="wres_metrics",
        query="select geography_code as council, unknown_share from marts.wres_metrics where unknown_share is not null",
        expectations=lambda p: [
            gxe.ExpectColumnValuesToBeBetween(column="unknown_share", min_value=0, max_value=100)
        ],
    ),
    Check(
        name="dfe_published_rates_consistent",
        layer="marts",
        table="workforce_flows",
        severity="warn",
        query="""select geography_code as council, period_label, 'turnover_rate_fte' as measure,
                        abs(100.0 * leavers_fte / inpost_fte - turnover_rate_fte) as difference
                 from marts.workforce_flows
                 where source = 'dfe_published' and geography_level <> 'Statistical neighbours'
                   and inpost_fte > 0 and leavers_fte is not null
                   and turnover_rate_fte is not null
                 union all
                 select geography_code, period_label, 'agency_rate_fte',
                        abs(100.0 * agency_fte / (agency_fte + inpost_fte) - agency_rate_fte)
                 from marts.workforce_flows
                 where source = 'dfe_published' and geography_level <> 'Statistical neighbours'
                   and agency_fte + inpost_fte > 0 and agency_rate_fte is not null
                 union all
                 select geography_code, period_label, 'vacancy_rate_fte',
                        abs(100.0 * vacancy_fte / (vacancy_fte + inpost_fte) - vacancy_rate_fte)
                 from marts.workforce_flows
                 where source = 'dfe_published' and geography_level <> 'Statistical neighbours'
                   and vacancy_fte + inpost_fte > 0 and vacancy_rate_fte is not null
                 union all
                 select geography_code, period_label, 'caseload_fte',
                        abs(cases / case_holders_fte - caseload_fte)
                 from marts.workforce_flows
                 where source = 'dfe_published' and geography_level <> 'Statistical neighbours'
                   and case_holders_fte > 0 and caseload_fte is not null""",
        expectations=lambda p: [
            gxe.ExpectColumnValuesToBeBetween(column="difference", min_value=0, max_value=0.1 + 1e-6)
        ],
        description="DfE published rates agree with the rates recomputed from their counts (to 0.1).",
    ),
]
