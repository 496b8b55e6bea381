{#-
  The formulas of metrics.md, each written once. Every mart that needs one calls it.
-#}

{#- share_of_known(count, known): a group's share of people of known ethnicity, in percent (0-100).
    NULL when nobody is known (never 0). Unknown is never in the denominator. -#}
{% macro share_of_known(count, known) -%}
    case when ({{ known }}) > 0 then 100.0 * ({{ count }}) / ({{ known }}) end
{%- endmacro %}


{#- ratio(numerator, denominator): plain division that is NULL, not an error, for a zero or NULL denominator. -#}
{% macro ratio(numerator, denominator) -%}
    case when ({{ denominator }}) <> 0 then ({{ numerator }})::double / ({{ denominator }}) end
{%- endmacro %}


{#- relative_likelihood_columns(a, n1, c, n2): the SC-WRES relative likelihood of a comparison group
    (a events among n1 people) against White staff (c events among n2 people).

    rate = events / people at risk, in percent; RL = group rate / White rate;
    95% CI by the log (Katz) method: SE = sqrt(1/a - 1/n1 + 1/c - 1/n2), CI = exp(ln RL +/- 1.96 SE);
    significant = the CI excludes 1; band by the four-fifths convention;
    status: too_few when either denominator is under var('min_denominator'), no_events when a or c is 0
    (rates still published), else ok. RL and CI are NULL whenever status is not ok, never 0 or 1.
    Emits: group_rate, white_rate, relative_likelihood, ci_lower, ci_upper, band, significant, status. -#}
{% macro relative_likelihood_columns(a, n1, c, n2) -%}
    {%- set min_n = var('min_denominator') -%}
    {%- set ok -%}(({{ n1 }}) >= {{ min_n }} and ({{ n2 }}) >= {{ min_n }} and ({{ a }}) > 0 and ({{ c }}) > 0){%- endset -%}
    {%- set rl -%}((({{ a }})::double / ({{ n1 }})) / (({{ c }})::double / ({{ n2 }}))){%- endset -%}
    {%- set se -%}sqrt(1.0 / ({{ a }}) - 1.0 / ({{ n1 }}) + 1.0 / ({{ c }}) - 1.0 / ({{ n2 }})){%- endset -%}
    case when ({{ n1 }}) > 0 then 100.0 * ({{ a }}) / ({{ n1 }}) end as group_rate,
    case when ({{ n2 }}) > 0 then 100.0 * ({{ c }}) / ({{ n2 }}) end as white_rate,
    case when {{ ok }} then {{ rl }} end as relative_likelihood,
    case when {{ ok }} then exp(ln({{ rl }}) - 1.96 * {{ se }}) end as ci_lower,
    case when {{ ok }} then exp(ln({{ rl }}) + 1.96 * {{ se }}) end as ci_upper,
    {{ likelihood_band('case when ' ~ ok ~ ' then ' ~ rl ~ ' end') }} as band,
    case when {{ ok }} then (exp(ln({{ rl }}) - 1.96 * {{ se }}) > 1 or exp(ln({{ rl }}) + 1.96 * {{ se }}) < 1) end as significant,
    case
        when ({{ n1 }}) is null or ({{ n2 }}) is null then 'not_submitted'
        when ({{ n1 }}) < {{ min_n }} or ({{ n2 }}) < {{ min_n }} then 'too_few'
        when ({{ a }}) = 0 or ({{ c }}) = 0 then 'no_events'
        else 'ok'
    end as status
{%- endmacro %}


{#- likelihood_band(rl): "less likely" below 0.80, "more likely" above 1.25, else "no material difference". -#}
{% macro likelihood_band(rl) -%}
    case
        when ({{ rl }}) is null then null
        when ({{ rl }}) < 0.80 then 'less likely'
        when ({{ rl }}) > 1.25 then 'more likely'
        else 'no material difference'
    end
{%- endmacro %}


{#- period_label(period_end, kind='year'): THE period label, the one rule every mart (and the Python loaders'
    period_label) uses, so one period end always gets one label:
    - kind 'year' (a 12-month period ending on period_end): '2024-25' for a period ending 31 March 2025 (the
      financial year), '2024' for one ending 30 September 2024 (the census year of the CSWW return and of an
      HR extract made for the census), else 'year to YYYY-MM-DD' (monthly or quarterly extracts, e.g.
      'year to 2024-12-31'), so a label never claims a year the period is not;
    - kind 'quarter' (an agency return's calendar quarter ending on period_end): '2025-Q1'. -#}
{% macro period_label(period_end, kind='year') -%}
    {%- if kind == 'quarter' -%}
    (year({{ period_end }})::varchar || '-Q' || quarter({{ period_end }})::varchar)
    {%- else -%}
    (case
        when month({{ period_end }}) = 3 and day({{ period_end }}) = 31
            then (year({{ period_end }}) - 1)::varchar || '-' || right(year({{ period_end }})::varchar, 2)
        when month({{ period_end }}) = 9 and day({{ period_end }}) = 30 then year({{ period_end }})::varchar
        else 'year to ' || strftime({{ period_end }}, '%Y-%m-%d')
    end)
    {%- endif -%}
{%- endmacro %}


{#- quarter_label(quarter_end): '2025-Q1' for the quarter ending 31 March 2025 (period_label's quarter kind). -#}
{% macro quarter_label(quarter_end) -%}
    {{ period_label(quarter_end, 'quarter') }}
{%- endmacro %}
