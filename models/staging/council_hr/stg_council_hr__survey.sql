select
    s.load_id, s.la_code, s.period_end, s.ethnicity_code,
    s.harassment_public, s.harassment_colleague, s.harassment_manager
from {{ source('raw', 'hr_survey') }} as s
inner join {{ ref('stg_warehouse__active_loads') }} as l using (load_id)
