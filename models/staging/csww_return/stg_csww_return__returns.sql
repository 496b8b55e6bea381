-- One row per council return: the LA-level vacancy block.
select
    r.load_id, r.la_code, r.reference_date as period_end, r.collection_year, r.lea,
    r.vacancies_fte, r.agency_cover_fte, r.agency_cover_headcount, r.workers
from {{ source('raw', 'csww_return') }} as r
inner join {{ ref('stg_warehouse__active_loads') }} as l using (load_id)
