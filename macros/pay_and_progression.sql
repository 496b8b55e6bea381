{#-
  Formulas of metrics.md's "Ethnicity pay gap", "Progression and movement" and "Year-on-year change",
  each written once (issue 17). The pooling of people (not of sums) is here too: medians never pool.
-#}

{#- pool_people(relation): every row of `relation` (one per person, or per council's grid cell) under its
    council's Local authority row and under each pool the council belongs to: its Region (the alliance's
    councils of one ONS region) and the Alliance (metrics.md, "Pooling"). A pooled figure is then computed
    over the pooled people themselves, so a pooled median is the median of everyone pooled, never an
    average of council medians. Emits geography_level, geography_code, geography_name, la_code (the
    council on Local authority rows, NULL on pooled rows), region_code, person_la_code (the council the row
    came from) and every other column of `relation`. -#}
{% macro pool_people(relation) -%}
select * from (
with pp_base as (
    select b.* exclude (la_code), b.la_code as person_la_code, la.la_name, la.region_code as la_region_code,
        la.region_name, ac.alliance_code, ac.alliance_name
    from {{ relation }} as b
    inner join {{ ref('int_alliance_councils') }} as ac on ac.la_code = b.la_code
    inner join {{ ref('local_authorities') }} as la on la.la_code = b.la_code
)
select 'Local authority' as geography_level, person_la_code as geography_code, la_name as geography_name,
    person_la_code as la_code, la_region_code as region_code,
    * exclude (la_name, la_region_code, region_name, alliance_code, alliance_name)
from pp_base
union all by name
select 'Region' as geography_level, la_region_code as geography_code, region_name as geography_name,
    null::varchar as la_code, la_region_code as region_code,
    * exclude (la_name, la_region_code, region_name, alliance_code, alliance_name)
from pp_base
union all by name
select 'Alliance' as geography_level, alliance_code as geography_code, alliance_name as geography_name,
    null::varchar as la_code, null::varchar as region_code,
    * exclude (la_name, la_region_code, region_name, alliance_code, alliance_name)
from pp_base
)
{%- endmacro %}


{#- mean_money(x) and median_money(x): a mean or median salary as money, DECIMAL(18,2) rounded half-up
    after the arithmetic. The median is the usual one: the mean of the two middle values for an even
    count (quantile_cont at 0.5). The unrounded values are mean_value(x) and median_value(x). -#}
{% macro mean_value(x) -%}avg(({{ x }})::double){%- endmacro %}
{% macro median_value(x) -%}quantile_cont(({{ x }})::double, 0.5){%- endmacro %}
{% macro mean_money(x) -%}round({{ mean_value(x) }}, 2)::decimal(18, 2){%- endmacro %}
{% macro median_money(x) -%}round({{ median_value(x) }}, 2)::decimal(18, 2){%- endmacro %}


{#- pay_gap_pct(white, group): (White's figure - the group's) / White's x 100; positive = the group is paid
    less. NULL when White's figure is NULL or 0. -#}
{% macro pay_gap_pct(white, group) -%}
    case when ({{ white }}) <> 0 then 100.0 * (({{ white }}) - ({{ group }})) / ({{ white }}) end
{%- endmacro %}


{#- pay_quartile(salary, person_key, partition_by): the pay quartile (1 lowest .. 4) of a person among
    everyone in the partition ordered by salary, ties broken by the pseudonymised person key (then by the
    council, for pooled rows), cut into four groups as equal as possible: the first n mod 4 quartiles,
    from the lowest, take one more (the SQL standard's ntile). -#}
{% macro pay_quartile(salary, person_key, partition_by, tie_breaker='person_la_code') -%}
    ntile(4) over (partition by {{ partition_by }} order by {{ salary }}, {{ person_key }}, {{ tie_breaker }})
{%- endmacro %}


{#- role_rank(role): the promotion ladder of metrics.md: qualified_no_cases = case_holder 1, senior
    practitioner 2, first line manager 3, middle manager 4, senior manager 5; NULL for non_qualified. -#}
{% macro role_rank(role) -%}
    case {{ role }}
        when 'case_holder' then 1 when 'qualified_no_cases' then 1 when 'senior_practitioner' then 2
        when 'first_line_manager' then 3 when 'middle_manager' then 4 when 'senior_manager' then 5
    end
{%- endmacro %}


{#- se_from_ci(ci_lower, ci_upper): the standard error of ln RL read back from the 95% CI that
    relative_likelihood_columns (formulas.sql) publishes: CI = exp(ln RL -/+ 1.96 SE), so
    SE = (ln ci_upper - ln ci_lower) / (2 x 1.96). The Katz formula itself stays written once, there. -#}
{% macro se_from_ci(ci_lower, ci_upper) -%}
    case when ({{ ci_lower }}) > 0 and ({{ ci_upper }}) > 0 then (ln({{ ci_upper }}) - ln({{ ci_lower }})) / (2 * 1.96) end
{%- endmacro %}


{#- year_on_year_columns(rl, se, prev_rl, prev_se, is_likelihood='true'): metrics.md "Year-on-year change".
    previous_relative_likelihood, change_ratio = RL / previous RL; for likelihoods change_significant =
    |ln RL - ln RL_prev| > 1.96 sqrt(SE^2 + SE_prev^2) and direction 'towards parity' / 'away from parity'
    (|ln RL| smaller / larger) when significant, else 'no significant change'; NULL when either year has
    no ratio. Representation ratios (no SE) carry the change ratio only. -#}
{% macro year_on_year_columns(rl, se, prev_rl, prev_se, is_likelihood='true') -%}
    {%- set both -%}(({{ rl }}) > 0 and ({{ prev_rl }}) > 0){%- endset -%}
    {%- set testable -%}({{ both }} and ({{ is_likelihood }}) and ({{ se }}) is not null and ({{ prev_se }}) is not null){%- endset -%}
    {%- set sig -%}(abs(ln({{ rl }}) - ln({{ prev_rl }})) > 1.96 * sqrt(({{ se }}) ^ 2 + ({{ prev_se }}) ^ 2)){%- endset -%}
    ({{ prev_rl }})::double as previous_relative_likelihood,
    case when {{ both }} then ({{ rl }})::double / ({{ prev_rl }}) end as change_ratio,
    case when {{ testable }} then {{ sig }} end as change_significant,
    case
        when not {{ testable }} then null
        when not {{ sig }} then 'no significant change'
        when abs(ln({{ rl }})) < abs(ln({{ prev_rl }})) then 'towards parity'
        else 'away from parity'
    end as direction
{%- endmacro %}
