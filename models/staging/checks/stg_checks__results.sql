-- The last run's check results as the checks step wrote them (dbt tests and Great Expectations suites).
select
    check_name, check_type, layer, table_name, council, outcome, severity, failing_rows, message, checked_at
from {{ source('checks', 'results') }}
