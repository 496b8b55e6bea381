-- What each council of the alliance offers its LA-employed social workers besides base pay, as its CSWW
-- return says (2025-on LALevel block): one row per council, 30 September and allowance item. `value` is
-- no, all (yes for all LA-employed social workers), some (yes for some), or the OtherAllowances text.
-- Council-level facts, no count of people: nothing here is suppressed.
select
    'Local authority' as geography_level,
    a.la_code as geography_code,
    la.la_name as geography_name,
    a.la_code,
    la.region_code,
    a.period_end,
    {{ period_label('a.period_end') }} as period_label,
    a.item,
    a.item_order::integer as item_order,
    a.value_code::integer as value_code,
    coalesce(a.value_label, a.value_text) as value,
    false as suppressed
from {{ ref('stg_csww_return__la_allowances') }} as a
inner join {{ ref('int_alliance_councils') }} as ac using (la_code)
left join {{ ref('local_authorities') }} as la on la.la_code = a.la_code
