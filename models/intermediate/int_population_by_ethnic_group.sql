-- ONS Census 2021 usual residents per council area and five-way group (metric 9's population share).
-- The ONS file uses 2023 codes; councils that later changed code (Barnsley, Sheffield) are reached
-- through successor_codes. Welsh areas and the "Does not apply" category are left out.
with ons as (
    select o.la_code_2023, e.group5 as ethnic_group, o.observation
    from {{ ref('ons_population_by_ethnicity') }} as o
    inner join {{ ref('ethnicity_codes') }} as e on e.ons_2021_label = o.ethnic_group_label
    where o.la_code_2023 like 'E%' and o.ethnic_group_code > 0
),

code_map as (
    select la_code as ons_code, la_code from {{ ref('local_authorities') }}
    union
    select la_code, successor_codes from {{ ref('local_authorities') }}
    where successor_codes is not null and successor_codes <> '' and successor_codes not like '% %'
)

select m.la_code, o.ethnic_group, sum(o.observation) as population
from ons as o
inner join code_map as m on m.ons_code = o.la_code_2023
group by all
