select
    a.load_id, a.la_code, a.period_end, a.employee_key, a.programme, a.registration_date, a.outcome,
    a.outcome_date
from {{ source('raw', 'hr_asye') }} as a
inner join {{ ref('stg_warehouse__active_loads') }} as l using (load_id)
