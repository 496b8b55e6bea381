-- The analysts' breach list: one row per engagement, quarter and broken rule, with the evidence.
-- Internal to the alliance's analysts: never published (it is per engagement, with hashed identifiers).
-- The experience minimum is the seed's (agency_rules.minimum_post_qualified_la_years), never a literal.
select a.la_code, a.quarter, a.engagement_key, a.swe_key, a.service, a.role, a.start_date, 'experience' as rule,
    'post_qualified_la_years ' || a.post_qualified_la_years::varchar || ' is under ' || r.value as evidence
from {{ ref('int_agency_engagements_assessed') }} as a
cross join (select value from {{ ref('agency_rules') }} where rule = 'minimum_post_qualified_la_years') as r
where a.experience_breach
union all
select la_code, quarter, engagement_key, swe_key, service, role, start_date, 'cooling_off',
    cooling_off_evidence || coalesce(': declared left ' || left_permanent_la_code || ' on ' || left_permanent_date::varchar, '')
    || coalesce('; linked leaver of ' || linked_left_la_codes || ' on ' || linked_left_date::varchar, '')
from {{ ref('int_agency_engagements_assessed') }}
where cooling_off_breach
union all
select la_code, quarter, engagement_key, swe_key, service, role, start_date, 'price_cap',
    'charge ' || charge_rate_per_hour::varchar || ' per hour is above the cap ' || cap_per_hour::varchar
from {{ ref('int_agency_engagements_assessed') }}
where is_over_cap and rules_apply
