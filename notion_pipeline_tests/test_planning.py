"""Which pages a sync indexes or removes, decided from a listing and the ledger."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from notion_pipeline.ledger import PageRecord, PageStatus
from notion_pipeline.notion.listing import PageSummary
from notion_pipeline.planning import batched, needs_indexing, plan_changes, plan_full_sync

EDITED = "2026-11-02T09:15:00.000Z"
EDITED_AT = datetime(2026, 11, 2, 9, 15, tzinfo=timezone.utc)


def summary(page_id: str, edited: str = EDITED, *, in_trash: bool = False) -> PageSummary:
    return PageSummary(
        id=page_id,
        last_edited_time=edited,
        in_trash=in_trash,
        url=f"https://www.notion.so/{page_id}",
        title=page_id,
        parent_type="workspace",
        data_source_id=None,
    )


def record(
    page_id: str,
    *,
    status: PageStatus = PageStatus.INDEXED,
    edited: str | None = EDITED,
    synced_at: datetime = EDITED_AT + timedelta(minutes=5),
) -> PageRecord:
    return PageRecord(
        workspace_id="default",
        page_id=page_id,
        title=page_id,
        url="",
        last_edited_time=edited,
        content_hash="hash",
        chunk_count=3,
        status=status,
        last_error=None,
        attempts=0,
        created_at=synced_at,
        updated_at=synced_at,
        indexed_at=synced_at,
    )


def test_new_page_needs_indexing():
    assert needs_indexing(summary("a"), None) == "new"


def test_deleted_page_that_returns_is_new():
    assert needs_indexing(summary("a"), record("a", status=PageStatus.DELETED)) == "new"


def test_failed_page_is_retried():
    assert needs_indexing(summary("a"), record("a", status=PageStatus.FAILED)) == "retry"


def test_edited_page_needs_indexing():
    assert needs_indexing(summary("a", "2026-11-02T10:00:00.000Z"), record("a")) == "edited"


def test_current_page_is_unchanged():
    assert needs_indexing(summary("a"), record("a")) is None


def test_skipped_page_is_unchanged():
    assert needs_indexing(summary("a"), record("a", status=PageStatus.SKIPPED)) is None


def test_sync_within_edit_minute_is_ambiguous():
    # Synced 20 s into the minute Notion reports: a later edit in that minute keeps the timestamp.
    synced = EDITED_AT + timedelta(seconds=20)
    assert needs_indexing(summary("a"), record("a", synced_at=synced)) is not None


def test_sync_after_edit_minute_is_not_ambiguous():
    synced = EDITED_AT + timedelta(seconds=61)
    assert needs_indexing(summary("a"), record("a", synced_at=synced)) is None


def test_naive_sync_time_is_treated_as_utc():
    synced = (EDITED_AT + timedelta(minutes=3)).replace(tzinfo=None)
    assert needs_indexing(summary("a"), record("a", synced_at=synced)) is None


def test_plan_changes_splits_pages():
    listed = [summary("new"), summary("same"), summary("edited", "2026-11-02T11:00:00.000Z")]
    records = {"same": record("same"), "edited": record("edited")}
    plan = plan_changes(listed, records)
    assert [s.id for s in plan.to_index] == ["new", "edited"]
    assert plan.unchanged == ["same"]
    assert plan.to_remove == []


def test_plan_changes_removes_trashed_known_page():
    plan = plan_changes([summary("gone", in_trash=True)], {"gone": record("gone")})
    assert [removal.page_id for removal in plan.to_remove] == ["gone"]
    assert plan.to_remove[0].reason == "in trash"


def test_plan_changes_ignores_trashed_unknown_page():
    plan = plan_changes([summary("never-seen", in_trash=True)], {})
    assert plan.to_remove == []
    assert plan.to_index == []


def test_plan_changes_ignores_duplicate_listing_entries():
    plan = plan_changes([summary("a"), summary("a")], {})
    assert [s.id for s in plan.to_index] == ["a"]


def test_full_sync_removes_unlisted_pages():
    records = {"kept": record("kept"), "unshared": record("unshared")}
    plan = plan_full_sync([summary("kept")], records, ["kept", "unshared"])
    assert [removal.page_id for removal in plan.to_remove] == ["unshared"]
    assert "unshared" in plan.to_remove[0].reason


def test_full_sync_does_not_remove_deleted_pages_twice():
    records = {"old": record("old", status=PageStatus.DELETED)}
    plan = plan_full_sync([], records, [])
    assert plan.to_remove == []


def test_full_sync_adds_missing_partitions():
    plan = plan_full_sync([summary("a"), summary("b")], {}, ["a"])
    assert plan.new_partitions == ["b"]


def test_full_sync_reports_stale_partitions():
    plan = plan_full_sync([summary("a")], {}, ["a", "orphan"])
    assert plan.stale_partitions == ["orphan"]


def test_full_sync_trashed_page_gets_no_partition():
    plan = plan_full_sync([summary("t", in_trash=True)], {"t": record("t")}, [])
    assert plan.new_partitions == []
    assert [removal.page_id for removal in plan.to_remove] == ["t"]


def test_full_sync_of_unchanged_workspace_is_empty():
    plan = plan_full_sync([summary("a")], {"a": record("a")}, ["a"])
    assert plan.is_empty


def test_batched_splits_evenly():
    assert list(batched([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]


def test_batched_rejects_zero_size():
    with pytest.raises(ValueError, match="at least 1"):
        list(batched([1], 0))
