-- ASYE registrations and outcomes per council, period end, programme and five-way group (metrics.md):
-- registered = registration_date in the period; passed/failed/deferred/withdrawn = outcome_date in the
-- period; in progress = registered on or before the period end with no outcome by then. Programme 'all' is
-- every programme.
with a as (
    select a.*, s.ethnic_group,
        (s.period_end - interval 1 year + interval 1 day)::date as period_start
    from {{ ref('stg_council_hr__asye') }} as a
    left join {{ ref('int_staff_classified') }} as s using (la_code, period_end, employee_key)
),

by_programme as (
    select *, programme as programme_out from a
    union all
    select *, 'all' from a
),

counted as (
    select
        la_code, period_end, programme_out as programme, ethnic_group,
        count(*) filter (where registration_date between period_start and period_end) as registered,
        count(*) filter (where outcome = 'passed' and outcome_date between period_start and period_end) as passed,
        count(*) filter (where outcome = 'failed' and outcome_date between period_start and period_end) as failed,
        count(*) filter (where outcome = 'deferred' and outcome_date between period_start and period_end) as deferred,
        count(*) filter (where outcome = 'withdrawn' and outcome_date between period_start and period_end) as withdrawn,
        count(*) filter (where registration_date <= period_end
            and (outcome = 'in_progress' or outcome_date is null or outcome_date > period_end)) as in_progress
    from by_programme
    group by all
),

-- the whole grid (metrics.md, "Zero rows"): every programme (children, adults, all) and group of a council
-- and period that sent its asye dataset, zeros where nobody is in it
grid as (
    select s.la_code, s.period_end, p.programme, g.ethnic_group
    from {{ ref('stg_council_hr__datasets_submitted') }} as s
    cross join (values ('children'), ('adults'), ('all')) as p(programme)
    cross join (values ('White'), ('Mixed'), ('Asian'), ('Black'), ('Other'), ('Unknown')) as g(ethnic_group)
    where s.dataset = 'asye'
)

select g.la_code, g.period_end, g.programme, g.ethnic_group,
    {% for c in ['registered', 'passed', 'failed', 'deferred', 'withdrawn', 'in_progress'] -%}
    coalesce(c.{{ c }}, 0) as {{ c }}{{ "," if not loop.last }}
    {% endfor %}
from grid as g
left join counted as c using (la_code, period_end, programme, ethnic_group)
