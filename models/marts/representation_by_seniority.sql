-- People in post at the period end by seniority level and ethnic group, from the council HR extracts,
-- the CSWW returns and the DfE's published statistics. pct_of_known = group / known x 100; the
-- progression ratio = a group's pct_of_known among managers / among case holders.
with pooled as (
    select * from ({{ expand_ethnic_groups(ref('int_representation_pooled'),
        dims=['geography_level', 'geography_code', 'geography_name', 'la_code', 'region_code',
              'period_end', 'source', 'service', 'seniority_level'],
        sums=['headcount', 'fte']) }})
),

councils as (
    select geography_level, geography_code, period_end, source, service, max(councils_included) as councils_included
    from {{ ref('int_representation_pooled') }}
    group by all
),

own as (
    select geography_level, geography_code, geography_name, la_code, region_code, period_end, source, service,
        seniority_level, ethnic_group, group_order, headcount::bigint as headcount, fte,
        null::varchar as headcount_note, null::varchar as fte_note, c.councils_included
    from pooled
    left join councils as c using (geography_level, geography_code, period_end, source, service)
),

dfe as (
    select geography_level, geography_code, geography_name, la_code, region_code, period_end, 'dfe_published',
        'children', seniority_level, ethnic_group,
        case ethnic_group when 'White' then 1 when 'Mixed' then 2 when 'Asian' then 3 when 'Black' then 4
            when 'Other' then 5 when 'Unknown' then 6 when 'BME' then 7 when 'Known' then 8 else 9 end,
        -- FTE where the DfE file carries it (the long layout); the wide layout has none: NULL with note x
        headcount::bigint, fte::double, headcount_note, coalesce(fte_note, case when fte is null then 'x' end), null::bigint
    from {{ ref('int_dfe_representation_pivoted') }}
),

unioned as (
    select * from own
    union all
    select * from dfe
),

known as (
    select u.*,
        max(case when ethnic_group = 'Known' then headcount end) over (
            partition by geography_level, geography_code, period_end, source, service, seniority_level) as known_headcount
    from unioned as u
),

shares as (
    select *,
        case when ethnic_group not in ('Unknown', 'Total') then {{ share_of_known('headcount', 'known_headcount') }} end
            as pct_of_known
    from known
)

select
    geography_level, geography_code, geography_name, la_code, region_code,
    period_end, {{ period_label('period_end') }} as period_label,
    source, service, seniority_level, ethnic_group, group_order,
    headcount, fte, pct_of_known,
    {{ ratio(
        "max(case when seniority_level = 'manager' then pct_of_known end) over (partition by geography_level, geography_code, period_end, source, service, ethnic_group)",
        "max(case when seniority_level = 'case_holder' then pct_of_known end) over (partition by geography_level, geography_code, period_end, source, service, ethnic_group)") }}
        as progression_ratio,

    headcount_note, fte_note, null::varchar as pct_of_known_note, null::bigint as neighbours_used, councils_included,
    false as suppressed
from shares

union all

-- statistical neighbours (issue 17): the median of the council's ten neighbours' DfE shares; no counts
select
    'Statistical neighbours', geography_code, 'Statistical neighbours of ' || la_name, geography_code, region_code,
    period_end, {{ period_label('period_end') }}, 'dfe_published', 'children', seniority_level, ethnic_group,
    case ethnic_group when 'White' then 1 when 'Mixed' then 2 when 'Asian' then 3 when 'Black' then 4
        when 'Other' then 5 when 'Unknown' then 6 when 'BME' then 7 when 'Known' then 8 else 9 end,
    null::bigint, null::double, pct_of_known, null::double, 'z', 'z', pct_of_known_note, neighbours_used, null::bigint,
    false
from {{ ref('int_dfe_neighbour_representation') }}
