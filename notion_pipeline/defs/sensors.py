"""The change sensor (incremental sync) of each workspace and the dead-letter sensor."""


import hashlib
import json
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone

import dagster as dg

from notion_pipeline.dead_letters import record_failed_run
from notion_pipeline.defs.jobs import SyncPagesConfig, sync_pages_op_name
from notion_pipeline.defs.partitions import PARTITION_BATCH_SIZE, partitions_name
from notion_pipeline.defs.resources import LedgerResource, NotionResource
from notion_pipeline.defs.tags import run_tags
from notion_pipeline.notion.listing import list_pages
from notion_pipeline.planning import SyncPlan, batched, parse_notion_time, plan_changes
from notion_pipeline.settings import Settings


@dataclass
class ChangeCursor:
    """The change sensor's cursor: the newest ``last_edited_time`` seen and the last reconciliation."""

    watermark: str | None = None
    last_reconciled: float = 0.0

    @classmethod
    def parse(cls, raw: str | None) -> "ChangeCursor":
        if not raw:
            return cls()
        values = json.loads(raw)
        return cls(watermark=values.get("watermark"), last_reconciled=float(values.get("last_reconciled", 0)))

    def dump(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def listing_cutoff(watermark: str, overlap_seconds: int) -> str:
    """Move the watermark back by the overlap, because Notion rounds timestamps down to the minute."""
    moment = parse_notion_time(watermark) - timedelta(seconds=overlap_seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def notion_timestamp(epoch_seconds: float) -> str:
    """Format a Unix time as Notion formats timestamps (UTC, milliseconds, ``Z``)."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def reconcile_run_request(settings: Settings, workspace_id: str, now: float) -> dg.RunRequest:
    """Request a run that lists the whole workspace and syncs new, edited and gone pages."""
    config = SyncPagesConfig(reconcile=True)
    return dg.RunRequest(
        run_key=f"{workspace_id}:reconcile:{int(now)}",
        run_config={"ops": {sync_pages_op_name(workspace_id): {"config": config.model_dump()}}},
        tags={**run_tags(settings, workspace_id), "notion_pipeline/reconcile": "true"},
    )


def run_key(workspace_id: str, items: list[str]) -> str:
    """Derive a run key from a batch's content, so re-evaluating a tick requests nothing twice."""
    digest = hashlib.sha256("\n".join(sorted(items)).encode("utf-8")).hexdigest()[:24]
    return f"{workspace_id}:{digest}"


def build_run_requests(settings: Settings, workspace_id: str, plan: SyncPlan) -> list[dg.RunRequest]:
    """Turn a plan into batched runs of the workspace's sync job."""
    op_name = sync_pages_op_name(workspace_id)
    tags = run_tags(settings, workspace_id)
    requests: list[dg.RunRequest] = []
    for batch in batched(plan.to_index, settings.sensor_batch_size):
        config = SyncPagesConfig(page_ids=[summary.id for summary in batch])
        requests.append(
            dg.RunRequest(
                run_key=run_key(workspace_id, [f"{s.id}@{s.last_edited_time}" for s in batch]),
                run_config={"ops": {op_name: {"config": config.model_dump()}}},
                tags={**tags, "notion_pipeline/pages": str(len(batch))},
            )
        )
    for batch in batched(plan.to_remove, settings.sensor_batch_size):
        removals = [{"page_id": removal.page_id, "reason": removal.reason} for removal in batch]
        requests.append(
            dg.RunRequest(
                run_key=run_key(workspace_id, [f"remove:{removal.page_id}" for removal in batch]),
                run_config={"ops": {op_name: {"config": {"page_ids": [], "removals": removals}}}},
                tags={**tags, "notion_pipeline/removals": str(len(batch))},
            )
        )
    return requests


def build_change_sensor(
    settings: Settings, workspace_id: str, job: dg.JobDefinition, default_status: dg.DefaultSensorStatus
) -> dg.SensorDefinition:
    """Build the incremental-sync sensor of one workspace."""

    @dg.sensor(
        name=f"notion_changes_{workspace_id}",
        job=job,
        minimum_interval_seconds=settings.sensor_interval_seconds,
        default_status=default_status,
        description=(
            f"Poll Notion search for pages of workspace `{workspace_id}` edited since the cursor "
            "and request batched sync runs for new, edited and trashed pages. A tick with nothing "
            "changed makes one Notion request. Every reconciliation interval it requests, instead, "
            "one run that lists the whole workspace and syncs it, to catch deleted and unshared "
            "pages, which search no longer returns."
        ),
    )
    def change_sensor(context: dg.SensorEvaluationContext, notion: NotionResource, ledger: LedgerResource):
        cursor = ChangeCursor.parse(context.cursor)
        now = time.time()

        if cursor.watermark is None:
            # First tick: one reconciliation run indexes whatever is missing, and edits from now
            # on are found incrementally.
            cursor.watermark = notion_timestamp(now)
            cursor.last_reconciled = now
            context.log.info("Workspace %s: first tick, requesting a reconciliation run", workspace_id)
            return dg.SensorResult(
                run_requests=[reconcile_run_request(settings, workspace_id, now)], cursor=cursor.dump()
            )
        if now - cursor.last_reconciled >= settings.reconcile_interval_seconds:
            # Search no longer returns deleted and unshared pages, so only a full listing finds
            # them. It runs as a job, because listing a large workspace outlasts a sensor tick.
            # That run also syncs every new and edited page, so this tick lists nothing itself,
            # and the watermark stays where it is: the next tick finds those pages in the ledger.
            cursor.last_reconciled = now
            context.log.info("Workspace %s: reconciliation due, requesting a reconciliation run", workspace_id)
            return dg.SensorResult(
                run_requests=[reconcile_run_request(settings, workspace_id, now)], cursor=cursor.dump()
            )

        page_ledger = ledger.ledger()
        since = listing_cutoff(cursor.watermark, settings.sensor_overlap_seconds)
        listed = list(list_pages(notion.client(workspace_id), since=since))
        records = {}
        for summary in listed:
            record = page_ledger.get_page(workspace_id, summary.id)
            if record is not None:
                records[summary.id] = record
        plan = plan_changes(listed, records)
        if listed:
            newest = max(summary.last_edited_time for summary in listed)
            if newest > cursor.watermark:
                cursor.watermark = newest

        # Look up only the pages about to be indexed: reading every partition on each tick would
        # make a tick's cost grow with the workspace.
        name = partitions_name(workspace_id)
        new_partitions = sorted(
            {summary.id for summary in plan.to_index if not context.instance.has_dynamic_partition(name, summary.id)}
        )
        partition_requests = [
            dg.AddDynamicPartitionsRequest(partitions_def_name=partitions_name(workspace_id), partition_keys=batch)
            for batch in batched(new_partitions, PARTITION_BATCH_SIZE)
        ]
        run_requests = build_run_requests(settings, workspace_id, plan)
        context.log.info(
            "Workspace %s: %d pages edited since %s, %d to index, %d to remove, %d unchanged, "
            "%d runs requested",
            workspace_id, len(listed), since, len(plan.to_index), len(plan.to_remove),
            len(plan.unchanged), len(run_requests),
        )
        return dg.SensorResult(
            run_requests=run_requests,
            dynamic_partitions_requests=partition_requests,
            cursor=cursor.dump(),
        )

    return change_sensor


def build_dead_letter_sensor(
    settings: Settings, default_status: dg.DefaultSensorStatus
) -> dg.SensorDefinition:
    """Build the run-failure sensor that records pages of runs that failed for good."""

    @dg.run_failure_sensor(
        name="notion_dead_letters",
        default_status=default_status,
        minimum_interval_seconds=min(30, settings.sensor_interval_seconds),
        description=(
            "Record every page of a run that failed for good in the ledger's dead-letter records "
            "(runs that Dagster will retry are skipped). Replay them with the notion_dlq_replay "
            "job or `notion-pipeline dlq replay`."
        ),
    )
    def dead_letter_sensor(context: dg.RunFailureSensorContext, ledger: LedgerResource):
        outcome = record_failed_run(
            context.instance,
            context.dagster_run,
            ledger.ledger(),
            failure_message=context.failure_event.message or "",
            workspace_ids=[workspace.id for workspace in settings.workspaces],
        )
        context.log.info(outcome.describe())

    return dead_letter_sensor
