-- The DfE's published role-by-ethnicity counts as seniority levels and groups, symbols kept as notes.
-- Case holder = 'Case holder' + 'Qualified without cases'; manager = the three manager roles.
-- Two layouts (see stg_dfe_published__role_ethnicity): where the long one covers a year and geography it
-- is used, whatever order the files were loaded in (it is the newer release and carries more); else the wide.
-- The wide file has no Unknown, Total or FTE: those are NULL with note 'x'. Only the Ethnicity major rows
-- feed the groups (the minor rows stay in raw and staging; docs/decisions.md, "DfE long-format files").
-- The DfE's wide file counts Chinese under Other.
with src as (
    select
        geography_level, geography_code, geography_name, la_code, region_code, period_end, layout,
        case org_role
            when 'All children and family social workers' then 'all'
            when 'Total' then 'all'
            when 'Case holder' then 'case_holder'
            when 'Qualified without cases' then 'case_holder'
            when 'Senior practitioner' then 'senior_practitioner'
            when 'First line manager' then 'manager'
            when 'Middle manager' then 'manager'
            when 'Senior manager' then 'manager'
        end as seniority_level,
        case ethnic_group_key
            when 'white' then 'White' when 'mixed' then 'Mixed' when 'asian' then 'Asian'
            when 'black' then 'Black' when 'other' then 'Other' when 'known' then 'Known'
            when 'unknown' then 'Unknown' when 'total' then 'Total'
        end as ethnic_group,
        statistic, value, value_note
    from {{ ref('stg_dfe_published__role_ethnicity') }}
    where breakdown_topic = 'Ethnicity major' and statistic in ('headcount', 'fte')
),

chosen as (
    select *
    from src
    where seniority_level is not null and ethnic_group is not null
    qualify layout = case when bool_or(layout = 'long') over (
        partition by geography_level, geography_code, period_end) then 'long' else 'wide' end
),

summed as (
    -- a level made of several DfE roles is NULL when any part is a symbol (never a partial sum)
    select geography_level, geography_code, any_value(geography_name) as geography_name, any_value(la_code) as la_code,
        any_value(region_code) as region_code, period_end, seniority_level, ethnic_group, statistic,
        case when count(value) = count(*) then sum(value) end as value,
        case when count(value) < count(*) then min(value_note) end as value_note
    from chosen
    group by geography_level, geography_code, period_end, seniority_level, ethnic_group, statistic
),

pivoted as (
    -- a statistic the file does not carry (FTE in the wide layout) is NULL with note 'x'
    select geography_level, geography_code, any_value(geography_name) as geography_name, any_value(la_code) as la_code,
        any_value(region_code) as region_code, period_end, seniority_level, ethnic_group,
        max(value) filter (where statistic = 'headcount') as headcount,
        case when count(*) filter (where statistic = 'headcount') = 0 then 'x'
            else max(value_note) filter (where statistic = 'headcount') end as headcount_note,
        max(value) filter (where statistic = 'fte') as fte,
        case when count(*) filter (where statistic = 'fte') = 0 then 'x'
            else max(value_note) filter (where statistic = 'fte') end as fte_note
    from summed
    group by geography_level, geography_code, period_end, seniority_level, ethnic_group
),

bme as (
    select geography_level, geography_code, any_value(geography_name), any_value(la_code), any_value(region_code),
        period_end, seniority_level, 'BME',
        case when count(headcount) = 4 then sum(headcount) end,
        case when count(headcount) < 4 then coalesce(min(headcount_note), 'x') end,
        case when count(fte) = 4 then sum(fte) end,
        case when count(fte) < 4 then coalesce(min(fte_note), 'x') end
    from pivoted
    where ethnic_group in ('Mixed', 'Asian', 'Black', 'Other')
    group by geography_level, geography_code, period_end, seniority_level
),

levels as (
    select distinct geography_level, geography_code, geography_name, la_code, region_code, period_end, seniority_level
    from pivoted
),

missing as (
    -- Unknown and Total where the file has none (the wide layout): NULL with note 'x'
    select l.geography_level, l.geography_code, l.geography_name, l.la_code, l.region_code, l.period_end,
        l.seniority_level, g.ethnic_group, null::double, 'x', null::double, 'x'
    from levels as l
    cross join (values ('Unknown'), ('Total')) as g(ethnic_group)
    where not exists (
        select 1 from pivoted as p
        where p.geography_level = l.geography_level and p.geography_code = l.geography_code
            and p.period_end = l.period_end and p.seniority_level = l.seniority_level
            and p.ethnic_group = g.ethnic_group
    )
)

select * from pivoted
union all
select * from bme
union all
select * from missing
