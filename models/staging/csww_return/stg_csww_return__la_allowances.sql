-- One row per LA-level allowance item of a council's CSWW return (2025 on): whether the council offers
-- it to its LA-employed social workers (0 no, 1 yes for all, 2 yes for some), or the OtherAllowances text.
select
    a.load_id,
    a.la_code,
    a.reference_date as period_end,
    a.item,
    a.item_order,
    a.value_code,
    a.value_text,
    case a.value_code when 0 then 'no' when 1 then 'all' when 2 then 'some' end as value_label
from {{ source('raw', 'csww_la_allowance') }} as a
inner join {{ ref('stg_warehouse__active_loads') }} as l using (load_id)
