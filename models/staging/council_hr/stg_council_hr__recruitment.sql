select
    r.load_id, r.la_code, r.period_end, r.vacancy_id, r.applicant_key, r.ethnicity_code, r.role, r.closing_date,
    r.shortlisted, r.appointed, r.internal_candidate
from {{ source('raw', 'hr_recruitment') }} as r
inner join {{ ref('stg_warehouse__active_loads') }} as l using (load_id)
