-- Agency engagements with the council's region and the worker's ethnic group (seeds).
{{ config(materialized='view') }}

select a.*, la.region_code, e.group5 as ethnic_group
from {{ ref('stg_agency_use__engagements') }} as a
left join {{ ref('local_authorities') }} as la on la.la_code = a.la_code
left join {{ ref('ethnicity_codes') }} as e on e.code = a.ethnicity_code
