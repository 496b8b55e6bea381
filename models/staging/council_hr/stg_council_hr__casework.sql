select c.load_id, c.la_code, c.period_end, c.case_key, c.employee_key, c.case_type, c.opened_date, c.outcome
from {{ source('raw', 'hr_casework') }} as c
inner join {{ ref('stg_warehouse__active_loads') }} as l using (load_id)
