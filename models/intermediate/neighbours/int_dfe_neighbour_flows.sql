-- For every council in the DfE's published headline figures and every year it is published for, the
-- median of each measure over its ten statistical neighbours' published values that year (numeric values
-- only; NULL with note 'x' when fewer than 5 are numeric) and the number used (metrics.md). Councils and
-- neighbours are matched on their current LA code (int_statistical_neighbours). Joint returns (codes such
-- as 'E09000021 / E09000027') are neither a council nor a neighbour here.
{% set measures = ['inpost_fte', 'inpost_headcount', 'starters_fte', 'starters_headcount', 'leavers_fte',
    'leavers_headcount', 'turnover_rate_fte', 'agency_fte', 'agency_rate_fte', 'vacancy_fte', 'vacancy_rate_fte',
    'case_holders_fte', 'cases', 'caseload_fte', 'working_days_lost_fte', 'absence_rate_fte'] %}
with dfe as (
    select d.*, c.current_la_code
    from {{ ref('int_dfe_headline_pivoted') }} as d
    inner join {{ ref('int_current_la_codes') }} as c on c.la_code = d.geography_code
    where d.geography_level = 'Local authority'
),

-- one published row per neighbour and year (a year published under two codes counts once)
neighbour_values as (
    select current_la_code, period_end,
        {% for m in measures %}max({{ m }}) as {{ m }}{{ "," if not loop.last }}{% endfor %}
    from dfe
    group by current_la_code, period_end
)

select
    d.geography_code, d.period_end, la.la_name, la.region_code,
    count(n.current_la_code) as neighbours_used,
    {% for m in measures %}
    {{ neighbour_median('n.' ~ m) }} as {{ m }},
    {{ neighbour_median_note('n.' ~ m) }} as {{ m }}_note,
    count(n.{{ m }}) as {{ m }}_used{{ "," if not loop.last }}
    {% endfor %}
from dfe as d
inner join {{ ref('local_authorities') }} as la on la.la_code = d.geography_code
inner join {{ ref('int_statistical_neighbours') }} as sn on sn.la_code = d.current_la_code
left join neighbour_values as n on n.current_la_code = sn.neighbour_la_code and n.period_end = d.period_end
group by d.geography_code, d.period_end, la.la_name, la.region_code
