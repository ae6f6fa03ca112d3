"""Schedules: the daily full sync, and the index check after it."""

from __future__ import annotations

import dagster as dg

from notion_pipeline.settings import Settings


def build_schedules(
    settings: Settings,
    full_sync_job: dg.JobDefinition,
    index_check_job: dg.UnresolvedAssetJobDefinition,
    default_status: dg.DefaultScheduleStatus,
) -> list[dg.ScheduleDefinition]:
    """Build the full-sync and index-check schedules (FULL_SYNC_CRON, INDEX_CHECK_CRON)."""
    return [
        dg.ScheduleDefinition(
            name="notion_full_sync_daily",
            job=full_sync_job,
            cron_schedule=settings.full_sync_cron,
            execution_timezone=settings.schedule_timezone,
            default_status=default_status,
            description="Full sync and reconciliation of every workspace.",
        ),
        dg.ScheduleDefinition(
            name="notion_index_check_daily",
            job=index_check_job,
            cron_schedule=settings.index_check_cron,
            execution_timezone=settings.schedule_timezone,
            default_status=default_status,
            description="Check that Qdrant agrees with the ledger for every workspace.",
        ),
    ]
