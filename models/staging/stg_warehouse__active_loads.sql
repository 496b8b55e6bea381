-- Loads whose rows are in the raw layer and count: loaded, not superseded, not withdrawn.
select
    load_id, source, dataset, la_code, period_end, file_name, file_sha256, rows_loaded, finished_at
from {{ source('raw', 'load_log') }}
where outcome = 'loaded' and not coalesce(withdrawn, false)
