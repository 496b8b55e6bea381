-- People in post at the period end by council, source, service, seniority level and five-way group,
-- from the council HR extracts and the CSWW returns. Social-work roles only: non_qualified staff are
-- outside the seniority ladder (they count in wres_metrics). Seniority 'all' = the three levels.
with hr as (
    select la_code, period_end, 'council_hr' as source, service, seniority_level, ethnic_group, employee_key as person, fte
    from {{ ref('stg_council_hr__staff') }}
    where in_post_at_end and is_social_work_role and service in ('children', 'adults')
),

csww as (
    select la_code, period_end, 'csww_return' as source, 'children' as service, seniority_level, ethnic_group,
        swe_key as person, fte
    from {{ ref('stg_csww_return__workers') }}
    where is_in_post and seniority_level is not null
),

people as (
    select * from hr
    union all
    select la_code, period_end, source, 'all', seniority_level, ethnic_group, person, fte from hr
    union all
    select * from csww
)

select la_code, period_end, source, service, seniority_level, ethnic_group,
    count(distinct person) as headcount, sum(fte)::double as fte
from people
group by all
union all
select la_code, period_end, source, service, 'all', ethnic_group, count(distinct person), sum(fte)::double
from people
group by all
