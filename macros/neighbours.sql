{#- Statistical neighbours (metrics.md, "Statistical neighbours"): the median of a measure over a council's
    ten neighbours for the same year, over those with a numeric value, published when at least 5 are numeric
    (else NULL with note 'x'), with the number used. Aggregates: use in a GROUP BY over the neighbours. -#}
{% macro neighbour_median(value) -%}
    case when count({{ value }}) >= 5 then quantile_cont(({{ value }})::double, 0.5) end
{%- endmacro %}

{% macro neighbour_median_note(value) -%}
    case when count({{ value }}) < 5 then 'x' end
{%- endmacro %}
