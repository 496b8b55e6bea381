-- Pay quartiles (metrics.md, "Ethnicity pay gap"; outputs.md table 9) per geography, period end, source and
-- service: everyone in the pay-gap population (Unknown ethnicity included) ordered by FTE salary, ties
-- broken by the pseudonymised person key, cut into four groups as equal as possible (the first n mod 4
-- take one more), and each ethnic group's headcount and share of known in each quartile. Pooled rows
-- order the pooled people themselves.
with cells as (
    select * from {{ ref('int_pay_cells') }}
),

counted as (
    select geography_level, geography_code, period_end, source, service, quartile, ethnic_group,
        count(*) as headcount
    from {{ ref('int_pay_quartile_people') }}
    group by all
),

quartile_cells as (
    select c.*, q.quartile
    from cells as c
    cross join (values (1), (2), (3), (4)) as q(quartile)
),

grouped as (
    select * from ({{ expand_ethnic_groups("counted",
        dims=['geography_level', 'geography_code', 'period_end', 'source', 'service', 'quartile'],
        sums=["headcount"]) }})
),

-- every quartile of every cell has all nine groups, zeros included (a cell with nobody has empty quartiles)
groups as (
    select * from (values ('White', 1), ('Mixed', 2), ('Asian', 3), ('Black', 4), ('Other', 5), ('Unknown', 6),
        ('BME', 7), ('Known', 8), ('Total', 9)) as g(ethnic_group, group_order)
),

filled as (
    select qc.*, g.ethnic_group, g.group_order, coalesce(gr.headcount, 0) as headcount
    from quartile_cells as qc
    cross join groups as g
    left join grouped as gr
        on gr.geography_level = qc.geography_level and gr.geography_code = qc.geography_code
        and gr.period_end = qc.period_end and gr.source = qc.source and gr.service = qc.service
        and gr.quartile = qc.quartile and gr.ethnic_group = g.ethnic_group
),

known as (
    select *,
        max(case when ethnic_group = 'Known' then headcount end) over (
            partition by geography_level, geography_code, period_end, source, service, quartile) as known_headcount
    from filled
)

select
    geography_level, geography_code, geography_name, la_code, region_code,
    period_end, {{ period_label('period_end') }} as period_label,
    source, service, quartile::integer as quartile, ethnic_group, group_order,
    headcount::bigint as headcount,
    case when ethnic_group not in ('Unknown', 'Total') then {{ share_of_known('headcount', 'known_headcount') }} end
        as pct_of_known,
    councils_included::bigint as councils_included,
    false as suppressed
from known
