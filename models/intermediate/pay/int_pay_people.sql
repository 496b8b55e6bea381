-- The ethnicity pay gap's population (metrics.md, "Ethnicity pay gap"): one row per person in post at the
-- period end with a salary, per service they count in. Council HR: annual_fte_salary of every staff row in
-- post (non_qualified staff included: their seniority_level is NULL, so they count only in level 'all');
-- service 'all' is every row of the council, 'other' included. CSWW return (2025 on): non-agency in-post
-- workers with BaseSalary, as salary per FTE (csww_pay_basis), service 'children'.
-- person_key breaks salary ties in the pay quartiles (the pseudonymised person key).
with hr as (
    select la_code, period_end, 'council_hr' as source, service, seniority_level, sex, ethnic_group,
        employee_key as person_key, annual_fte_salary::decimal(18, 2) as salary
    from {{ ref('int_staff_classified') }}
    where in_post_at_end and annual_fte_salary is not null
),

csww as (
    select la_code, period_end, 'csww_return' as source, 'children' as service, seniority_level, sex, ethnic_group,
        swe_key as person_key, salary_per_fte as salary
    from {{ ref('int_csww_workers_classified') }}
    where is_in_post and salary_per_fte is not null
    -- a worker with two records in one return counts once (the record with the larger FTE)
    qualify row_number() over (
        partition by la_code, period_end, swe_key order by fte desc, worker_number) = 1
)

select la_code, period_end, source, service, seniority_level, sex, coalesce(ethnic_group, 'Unknown') as ethnic_group,
    person_key, salary
from hr where service in ('children', 'adults')
union all
select la_code, period_end, source, 'all', seniority_level, sex, coalesce(ethnic_group, 'Unknown'), person_key, salary
from hr
union all
select la_code, period_end, source, service, seniority_level, sex, coalesce(ethnic_group, 'Unknown'), person_key, salary
from csww
