"""Dagster partitions: one dynamic partition per council submission (`<LA code>_<period end>`).

The landing sensor adds a partition when a council's file arrives and requests a run of that partition;
a full refresh (the schedule, the CLI) adds a partition for every submission it loads and records a
materialization of it, so the UI lists every submission with its last load whichever way it was loaded.
"""

import dagster as dg

SUBMISSIONS = dg.DynamicPartitionsDefinition(name="submissions")
