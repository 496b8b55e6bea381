-- Staff survey responses with the respondent's ethnic groups (seed ethnicity_codes).
{{ config(materialized='view') }}

select s.*, e.group5 as ethnic_group, e.wres_group
from {{ ref('stg_council_hr__survey') }} as s
left join {{ ref('ethnicity_codes') }} as e on e.code = s.ethnicity_code
