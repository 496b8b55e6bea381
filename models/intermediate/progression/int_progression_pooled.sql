-- Council rows and the Region and Alliance rows pooled from them (cohorts and events summed first, then
-- divided in the mart; never an average of council rates), per five-way group.
{{ pool_geographies(ref('int_progression_counted'),
    dims=['period_end', 'service', 'ethnic_group'],
    sums=['cohort', 'promoted', 'leavers', 'moved_within_alliance', 'to_agency_observed',
          'stated_to_another_la', 'stated_to_agency']) }}
