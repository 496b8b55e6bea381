-- DfE published role by ethnicity, long format. Note: the DfE counts Chinese under Other, the project's
-- ethnicity codes (ONS 2021) put Chinese under Asian.
{{ dfe_geography(source('raw', 'dfe_role_ethnicity'), extra=['org_role']) }}
