-- The alliance's chase list: per council, source, dataset and period, what was loaded, rejected,
-- superseded, is waiting for its staff dataset, or is missing (a dataset other councils sent for that
-- period, or any HR dataset absent from a loaded extract).
with log as (
    select *, row_number() over (partition by source, la_code, dataset, period_end order by load_id desc) as recency
    from {{ source('raw', 'load_log') }}
    where la_code is not null
),

errors as (
    select load_id, count(*) as errors from {{ source('raw', 'row_errors') }} group by all
),

logged as (
    select
        l.la_code, l.source, l.dataset, l.period_end, l.period_label,
        case when l.withdrawn then 'withdrawn' else l.outcome end as status,
        l.file_name as file, l.file_sha256 as sha256, l.rows_loaded as rows, coalesce(e.errors, 0) as errors,
        l.finished_at::timestamptz as loaded_at, l.message, l.load_id,
        l.recency = 1 as is_latest
    from log as l
    left join errors as e using (load_id)
),

expected_hr as (
    -- every dataset of a council HR extract whose staff dataset is loaded
    select s.la_code, 'council_hr' as source, d.dataset, s.period_end
    from (select distinct la_code, period_end from logged where source = 'council_hr' and status = 'loaded') as s
    cross join (values ('staff'), ('recruitment'), ('casework'), ('cpd'), ('asye'), ('survey')) as d(dataset)
),

expected_periods as (
    -- a council of the alliance that sent nothing for a period that other councils sent
    select ac.la_code, p.source, p.dataset, p.period_end
    from {{ ref('int_alliance_councils') }} as ac
    cross join (select distinct source, dataset, period_end from logged where status = 'loaded') as p
),

expected as (
    select * from expected_hr
    union
    select * from expected_periods
),

missing as (
    select e.la_code, e.source, e.dataset, e.period_end
    from expected as e
    where not exists (
        select 1 from logged as l
        where l.la_code = e.la_code and l.source = e.source and l.dataset = e.dataset
          and l.period_end = e.period_end and l.status in ('loaded', 'waiting_for_staff', 'not_ready'))
)

select 'Local authority' as geography_level, l.la_code as geography_code, la.la_name as geography_name,
    l.la_code, la.region_code, l.source, l.dataset, l.period_end,
    -- one label per period end (macro period_label); a DfE file spans years, so its load log's span stays
    case when l.period_end is null then l.period_label
         when l.source = 'agency_use' then {{ period_label('l.period_end', 'quarter') }}
         else {{ period_label('l.period_end') }} end as period_label,
    l.status, l.file, l.sha256, l.rows::bigint as rows, l.errors::bigint as errors, l.loaded_at, l.message, l.load_id,
    l.is_latest
from logged as l
left join {{ ref('local_authorities') }} as la using (la_code)
union all
select 'Local authority', m.la_code, la.la_name, m.la_code, la.region_code, m.source, m.dataset, m.period_end,
    case when m.source = 'agency_use' then {{ period_label('m.period_end', 'quarter') }} else {{ period_label('m.period_end') }} end,
    'missing', null, null, null, null, null,
    case when m.source = 'council_hr' then 'no ' || m.dataset || ' dataset for this extract: its metrics are not_submitted'
         else 'other councils sent this; this council has not' end,
    null, true
from missing as m
left join {{ ref('local_authorities') }} as la using (la_code)
