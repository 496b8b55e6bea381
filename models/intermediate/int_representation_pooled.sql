-- Council rows and the Region and Alliance rows pooled from them (sums first), per five-way group.
{{ pool_geographies(ref('int_representation_counted'),
    dims=['period_end', 'source', 'service', 'seniority_level', 'ethnic_group'],
    sums=['headcount', 'fte']) }}
