-- For every council in the DfE's published role-by-ethnicity figures, year, seniority level and group, the
-- median over its ten statistical neighbours of the group's share of known staff (pct_of_known), over the
-- neighbours whose share is numeric (NULL with note 'x' when fewer than 5), and the number used.
with dfe as (
    select d.*, c.current_la_code
    from {{ ref('int_dfe_representation_pivoted') }} as d
    inner join {{ ref('int_current_la_codes') }} as c on c.la_code = d.geography_code
    where d.geography_level = 'Local authority'
),

shares as (
    select current_la_code, period_end, seniority_level, ethnic_group,
        max(case when ethnic_group not in ('Unknown', 'Total') then {{ share_of_known('headcount', 'known') }} end)
            as pct_of_known
    from (
        select *, max(case when ethnic_group = 'Known' then headcount end) over (
            partition by geography_code, period_end, seniority_level) as known
        from dfe
    )
    group by current_la_code, period_end, seniority_level, ethnic_group
),

subjects as (
    select distinct geography_code, current_la_code, period_end, seniority_level, ethnic_group from dfe
)

select
    s.geography_code, s.period_end, la.la_name, la.region_code, s.seniority_level, s.ethnic_group,
    {{ neighbour_median('n.pct_of_known') }} as pct_of_known,
    case when s.ethnic_group in ('Unknown', 'Total') then 'z' else {{ neighbour_median_note('n.pct_of_known') }} end
        as pct_of_known_note,
    count(n.pct_of_known) as neighbours_used
from subjects as s
inner join {{ ref('local_authorities') }} as la on la.la_code = s.geography_code
inner join {{ ref('int_statistical_neighbours') }} as sn on sn.la_code = s.current_la_code
left join shares as n
    on n.current_la_code = sn.neighbour_la_code and n.period_end = s.period_end
    and n.seniority_level = s.seniority_level and n.ethnic_group = s.ethnic_group
group by s.geography_code, s.period_end, la.la_name, la.region_code, s.seniority_level, s.ethnic_group
