"""The Dagster code location: `refresh` job, nightly schedule, landing-folder sensor."""
