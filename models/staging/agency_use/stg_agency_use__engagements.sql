-- One row per agency engagement active in a council's quarter (active loads only).
select
    a.load_id, a.la_code, a.quarter, a.quarter_start, a.quarter_end, a.engagement_key, a.swe_key,
    a.service, a.role, a.engagement_type, a.agency_name, a.start_date, a.end_date, a.hours_in_quarter,
    a.fte as fte_reported, a.charge_rate_per_hour, a.pay_rate_per_hour, a.post_qualified_la_years,
    a.left_permanent_la_code, a.left_permanent_date, a.ethnicity_code, a.covering_vacancy
from {{ source('raw', 'agency_engagement') }} as a
inner join {{ ref('stg_warehouse__active_loads') }} as l using (load_id)
