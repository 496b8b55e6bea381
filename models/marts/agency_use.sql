-- Agency social workers' use and cost per geography, quarter, service, role and engagement type, with
-- the price cap and the DfE agency rules (agency-use.md). Rows with role and engagement_type 'all' are
-- the totals per service, and carry the agency share of the workforce at the quarter end beside the DfE
-- published agency rate where both exist. Money: summed exactly, then rounded half-up to the penny.
with e as (
    select * from {{ ref('int_agency_engagements_assessed') }}
),

detail as (
    select la_code, quarter_end, service, role, engagement_type,
        count(*) as engagements, sum(hours_in_quarter) as hours, sum(fte) as fte, sum(spend_exact) as spend,
        count(*) filter (where is_over_cap) as engagements_over_cap,
        sum(hours_over_cap) as hours_over_cap, sum(spend_above_cap_exact) as spend_above_cap,
        count(*) filter (where experience_breach) as experience_rule_breaches,
        count(*) filter (where cooling_off_breach) as cooling_off_breaches,
        count(*) filter (where cooling_off_breach and cooling_off_evidence like '%linkage%') as cooling_off_found_by_linkage,
        sum(fte) filter (where is_active_at_quarter_end) as fte_at_quarter_end
    from e
    group by all
),

totals as (
    select la_code, quarter_end, service, 'all' as role, 'all' as engagement_type,
        sum(engagements), sum(hours), sum(fte), sum(spend), sum(engagements_over_cap), sum(hours_over_cap),
        sum(spend_above_cap), sum(experience_rule_breaches), sum(cooling_off_breaches),
        sum(cooling_off_found_by_linkage), sum(fte_at_quarter_end)
    from detail group by all
),

-- in-post FTE of children's social workers at the quarter end, from an HR extract ending that day
inpost as (
    select la_code, period_end as quarter_end, 'children' as service, 'all' as role, 'all' as engagement_type,
        inpost_fte
    from {{ ref('int_workforce_flows_counted') }}
    where source = 'council_hr'
),

counted as (
    select d.*, null::double as inpost_fte from detail as d
    union all
    select t.*, i.inpost_fte
    from totals as t
    left join inpost as i using (la_code, quarter_end, service, role, engagement_type)
),

pooled as (
    {{ pool_geographies('counted',
        dims=['quarter_end', 'service', 'role', 'engagement_type'],
        sums=['engagements', 'hours', 'fte', 'spend', 'engagements_over_cap', 'hours_over_cap', 'spend_above_cap',
              'experience_rule_breaches', 'cooling_off_breaches', 'cooling_off_found_by_linkage', 'fte_at_quarter_end',
              'inpost_fte']) }}
),

caps as (
    -- the cap is looked up once, per engagement, on its start date (int_agency_engagements_assessed, the
    -- contract's rule); a row shows the cap its capped engagements were held to, or NULL when they were held to
    -- different caps (a cap changed between their start dates, or an Alliance row spans regions), with the
    -- lowest and highest beside it
    select 'Local authority' as geography_level, e.la_code as geography_code, e.quarter_end, e.service, e.role,
        e.engagement_type, min(e.cap_per_hour) as cap_min, max(e.cap_per_hour) as cap_max
    from e
    inner join {{ ref('int_alliance_councils') }} as ac on ac.la_code = e.la_code
    group by all
    union all
    select 'Region', la.region_code, e.quarter_end, e.service, e.role, e.engagement_type,
        min(e.cap_per_hour), max(e.cap_per_hour)
    from e
    inner join {{ ref('int_alliance_councils') }} as ac on ac.la_code = e.la_code
    inner join {{ ref('local_authorities') }} as la on la.la_code = e.la_code
    group by all
    union all
    select 'Alliance', ac.alliance_code, e.quarter_end, e.service, e.role, e.engagement_type,
        min(e.cap_per_hour), max(e.cap_per_hour)
    from e
    inner join {{ ref('int_alliance_councils') }} as ac on ac.la_code = e.la_code
    group by all
),

dfe as (
    select la_code as geography_code, period_end, agency_rate_fte as dfe_agency_rate_fte
    from {{ ref('int_dfe_headline_pivoted') }}
    where geography_level = 'Local authority'
)

select
    p.geography_level, p.geography_code, p.geography_name, p.la_code, p.region_code,
    {{ period_label('p.quarter_end', 'quarter') }} as quarter, p.quarter_end, {{ period_label('p.quarter_end', 'quarter') }} as period_label,
    p.service, p.role, p.engagement_type,
    p.engagements::bigint as engagements, p.hours::decimal(18, 2) as hours, p.fte::double as fte,
    round(p.spend, 2)::decimal(18, 2) as spend,
    round(p.spend / nullif(p.hours, 0), 2)::decimal(18, 2) as mean_charge_rate,
    case when c.cap_min = c.cap_max then c.cap_min end::decimal(10, 2) as cap_per_hour,
    c.cap_min::decimal(10, 2) as cap_per_hour_min, c.cap_max::decimal(10, 2) as cap_per_hour_max,
    p.engagements_over_cap::bigint as engagements_over_cap, p.hours_over_cap::decimal(18, 2) as hours_over_cap,
    round(p.spend_above_cap, 2)::decimal(18, 2) as spend_above_cap,
    p.experience_rule_breaches::bigint as experience_rule_breaches,
    p.cooling_off_breaches::bigint as cooling_off_breaches,
    p.cooling_off_found_by_linkage::bigint as cooling_off_found_by_linkage,
    p.fte_at_quarter_end::double as agency_fte_at_quarter_end,
    p.inpost_fte::double as inpost_fte_at_quarter_end,
    case when p.role = 'all' and p.inpost_fte is not null
        then 100.0 * {{ ratio('p.fte_at_quarter_end', 'p.fte_at_quarter_end + p.inpost_fte') }} end as agency_share_fte,
    d.dfe_agency_rate_fte,
    p.councils_included,
    false as suppressed
from pooled as p
left join caps as c using (geography_level, geography_code, quarter_end, service, role, engagement_type)
left join dfe as d
    on p.geography_level = 'Local authority' and d.geography_code = p.geography_code and d.period_end = p.quarter_end
    and p.service = 'children' and p.role = 'all'
