{{ pool_geographies(ref('int_workforce_flows_counted'),
    dims=['period_end', 'source'],
    sums=['inpost_fte', 'inpost_headcount', 'starters_fte', 'starters_headcount', 'leavers_fte', 'leavers_headcount',
          'agency_fte', 'vacancy_fte', 'case_holders_fte', 'cases', 'working_days_lost_fte']) }}
