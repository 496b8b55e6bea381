-- One row per person in a council's HR extract (active loads only): the raw columns, renamed and typed.
-- Ethnic groups, seniority and the in-post flags are added in intermediate/people/int_staff_classified.
select
    s.load_id,
    s.la_code,
    s.period_end,
    s.employee_key,
    s.swe_key,
    s.age_band,
    s.sex,
    s.ethnicity_code,
    s.service,
    s.role,
    s.pay_band,
    s.pay_band_order,
    s.annual_fte_salary,
    s.registered_professional,
    s.contract_type,
    s.fte,
    s.start_date,
    s.role_start_date,
    s.end_date,
    s.leaving_reason,
    s.destination
from {{ source('raw', 'hr_staff') }} as s
inner join {{ ref('stg_warehouse__active_loads') }} as l using (load_id)
