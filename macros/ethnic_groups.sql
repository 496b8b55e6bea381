{#- expand_ethnic_groups(relation, dims, sums): from rows per five-way group (White, Mixed, Asian, Black,
    Other, Unknown), the nine published groups with every combination present (zero, not missing):
    the five groups and Unknown, BME = Mixed + Asian + Black + Other, Known = all but Unknown, Total. -#}
{% macro expand_ethnic_groups(relation, dims, sums) -%}
with eg_base as (select * from {{ relation }}),
eg_dims as (select distinct {{ dims | join(', ') }} from eg_base),
eg_groups as (
    select * from (values ('White', 1), ('Mixed', 2), ('Asian', 3), ('Black', 4), ('Other', 5), ('Unknown', 6))
        as g(ethnic_group, group_order)
),
eg_scaffold as (
    select d.*, g.ethnic_group, g.group_order,
        {% for s in sums %}coalesce(b.{{ s }}, 0) as {{ s }}{{ "," if not loop.last }}{% endfor %}
    from eg_dims as d
    cross join eg_groups as g
    left join eg_base as b
        on {% for d in dims %}b.{{ d }} is not distinct from d.{{ d }} and {% endfor %}b.ethnic_group = g.ethnic_group
)
select {{ dims | join(', ') }}, ethnic_group, group_order, {{ sums | join(', ') }} from eg_scaffold
union all
select {{ dims | join(', ') }}, 'BME', 7, {% for s in sums %}sum({{ s }}){{ "," if not loop.last }}{% endfor %}
from eg_scaffold where ethnic_group in ('Mixed', 'Asian', 'Black', 'Other') group by all
union all
select {{ dims | join(', ') }}, 'Known', 8, {% for s in sums %}sum({{ s }}){{ "," if not loop.last }}{% endfor %}
from eg_scaffold where ethnic_group <> 'Unknown' group by all
union all
select {{ dims | join(', ') }}, 'Total', 9, {% for s in sums %}sum({{ s }}){{ "," if not loop.last }}{% endfor %}
from eg_scaffold group by all
{%- endmacro %}
