{#- dfe_geography(relation, extra): the geography columns every mart carries, for a DfE published table.
    National rows are England; Regional rows keep their code (E12 regions and the E13 Inner/Outer London
    split, which is published as it is but never added into anything); Local authority rows keep the
    code as published, joint codes such as 'E09000021 / E09000027' included. series_la_code follows
    successor_codes where a council only changed code (one successor), so a series is not broken. -#}
{% macro dfe_geography(relation, extra=[]) -%}
select
    d.load_id,
    d.file_name,
    d.time_period,
    make_date(d.time_period, 9, 30) as period_end,
    case d.geographic_level when 'National' then 'England' when 'Regional' then 'Region' else 'Local authority' end
        as geography_level,
    case d.geographic_level when 'National' then coalesce(d.country_code, 'E92000001')
        when 'Regional' then d.region_code else d.new_la_code end as geography_code,
    case d.geographic_level when 'National' then 'England'
        when 'Regional' then d.region_name else d.la_name end as geography_name,
    case when d.geographic_level = 'Local authority' then d.new_la_code end as la_code,
    case when d.geographic_level = 'Local authority' then coalesce(la.region_code, d.region_code)
        when d.geographic_level = 'Regional' then d.region_code end as region_code,
    case when d.geographic_level = 'Local authority' then
        case when la.successor_codes is not null and la.successor_codes <> '' and la.successor_codes not like '% %'
            then la.successor_codes else d.new_la_code end
    end as series_la_code,
    (d.region_code like 'E13%') as is_inner_outer_london,
    {% for e in extra %}d.{{ e }}, {% endfor %}
    d.measure,
    d.value,
    d.value_note
from {{ relation }} as d
inner join {{ ref('stg_warehouse__active_loads') }} as l using (load_id)
left join {{ ref('local_authorities') }} as la on la.la_code = d.new_la_code
{%- endmacro %}
