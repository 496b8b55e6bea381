-- One row per worker record of a council's CSWW census return (reference date 30 September), in every
-- collection year's layout. Sex comes from GenderCurrent (up to 2023) or Sex (2024 on): F, M, X or NULL.
-- The repeating elements stay lists (qual_inst, contract_weeks_list, reasons_absence, cfkss_statuses);
-- the single values keep the meaning the marts use: absent if any Absat30Sept is 1, the first reason
-- given, the longest ContractWeeks, the highest CFKSS status. Pay (2025 on): salary_per_fte follows
-- the council's csww_pay_basis (fte, the default: BaseSalary is already per FTE; actual: BaseSalary / FTE30).
with pay_basis as (
    select la_code, lower(trim(pay_basis)) as pay_basis from {{ ref('csww_pay_basis') }}
)

select
    w.load_id,
    w.la_code,
    w.reference_date as period_end,
    (w.reference_date - interval 1 year + interval 1 day)::date as period_start,
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
    list_bool_or(w.absent_at_30_sept) as absent_at_30_sept,
    w.reason_absence[1] as reason_absence,
    w.reason_absence as reasons_absence,
    list_max(w.contract_weeks) as contract_weeks,
    w.contract_weeks as contract_weeks_list,
    list_max(w.cfkss_status) as cfkss_status,
    w.cfkss_status as cfkss_statuses,
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
        and w.role_end_date between (w.reference_date - interval 1 year + interval 1 day)::date and w.reference_date) as is_leaver
from {{ source('raw', 'csww_worker') }} as w
inner join {{ ref('stg_warehouse__active_loads') }} as l using (load_id)
left join {{ ref('ethnicity_codes') }} as e on e.code = w.ethnicity_code
left join {{ ref('roles') }} as r on r.csww_org_role = w.org_role
left join pay_basis as pb on pb.la_code = w.la_code
