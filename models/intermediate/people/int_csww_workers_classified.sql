-- CSWW worker records with the period's dates, ethnic groups and role seniority (seeds), the single values
-- the marts use of the repeating elements (absent if any Absat30Sept is 1, the first reason given, the
-- longest ContractWeeks, the highest CFKSS status), and pay (2025 on): salary_per_fte follows the council's
-- csww_pay_basis (fte, the default: BaseSalary is already per FTE; actual: BaseSalary / FTE30).
{{ config(materialized='view') }}

with pay_basis as (
    select la_code, lower(trim(pay_basis)) as pay_basis from {{ ref('csww_pay_basis') }}
)

select
    w.load_id,
    w.la_code,
    w.period_end,
    (w.period_end - interval 1 year + interval 1 day)::date as period_start,
    w.worker_number,
    w.agency_worker,
    w.swe_key,
    w.fte,
    w.fte30,
    w.age_band,
    w.sex,
    w.ethnicity_code,
    e.group5 as ethnic_group,
    e.wres_group,
    w.org_role,
    r.role,
    r.seniority_level,
    w.role_start_date,
    w.start_origin,
    w.role_end_date,
    w.leaver_destination,
    w.reason_leave,
    w.cases30,
    w.working_days_lost,
    w.qual_inst,
    w.qual_level,
    w.step_up_grad,
    w.frontline_grad,
    list_bool_or(w.absent_at_30_sept_list) as absent_at_30_sept,
    w.reasons_absence[1] as reason_absence,
    w.reasons_absence,
    list_max(w.contract_weeks_list) as contract_weeks,
    w.contract_weeks_list,
    list_max(w.cfkss_statuses) as cfkss_status,
    w.cfkss_statuses,
    w.base_salary,
    w.rr_payments,
    w.other_payments,
    coalesce(pb.pay_basis, 'fte') as pay_basis,
    case
        when w.base_salary is null then null
        when coalesce(pb.pay_basis, 'fte') = 'actual'
            then case when w.fte30 > 0 then (w.base_salary / w.fte30)::decimal(18, 2) end
        else w.base_salary::decimal(18, 2)
    end as salary_per_fte,
    (not w.agency_worker and w.fte > 0) as is_in_post,
    (not w.agency_worker and w.role_end_date is not null
        and w.role_end_date between (w.period_end - interval 1 year + interval 1 day)::date and w.period_end) as is_leaver
from {{ ref('stg_csww_return__workers') }} as w
left join {{ ref('ethnicity_codes') }} as e on e.code = w.ethnicity_code
left join {{ ref('roles') }} as r on r.csww_org_role = w.org_role
left join pay_basis as pb on pb.la_code = w.la_code
