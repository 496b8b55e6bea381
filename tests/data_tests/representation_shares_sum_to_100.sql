-- The five groups' shares of known staff sum to 100 per geography, period, source, service and level.
select geography_level, geography_code, period_end, source, service, seniority_level, sum(pct_of_known) as total
from {{ ref('representation_by_seniority') }}
where ethnic_group in ('White', 'Mixed', 'Asian', 'Black', 'Other') and pct_of_known is not null
    -- statistical neighbours' rows hold a median per group: medians need not sum to 100
    and geography_level <> 'Statistical neighbours'
group by all
having abs(sum(pct_of_known) - 100) > 0.01
