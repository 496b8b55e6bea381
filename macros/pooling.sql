{#-
  pool_geographies(relation, dims, sums, pool_filter='true')

  The pooling rule of metrics.md in one place: Local authority rows for the councils of the alliance,
  then Region rows (the alliance's councils of one ONS region) and one Alliance row, each made by
  summing numerators and denominators over councils first (never averaging council ratios). A pooled
  sum is NULL when any council's value is NULL: a figure is never pooled from part of the councils.
  `relation` must carry la_code plus the `dims` and `sums` columns; `pool_filter` limits which rows
  are pooled (e.g. metric 1 pools by common salary band only). Every row carries councils_included.
-#}
{% macro pool_geographies(relation, dims, sums, pool_filter='true') -%}
select * from (
with pool_base as (
    select b.*, la.la_name, la.region_code, la.region_name, ac.alliance_code, ac.alliance_name
    from {{ relation }} as b
    inner join {{ ref('int_alliance_councils') }} as ac on ac.la_code = b.la_code
    inner join {{ ref('local_authorities') }} as la on la.la_code = b.la_code
)
select
    'Local authority' as geography_level, la_code as geography_code, la_name as geography_name,
    la_code, region_code,
    {% for d in dims %}{{ d }}, {% endfor %}
    {% for s in sums %}{{ s }}, {% endfor %}
    1::bigint as councils_included
from pool_base
union all
select
    'Region', region_code, any_value(region_name), null, region_code,
    {% for d in dims %}{{ d }}, {% endfor %}
    {% for s in sums %}case when count({{ s }}) = count(*) then sum({{ s }}) end as {{ s }}, {% endfor %}
    count(distinct la_code)
from pool_base
where {{ pool_filter }}
group by region_code{% for d in dims %}, {{ d }}{% endfor %}
union all
select
    'Alliance', alliance_code, any_value(alliance_name), null, null,
    {% for d in dims %}{{ d }}, {% endfor %}
    {% for s in sums %}case when count({{ s }}) = count(*) then sum({{ s }}) end as {{ s }}, {% endfor %}
    count(distinct la_code)
from pool_base
where {{ pool_filter }}
group by alliance_code{% for d in dims %}, {{ d }}{% endfor %}
)
{%- endmacro %}
