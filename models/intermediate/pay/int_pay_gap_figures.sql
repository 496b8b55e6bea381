-- Each side's headcount, mean and median FTE salary, and the mean and median gaps against White, for every
-- geography, period end, source, service, seniority level (and 'all': everyone with a salary, non_qualified
-- included), sex ('all', 'F', 'M') and comparison group where anyone is paid (metrics.md, "Ethnicity pay
-- gap"). pay_gap adds the empty cells of the grid. Gaps come from the unrounded means and medians.
{% set min_n = var('min_denominator') %}
with people as (
    select * from {{ ref('int_pay_people_pooled') }}
),

levels as (
    select * from (values ('case_holder'), ('senior_practitioner'), ('manager'), ('all')) as l(seniority_level)
),

sexes as (
    select * from (values ('all'), ('F'), ('M')) as s(sex)
),

-- which published side each five-way group counts in (White is the reference side)
sides as (
    select * from (values
        ('White', 'White'), ('Mixed', 'BME'), ('Asian', 'BME'), ('Black', 'BME'), ('Other', 'BME'),
        ('Mixed', 'Mixed'), ('Asian', 'Asian'), ('Black', 'Black'), ('Other', 'Other')
    ) as s(ethnic_group, side)
),

expanded as (
    select p.geography_level, p.geography_code, p.period_end, p.source, p.service,
        l.seniority_level, x.sex, p.ethnic_group, p.salary
    from people as p
    inner join levels as l on l.seniority_level = 'all' or l.seniority_level = p.seniority_level
    inner join sexes as x on x.sex = 'all' or x.sex = p.sex
),

side_figures as (
    select e.geography_level, e.geography_code, e.period_end, e.source, e.service, e.seniority_level, e.sex, s.side,
        count(*) as headcount,
        {{ mean_value('e.salary') }} as mean_value, {{ median_value('e.salary') }} as median_value,
        {{ mean_money('e.salary') }} as mean_salary, {{ median_money('e.salary') }} as median_salary
    from expanded as e
    inner join sides as s on s.ethnic_group = e.ethnic_group
    group by all
),

-- the cells where anyone is paid (Unknown ethnicity included), from each geography's distinct seniority levels
-- and sexes: the same cells as `expanded` gives, without reading it a second time (issue 22: its 4 rows per
-- pooled person were kept for the second read; 5.7 s -> 2.8 s at 153 councils)
cells as (
    select distinct p.geography_level, p.geography_code, p.period_end, p.source, p.service, l.seniority_level, x.sex
    from (
        select distinct geography_level, geography_code, period_end, source, service, seniority_level, sex
        from people
    ) as p
    inner join levels as l on l.seniority_level = 'all' or l.seniority_level = p.seniority_level
    inner join sexes as x on x.sex = 'all' or x.sex = p.sex
),

comparisons as (
    select c.*, g.comparison_group
    from cells as c
    cross join (values ('BME'), ('Black'), ('Asian'), ('Mixed'), ('Other')) as g(comparison_group)
),

joined as (
    select c.*,
        coalesce(grp.headcount, 0) as group_headcount, coalesce(wht.headcount, 0) as white_headcount,
        grp.mean_value as group_mean_value, wht.mean_value as white_mean_value,
        grp.median_value as group_median_value, wht.median_value as white_median_value,
        grp.mean_salary as group_mean_salary, wht.mean_salary as white_mean_salary,
        grp.median_salary as group_median_salary, wht.median_salary as white_median_salary
    from comparisons as c
    left join side_figures as grp
        on grp.geography_level = c.geography_level and grp.geography_code = c.geography_code
        and grp.period_end = c.period_end and grp.source = c.source and grp.service = c.service
        and grp.seniority_level = c.seniority_level and grp.sex = c.sex and grp.side = c.comparison_group
    left join side_figures as wht
        on wht.geography_level = c.geography_level and wht.geography_code = c.geography_code
        and wht.period_end = c.period_end and wht.source = c.source and wht.service = c.service
        and wht.seniority_level = c.seniority_level and wht.sex = c.sex and wht.side = 'White'
)

select
    geography_level, geography_code, period_end, source, service, seniority_level, sex, comparison_group,
    group_headcount, white_headcount,
    group_mean_salary, white_mean_salary, group_median_salary, white_median_salary,
    case when group_headcount >= {{ min_n }} and white_headcount >= {{ min_n }}
        then {{ pay_gap_pct('white_mean_value', 'group_mean_value') }} end as mean_gap_pct,
    case when group_headcount >= {{ min_n }} and white_headcount >= {{ min_n }}
        then {{ pay_gap_pct('white_median_value', 'group_median_value') }} end as median_gap_pct,
    case when group_headcount < {{ min_n }} or white_headcount < {{ min_n }} then 'too_few' else 'ok' end as status
from joined
