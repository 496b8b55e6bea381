-- Cohorts, promotions and leavers' movement per council, period end (P2), service and five-way group, over
-- the whole grid (metrics.md, "Zero rows"): every service and group of a council extract that has one 12
-- months earlier has a row, with zeros where nobody is in it. Service 'all' is every staff row.
with people as (
    select * from {{ ref('int_progression_people') }} where service in ('children', 'adults')
    union all
    select * replace ('all' as service) from {{ ref('int_progression_people') }}
),

-- the council extracts (one row each: joining staff rows to staff rows grew with the square of the staff)
extracts as (
    select distinct la_code, period_end from {{ ref('int_staff_classified') }}
),

grid as (
    select p2.la_code, p2.period_end, v.service, g.ethnic_group
    from extracts as p
    inner join extracts as p2
        on p2.la_code = p.la_code and p.period_end = (p2.period_end - interval 1 year)::date
    cross join (values ('children'), ('adults'), ('all')) as v(service)
    cross join (values ('White'), ('Mixed'), ('Asian'), ('Black'), ('Other'), ('Unknown')) as g(ethnic_group)
),

counted as (
    select la_code, period_end, service, ethnic_group,
        sum(in_cohort) as cohort, sum(promoted) as promoted, sum(leaver) as leavers,
        sum(moved_within_alliance) as moved_within_alliance, sum(to_agency_observed) as to_agency_observed,
        sum(stated_to_another_la) as stated_to_another_la, sum(stated_to_agency) as stated_to_agency
    from people
    group by all
)

select g.la_code, g.period_end, g.service, g.ethnic_group,
    {% for c in ['cohort', 'promoted', 'leavers', 'moved_within_alliance', 'to_agency_observed',
                 'stated_to_another_la', 'stated_to_agency'] %}
    coalesce(c.{{ c }}, 0)::bigint as {{ c }}{{ "," if not loop.last }}
    {% endfor %}
from grid as g
left join counted as c using (la_code, period_end, service, ethnic_group)
