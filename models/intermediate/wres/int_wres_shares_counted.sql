-- Metrics 1 (pay band) and 9 (senior management): people in post at the period end, per band (numerator)
-- and in the whole WRES workforce of the service (denominator), per five-way group.
-- Service 'all' is every staff row (service 'other' included); 'children' and 'adults' those services.
-- The grid is whole (metrics.md, "Zero rows"): for every council and period that sent its staff dataset,
-- every service, every band and every group has a row, zeros included, so that pooling sums over every
-- council that loaded the dataset and a pooled denominator is the same in every band. Bands:
-- 'pay_band' = the council's own grades, as the extract names them (any service's); 'salary_band' = the
-- six common FTE-salary bands and 'national_band' = the three bands of the SC-WRES national report
-- (seeds salary_bands and national_salary_bands; staff without a salary are in no salary band).
with submitted as (
    select la_code, period_end from {{ ref('stg_council_hr__datasets_submitted') }} where dataset = 'staff'
),

services as (
    select s.la_code, s.period_end, v.service
    from submitted as s
    cross join (values ('children'), ('adults'), ('all')) as v(service)
),

groups as (
    select * from (values ('White'), ('Mixed'), ('Asian'), ('Black'), ('Other'), ('Unknown')) as g(ethnic_group)
),

in_post as (
    select la_code, period_end, service, employee_key, ethnic_group, role, pay_band, pay_band_order, annual_fte_salary
    from {{ ref('int_staff_classified') }}
    where in_post_at_end and service in ('children', 'adults')
    union all
    select la_code, period_end, 'all', employee_key, ethnic_group, role, pay_band, pay_band_order, annual_fte_salary
    from {{ ref('int_staff_classified') }}
    where in_post_at_end
),

workforce as (
    select s.la_code, s.period_end, s.service, g.ethnic_group, count(distinct p.employee_key) as denominator
    from services as s
    cross join groups as g
    left join in_post as p using (la_code, period_end, service, ethnic_group)
    group by all
),

band_list as (
    -- the council's pay bands as its extract names them (every staff row of the extract, whatever its
    -- service or date), ordered by the council's own pay_band_order
    select la_code, period_end, 'pay_band' as breakdown_type, pay_band as breakdown,
        min(pay_band_order) as breakdown_order, null::decimal(18, 2) as lower_bound, null::decimal(18, 2) as upper_bound
    from {{ ref('int_staff_classified') }}
    where pay_band is not null
    group by all
    union all
    select s.la_code, s.period_end, b.breakdown_type, b.band, b.band_order, b.lower_bound, b.upper_bound
    from submitted as s
    cross join (
        select 'salary_band' as breakdown_type, band, band_order, lower_bound, upper_bound from {{ ref('salary_bands') }}
        union all
        select 'national_band', band, band_order, lower_bound, upper_bound from {{ ref('national_salary_bands') }}
    ) as b
),

in_band as (
    select b.la_code, b.period_end, p.service, b.breakdown_type, b.breakdown, p.ethnic_group, p.employee_key
    from band_list as b
    inner join in_post as p
        on p.la_code = b.la_code and p.period_end = b.period_end
        and case when b.breakdown_type = 'pay_band' then p.pay_band = b.breakdown
            else p.annual_fte_salary >= b.lower_bound and (b.upper_bound is null or p.annual_fte_salary < b.upper_bound)
        end
),

m1 as (
    select w.la_code, w.period_end, w.service, '1' as metric, b.breakdown_type, b.breakdown, b.breakdown_order,
        w.ethnic_group, count(distinct i.employee_key) as numerator, w.denominator
    from workforce as w
    inner join band_list as b using (la_code, period_end)
    left join in_band as i using (la_code, period_end, service, breakdown_type, breakdown, ethnic_group)
    group by all
),

m9 as (
    select w.la_code, w.period_end, w.service, '9', 'all', 'all', 0, w.ethnic_group,
        count(distinct p.employee_key) filter (where p.role = 'senior_manager'), w.denominator
    from workforce as w
    left join in_post as p using (la_code, period_end, service, ethnic_group)
    group by all
),

population as (
    -- carried through the same pooling as metric 9, so pooled rows sum the included councils' populations
    select s.la_code, s.period_end, s.service, 'population', 'all', 'all', 0, p.ethnic_group, p.population, p.population
    from services as s
    inner join {{ ref('int_population_by_ethnic_group') }} as p using (la_code)
)

select * from m1
union all
select * from m9
union all
select * from population
