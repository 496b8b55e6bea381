select
    r.load_id, r.la_code, r.period_end, r.vacancy_id, r.applicant_key, r.ethnicity_code,
    e.group5 as ethnic_group, e.wres_group, r.role, r.closing_date,
    r.shortlisted, r.appointed, r.internal_candidate
from {{ source('raw', 'hr_recruitment') }} as r
inner join {{ ref('stg_warehouse__active_loads') }} as l using (load_id)
left join {{ ref('ethnicity_codes') }} as e on e.code = r.ethnicity_code
