"""Behaviour every ledger backend must share; each test runs on SQLite, mongomock and MongoDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from notion_pipeline.ledger import Ledger, PageStatus, SyncSummary
from notion_pipeline.ledger.models import MAX_ERROR_LENGTH

WORKSPACE = "acme"
OTHER_WORKSPACE = "globex"
PAGE = "1f2e0000-0000-0000-0000-00000000000a"


def index(ledger: Ledger, page_id: str = PAGE, workspace_id: str = WORKSPACE, **overrides):
    values = {
        "title": "Onboarding",
        "url": f"https://www.notion.so/{page_id}",
        "last_edited_time": "2025-03-01T10:00:00.000Z",
        "content_hash": "hash-1",
        "chunk_count": 14,
    }
    values.update(overrides)
    return ledger.record_indexed(workspace_id, page_id, **values)


def summary(run_id: str, started_at: datetime, workspace_id: str = WORKSPACE) -> SyncSummary:
    return SyncSummary(
        workspace_id=workspace_id,
        run_id=run_id,
        kind="incremental",
        started_at=started_at,
        finished_at=started_at + timedelta(seconds=90),
        pages_seen=10,
        pages_indexed=6,
        pages_skipped=2,
        pages_failed=1,
        pages_deleted=1,
        chunks_embedded=40,
        chunks_deleted=7,
    )


def test_get_unknown_page(ledger: Ledger) -> None:
    assert ledger.get_page(WORKSPACE, PAGE) is None


def test_record_indexed_new_page(ledger: Ledger) -> None:
    record = index(ledger)

    assert record.status is PageStatus.INDEXED
    assert record.chunk_count == 14
    assert record.content_hash == "hash-1"
    assert record.attempts == 0
    assert record.indexed_at is not None
    assert ledger.get_page(WORKSPACE, PAGE) == record


def test_timestamps_are_aware_utc(ledger: Ledger) -> None:
    record = index(ledger)

    assert record.created_at.tzinfo is not None
    assert record.created_at.utcoffset() == timedelta(0)


def test_failure_keeps_hash_and_chunks(ledger: Ledger) -> None:
    index(ledger)

    record = ledger.record_failure(WORKSPACE, PAGE, "Notion answered 502")

    assert record.status is PageStatus.FAILED
    assert record.content_hash == "hash-1"
    assert record.chunk_count == 14
    assert record.title == "Onboarding"
    assert record.last_error == "Notion answered 502"


def test_failures_count_attempts(ledger: Ledger) -> None:
    ledger.record_failure(WORKSPACE, PAGE, "timeout")
    ledger.record_failure(WORKSPACE, PAGE, "timeout")

    record = ledger.record_failure(WORKSPACE, PAGE, "timeout")

    assert record.attempts == 3


def test_failure_of_unseen_page(ledger: Ledger) -> None:
    record = ledger.record_failure(WORKSPACE, PAGE, "boom", title="Roadmap")

    assert record.title == "Roadmap"
    assert record.url == ""
    assert record.content_hash is None
    assert record.chunk_count == 0
    assert record.indexed_at is None


def test_failure_updates_given_title(ledger: Ledger) -> None:
    index(ledger)

    record = ledger.record_failure(WORKSPACE, PAGE, "boom", title="Renamed")

    assert record.title == "Renamed"
    assert record.url == f"https://www.notion.so/{PAGE}"


def test_indexed_after_failure_resets_attempts(ledger: Ledger) -> None:
    ledger.record_failure(WORKSPACE, PAGE, "boom")
    ledger.record_failure(WORKSPACE, PAGE, "boom")

    record = index(ledger, content_hash="hash-2")

    assert record.attempts == 0
    assert record.last_error is None
    assert record.content_hash == "hash-2"


def test_failure_error_is_truncated(ledger: Ledger) -> None:
    record = ledger.record_failure(WORKSPACE, PAGE, "x" * (MAX_ERROR_LENGTH * 3))

    assert len(record.last_error) == MAX_ERROR_LENGTH


def test_failure_error_is_redacted(ledger: Ledger) -> None:
    token = "ntn_" + "A1b2C3d4" * 5
    record = ledger.record_failure(
        WORKSPACE, PAGE, f"401 with {token} via mongodb://app:hunter22@db:27017/"
    )

    assert token not in record.last_error
    assert "hunter22" not in record.last_error


def test_skipped_keeps_indexed_at(ledger: Ledger) -> None:
    first = index(ledger)

    record = index(ledger, skipped=True)

    assert record.status is PageStatus.SKIPPED
    assert record.indexed_at == first.indexed_at


def test_skipped_first_sighting_sets_indexed_at(ledger: Ledger) -> None:
    record = index(ledger, skipped=True)

    assert record.indexed_at is not None


def test_skipped_after_failure_sets_indexed_at(ledger: Ledger) -> None:
    ledger.record_failure(WORKSPACE, PAGE, "boom")

    record = index(ledger, skipped=True)

    assert record.indexed_at is not None


def test_created_at_survives_updates(ledger: Ledger) -> None:
    first = index(ledger)
    ledger.record_failure(WORKSPACE, PAGE, "boom")

    record = index(ledger, content_hash="hash-2")

    assert record.created_at == first.created_at
    assert record.updated_at >= first.updated_at


def test_record_deleted_clears_chunks(ledger: Ledger) -> None:
    index(ledger)

    record = ledger.record_deleted(WORKSPACE, PAGE, "trashed in Notion")

    assert record.status is PageStatus.DELETED
    assert record.chunk_count == 0
    assert record.content_hash is None
    assert record.last_error == "trashed in Notion"
    assert record.title == "Onboarding"


def test_record_deleted_unseen_page(ledger: Ledger) -> None:
    record = ledger.record_deleted(WORKSPACE, PAGE, "not shared")

    assert record.status is PageStatus.DELETED
    assert record.created_at is not None


def test_workspaces_are_separate(ledger: Ledger) -> None:
    index(ledger, workspace_id=WORKSPACE)

    assert ledger.get_page(OTHER_WORKSPACE, PAGE) is None
    assert ledger.list_pages(OTHER_WORKSPACE) == []


def test_list_pages_by_status(ledger: Ledger) -> None:
    index(ledger, "page-a")
    index(ledger, "page-b")
    ledger.record_failure(WORKSPACE, "page-c", "boom")
    ledger.record_deleted(WORKSPACE, "page-b", "trashed")

    indexed = ledger.list_pages(WORKSPACE, PageStatus.INDEXED)
    failed = ledger.list_pages(WORKSPACE, PageStatus.FAILED)

    assert [record.page_id for record in indexed] == ["page-a"]
    assert [record.page_id for record in failed] == ["page-c"]
    assert len(ledger.list_pages(WORKSPACE)) == 3


def test_iter_pages_across_batches(ledger: Ledger) -> None:
    page_ids = [f"page-{number:03d}" for number in range(23)]
    for page_id in reversed(page_ids):
        index(ledger, page_id)

    seen = [record.page_id for record in ledger.iter_pages(WORKSPACE, batch_size=5)]

    assert seen == page_ids


def test_add_dead_letter_is_idempotent(ledger: Ledger) -> None:
    first = ledger.add_dead_letter(WORKSPACE, PAGE, run_id="run-1", error="boom", attempts=5)
    second = ledger.add_dead_letter(WORKSPACE, PAGE, run_id="run-1", error="again", attempts=6)

    letters = ledger.list_dead_letters(WORKSPACE)
    assert first is True
    assert second is False
    assert len(letters) == 1
    assert letters[0].error == "boom"


def test_dead_letters_per_run(ledger: Ledger) -> None:
    ledger.add_dead_letter(WORKSPACE, PAGE, run_id="run-1", error="boom", attempts=5)
    ledger.add_dead_letter(WORKSPACE, PAGE, run_id="run-2", error="boom", attempts=5)

    assert len(ledger.list_dead_letters(WORKSPACE)) == 2


def test_list_dead_letters_all_workspaces(ledger: Ledger) -> None:
    ledger.add_dead_letter(WORKSPACE, PAGE, run_id="run-1", error="boom", attempts=5)
    ledger.add_dead_letter(OTHER_WORKSPACE, PAGE, run_id="run-1", error="boom", attempts=5)

    assert len(ledger.list_dead_letters()) == 2
    assert len(ledger.list_dead_letters(OTHER_WORKSPACE)) == 1


def test_indexed_resolves_dead_letters(ledger: Ledger) -> None:
    ledger.add_dead_letter(WORKSPACE, PAGE, run_id="run-1", error="boom", attempts=5)
    ledger.add_dead_letter(WORKSPACE, "other-page", run_id="run-1", error="boom", attempts=5)

    index(ledger)

    open_letters = ledger.list_dead_letters(WORKSPACE)
    all_letters = ledger.list_dead_letters(WORKSPACE, include_resolved=True)
    assert [letter.page_id for letter in open_letters] == ["other-page"]
    assert len(all_letters) == 2
    resolved = [letter for letter in all_letters if letter.page_id == PAGE]
    assert resolved[0].resolved_at is not None


def test_deleted_resolves_dead_letters(ledger: Ledger) -> None:
    ledger.add_dead_letter(WORKSPACE, PAGE, run_id="run-1", error="boom", attempts=5)

    ledger.record_deleted(WORKSPACE, PAGE, "trashed")

    assert ledger.list_dead_letters(WORKSPACE) == []


def test_failure_keeps_dead_letters_open(ledger: Ledger) -> None:
    ledger.add_dead_letter(WORKSPACE, PAGE, run_id="run-1", error="boom", attempts=5)

    ledger.record_failure(WORKSPACE, PAGE, "boom again")

    assert len(ledger.list_dead_letters(WORKSPACE)) == 1


def test_resolve_dead_letters_by_page(ledger: Ledger) -> None:
    for page_id in ("page-a", "page-b", "page-c"):
        ledger.add_dead_letter(WORKSPACE, page_id, run_id="run-1", error="boom", attempts=5)
    ledger.add_dead_letter(OTHER_WORKSPACE, "page-a", run_id="run-1", error="boom", attempts=5)

    resolved = ledger.resolve_dead_letters(WORKSPACE, ["page-a", "page-c"])

    assert resolved == 2
    assert [letter.page_id for letter in ledger.list_dead_letters(WORKSPACE)] == ["page-b"]
    assert len(ledger.list_dead_letters(OTHER_WORKSPACE)) == 1


def test_resolve_dead_letters_whole_workspace(ledger: Ledger) -> None:
    ledger.add_dead_letter(WORKSPACE, "page-a", run_id="run-1", error="boom", attempts=5)
    ledger.add_dead_letter(WORKSPACE, "page-b", run_id="run-1", error="boom", attempts=5)

    assert ledger.resolve_dead_letters(WORKSPACE) == 2
    assert ledger.resolve_dead_letters(WORKSPACE) == 0


def test_resolve_dead_letters_empty_list(ledger: Ledger) -> None:
    ledger.add_dead_letter(WORKSPACE, "page-a", run_id="run-1", error="boom", attempts=5)

    assert ledger.resolve_dead_letters(WORKSPACE, []) == 0
    assert len(ledger.list_dead_letters(WORKSPACE)) == 1


def test_dead_letter_error_is_redacted(ledger: Ledger) -> None:
    token = "secret_" + "Z9y8X7w6" * 5
    ledger.add_dead_letter(WORKSPACE, PAGE, run_id="run-1", error=f"bad {token}", attempts=1)

    letter = ledger.list_dead_letters(WORKSPACE)[0]

    assert token not in letter.error


def test_record_sync_round_trip(ledger: Ledger) -> None:
    started = datetime(2025, 3, 1, 10, 0, 0, 123000, tzinfo=UTC)
    ledger.record_sync(summary("run-1", started))

    assert ledger.list_syncs(WORKSPACE) == [summary("run-1", started)]


def test_record_sync_replaces_same_run(ledger: Ledger) -> None:
    started = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    ledger.record_sync(summary("run-1", started))

    ledger.record_sync(summary("run-1", started + timedelta(minutes=1)))

    syncs = ledger.list_syncs(WORKSPACE)
    assert len(syncs) == 1
    assert syncs[0].started_at == started + timedelta(minutes=1)


def test_list_syncs_newest_first(ledger: Ledger) -> None:
    base = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    for hour, run_id in ((2, "run-b"), (0, "run-c"), (5, "run-a")):
        ledger.record_sync(summary(run_id, base + timedelta(hours=hour)))
    ledger.record_sync(summary("run-x", base + timedelta(hours=9), OTHER_WORKSPACE))

    syncs = ledger.list_syncs(WORKSPACE, limit=2)

    assert [sync.run_id for sync in syncs] == ["run-a", "run-b"]


def test_sync_with_other_timezone(ledger: Ledger) -> None:
    paris = datetime(2025, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    ledger.record_sync(summary("run-1", paris))

    stored = ledger.list_syncs(WORKSPACE)[0]

    assert stored.started_at == datetime(2025, 3, 1, 11, 0, tzinfo=UTC)
    assert stored.started_at.utcoffset() == timedelta(0)


def test_sync_summary_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="sideways"):
        SyncSummary(
            workspace_id=WORKSPACE,
            run_id="run-1",
            kind="sideways",
            started_at=datetime(2025, 3, 1, tzinfo=UTC),
            finished_at=datetime(2025, 3, 1, tzinfo=UTC),
        )


def test_ping_succeeds(ledger: Ledger) -> None:
    ledger.ping()

    assert ledger.get_page(WORKSPACE, PAGE) is None
