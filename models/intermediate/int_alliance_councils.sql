-- The councils this installation serves (WORKFORCE_ALLIANCE): one alliance of seeds/alliances.csv, or
-- every council that has loaded any of its own data ('all', the default).
{% if var('alliance') == 'all' %}
select distinct
    la_code,
    'all' as alliance_code,
    'All loaded councils' as alliance_name
from {{ ref('stg_warehouse__active_loads') }}
where la_code is not null and source <> 'dfe_published'
{% else %}
select la_code, alliance_code, alliance_name
from {{ ref('alliances') }}
where alliance_code = '{{ var("alliance") }}'
{% endif %}
