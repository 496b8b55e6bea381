-- Metrics 1-9 per geography: council rows, then Region and Alliance rows pooled by summing numerators
-- and denominators. Metric 1 pools by common salary band only (council pay bands do not pool).
with counts as (
    select la_code, period_end, service, metric, 'all' as breakdown_type, 'all' as breakdown, 0 as breakdown_order,
        ethnic_group, numerator, denominator
    from {{ ref('int_wres_events_counted') }}
    union all
    select la_code, period_end, service, metric, breakdown_type, breakdown, breakdown_order, ethnic_group,
        numerator, denominator
    from {{ ref('int_wres_shares_counted') }}
)

{{ pool_geographies('counts',
    dims=['period_end', 'service', 'metric', 'breakdown_type', 'breakdown', 'breakdown_order', 'ethnic_group'],
    sums=['numerator', 'denominator'],
    pool_filter="breakdown_type <> 'pay_band'") }}
