"""The nightly schedule (interfaces.md, Scheduling). The landing-folder sensor is in sensors.py."""

import os

import dagster as dg

REFRESH_CRON = os.environ.get("WORKFORCE_REFRESH_CRON", "0 2 * * *")


def nightly_schedule(job: dg.JobDefinition) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="nightly_refresh",
        job=job,
        cron_schedule=REFRESH_CRON,
        execution_timezone=os.environ.get("WORKFORCE_TIMEZONE", "Europe/London"),
        description="Refresh every night (cron from WORKFORCE_REFRESH_CRON, default 02:00).",
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )
