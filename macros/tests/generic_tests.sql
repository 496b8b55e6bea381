{#- Generic tests written here because the dbt package hub is out of reach (no dbt_utils). -#}

{#- unique_combination_of_columns: no two rows share the same values of `combination_of_columns`. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
select {{ combination_of_columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}


{#- expression_is_true: every row (optionally only those matching `where`) satisfies `expression`. -#}
{% test expression_is_true(model, expression) %}
select * from {{ model }} where not ({{ expression }})
{% endtest %}


{#- accepted_range: a column's non-NULL values lie between min_value and max_value (inclusive). -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none) %}
select * from {{ model }}
where {{ column_name }} is not null
  and ({% if min_value is not none %}{{ column_name }} < {{ min_value }}{% else %}false{% endif %}
       or {% if max_value is not none %}{{ column_name }} > {{ max_value }}{% else %}false{% endif %})
{% endtest %}
