-- Children's social workers' flows per council and period end, as counts (rates come after pooling).
-- council_hr: service children, the six social-work roles, registered; no cases, absence or vacancies
-- (NULL; note z in the mart); agency FTE from the agency return of the quarter ending on the period end
-- (NULL, note x, when there is none).
-- csww_return: every measure, as dfe-census.md lists them.
with hr_staff as (
    select * from {{ ref('int_staff_classified') }} where is_childrens_social_worker
),

agency_q as (
    select la_code, quarter_end, sum(fte) as agency_fte, count(distinct swe_key) as agency_headcount
    from {{ ref('int_agency_engagements_assessed') }}
    where service = 'children' and is_active_at_quarter_end and fte > 0
    group by all
),

agency_returns as (
    select distinct la_code, period_end as quarter_end
    from {{ ref('stg_warehouse__active_loads') }} where source = 'agency_use'
),

hr as (
    select
        s.la_code, s.period_end, 'council_hr' as source,
        coalesce(sum(s.fte) filter (where s.in_post_at_end), 0)::double as inpost_fte,
        count(distinct s.employee_key) filter (where s.in_post_at_end) as inpost_headcount,
        coalesce(sum(s.fte) filter (where s.started_in_period), 0)::double as starters_fte,
        count(distinct s.employee_key) filter (where s.started_in_period) as starters_headcount,
        coalesce(sum(s.fte) filter (where s.left_in_period), 0)::double as leavers_fte,
        count(distinct s.employee_key) filter (where s.left_in_period) as leavers_headcount
    from hr_staff as s
    group by all
),

hr_flows as (
    select hr.*,
        case when ar.la_code is not null then coalesce(a.agency_fte, 0) end::double as agency_fte,
        null::double as vacancy_fte, null::double as case_holders_fte, null::double as cases,
        null::double as working_days_lost_fte
    from hr
    left join agency_returns as ar on ar.la_code = hr.la_code and ar.quarter_end = hr.period_end
    left join agency_q as a on a.la_code = hr.la_code and a.quarter_end = hr.period_end
),

w as (select * from {{ ref('int_csww_workers_classified') }}),

csww as (
    select
        w.la_code, w.period_end, 'csww_return' as source,
        coalesce(sum(w.fte) filter (where w.is_in_post), 0)::double as inpost_fte,
        count(distinct w.swe_key) filter (where w.is_in_post) as inpost_headcount,
        coalesce(sum(w.fte) filter (where w.is_in_post and w.role_start_date between w.period_start and w.period_end), 0)::double
            as starters_fte,
        count(distinct w.swe_key) filter (where w.is_in_post and w.role_start_date between w.period_start and w.period_end)
            as starters_headcount,
        coalesce(sum(w.fte30) filter (where w.is_leaver), 0)::double as leavers_fte,
        count(distinct w.swe_key) filter (where w.is_leaver) as leavers_headcount,
        coalesce(sum(w.fte) filter (where w.agency_worker and w.fte > 0), 0)::double as agency_fte,
        coalesce(sum(w.fte) filter (where w.cases30 > 0), 0)::double as case_holders_fte,
        coalesce(sum(w.cases30), 0)::double as cases,
        coalesce(sum(w.working_days_lost) filter (where not w.agency_worker), 0)::double as working_days_lost_fte
    from w
    group by all
),

csww_flows as (
    select c.*, r.vacancies_fte::double as vacancy_fte
    from csww as c
    left join {{ ref('stg_csww_return__returns') }} as r on r.la_code = c.la_code and r.period_end = c.period_end
)

select la_code, period_end, source, inpost_fte, inpost_headcount, starters_fte, starters_headcount, leavers_fte,
    leavers_headcount, agency_fte, vacancy_fte, case_holders_fte, cases, working_days_lost_fte
from hr_flows
union all
select la_code, period_end, source, inpost_fte, inpost_headcount, starters_fte, starters_headcount, leavers_fte,
    leavers_headcount, agency_fte, vacancy_fte, case_holders_fte, cases, working_days_lost_fte
from csww_flows
