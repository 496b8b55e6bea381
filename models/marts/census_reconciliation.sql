-- Per council and 30 September: the same measure from the council's HR extract (period ending that day),
-- its CSWW return and the DfE published file, side by side with the differences. Councils that the DfE
-- publishes jointly (dfe_joint_return) are reconciled as one joint geography against their own data
-- added together. Rates are recomputed from each source's counts with the same formulas (the DfE's own
-- rates match their counts to 0.1, see tests); the DfE counts Chinese under Other, the project under Asian.
with members as (
    select ac.la_code, coalesce(nullif(la.dfe_joint_return, ''), ac.la_code) as recon_code
    from {{ ref('int_alliance_councils') }} as ac
    inner join {{ ref('local_authorities') }} as la on la.la_code = ac.la_code
),

dfe_codes as (
    select la_code as dfe_code, recon_code from members
    union
    select recon_code, recon_code from members
),

own_flows as (
    select m.recon_code, f.period_end, f.source, count(distinct f.la_code) as councils,
        sum(inpost_fte) as inpost_fte, sum(inpost_headcount) as inpost_headcount, sum(starters_fte) as starters_fte,
        sum(starters_headcount) as starters_headcount, sum(leavers_fte) as leavers_fte,
        sum(leavers_headcount) as leavers_headcount, sum(agency_fte) as agency_fte, sum(vacancy_fte) as vacancy_fte,
        sum(case_holders_fte) as case_holders_fte, sum(cases) as cases, sum(working_days_lost_fte) as working_days_lost_fte
    from {{ ref('int_workforce_flows_counted') }} as f
    inner join members as m using (la_code)
    where month(f.period_end) = 9 and day(f.period_end) = 30
    group by all
),

dfe_flows as (
    -- numeric rows only: a joint return's partner row carries z
    select c.recon_code, d.period_end, 'dfe_published' as source, count(*) as councils,
        sum(inpost_fte), sum(inpost_headcount), sum(starters_fte), sum(starters_headcount), sum(leavers_fte),
        sum(leavers_headcount), sum(agency_fte), sum(vacancy_fte), sum(case_holders_fte), sum(cases),
        sum(working_days_lost_fte)
    from {{ ref('int_dfe_headline_pivoted') }} as d
    inner join dfe_codes as c on c.dfe_code = d.la_code
    where d.geography_level = 'Local authority'
    group by all
),

flows as (
    select *, {{ flow_rates() }}
    from (select * from own_flows union all select * from dfe_flows)
),

own_repr as (
    select m.recon_code, r.period_end, r.source, r.ethnic_group, sum(r.headcount) as headcount
    from {{ ref('int_representation_counted') }} as r
    inner join members as m using (la_code)
    where r.service = 'children' and r.seniority_level = 'all' and month(r.period_end) = 9 and day(r.period_end) = 30
    group by all
),

repr_counts as (
    select recon_code, period_end, source, ethnic_group, headcount from own_repr
    union all
    select recon_code, period_end, source, 'Known', sum(headcount) from own_repr where ethnic_group <> 'Unknown' group by all
    union all
    select c.recon_code, d.period_end, 'dfe_published', d.ethnic_group, sum(d.headcount)
    from {{ ref('int_dfe_representation_pivoted') }} as d
    inner join dfe_codes as c on c.dfe_code = d.la_code
    where d.geography_level = 'Local authority' and d.seniority_level = 'all' and d.headcount is not null
        and d.ethnic_group in ('White', 'Mixed', 'Asian', 'Black', 'Other', 'Known')
    group by all
),

repr as (
    select r.recon_code, r.period_end, r.source, 'pct_' || lower(r.ethnic_group) || '_of_known' as measure,
        {{ share_of_known('r.headcount', 'k.headcount') }} as value
    from repr_counts as r
    inner join repr_counts as k
        on k.recon_code = r.recon_code and k.period_end = r.period_end and k.source = r.source and k.ethnic_group = 'Known'
    where r.ethnic_group in ('White', 'Mixed', 'Asian', 'Black', 'Other')
    union all
    select recon_code, period_end, source, 'known_headcount', headcount from repr_counts where ethnic_group = 'Known'
),

long as (
    select recon_code, period_end, source, measure, value::double as value
    from (unpivot flows on inpost_fte, inpost_headcount, starters_fte, starters_headcount, leavers_fte,
        leavers_headcount, turnover_rate_fte, agency_fte, agency_rate_fte, vacancy_fte, vacancy_rate_fte,
        case_holders_fte, cases, caseload_fte, working_days_lost_fte, absence_rate_fte
        into name measure value value)
    union all
    select * from repr
),

own_periods as (
    select distinct recon_code, period_end from long where source in ('council_hr', 'csww_return')
),

wide as (
    select l.recon_code, l.period_end, l.measure,
        max(value) filter (where source = 'council_hr') as hr_value,
        max(value) filter (where source = 'csww_return') as csww_value,
        max(value) filter (where source = 'dfe_published') as dfe_value
    from long as l
    inner join own_periods using (recon_code, period_end)
    group by all
)

select
    'Local authority' as geography_level,
    w.recon_code as geography_code,
    coalesce(la.la_name, (select string_agg(x.la_name, ' and ' order by x.la_code) from {{ ref('local_authorities') }} as x
        where x.dfe_joint_return = w.recon_code)) as geography_name,
    w.recon_code as la_code,
    coalesce(la.region_code, (select any_value(x.region_code) from {{ ref('local_authorities') }} as x
        where x.dfe_joint_return = w.recon_code)) as region_code,
    w.period_end, {{ period_label('w.period_end') }} as period_label,
    w.measure, w.hr_value, w.csww_value, w.dfe_value,
    w.hr_value - w.dfe_value as hr_minus_dfe,
    w.csww_value - w.dfe_value as csww_minus_dfe,
    w.hr_value - w.csww_value as hr_minus_csww,
    case
        when w.measure in ('pct_asian_of_known', 'pct_other_of_known') and w.dfe_value is not null
            then 'the DfE counts Chinese under Other; the council''s own data put Chinese under Asian (ONS 2021)'
        when w.measure in ('vacancy_fte', 'vacancy_rate_fte', 'cases', 'caseload_fte', 'case_holders_fte',
            'working_days_lost_fte', 'absence_rate_fte') then 'the HR extract carries no vacancies, cases or absence'
        when w.recon_code like '% / %' then 'joint DfE return: own data of both councils added together'
    end as note,
    -- councils whose own data the row adds up (2 for a joint DfE return)
    (select count(*) from members as m where m.recon_code = w.recon_code)::bigint as councils_included,
    false as suppressed
from wide as w
left join {{ ref('local_authorities') }} as la on la.la_code = w.recon_code
