-- Casework, CPD and ASYE rows name an employee of the same council's staff dataset for the same period
-- (council-hr.md). The loaders reject such rows; this guards the raw layer against anything else.
select 'casework' as dataset, c.la_code, c.period_end, c.employee_key
from {{ ref('stg_council_hr__casework') }} as c
left join {{ ref('int_staff_classified') }} as s using (la_code, period_end, employee_key)
where s.employee_key is null
union all
select 'cpd', c.la_code, c.period_end, c.employee_key
from {{ ref('stg_council_hr__cpd') }} as c
left join {{ ref('int_staff_classified') }} as s using (la_code, period_end, employee_key)
where s.employee_key is null
union all
select 'asye', a.la_code, a.period_end, a.employee_key
from {{ ref('stg_council_hr__asye') }} as a
left join {{ ref('int_staff_classified') }} as s using (la_code, period_end, employee_key)
where s.employee_key is null
