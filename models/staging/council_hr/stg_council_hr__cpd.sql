select c.load_id, c.la_code, c.period_end, c.employee_key, c.activity_id, c.start_date, c.funded, c.mandatory
from {{ source('raw', 'hr_cpd') }} as c
inner join {{ ref('stg_warehouse__active_loads') }} as l using (load_id)
