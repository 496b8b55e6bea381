{#- flow_rates(): the DfE workforce rates (metrics.md, workforce flows) from counts in the same row.
    turnover = leavers FTE / in-post FTE x 100; agency rate = agency FTE / (agency + in-post FTE) x 100;
    vacancy rate = vacancy FTE / (vacancy + in-post FTE) x 100; caseload = cases / case-holder FTE;
    absence rate = working days lost / (in-post FTE x 253) x 100. -#}
{% macro flow_rates() -%}
    100.0 * {{ ratio('leavers_fte', 'inpost_fte') }} as turnover_rate_fte,
    100.0 * {{ ratio('agency_fte', 'agency_fte + inpost_fte') }} as agency_rate_fte,
    100.0 * {{ ratio('vacancy_fte', 'vacancy_fte + inpost_fte') }} as vacancy_rate_fte,
    {{ ratio('cases', 'case_holders_fte') }} as caseload_fte,
    100.0 * {{ ratio('working_days_lost_fte', 'inpost_fte * 253') }} as absence_rate_fte
{%- endmacro %}
