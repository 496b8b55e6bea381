-- Progression and movement per person (metrics.md, "Progression and movement"), for every council extract
-- P2 that has an extract of the same council 12 months earlier (P1); the period is P2's period end.
-- Cohort: in post at the end of P1 in one of the six social-work roles other than senior_manager, and in
-- post at the end of P2, linked by the pseudonymised employee key; promoted when the role rank (role_rank)
-- went up. Ethnic group as in P2's extract, else P1's. Service as in P2's extract.
-- Leavers: the social-work staff who left in P2's period (end_date in it), with their stated destination,
-- whether they were found in post at the period end of another alliance council's extract after leaving
-- (moved_within_alliance, linked by the hashed SWE number) and whether they were found in an alliance
-- council's agency return within 12 months after leaving (to_agency_observed).
with staff as (
    select * from {{ ref('int_staff_classified') }}
),

pairs as (
    -- council extracts with one 12 months earlier
    select distinct p2.la_code, p2.period_end, p1.period_end as previous_period_end
    from (select distinct la_code, period_end from staff) as p2
    inner join (select distinct la_code, period_end from staff) as p1
        on p1.la_code = p2.la_code and p1.period_end = (p2.period_end - interval 1 year)::date
),

cohort as (
    select pr.la_code, pr.period_end, s2.service,
        case when coalesce(s2.ethnic_group, 'Unknown') <> 'Unknown' then s2.ethnic_group
            else coalesce(s1.ethnic_group, 'Unknown') end as ethnic_group,
        1 as in_cohort,
        case when {{ role_rank('s2.role') }} > {{ role_rank('s1.role') }} then 1 else 0 end as promoted,
        0 as leaver, 0 as moved_within_alliance, 0 as to_agency_observed, 0 as stated_to_another_la,
        0 as stated_to_agency
    from pairs as pr
    inner join staff as s1
        on s1.la_code = pr.la_code and s1.period_end = pr.previous_period_end and s1.in_post_at_end
        and {{ role_rank('s1.role') }} between 1 and 4
    inner join staff as s2
        on s2.la_code = pr.la_code and s2.period_end = pr.period_end and s2.in_post_at_end
        and s2.employee_key = s1.employee_key
),

alliance_in_post as (
    select s.la_code, s.period_end, s.swe_key
    from staff as s
    inner join {{ ref('int_alliance_councils') }} as ac on ac.la_code = s.la_code
    where s.in_post_at_end and s.swe_key is not null
),

alliance_agency as (
    select a.swe_key, a.start_date, coalesce(a.end_date, a.quarter_end) as last_date
    from {{ ref('int_agency_engagements_classified') }} as a
    inner join {{ ref('int_alliance_councils') }} as ac on ac.la_code = a.la_code
    where a.swe_key is not null
),

leavers as (
    select pr.la_code, pr.period_end, s.service, coalesce(s.ethnic_group, 'Unknown') as ethnic_group,
        0 as in_cohort, 0 as promoted, 1 as leaver,
        case when exists (
            select 1 from alliance_in_post as o
            where o.swe_key = s.swe_key and o.la_code <> s.la_code and o.period_end > s.end_date
        ) then 1 else 0 end as moved_within_alliance,
        case when exists (
            select 1 from alliance_agency as g
            where g.swe_key = s.swe_key and g.last_date > s.end_date
                and g.start_date <= (s.end_date + interval 1 year)::date
        ) then 1 else 0 end as to_agency_observed,
        case when s.destination = 'another_la' then 1 else 0 end as stated_to_another_la,
        case when s.destination = 'agency' then 1 else 0 end as stated_to_agency
    from pairs as pr
    inner join staff as s on s.la_code = pr.la_code and s.period_end = pr.period_end
    where s.left_in_period and s.is_social_work_role
)

select * from cohort
union all
select * from leavers
