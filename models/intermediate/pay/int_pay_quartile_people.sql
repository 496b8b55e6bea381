{{ config(materialized='view') }}
-- A view, not a table (issue 22): a row per pooled person; writing it cost more than the models
-- that read it computing it as they go, with the same figures.
-- Each person of the pay-gap population with their pay quartile within their geography, period end,
-- source and service (metrics.md: ordered by salary, ties broken by the pseudonymised person key, the
-- first n mod 4 quartiles from the lowest taking one more). Pooled geographies order the pooled people.
select geography_level, geography_code, period_end, source, service, person_la_code, person_key, ethnic_group, salary,
    {{ pay_quartile('salary', 'person_key', 'geography_level, geography_code, period_end, source, service') }}
        as quartile
from {{ ref('int_pay_people_pooled') }}
