-- Which datasets each council's extract holds: a metric whose dataset is missing is not_submitted, never 0.
select distinct la_code, period_end, dataset
from {{ ref('stg_warehouse__active_loads') }}
where source = 'council_hr'
