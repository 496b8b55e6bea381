-- People at risk (denominator) and people with the event (numerator) per council, period end, service,
-- metric and five-way group, for the SC-WRES metrics 2-8 (metrics.md). Only datasets the council sent
-- appear here; a missing dataset becomes status not_submitted in wres_metrics, never 0.
-- Every metric counts people: one row per employee_id in the extract, whatever their number of cases.
with staff as (
    select * from {{ ref('int_staff_classified') }}
),

staff_by_service as (
    select la_code, period_end, service, employee_key, ethnic_group, registered_professional, left_in_period
    from staff where service in ('children', 'adults')
    union all
    select la_code, period_end, 'all', employee_key, ethnic_group, registered_professional, left_in_period
    from staff
),

submitted as (
    select * from {{ ref('stg_council_hr__datasets_submitted') }}
),

disciplined as (
    select distinct la_code, period_end, employee_key from {{ ref('stg_council_hr__casework') }}
    where case_type = 'disciplinary'
),

ftp as (
    select distinct la_code, period_end, employee_key from {{ ref('stg_council_hr__casework') }}
    where case_type = 'fitness_to_practise'
),

cpd as (
    select distinct la_code, period_end, employee_key from {{ ref('stg_council_hr__cpd') }}
    where funded and not mandatory
),

m3 as (
    select s.la_code, s.period_end, s.service, '3' as metric, s.ethnic_group,
        count(distinct s.employee_key) filter (where d.employee_key is not null) as numerator,
        count(distinct s.employee_key) as denominator
    from staff_by_service as s
    inner join submitted as sub on sub.la_code = s.la_code and sub.period_end = s.period_end and sub.dataset = 'casework'
    left join disciplined as d
        on d.la_code = s.la_code and d.period_end = s.period_end and d.employee_key = s.employee_key
    group by all
),

m4 as (
    select s.la_code, s.period_end, s.service, '4', s.ethnic_group,
        count(distinct s.employee_key) filter (where f.employee_key is not null),
        count(distinct s.employee_key)
    from staff_by_service as s
    inner join submitted as sub on sub.la_code = s.la_code and sub.period_end = s.period_end and sub.dataset = 'casework'
    left join ftp as f
        on f.la_code = s.la_code and f.period_end = s.period_end and f.employee_key = s.employee_key
    where s.registered_professional
    group by all
),

m5 as (
    select s.la_code, s.period_end, s.service, '5', s.ethnic_group,
        count(distinct s.employee_key) filter (where c.employee_key is not null),
        count(distinct s.employee_key)
    from staff_by_service as s
    inner join submitted as sub on sub.la_code = s.la_code and sub.period_end = s.period_end and sub.dataset = 'cpd'
    left join cpd as c
        on c.la_code = s.la_code and c.period_end = s.period_end and c.employee_key = s.employee_key
    group by all
),

m8 as (
    select la_code, period_end, service, '8', ethnic_group,
        count(distinct employee_key) filter (where left_in_period),
        count(distinct employee_key)
    from staff_by_service
    group by all
),

m2 as (
    select la_code, period_end, 'all' as service, '2' as metric, ethnic_group,
        count(*) filter (where appointed) as numerator, count(*) as denominator
    from {{ ref('int_recruitment_classified') }}
    where shortlisted
    group by all
),

survey as (
    select * from {{ ref('int_survey_classified') }}
),

m6 as (
    select la_code, period_end, 'all', '6', ethnic_group,
        count(*) filter (where harassment_public), count(*)
    from survey where harassment_public is not null group by all
),

m7 as (
    select la_code, period_end, 'all', '7', ethnic_group,
        count(*) filter (where harassment_colleague or harassment_manager), count(*)
    from survey where harassment_colleague is not null or harassment_manager is not null group by all
),

m7a as (
    select la_code, period_end, 'all', '7a', ethnic_group, count(*) filter (where harassment_colleague), count(*)
    from survey where harassment_colleague is not null group by all
),

response as (
    -- survey respondents against headcount in post at the period end (metrics 6 and 7 response rate)
    select h.la_code, h.period_end, 'all', 'response', 'All', coalesce(v.respondents, 0), h.headcount
    from (
        select la_code, period_end, count(distinct employee_key) filter (where in_post_at_end) as headcount
        from staff group by all
    ) as h
    inner join submitted as sub on sub.la_code = h.la_code and sub.period_end = h.period_end and sub.dataset = 'survey'
    left join (select la_code, period_end, count(*) as respondents from survey group by all) as v
        on v.la_code = h.la_code and v.period_end = h.period_end
),

m7b as (
    select la_code, period_end, 'all', '7b', ethnic_group, count(*) filter (where harassment_manager), count(*)
    from survey where harassment_manager is not null group by all
),

counted as (
    select * from m3
    union all select * from m2
    union all select * from m4
    union all select * from m5
    union all select * from m6
    union all select * from m7
    union all select * from m7a
    union all select * from m7b
    union all select * from m8
),

-- the whole grid (metrics.md, "Zero rows"): for every council and period that sent a metric's dataset,
-- every service the metric is published for and every group, zeros where nobody is at risk, so pooling
-- sums over every council that loaded the dataset
metric_datasets as (
    select * from (values
        ('2', 'recruitment', true), ('3', 'casework', false), ('4', 'casework', false), ('5', 'cpd', false),
        ('6', 'survey', true), ('7', 'survey', true), ('7a', 'survey', true), ('7b', 'survey', true),
        ('8', 'staff', false)
    ) as m(metric, dataset, all_services_only)
),

grid as (
    select sub.la_code, sub.period_end, v.service, m.metric, g.ethnic_group
    from submitted as sub
    inner join metric_datasets as m on m.dataset = sub.dataset
    cross join (values ('children'), ('adults'), ('all')) as v(service)
    cross join (values ('White'), ('Mixed'), ('Asian'), ('Black'), ('Other'), ('Unknown')) as g(ethnic_group)
    where v.service = 'all' or not m.all_services_only
)

select g.la_code, g.period_end, g.service, g.metric, g.ethnic_group,
    coalesce(c.numerator, 0) as numerator, coalesce(c.denominator, 0) as denominator
from grid as g
left join counted as c using (la_code, period_end, service, metric, ethnic_group)
union all
select * from response
