-- The published data-quality table: every dbt test and Great Expectations suite of the last refresh, with
-- its outcome. Built by the checks step right after it writes checks.results (not in the main dbt build,
-- which runs before the checks); its contract holds the published column types.
select
    check_name,
    check_type,
    layer,
    table_name,
    council,
    outcome,
    severity,
    failing_rows::bigint as failing_rows,
    message,
    checked_at::timestamptz as checked_at
from {{ ref('stg_checks__results') }}
