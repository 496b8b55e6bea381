-- The DfE's statistical neighbours (seed statistical_neighbours_2025), one row per council and neighbour,
-- each resolved to its current LA code: the old code's latest la_code in local_authorities, then its single
-- successor code where it has one (up to two changes, e.g. Barnsley E08000016 -> E08000038). The DfE
-- published rows are matched on the same current code (current_la_codes), so a year the DfE coded with an old
-- code still finds its council; a council split in two (Cumbria, Northamptonshire) has no single successor
-- and its years before the split match neither half.
with sn as (
    select * from {{ ref('statistical_neighbours_2025') }}
),

pairs as (
    {% for i in range(1, 11) %}
    select trim(old_la_code) as old_la_code, {{ i }} as neighbour_rank, trim("SN_{{ i }}") as neighbour_old_code,
        trim("SN_{{ i }}P") as closeness
    from sn
    {{ "union all" if not loop.last }}
    {% endfor %}
),

latest as (
    -- the la_code an old code has in the latest years of local_authorities
    select old_la_code, arg_max(la_code, last_year) as la_code
    from {{ ref('local_authorities') }}
    group by old_la_code
)

select p.old_la_code, cur.current_la_code as la_code, p.neighbour_rank, p.neighbour_old_code,
    ncur.current_la_code as neighbour_la_code, p.closeness
from pairs as p
inner join latest as l on l.old_la_code = p.old_la_code
inner join {{ ref('int_current_la_codes') }} as cur on cur.la_code = l.la_code
left join latest as nl on nl.old_la_code = p.neighbour_old_code
left join {{ ref('int_current_la_codes') }} as ncur on ncur.la_code = nl.la_code
