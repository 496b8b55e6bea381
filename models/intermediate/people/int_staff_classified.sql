-- One row per person in a council's HR extract, with the period's dates, the person's ethnic groups and
-- role seniority (seeds), and the in-post, starter and leaver flags of metrics.md's conventions.
{{ config(materialized='view') }}

with periods as (
    select *, (period_end - interval 1 year + interval 1 day)::date as period_start
    from {{ ref('stg_council_hr__staff') }}
)

select
    p.load_id,
    p.la_code,
    p.period_end,
    p.period_start,
    p.employee_key,
    p.swe_key,
    p.age_band,
    p.sex,
    p.ethnicity_code,
    e.group5 as ethnic_group,
    e.wres_group,
    p.service,
    p.role,
    r.seniority_level,
    r.is_social_work_role,
    p.pay_band,
    p.pay_band_order,
    p.annual_fte_salary,
    p.registered_professional,
    p.contract_type,
    p.fte,
    p.start_date,
    p.role_start_date,
    p.end_date,
    p.leaving_reason,
    p.destination,
    -- metrics.md conventions. An end date after the period end is a planned end: in post at the end.
    (p.start_date <= p.period_end and (p.end_date is null or p.end_date > p.period_end)) as in_post_at_end,
    (p.start_date < p.period_start and (p.end_date is null or p.end_date >= p.period_start)) as in_post_at_start,
    (p.start_date between p.period_start and p.period_end) as started_in_period,
    (p.end_date between p.period_start and p.period_end) as left_in_period,
    -- DfE-comparable children's social workers (council-hr.md)
    (p.service = 'children' and r.is_social_work_role and p.registered_professional) as is_childrens_social_worker
from periods as p
left join {{ ref('ethnicity_codes') }} as e on e.code = p.ethnicity_code
left join {{ ref('roles') }} as r on r.role = p.role
