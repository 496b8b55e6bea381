-- One row per agency engagement per quarter with its FTE, spend, the price cap in force on its start
-- date, and the DfE agency rules checked (agency-use.md). Rules apply to children's engagements that
-- started on or after the commencement date (seed agency_rules).
with e as (
    select * from {{ ref('int_agency_engagements_classified') }}
),

rules as (
    select
        max(case when rule = 'commencement_date' then value end)::date as commencement_date,
        max(case when rule = 'minimum_post_qualified_la_years' then value end)::decimal(6, 2) as min_years,
        max(case when rule = 'cooling_off_months' then value end)::integer as cooling_off_months
    from {{ ref('agency_rules') }}
),

sized as (
    select e.*,
        (least(coalesce(e.end_date, e.quarter_end), e.quarter_end)
            - greatest(e.start_date, e.quarter_start) + 1) as days_engaged_in_quarter,
        (e.start_date <= e.quarter_end and (e.end_date is null or e.end_date >= e.quarter_end)) as is_active_at_quarter_end
    from e
),

with_fte as (
    select s.*,
        coalesce(
            s.fte_reported::double,
            case
                when s.hours_in_quarter = 0 then 0.0
                when s.days_engaged_in_quarter > 0
                    then least(1.0, s.hours_in_quarter::double / (37.0 * s.days_engaged_in_quarter / 7.0))
                else 0.0
            end
        ) as fte,
        s.fte_reported is null as fte_derived
    from sized as s
),

capped as (
    -- caps apply to child and family social workers only (adults' engagements are reported, not capped)
    select w.*,
        case when w.service = 'children' then (select c.cap_per_hour from {{ ref('agency_price_caps') }} as c
         where c.region_code = w.region_code and c.role = w.role and c.effective_from <= w.start_date
         order by c.effective_from desc limit 1) end as cap_per_hour
    from with_fte as w
),

-- Leavers from a permanent post in any council of the warehouse: council HR staff (permanent contracts)
-- and CSWW return leavers, by hashed SWE number (the alliance-wide key links them).
leavers as (
    select distinct s.swe_key, s.la_code, la.region_code, s.end_date as left_date
    from {{ ref('int_staff_classified') }} as s
    inner join {{ ref('local_authorities') }} as la on la.la_code = s.la_code
    where s.swe_key is not null and s.end_date is not null and s.contract_type = 'permanent'
    union
    select w.swe_key, w.la_code, la.region_code, w.role_end_date
    from {{ ref('int_csww_workers_classified') }} as w
    inner join {{ ref('local_authorities') }} as la on la.la_code = w.la_code
    where w.swe_key is not null and w.role_end_date is not null and not w.agency_worker
),

linked as (
    select c.load_id, c.engagement_key, min(l.left_date) as linked_left_date,
        string_agg(distinct l.la_code, ' ') as linked_left_la_codes
    from capped as c
    cross join rules as r
    inner join leavers as l
        on l.swe_key = c.swe_key
        and l.region_code = c.region_code
        and l.left_date <= c.start_date
        and c.start_date < l.left_date + to_months(r.cooling_off_months)
    group by all
),

assessed as (
    select
        c.*,
        r.commencement_date,
        (c.service = 'children' and c.start_date >= r.commencement_date) as rules_apply,
        coalesce(c.charge_rate_per_hour > c.cap_per_hour, false) as is_over_cap,
        c.hours_in_quarter * c.charge_rate_per_hour as spend_exact,
        case when c.charge_rate_per_hour > c.cap_per_hour
            then c.hours_in_quarter * (c.charge_rate_per_hour - c.cap_per_hour) else 0 end as spend_above_cap_exact,
        (c.post_qualified_la_years < r.min_years) as below_experience,
        (c.left_permanent_date is not null and c.left_permanent_date <= c.start_date
            and c.start_date < c.left_permanent_date + to_months(r.cooling_off_months)
            and coalesce(lla.region_code, c.region_code) = c.region_code) as cooling_off_declared,
        (lk.engagement_key is not null) as cooling_off_linked,
        lk.linked_left_date,
        lk.linked_left_la_codes
    from capped as c
    cross join rules as r
    left join {{ ref('local_authorities') }} as lla on lla.la_code = c.left_permanent_la_code
    left join linked as lk on lk.load_id = c.load_id and lk.engagement_key = c.engagement_key
)

select
    load_id, la_code, region_code, quarter, quarter_start, quarter_end, engagement_key, swe_key, service, role,
    engagement_type, agency_name, start_date, end_date, days_engaged_in_quarter, is_active_at_quarter_end,
    hours_in_quarter, fte_reported, fte, fte_derived, charge_rate_per_hour, pay_rate_per_hour, cap_per_hour,
    is_over_cap, case when is_over_cap then hours_in_quarter else 0 end as hours_over_cap,
    spend_exact, spend_above_cap_exact, post_qualified_la_years, left_permanent_la_code, left_permanent_date,
    ethnic_group, covering_vacancy, rules_apply,
    (rules_apply and below_experience) as experience_breach,
    (rules_apply and (cooling_off_declared or cooling_off_linked)) as cooling_off_breach,
    case
        when not rules_apply then null
        when cooling_off_declared and cooling_off_linked then 'declared and linkage'
        when cooling_off_declared then 'declared'
        when cooling_off_linked then 'linkage'
    end as cooling_off_evidence,
    linked_left_date, linked_left_la_codes
from assessed
