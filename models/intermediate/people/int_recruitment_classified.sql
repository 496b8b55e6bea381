-- Applicants with their ethnic groups (seed ethnicity_codes).
{{ config(materialized='view') }}

select r.*, e.group5 as ethnic_group, e.wres_group
from {{ ref('stg_council_hr__recruitment') }} as r
left join {{ ref('ethnicity_codes') }} as e on e.code = r.ethnicity_code
