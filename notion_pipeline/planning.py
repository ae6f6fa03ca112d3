"""Decide which pages a sync must index or remove, from a Notion listing and the ledger.

Pure functions: no Notion, Qdrant or Dagster calls, so every rule here is unit-tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from notion_pipeline.ledger import PageRecord, PageStatus
from notion_pipeline.notion.listing import PageSummary

# Notion reports last_edited_time rounded down to the minute, so an edit made in the same minute
# as an earlier sync keeps the old timestamp. A page indexed less than this long after its
# reported timestamp may predate such an edit and is fetched again (the content hash then decides).
TIMESTAMP_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class PageRemoval:
    """A page whose points and partition must go, and why."""

    page_id: str
    reason: str


@dataclass
class SyncPlan:
    """The pages one sync indexes and removes, and the partitions it adds and drops."""

    to_index: list[PageSummary] = field(default_factory=list)
    to_remove: list[PageRemoval] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    new_partitions: list[str] = field(default_factory=list)
    stale_partitions: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.to_index or self.to_remove or self.new_partitions or self.stale_partitions)


def parse_notion_time(value: str) -> datetime:
    """Parse Notion's ISO 8601 timestamps (``2026-11-02T09:15:00.000Z``) into aware datetimes."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def needs_indexing(summary: PageSummary, record: PageRecord | None) -> str | None:
    """Return why the page must be indexed (``new``, ``edited``, ``retry``), or None when it is current."""
    if record is None or record.status == PageStatus.DELETED:
        return "new"
    if record.status == PageStatus.FAILED:
        return "retry"
    if record.last_edited_time != summary.last_edited_time:
        return "edited"
    # updated_at is when the page was last synced, whether its points changed or not.
    reported = parse_notion_time(summary.last_edited_time)
    synced_at = record.updated_at
    if synced_at.tzinfo is None:
        synced_at = synced_at.replace(tzinfo=reported.tzinfo)
    if synced_at < reported + TIMESTAMP_RESOLUTION:
        return "edited in the same minute as the last sync"
    return None


def plan_changes(
    listed: Iterable[PageSummary], records: Mapping[str, PageRecord]
) -> SyncPlan:
    """Plan an incremental sync: index new and edited pages, remove trashed ones seen in the listing."""
    plan = SyncPlan()
    seen: set[str] = set()
    for summary in listed:
        if summary.id in seen:
            continue
        seen.add(summary.id)
        record = records.get(summary.id)
        if summary.in_trash:
            if record is not None and record.status != PageStatus.DELETED:
                plan.to_remove.append(PageRemoval(summary.id, "in trash"))
            continue
        if needs_indexing(summary, record) is None:
            plan.unchanged.append(summary.id)
        else:
            plan.to_index.append(summary)
    return plan


def plan_full_sync(
    listed: Iterable[PageSummary],
    records: Mapping[str, PageRecord],
    partitions: Iterable[str],
) -> SyncPlan:
    """Plan a full sync: everything ``plan_changes`` does, plus reconciliation.

    Pages the ledger or the partitions know but the complete listing no longer contains were
    deleted or unshared: their points go and their partitions are removed. Listed pages without a
    partition get one.
    """
    listed_by_id: dict[str, PageSummary] = {}
    for summary in listed:
        listed_by_id.setdefault(summary.id, summary)

    plan = plan_changes(listed_by_id.values(), records)
    live_ids = {page_id for page_id, summary in listed_by_id.items() if not summary.in_trash}
    removing = {removal.page_id for removal in plan.to_remove}
    for page_id, record in records.items():
        if record.status == PageStatus.DELETED or page_id in live_ids or page_id in removing:
            continue
        plan.to_remove.append(PageRemoval(page_id, "no longer listed (deleted or unshared)"))
        removing.add(page_id)

    known_partitions = set(partitions)
    plan.new_partitions = sorted(live_ids - known_partitions)
    plan.stale_partitions = sorted(known_partitions - live_ids)
    return plan


def batched(items: list, size: int) -> Iterable[list]:
    """Yield consecutive slices of at most ``size`` items."""
    if size < 1:
        raise ValueError(f"Batch size must be at least 1, got {size}.")
    for start in range(0, len(items), size):
        yield items[start : start + size]
