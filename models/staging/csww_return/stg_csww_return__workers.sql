-- One row per worker record of a council's CSWW census return (reference date 30 September).
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
    w.gender,
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
    w.cfkss_status,
    (not w.agency_worker and w.fte > 0) as is_in_post,
    (not w.agency_worker and w.role_end_date is not null
        and w.role_end_date between (w.reference_date - interval 1 year + interval 1 day)::date and w.reference_date) as is_leaver
from {{ source('raw', 'csww_worker') }} as w
inner join {{ ref('stg_warehouse__active_loads') }} as l using (load_id)
left join {{ ref('ethnicity_codes') }} as e on e.code = w.ethnicity_code
left join {{ ref('roles') }} as r on r.csww_org_role = w.org_role
