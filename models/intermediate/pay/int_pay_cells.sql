-- The cells of the pay marts per geography (every council, period end, source and service with a pay
-- population, and the pools of them), with the number of councils pooled.
select geography_level, geography_code, any_value(geography_name) as geography_name, any_value(la_code) as la_code,
    any_value(region_code) as region_code, period_end, source, service,
    count(distinct person_la_code) as councils_included
from ({{ pool_people(ref('int_pay_submitted')) }})
group by geography_level, geography_code, period_end, source, service
