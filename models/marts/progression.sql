-- Progression and movement (metrics.md, "Progression and movement"; outputs.md table 10) per geography,
-- period end (P2's), service and group. The rows of the five comparison groups (BME, Black, Asian, Mixed,
-- Other) carry the promotion rate's relative likelihood against White with its CI, band and status
-- (relative_likelihood_columns); White, Unknown, Known and Total rows carry the counts and rates only.
-- Leavers' movement: found in post in another alliance council, found in an agency return, beside the
-- leavers' own stated destinations. Year on year: the same row's figure 12 months earlier.
{% set sums = ['cohort', 'promoted', 'leavers', 'moved_within_alliance', 'to_agency_observed',
               'stated_to_another_la', 'stated_to_agency'] %}
with grouped as (
    select * from ({{ expand_ethnic_groups(ref('int_progression_pooled'),
        dims=['geography_level', 'geography_code', 'geography_name', 'la_code', 'region_code', 'period_end',
              'service', 'councils_included'],
        sums=sums) }})
),

with_white as (
    select g.*,
        max(case when ethnic_group = 'White' then cohort end) over w as white_cohort,
        max(case when ethnic_group = 'White' then promoted end) over w as white_promoted
    from grouped as g
    window w as (partition by geography_level, geography_code, period_end, service)
),

figures as (
    select
        geography_level, geography_code, geography_name, la_code, region_code, period_end, service,
        ethnic_group as comparison_group, group_order,
        {% for s in sums %}{{ s }}, {% endfor %}
        white_cohort, white_promoted,
        {{ relative_likelihood_columns('promoted', 'cohort', 'white_promoted', 'white_cohort') }},
        councils_included
    from with_white
),

published as (
    select
        geography_level, geography_code, geography_name, la_code, region_code, period_end, service,
        comparison_group, group_order,
        cohort, promoted, group_rate as promotion_rate, white_cohort, white_promoted, white_rate,
        case when comparison_group in ('BME', 'Black', 'Asian', 'Mixed', 'Other') then relative_likelihood end
            as relative_likelihood,
        case when comparison_group in ('BME', 'Black', 'Asian', 'Mixed', 'Other') then ci_lower end as ci_lower,
        case when comparison_group in ('BME', 'Black', 'Asian', 'Mixed', 'Other') then ci_upper end as ci_upper,
        case when comparison_group in ('BME', 'Black', 'Asian', 'Mixed', 'Other') then band end as band,
        case when comparison_group in ('BME', 'Black', 'Asian', 'Mixed', 'Other') then significant end as significant,
        case when comparison_group in ('BME', 'Black', 'Asian', 'Mixed', 'Other') then status end as status,
        leavers, moved_within_alliance, to_agency_observed, stated_to_another_la, stated_to_agency,
        councils_included
    from figures
)

select
    cur.geography_level, cur.geography_code, cur.geography_name, cur.la_code, cur.region_code,
    cur.period_end, {{ period_label('cur.period_end') }} as period_label, cur.service,
    cur.comparison_group, cur.group_order,
    cur.cohort::bigint as cohort, cur.promoted::bigint as promoted, cur.promotion_rate,
    cur.white_cohort::bigint as white_cohort, cur.white_promoted::bigint as white_promoted, cur.white_rate,
    cur.relative_likelihood, cur.ci_lower, cur.ci_upper, cur.band, cur.significant, cur.status,
    cur.leavers::bigint as leavers, cur.moved_within_alliance::bigint as moved_within_alliance,
    cur.to_agency_observed::bigint as to_agency_observed, cur.stated_to_another_la::bigint as stated_to_another_la,
    cur.stated_to_agency::bigint as stated_to_agency,
    {{ year_on_year_columns('cur.relative_likelihood', se_from_ci('cur.ci_lower', 'cur.ci_upper'),
        'prev.relative_likelihood', se_from_ci('prev.ci_lower', 'prev.ci_upper')) }},
    cur.councils_included::bigint as councils_included,
    false as suppressed
from published as cur
left join published as prev
    on prev.geography_level = cur.geography_level and prev.geography_code = cur.geography_code
    and prev.service = cur.service and prev.comparison_group = cur.comparison_group
    and prev.period_end = (cur.period_end - interval 1 year)::date
