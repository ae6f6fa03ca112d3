"""Dead-letter records: which pages of a failed run to record.

A run fails for good when its steps used up their RetryPolicy and Dagster will not re-execute the
run. Every page that run was meant to sync and did not is recorded, once per run, with its error
and attempt count. Replaying a page that then syncs resolves its records.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import dagster as dg
from dagster._core.storage.tags import WILL_RETRY_TAG

from notion_pipeline.defs.partitions import partitions_name
from notion_pipeline.defs.tags import WORKSPACE_TAG
from notion_pipeline.ledger import Ledger, PageStatus
from notion_pipeline.redaction import redact

logger = logging.getLogger(__name__)

PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
MAX_ERROR_LENGTH = 2000
END_SLACK = timedelta(seconds=5)


@dataclass
class DeadLetterOutcome:
    """The dead-letter records made for one failed run, or why none were made."""

    run_id: str
    skipped_reason: str | None = None
    recorded: list[tuple[str, str]] = field(default_factory=list)
    already_recorded: int = 0

    def describe(self) -> str:
        if self.skipped_reason:
            return f"Run {self.run_id}: no dead-letter records ({self.skipped_reason})"
        pages = ", ".join(f"{workspace}/{page}" for workspace, page in self.recorded) or "none"
        return (
            f"Run {self.run_id}: recorded {len(self.recorded)} dead-letter records "
            f"({self.already_recorded} already recorded): {pages}"
        )


def will_be_retried(run: dg.DagsterRun) -> bool:
    """Tell whether Dagster's run retries will re-execute this failed run."""
    return run.tags.get(WILL_RETRY_TAG, "").lower() == "true"


def workspace_of_run(run: dg.DagsterRun) -> str | None:
    """Find the workspace a run synced, from its tags or its asset selection."""
    if WORKSPACE_TAG in run.tags:
        return run.tags[WORKSPACE_TAG]
    for key in run.asset_selection or ():
        if len(key.path) == 3 and key.path[0] == "notion" and key.path[2] == "pages":
            return key.path[1]
    return None


def planned_pages_of_run(instance: dg.DagsterInstance, run: dg.DagsterRun, workspace_id: str) -> list[str]:
    """List the pages a run was meant to sync: its partitions or its configured page ids."""
    if PARTITION_TAG in run.tags:
        return [run.tags[PARTITION_TAG]]
    if RANGE_START_TAG in run.tags and RANGE_END_TAG in run.tags:
        keys = instance.get_dynamic_partitions(partitions_name(workspace_id))
        start, end = run.tags[RANGE_START_TAG], run.tags[RANGE_END_TAG]
        if start in keys and end in keys:
            return keys[keys.index(start) : keys.index(end) + 1]
        return [key for key in (start, end) if key]
    pages: list[str] = []
    for op_config in (run.run_config or {}).get("ops", {}).values():
        config = (op_config or {}).get("config", {}) or {}
        pages.extend(config.get("page_ids", []) or [])
        pages.extend(item["page_id"] for item in config.get("removals", []) or [])
    return pages


def record_failed_run(
    instance: dg.DagsterInstance,
    run: dg.DagsterRun,
    ledger: Ledger,
    *,
    failure_message: str,
    workspace_ids: list[str] | None = None,
) -> DeadLetterOutcome:
    """Record the pages of a failed run in the dead-letter records, idempotently."""
    fresh = instance.get_run_by_id(run.run_id) or run
    outcome = DeadLetterOutcome(run_id=run.run_id)
    if will_be_retried(fresh):
        outcome.skipped_reason = "Dagster will retry the run"
        return outcome

    record = instance.get_run_record_by_id(run.run_id)
    started = _run_start(record)
    ended = _run_end(record)
    message = redact(failure_message)[:MAX_ERROR_LENGTH] or "the run failed"

    workspace = workspace_of_run(fresh)
    if workspace is not None:
        candidates = {workspace: planned_pages_of_run(instance, fresh, workspace)}
    else:
        candidates = {workspace_id: [] for workspace_id in (workspace_ids or [])}
    if not candidates:
        outcome.skipped_reason = "the run synced no Notion workspace"
        return outcome

    for workspace_id, planned in candidates.items():
        pages: dict[str, tuple[str, int]] = {}
        for page_id in planned:
            page = ledger.get_page(workspace_id, page_id)
            if page is None or _updated_before(page.updated_at, started):
                # The run never reached this page (it crashed or was killed first).
                pages[page_id] = (f"The run ended before the page was synced: {message}", 1)
            elif page.status == PageStatus.FAILED:
                pages[page_id] = (page.last_error or message, max(page.attempts, 1))
        for page in ledger.list_pages(workspace_id, PageStatus.FAILED):
            if page.page_id in pages or _updated_before(page.updated_at, started):
                continue
            if ended is not None and _updated_before(ended, page.updated_at):
                # Failed after this run ended, so another run or command recorded it.
                continue
            pages[page.page_id] = (page.last_error or message, max(page.attempts, 1))

        for page_id, (error, attempts) in sorted(pages.items()):
            added = ledger.add_dead_letter(
                workspace_id, page_id, run_id=run.run_id, error=error, attempts=attempts
            )
            if added:
                outcome.recorded.append((workspace_id, page_id))
                logger.warning(
                    "Recorded dead letter for page %s of workspace %s (run %s, %d attempts): %s",
                    page_id, workspace_id, run.run_id, attempts, error,
                )
            else:
                outcome.already_recorded += 1
    return outcome


def _run_start(record) -> datetime | None:
    if record is None:
        return None
    timestamp = record.start_time or record.create_timestamp.timestamp()
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)


def _run_end(record) -> datetime | None:
    if record is None or not record.end_time:
        return None
    # The ledger write of a run's last page lands a moment before Dagster records the run's end.
    return datetime.fromtimestamp(record.end_time, tz=timezone.utc) + END_SLACK


def _updated_before(updated_at: datetime, started: datetime | None) -> bool:
    if started is None:
        return False
    if updated_at.tzinfo is None:
        updated_at = updated_at.replace(tzinfo=timezone.utc)
    return updated_at < started
