-- Metrics 1 (pay band) and 9 (senior management): people in post at the period end, per band (numerator)
-- and in the whole WRES workforce of the service (denominator), per five-way group.
with in_post as (
    select la_code, period_end, service, employee_key, ethnic_group, role, pay_band, pay_band_order, annual_fte_salary
    from {{ ref('stg_council_hr__staff') }}
    where in_post_at_end and service in ('children', 'adults')
    union all
    select la_code, period_end, 'all', employee_key, ethnic_group, role, pay_band, pay_band_order, annual_fte_salary
    from {{ ref('stg_council_hr__staff') }}
    where in_post_at_end
),

workforce as (
    select la_code, period_end, service, ethnic_group, count(distinct employee_key) as denominator
    from in_post group by all
),

bands as (
    -- the council's own pay bands, and the common FTE-salary bands that pool across councils
    select la_code, period_end, service, 'pay_band' as breakdown_type, pay_band as breakdown,
        min(pay_band_order) over (partition by la_code, period_end, service, pay_band) as breakdown_order,
        ethnic_group, employee_key
    from in_post
    union all
    select p.la_code, p.period_end, p.service, 'salary_band', b.band, b.band_order, p.ethnic_group, p.employee_key
    from in_post as p
    inner join {{ ref('salary_bands') }} as b
        on p.annual_fte_salary >= b.lower_bound and (b.upper_bound is null or p.annual_fte_salary < b.upper_bound)
),

band_scaffold as (
    select distinct b.la_code, b.period_end, b.service, b.breakdown_type, b.breakdown, b.breakdown_order, w.ethnic_group
    from bands as b
    inner join workforce as w using (la_code, period_end, service)
),

m1 as (
    select s.la_code, s.period_end, s.service, '1' as metric, s.breakdown_type, s.breakdown, s.breakdown_order,
        s.ethnic_group, count(distinct b.employee_key) as numerator, w.denominator
    from band_scaffold as s
    left join bands as b using (la_code, period_end, service, breakdown_type, breakdown, ethnic_group)
    inner join workforce as w using (la_code, period_end, service, ethnic_group)
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
    from (select distinct la_code, period_end, service from workforce) as s
    inner join {{ ref('int_population_by_ethnic_group') }} as p using (la_code)
)

select * from m1
union all
select * from m9
union all
select * from population
