-- Alliance rows of wres_metrics are sums of the council rows they pool (never averages of ratios).
with councils as (
    select period_end, service, metric, breakdown_type, breakdown, comparison_group,
        sum(group_denominator) as group_denominator, sum(white_denominator) as white_denominator
    from {{ ref('wres_metrics') }}
    where geography_level = 'Local authority' and status <> 'not_submitted' and breakdown_type <> 'pay_band'
    group by all
)
select a.*
from {{ ref('wres_metrics') }} as a
inner join councils as c using (period_end, service, metric, breakdown_type, breakdown, comparison_group)
where a.geography_level = 'Alliance'
  and (a.group_denominator <> c.group_denominator or a.white_denominator <> c.white_denominator)
