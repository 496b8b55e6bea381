-- The DfE's published headline indicators, one row per geography and year, each measure with its note.
-- A measure the file does not carry (starters in older releases) is NULL with note 'x'.
{% set measures = ['inpost_fte', 'inpost_headcount', 'starters_fte', 'starters_headcount', 'leavers_fte',
    'leavers_headcount', 'turnover_rate_fte', 'turnover_rate_headcount', 'agency_fte', 'agency_headcount',
    'agency_rate_fte', 'agency_rate_headcount', 'agency_cover_fte', 'agency_cover_rate_fte', 'vacancy_fte',
    'vacancy_rate_fte', 'vacancy_agency_cover_rate_fte', 'case_holders_fte', 'cases', 'caseload_fte',
    'working_days_lost_fte', 'absence_rate_fte'] %}
select
    geography_level, geography_code, any_value(geography_name) as geography_name, any_value(la_code) as la_code,
    any_value(region_code) as region_code, any_value(series_la_code) as series_la_code,
    bool_or(is_inner_outer_london) as is_inner_outer_london, period_end, time_period,
    {% for m in measures %}
    max(value) filter (where measure = '{{ m }}') as {{ m }},
    coalesce(max(value_note) filter (where measure = '{{ m }}'),
             case when count(*) filter (where measure = '{{ m }}') = 0 then 'x' end) as {{ m }}_note{{ "," if not loop.last }}
    {% endfor %}
from {{ ref('stg_dfe_published__headline') }}
group by geography_level, geography_code, period_end, time_period
