-- The grid of the pay marts: every council, period end, source and service that has a pay population
-- (metrics.md, "Zero rows"): council HR extracts that sent staff (children, adults, all), and CSWW returns
-- of the 2025 collection on (the first to carry BaseSalary; children only).
select la_code, period_end, 'council_hr' as source, s.service
from {{ ref('stg_council_hr__datasets_submitted') }}
cross join (values ('children'), ('adults'), ('all')) as s(service)
where dataset = 'staff'
union
select distinct la_code, period_end, 'csww_return', 'children'
from {{ ref('int_csww_workers_classified') }}
where year(period_end) >= 2025
