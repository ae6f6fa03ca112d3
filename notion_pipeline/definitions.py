"""Assemble the Dagster definitions from the settings: one page asset per Notion workspace."""

from __future__ import annotations

import logging
import warnings

import dagster as dg

from notion_pipeline.defs.assets import build_page_asset
from notion_pipeline.defs.checks import build_index_check
from notion_pipeline.defs.jobs import build_dlq_replay_job, build_full_sync_job, build_sync_pages_job
from notion_pipeline.defs.partitions import page_asset_key
from notion_pipeline.defs.resources import build_resources
from notion_pipeline.defs.schedules import build_schedules
from notion_pipeline.defs.sensors import build_change_sensor, build_dead_letter_sensor
from notion_pipeline.redaction import install_log_redaction
from notion_pipeline.settings import Settings

INDEX_CHECK_JOB_NAME = "notion_index_check"


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    """Build every asset, check, job, sensor and schedule for the configured workspaces."""
    settings = settings or Settings.load()
    install_log_redaction()
    sensor_status = (
        dg.DefaultSensorStatus.RUNNING if settings.automation_enabled else dg.DefaultSensorStatus.STOPPED
    )
    schedule_status = (
        dg.DefaultScheduleStatus.RUNNING if settings.automation_enabled else dg.DefaultScheduleStatus.STOPPED
    )

    assets = [build_page_asset(settings, workspace.id) for workspace in settings.workspaces]
    checks = [build_index_check(settings, workspace.id) for workspace in settings.workspaces]
    sync_jobs = {workspace.id: build_sync_pages_job(settings, workspace.id) for workspace in settings.workspaces}
    full_sync_job = build_full_sync_job(settings)
    index_check_job = dg.define_asset_job(
        name=INDEX_CHECK_JOB_NAME,
        selection=dg.AssetSelection.checks_for_assets(
            *[page_asset_key(workspace.id) for workspace in settings.workspaces]
        ),
        executor_def=dg.in_process_executor,
        description="Check that Qdrant agrees with the ledger for every workspace.",
    )
    sensors = [
        build_change_sensor(settings, workspace_id, job, sensor_status)
        for workspace_id, job in sync_jobs.items()
    ]
    sensors.append(build_dead_letter_sensor(settings, sensor_status))

    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[full_sync_job, build_dlq_replay_job(settings), index_check_job, *sync_jobs.values()],
        sensors=sensors,
        schedules=build_schedules(settings, full_sync_job, index_check_job, schedule_status),
        resources=build_resources(),
    )


# backfill_policy and sensor owners are marked beta in Dagster 1.13. The warning repeats on every
# load of the code location and gives users of this project nothing to act on.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
logging.getLogger("notion_pipeline").setLevel(logging.INFO)
defs = build_definitions()
