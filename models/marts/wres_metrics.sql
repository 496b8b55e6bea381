-- The nine SC-WRES metrics (7a and 7b beside 7) per geography, period end, service, metric, breakdown and
-- comparison group (BME, Black, Asian, Mixed, Other, each against White). Likelihood metrics (2-8) carry
-- the relative likelihood with its 95% CI, band and status; share metrics (1, 9) carry shares and the
-- representation ratio. See metrics.md; the formulas are the macros in macros/formulas.sql.
{% set groups = ['White', 'Mixed', 'Asian', 'Black', 'Other', 'Unknown'] %}
with pooled as (
    select * from {{ ref('int_wres_counts_pooled') }}
),

wide as (
    select
        geography_level, geography_code, any_value(geography_name) as geography_name, any_value(la_code) as la_code,
        any_value(region_code) as region_code, max(councils_included) as councils_included,
        period_end, service, metric, breakdown_type, breakdown, min(breakdown_order) as breakdown_order,
        {% for g in groups %}
        coalesce(sum(numerator) filter (where ethnic_group = '{{ g }}'), 0) as num_{{ g | lower }},
        coalesce(sum(denominator) filter (where ethnic_group = '{{ g }}'), 0) as den_{{ g | lower }},
        {% endfor %}
        true as submitted
    from pooled
    where metric not in ('response', 'population')
    group by geography_level, geography_code, period_end, service, metric, breakdown_type, breakdown
),

-- council rows for metrics whose dataset the extract did not hold: not_submitted, with NULL numerators
-- and denominators (a missing dataset never looks like a zero). Submitted datasets have their whole grid
-- of zeros already (int_wres_events_counted).
metric_datasets as (
    select * from (values
        ('2', 'recruitment', true), ('3', 'casework', false), ('4', 'casework', false), ('5', 'cpd', false),
        ('6', 'survey', true), ('7', 'survey', true), ('7a', 'survey', true), ('7b', 'survey', true)
    ) as m(metric, dataset, all_services_only)
),

council_services as (
    select s.la_code, s.period_end, v.service
    from {{ ref('stg_council_hr__datasets_submitted') }} as s
    cross join (values ('children'), ('adults'), ('all')) as v(service)
    where s.dataset = 'staff'
),

expected as (
    select cs.la_code, cs.period_end, cs.service, m.metric, (sub.dataset is not null) as submitted
    from council_services as cs
    inner join {{ ref('int_alliance_councils') }} as ac on ac.la_code = cs.la_code
    cross join metric_datasets as m
    left join {{ ref('stg_council_hr__datasets_submitted') }} as sub
        on sub.la_code = cs.la_code and sub.period_end = cs.period_end and sub.dataset = m.dataset
    where cs.service = 'all' or not m.all_services_only
),

filled as (
    select * from wide
    union all
    select
        'Local authority', e.la_code, la.la_name, e.la_code, la.region_code, 1, e.period_end, e.service, e.metric,
        'all', 'all', 0,
        {% for g in groups %}0, 0, {% endfor %}
        e.submitted
    from expected as e
    inner join {{ ref('local_authorities') }} as la on la.la_code = e.la_code
    where not exists (
        select 1 from wide as w
        where w.geography_level = 'Local authority' and w.geography_code = e.la_code and w.period_end = e.period_end
          and w.service = e.service and w.metric = e.metric)
),

comparisons as (
    select
        f.*, g.comparison_group, g.comparison_order,
        case g.comparison_group
            when 'BME' then num_mixed + num_asian + num_black + num_other
            when 'Black' then num_black when 'Asian' then num_asian when 'Mixed' then num_mixed else num_other
        end as num_group,
        case g.comparison_group
            when 'BME' then den_mixed + den_asian + den_black + den_other
            when 'Black' then den_black when 'Asian' then den_asian when 'Mixed' then den_mixed else den_other
        end as den_group,
        num_white + num_mixed + num_asian + num_black + num_other as num_known,
        den_white + den_mixed + den_asian + den_black + den_other as den_known
    from filled as f
    cross join (values ('BME', 1), ('Black', 2), ('Asian', 3), ('Mixed', 4), ('Other', 5)) as g(comparison_group, comparison_order)
),

likelihoods as (
    -- metrics 2-8: people with the event among people at risk
    select
        geography_level, geography_code, geography_name, la_code, region_code, councils_included, period_end,
        service, metric, breakdown_type, breakdown, breakdown_order, comparison_group, comparison_order,
        case when submitted then num_group end as group_numerator,
        case when submitted then den_group end as group_denominator,
        case when submitted then num_white end as white_numerator,
        case when submitted then den_white end as white_denominator,
        {{ relative_likelihood_columns(
            'case when submitted then num_group end', 'case when submitted then den_group end',
            'case when submitted then num_white end', 'case when submitted then den_white end') }},
        case when submitted then {{ share_of_known('den_unknown', 'den_known + den_unknown') }} end as unknown_share,
        null::double as workforce_share
    from comparisons
    where metric not in ('1', '9')
),

shares as (
    -- metrics 1 and 9: the group's share of known staff in the band (or among senior managers), White's
    -- share there, and the group's share of all known staff in post; ratio = band share / workforce share
    select
        geography_level, geography_code, geography_name, la_code, region_code, councils_included, period_end,
        service, metric, breakdown_type, breakdown, breakdown_order, comparison_group, comparison_order,
        num_group as group_numerator, num_known as group_denominator,
        num_white as white_numerator, num_known as white_denominator,
        {{ share_of_known('num_group', 'num_known') }} as group_rate,
        {{ share_of_known('num_white', 'num_known') }} as white_rate,
        case when num_known >= {{ var('min_denominator') }} then
            {{ ratio(share_of_known('num_group', 'num_known'), share_of_known('den_group', 'den_known')) }}
        end as relative_likelihood,
        null::double as ci_lower, null::double as ci_upper, null::varchar as band, null::boolean as significant,
        case when num_known < {{ var('min_denominator') }} then 'too_few' else 'ok' end as status,
        {{ share_of_known('num_unknown', 'num_known + num_unknown') }} as unknown_share,
        {{ share_of_known('den_group', 'den_known') }} as workforce_share
    from comparisons
    where metric in ('1', '9')
),

response as (
    select geography_level, geography_code, period_end,
        100.0 * {{ ratio('numerator', 'denominator') }} as response_rate,
        numerator as respondents
    from pooled where metric = 'response'
),

population as (
    select geography_level, geography_code, period_end, service,
        sum(numerator) filter (where ethnic_group = 'White') as pop_white,
        sum(numerator) filter (where ethnic_group = 'Mixed') as pop_mixed,
        sum(numerator) filter (where ethnic_group = 'Asian') as pop_asian,
        sum(numerator) filter (where ethnic_group = 'Black') as pop_black,
        sum(numerator) filter (where ethnic_group = 'Other') as pop_other,
        sum(numerator) as pop_known
    from pooled where metric = 'population'
    group by all
),

unioned as (
    select * from likelihoods
    union all by name
    select * from shares
)

,

final as (
select
    u.geography_level, u.geography_code, u.geography_name, u.la_code, u.region_code,
    u.period_end, {{ period_label('u.period_end') }} as period_label,
    u.service, u.metric,
    case u.metric
        when '1' then 'Pay band' when '2' then 'Appointment from shortlist' when '3' then 'Formal disciplinary'
        when '4' then 'Fitness to practise referral' when '5' then 'Non-mandatory CPD'
        when '6' then 'Harassment from the public' when '7' then 'Harassment from colleagues or managers'
        when '7a' then 'Harassment from colleagues' when '7b' then 'Harassment from managers'
        when '8' then 'Leaving' when '9' then 'Senior management'
    end as metric_name,
    u.breakdown_type, u.breakdown, u.breakdown_order, u.comparison_group, u.comparison_order,
    u.group_numerator::bigint as group_numerator, u.group_denominator::bigint as group_denominator,
    u.white_numerator::bigint as white_numerator, u.white_denominator::bigint as white_denominator,
    u.group_rate, u.white_rate, u.relative_likelihood,
    case when u.metric in ('2', '5') then {{ ratio('1.0', 'u.relative_likelihood') }} end
        as relative_likelihood_nhs_direction,
    u.ci_lower, u.ci_upper, u.band, u.significant, u.unknown_share, u.status,
    u.workforce_share,
    case when u.metric = '9' then 100.0 * {{ ratio(
        "case u.comparison_group when 'BME' then p.pop_mixed + p.pop_asian + p.pop_black + p.pop_other when 'Black' then p.pop_black when 'Asian' then p.pop_asian when 'Mixed' then p.pop_mixed else p.pop_other end",
        'p.pop_known') }} end as population_share,
    case when u.metric in ('6', '7', '7a', '7b') then r.response_rate end as response_rate,
    u.councils_included,
    false as suppressed
from unioned as u
left join response as r
    on r.geography_level = u.geography_level and r.geography_code = u.geography_code and r.period_end = u.period_end
left join population as p
    on p.geography_level = u.geography_level and p.geography_code = u.geography_code and p.period_end = u.period_end
    and p.service = u.service
)

-- Year on year (metrics.md, "Year-on-year change"): the same geography, service, metric, breakdown and
-- comparison group's figure for the period end 12 months earlier; the significance test for likelihoods
-- (metrics 2-8; the shares of metrics 1 and 9 carry the change of their representation ratio only).
select
    f.*,
    {{ year_on_year_columns('f.relative_likelihood', se_from_ci('f.ci_lower', 'f.ci_upper'),
        'prev.relative_likelihood', se_from_ci('prev.ci_lower', 'prev.ci_upper'),
        "f.metric not in ('1', '9')") }}
from final as f
left join final as prev
    on prev.geography_level = f.geography_level and prev.geography_code = f.geography_code
    and prev.service = f.service and prev.metric = f.metric and prev.breakdown_type = f.breakdown_type
    and prev.breakdown = f.breakdown and prev.comparison_group = f.comparison_group
    and prev.period_end = (f.period_end - interval 1 year)::date
