-- One row per worker record of a council's CSWW census return (reference date 30 September; active loads
-- only), in every collection year's layout: the raw columns renamed. Sex comes from GenderCurrent (up to
-- 2023) or Sex (2024 on): F, M, X or NULL. The repeating elements stay lists here; the single values the
-- marts use, ethnic groups, roles and pay per FTE are added in intermediate/people/int_csww_workers_classified.
select
    w.load_id,
    w.la_code,
    w.reference_date as period_end,
    w.worker_number,
    w.agency_worker,
    w.swe_key,
    w.fte,
    w.fte30,
    w.age_band,
    w.sex,
    w.ethnicity_code,
    w.org_role,
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
    w.absent_at_30_sept as absent_at_30_sept_list,
    w.reason_absence as reasons_absence,
    w.contract_weeks as contract_weeks_list,
    w.cfkss_status as cfkss_statuses,
    w.base_salary,
    w.rr_payments,
    w.other_payments
from {{ source('raw', 'csww_worker') }} as w
inner join {{ ref('stg_warehouse__active_loads') }} as l using (load_id)
