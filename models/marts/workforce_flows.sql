-- Children's social workers' flows (DfE definitions) per geography, period end and source:
-- council HR extracts and CSWW returns (councils, and Region/Alliance pooled from them), and the DfE's
-- published figures (councils, regions, England) with their symbols in the *_note columns.
{% set neighbour_measures = ['inpost_fte', 'inpost_headcount', 'starters_fte', 'starters_headcount', 'leavers_fte',
    'leavers_headcount', 'turnover_rate_fte', 'agency_fte', 'agency_rate_fte', 'vacancy_fte', 'vacancy_rate_fte',
    'case_holders_fte', 'cases', 'caseload_fte', 'working_days_lost_fte', 'absence_rate_fte'] %}
with own as (
    select
        geography_level, geography_code, geography_name, la_code, region_code, period_end, source,
        inpost_fte, inpost_headcount, starters_fte, starters_headcount, leavers_fte, leavers_headcount,
        agency_fte, vacancy_fte, case_holders_fte, cases, working_days_lost_fte,
        {{ flow_rates() }},
        null as inpost_fte_note, null as inpost_headcount_note, null as starters_fte_note,
        null as starters_headcount_note, null as leavers_fte_note, null as leavers_headcount_note,
        -- the HR extract carries no vacancies, cases or absence (z); agency FTE needs an agency return (x)
        case when agency_fte is null then 'x' end as agency_fte_note,
        case when vacancy_fte is null then case when source = 'council_hr' then 'z' else 'x' end end as vacancy_fte_note,
        case when case_holders_fte is null then case when source = 'council_hr' then 'z' else 'x' end end
            as case_holders_fte_note,
        case when cases is null then case when source = 'council_hr' then 'z' else 'x' end end as cases_note,
        case when working_days_lost_fte is null then case when source = 'council_hr' then 'z' else 'x' end end
            as working_days_lost_fte_note,
        councils_included
    from {{ ref('int_workforce_flows_pooled') }}
),

own_notes as (
    select *,
        case when turnover_rate_fte is null then 'z' end as turnover_rate_fte_note,
        case when agency_rate_fte is null then coalesce(agency_fte_note, 'z') end as agency_rate_fte_note,
        case when vacancy_rate_fte is null then coalesce(vacancy_fte_note, 'z') end as vacancy_rate_fte_note,
        case when caseload_fte is null then coalesce(cases_note, 'z') end as caseload_fte_note,
        case when absence_rate_fte is null then coalesce(working_days_lost_fte_note, 'z') end as absence_rate_fte_note
    from own
),

dfe as (
    select
        geography_level, geography_code, geography_name, la_code, region_code, period_end,
        'dfe_published' as source,
        inpost_fte, inpost_headcount, starters_fte, starters_headcount, leavers_fte, leavers_headcount,
        agency_fte, vacancy_fte, case_holders_fte, cases, working_days_lost_fte,
        turnover_rate_fte, agency_rate_fte, vacancy_rate_fte, caseload_fte, absence_rate_fte,
        inpost_fte_note, inpost_headcount_note, starters_fte_note, starters_headcount_note, leavers_fte_note,
        leavers_headcount_note, agency_fte_note, vacancy_fte_note, case_holders_fte_note, cases_note,
        working_days_lost_fte_note, null::bigint as councils_included,
        coalesce(series_la_code, geography_code) as series_code,
        turnover_rate_fte_note, agency_rate_fte_note, vacancy_rate_fte_note, caseload_fte_note, absence_rate_fte_note
    from {{ ref('int_dfe_headline_pivoted') }}
),

unioned as (
    select
        geography_level, geography_code, geography_name, la_code, region_code,
        period_end, {{ period_label('period_end') }} as period_label, source,
        inpost_fte, inpost_headcount::bigint as inpost_headcount, starters_fte, starters_headcount::bigint as starters_headcount,
        leavers_fte, leavers_headcount::bigint as leavers_headcount, turnover_rate_fte, agency_fte, agency_rate_fte,
        vacancy_fte, vacancy_rate_fte, case_holders_fte, cases::bigint as cases, caseload_fte, working_days_lost_fte,
        absence_rate_fte,
        inpost_fte_note, inpost_headcount_note, starters_fte_note, starters_headcount_note, leavers_fte_note,
        leavers_headcount_note, turnover_rate_fte_note, agency_fte_note, agency_rate_fte_note, vacancy_fte_note,
        vacancy_rate_fte_note, case_holders_fte_note, cases_note, caseload_fte_note, working_days_lost_fte_note,
        absence_rate_fte_note,
        councils_included,
        geography_code as series_code,
        false as suppressed
    from own_notes
    union all by name
    select *, {{ period_label('period_end') }} as period_label, false as suppressed from dfe
    union all by name
    -- statistical neighbours (issue 17): the median of the council's ten neighbours' DfE figures
    select * exclude (la_name, neighbours_used, {% for m in neighbour_measures %}{{ m }}_used{{ ", " if not loop.last }}{% endfor %}),
        'Statistical neighbours' as geography_level, 'Statistical neighbours of ' || la_name as geography_name,
        geography_code as la_code, 'dfe_published' as source, {{ period_label('period_end') }} as period_label,
        null::bigint as councils_included, geography_code as series_code, neighbours_used, false as suppressed
    from {{ ref('int_dfe_neighbour_flows') }}
)

-- counts are BIGINT (the DfE files publish them as numbers), FTE, rates and ratios DOUBLE (outputs.md)
select
    geography_level, geography_code, geography_name, la_code, region_code, period_end, period_label, source,
    inpost_fte::double as inpost_fte, inpost_headcount::bigint as inpost_headcount,
    starters_fte::double as starters_fte, starters_headcount::bigint as starters_headcount,
    leavers_fte::double as leavers_fte, leavers_headcount::bigint as leavers_headcount,
    turnover_rate_fte::double as turnover_rate_fte, agency_fte::double as agency_fte,
    agency_rate_fte::double as agency_rate_fte, vacancy_fte::double as vacancy_fte,
    vacancy_rate_fte::double as vacancy_rate_fte, case_holders_fte::double as case_holders_fte,
    cases::bigint as cases, caseload_fte::double as caseload_fte, working_days_lost_fte::double as working_days_lost_fte,
    absence_rate_fte::double as absence_rate_fte,
    {% for n in ['inpost_fte', 'inpost_headcount', 'starters_fte', 'starters_headcount', 'leavers_fte', 'leavers_headcount',
        'turnover_rate_fte', 'agency_fte', 'agency_rate_fte', 'vacancy_fte', 'vacancy_rate_fte', 'case_holders_fte', 'cases',
        'caseload_fte', 'working_days_lost_fte', 'absence_rate_fte'] -%}
    {{ n }}_note::varchar as {{ n }}_note,
    {% endfor -%}
    councils_included::bigint as councils_included, series_code::varchar as series_code,
    neighbours_used::bigint as neighbours_used, suppressed
from unioned
