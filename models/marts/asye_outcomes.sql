-- ASYE outcomes per geography, period end, programme and ethnic group: counts, the fail rate
-- (failed / (passed + failed)), each group's share of fails beside its share of registrants, and the
-- relative likelihood of failing against White staff with its 95% CI (comparison groups only).
with pooled as (
    {{ pool_geographies(ref('int_asye_outcomes_counted'),
        dims=['period_end', 'programme', 'ethnic_group'],
        sums=['registered', 'passed', 'failed', 'deferred', 'withdrawn', 'in_progress']) }}
),

expanded as (
    select * from ({{ expand_ethnic_groups('pooled',
        dims=['geography_level', 'geography_code', 'geography_name', 'la_code', 'region_code', 'period_end', 'programme'],
        sums=['registered', 'passed', 'failed', 'deferred', 'withdrawn', 'in_progress']) }})
),

councils as (
    select geography_level, geography_code, period_end, programme, max(councils_included) as councils_included
    from pooled group by all
),

with_white as (
    select e.*,
        max(case when ethnic_group = 'White' then failed end) over w as white_failed,
        max(case when ethnic_group = 'White' then passed + failed end) over w as white_assessed,
        max(case when ethnic_group = 'Known' then failed end) over w as known_failed,
        max(case when ethnic_group = 'Known' then registered end) over w as known_registered
    from expanded as e
    window w as (partition by geography_level, geography_code, period_end, programme)
),

computed as (
    select w.*,
        {{ relative_likelihood_columns('failed', 'passed + failed', 'white_failed', 'white_assessed') }}
    from with_white as w
),

not_submitted as (
    -- a council extract without the asye dataset: every group not_submitted, never 0
    select 'Local authority' as geography_level, s.la_code as geography_code, la.la_name as geography_name,
        s.la_code, la.region_code, s.period_end, p.programme, g.ethnic_group, g.group_order
    from (select distinct la_code, period_end from {{ ref('stg_council_hr__datasets_submitted') }} where dataset = 'staff') as s
    inner join {{ ref('int_alliance_councils') }} as ac on ac.la_code = s.la_code
    inner join {{ ref('local_authorities') }} as la on la.la_code = s.la_code
    cross join (values ('children'), ('adults'), ('all')) as p(programme)
    cross join (values ('White', 1), ('Mixed', 2), ('Asian', 3), ('Black', 4), ('Other', 5), ('Unknown', 6),
        ('BME', 7), ('Known', 8), ('Total', 9)) as g(ethnic_group, group_order)
    where not exists (
        select 1 from {{ ref('stg_council_hr__datasets_submitted') }} as d
        where d.la_code = s.la_code and d.period_end = s.period_end and d.dataset = 'asye')
)

select
    c.geography_level, c.geography_code, c.geography_name, c.la_code, c.region_code,
    c.period_end, {{ period_label('c.period_end') }} as period_label, c.programme, c.ethnic_group, c.group_order,
    c.registered::bigint as registered, c.passed::bigint as passed, c.failed::bigint as failed,
    c.deferred::bigint as deferred, c.withdrawn::bigint as withdrawn, c.in_progress::bigint as in_progress,
    100.0 * {{ ratio('c.failed', 'c.passed + c.failed') }} as fail_rate,
    case when c.ethnic_group not in ('Unknown', 'Total') then {{ share_of_known('c.failed', 'c.known_failed') }} end
        as share_of_fails,
    case when c.ethnic_group not in ('Unknown', 'Total') then {{ share_of_known('c.registered', 'c.known_registered') }} end
        as share_of_registrants,
    case when c.ethnic_group in ('BME', 'Black', 'Asian', 'Mixed', 'Other') then c.relative_likelihood end
        as relative_likelihood_fail,
    case when c.ethnic_group in ('BME', 'Black', 'Asian', 'Mixed', 'Other') then c.ci_lower end as ci_lower,
    case when c.ethnic_group in ('BME', 'Black', 'Asian', 'Mixed', 'Other') then c.ci_upper end as ci_upper,
    case when c.ethnic_group in ('BME', 'Black', 'Asian', 'Mixed', 'Other') then c.significant end as significant,
    case when c.ethnic_group in ('BME', 'Black', 'Asian', 'Mixed', 'Other') then c.status end as status,
    k.councils_included,
    false as suppressed
from computed as c
left join councils as k using (geography_level, geography_code, period_end, programme)
union all by name
select n.*, {{ period_label('n.period_end') }} as period_label,
    -- every row of a missing dataset says so, White, Unknown, Known and Total included (metrics.md)
    'not_submitted' as status,
    1::bigint as councils_included, false as suppressed
from not_submitted as n
