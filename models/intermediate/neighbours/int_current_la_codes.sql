-- Every LA code of local_authorities with the code its council has now: its single successor code where
-- successor_codes names exactly one (a code change or a merger into one council), followed twice; the code
-- itself otherwise (a council split in two keeps its own code).
with la as (
    select la_code,
        case when successor_codes is not null and trim(successor_codes) <> '' and trim(successor_codes) not like '% %'
            then trim(successor_codes) end as single_successor
    from {{ ref('local_authorities') }}
)

select l0.la_code, coalesce(l2.single_successor, l1.single_successor, l0.single_successor, l0.la_code) as current_la_code
from la as l0
left join la as l1 on l1.la_code = l0.single_successor
left join la as l2 on l2.la_code = l1.single_successor
