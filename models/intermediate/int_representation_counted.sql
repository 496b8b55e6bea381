-- People in post at the period end by council, source, service, seniority level and five-way group,
-- from the council HR extracts and the CSWW returns. Social-work roles only: non_qualified staff are
-- outside the seniority ladder (they count in wres_metrics). Seniority 'all' = the three levels.
-- Service 'all' is every staff row of the council, service 'other' included (metrics.md, "Service all");
-- 'children' and 'adults' are those services' rows. The CSWW return is children's only.
-- The grid is whole (metrics.md, "Zero rows"): every service, seniority level and group of a council and
-- period that sent the dataset has a row, with zeros where nobody is in it.
with hr as (
    select la_code, period_end, 'council_hr' as source, service, seniority_level, ethnic_group, employee_key as person, fte
    from {{ ref('int_staff_classified') }}
    where in_post_at_end and is_social_work_role
),

csww as (
    select la_code, period_end, 'csww_return' as source, 'children' as service, seniority_level, ethnic_group,
        swe_key as person, fte
    from {{ ref('int_csww_workers_classified') }}
    where is_in_post and seniority_level is not null
),

people as (
    select * from hr where service in ('children', 'adults')
    union all
    select la_code, period_end, source, 'all', seniority_level, ethnic_group, person, fte from hr
    union all
    select * from csww
),

counted as (
    select la_code, period_end, source, service, seniority_level, ethnic_group,
        count(distinct person) as headcount, sum(fte)::double as fte
    from people
    group by all
    union all
    select la_code, period_end, source, service, 'all', ethnic_group, count(distinct person), sum(fte)::double
    from people
    group by all
),

submitted as (
    select la_code, period_end, 'council_hr' as source, s.service
    from {{ ref('stg_council_hr__datasets_submitted') }}
    cross join (values ('children'), ('adults'), ('all')) as s(service)
    where dataset = 'staff'
    union
    select distinct la_code, period_end, 'csww_return', 'children'
    from {{ ref('int_csww_workers_classified') }}
),

grid as (
    select s.la_code, s.period_end, s.source, s.service, l.seniority_level, g.ethnic_group
    from submitted as s
    cross join (values ('case_holder'), ('senior_practitioner'), ('manager'), ('all')) as l(seniority_level)
    cross join (values ('White'), ('Mixed'), ('Asian'), ('Black'), ('Other'), ('Unknown')) as g(ethnic_group)
)

select g.la_code, g.period_end, g.source, g.service, g.seniority_level, g.ethnic_group,
    coalesce(c.headcount, 0) as headcount, coalesce(c.fte, 0)::double as fte
from grid as g
left join counted as c using (la_code, period_end, source, service, seniority_level, ethnic_group)
