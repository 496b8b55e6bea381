{{ config(severity='warn') }}
-- metrics.md, workforce flows: recomputing the rates from the DfE's own published counts with the project's
-- formulas (macro flow_rates, the one every mart uses) reproduces the published rates to 0.1 for at least
-- 99% of the rows whose inputs are all numeric. Returns one row per measure that falls short.
-- A warning, not an error: a future DfE release that disagrees with itself must not block publishing.
with dfe as (
    select geography_level, geography_code, period_end,
        inpost_fte, leavers_fte, agency_fte, vacancy_fte, case_holders_fte, cases, working_days_lost_fte,
        turnover_rate_fte as published_turnover, agency_rate_fte as published_agency,
        vacancy_rate_fte as published_vacancy, caseload_fte as published_caseload
    from {{ ref('int_dfe_headline_pivoted') }}
),

recomputed as (
    select *, {{ flow_rates() }} from dfe
),

compared as (
    select 'turnover_rate_fte' as measure, turnover_rate_fte as mine, published_turnover as published from recomputed
    where inpost_fte > 0 and leavers_fte is not null and published_turnover is not null
    union all
    select 'agency_rate_fte', agency_rate_fte, published_agency from recomputed
    where agency_fte is not null and inpost_fte is not null and agency_fte + inpost_fte > 0 and published_agency is not null
    union all
    select 'vacancy_rate_fte', vacancy_rate_fte, published_vacancy from recomputed
    where vacancy_fte is not null and inpost_fte is not null and vacancy_fte + inpost_fte > 0 and published_vacancy is not null
    union all
    select 'caseload_fte', caseload_fte, published_caseload from recomputed
    where case_holders_fte > 0 and cases is not null and published_caseload is not null
)

select measure, count(*) as rows_compared,
    count(*) filter (where abs(mine - published) <= 0.1 + 1e-9) as rows_within_0_1
from compared
group by measure
having count(*) filter (where abs(mine - published) <= 0.1 + 1e-9) < 0.99 * count(*)
