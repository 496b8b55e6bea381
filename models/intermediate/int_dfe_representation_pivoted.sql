-- The DfE's published role-by-ethnicity counts as seniority levels and groups, symbols kept as notes.
-- Case holder = 'Case holder' + 'Qualified without cases'; manager = the three manager roles.
-- The file has no Unknown, Total or FTE: those are NULL with note 'x'. The DfE counts Chinese under Other.
with src as (
    select
        geography_level, geography_code, geography_name, la_code, region_code, period_end,
        case org_role
            when 'All children and family social workers' then 'all'
            when 'Case holder' then 'case_holder'
            when 'Qualified without cases' then 'case_holder'
            when 'Senior practitioner' then 'senior_practitioner'
            when 'First line manager' then 'manager'
            when 'Middle manager' then 'manager'
            when 'Senior manager' then 'manager'
        end as seniority_level,
        case measure
            when 'white' then 'White' when 'mixed' then 'Mixed' when 'asian' then 'Asian'
            when 'black' then 'Black' when 'other' then 'Other' when 'known_headcount' then 'Known'
        end as ethnic_group,
        value, value_note
    from {{ ref('stg_dfe_published__role_ethnicity') }}
    where measure in ('white', 'mixed', 'asian', 'black', 'other', 'known_headcount')
),

summed as (
    -- a level made of several DfE roles is NULL when any part is a symbol (never a partial sum)
    select geography_level, geography_code, any_value(geography_name) as geography_name, any_value(la_code) as la_code,
        any_value(region_code) as region_code, period_end, seniority_level, ethnic_group,
        case when count(value) = count(*) then sum(value) end as headcount,
        case when count(value) < count(*) then min(value_note) end as headcount_note
    from src
    where seniority_level is not null
    group by geography_level, geography_code, period_end, seniority_level, ethnic_group
),

bme as (
    select geography_level, geography_code, any_value(geography_name), any_value(la_code), any_value(region_code),
        period_end, seniority_level, 'BME',
        case when count(headcount) = 4 then sum(headcount) end,
        case when count(headcount) < 4 then coalesce(min(headcount_note), 'x') end
    from summed
    where ethnic_group in ('Mixed', 'Asian', 'Black', 'Other')
    group by geography_level, geography_code, period_end, seniority_level
),

missing as (
    select distinct geography_level, geography_code, geography_name, la_code, region_code, period_end, seniority_level,
        g.ethnic_group, null::double, 'x'
    from summed
    cross join (values ('Unknown'), ('Total')) as g(ethnic_group)
)

select * from summed
union all
select * from bme
union all
select * from missing
