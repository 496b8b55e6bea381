-- DfE published role by ethnicity, long format, from both layouts (dfe-census.md B.2):
-- * the older wide file: measure = its column (`white`, `white_perc`, `known_headcount`, ...), headcounts only;
-- * the newer long file: measure = `<column>:<group>` (`inpost_fte:white`, `inpost_headcount:unknown`,
--   `inpost_headcount:minor:AIND`), with FTE, Known, Not known (Unknown) and Total.
-- org_role is as published: the long file's `Total` is the wide file's `All children and family social workers`.
-- Note: the DfE's older wide file counts Chinese under Other; the project's ethnicity codes (ONS 2021) put
-- Chinese under Asian.
with d as (
    {{ dfe_geography(source('raw', 'dfe_role_ethnicity'), extra=['org_role']) }}
)

select
    d.*,
    case when d.measure like '%:%' then 'long' else 'wide' end as layout,
    case when d.measure like '%:minor:%' then 'Ethnicity minor' else 'Ethnicity major' end as breakdown_topic,
    case
        when d.measure like '%:%' then
            case split_part(d.measure, ':', 1)
                when 'inpost_headcount' then 'headcount'
                when 'inpost_headcount_percentage' then 'headcount_perc'
                when 'inpost_fte' then 'fte'
                when 'inpost_fte_percentage' then 'fte_perc'
            end
        when d.measure like '%\_perc' escape '\' then 'headcount_perc'
        else 'headcount'
    end as statistic,
    -- white, mixed, asian, black, other, known, unknown, total; a minor row's ethnicity code
    case
        when d.measure like '%:minor:%' then split_part(d.measure, ':', 3)
        when d.measure like '%:%' then split_part(d.measure, ':', 2)
        else regexp_replace(d.measure, '(_headcount|_perc)$', '')
    end as ethnic_group_key,
    case
        when d.measure like '%:minor:%' and split_part(d.measure, ':', 3) not in ('known', 'unknown', 'total')
            then split_part(d.measure, ':', 3)
    end as ethnicity_code
from d
