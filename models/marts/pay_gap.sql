-- The ethnicity pay gap (metrics.md, "Ethnicity pay gap"; outputs.md table 9) per geography, period end,
-- source, service, seniority level (and 'all': everyone in post with a salary, non_qualified included),
-- sex ('all', 'F', 'M') and comparison group against White, over the whole grid (a cell where nobody is
-- paid has zero headcounts and status too_few). The figures are int_pay_gap_figures'; Region and Alliance
-- rows there are computed over the pooled people, never from council means or medians.
with levels as (
    select * from (values ('case_holder', 1), ('senior_practitioner', 2), ('manager', 3), ('all', 4))
        as l(seniority_level, level_order)
),

sexes as (
    select * from (values ('all', 1), ('F', 2), ('M', 3)) as s(sex, sex_order)
),

comparison_groups as (
    select * from (values ('BME', 1), ('Black', 2), ('Asian', 3), ('Mixed', 4), ('Other', 5))
        as g(comparison_group, comparison_order)
),

grid as (
    select c.*, l.seniority_level, l.level_order, x.sex, x.sex_order, g.comparison_group, g.comparison_order
    from {{ ref('int_pay_cells') }} as c
    cross join levels as l
    cross join sexes as x
    cross join comparison_groups as g
)

select
    g.geography_level, g.geography_code, g.geography_name, g.la_code, g.region_code,
    g.period_end, {{ period_label('g.period_end') }} as period_label,
    g.source, g.service, g.seniority_level, g.level_order, g.sex, g.sex_order, g.comparison_group, g.comparison_order,
    coalesce(f.group_headcount, 0)::bigint as group_headcount, coalesce(f.white_headcount, 0)::bigint as white_headcount,
    f.group_mean_salary, f.white_mean_salary, f.group_median_salary, f.white_median_salary,
    f.mean_gap_pct, f.median_gap_pct,
    coalesce(f.status, 'too_few') as status,
    g.councils_included::bigint as councils_included,
    false as suppressed
from grid as g
left join {{ ref('int_pay_gap_figures') }} as f
    on f.geography_level = g.geography_level and f.geography_code = g.geography_code and f.period_end = g.period_end
    and f.source = g.source and f.service = g.service and f.seniority_level = g.seniority_level and f.sex = g.sex
    and f.comparison_group = g.comparison_group
