"""Records the ledger keeps: one per page, dead letters for pages that kept failing, sync summaries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

# Stored error messages are cut to this many characters; a traceback's tail is rarely needed.
MAX_ERROR_LENGTH = 4000

SYNC_KINDS = ("full", "incremental", "backfill", "pages")


class PageStatus(StrEnum):
    """Outcome of the last materialization of a page."""

    INDEXED = "indexed"
    SKIPPED = "skipped"
    FAILED = "failed"
    DELETED = "deleted"


@dataclass(frozen=True)
class PageRecord:
    """The ledger's state for one page of one workspace.

    ``content_hash`` and ``chunk_count`` describe the points now in the index, so a failure
    keeps them. ``indexed_at`` is the last time the page's points were written (or confirmed
    unchanged, for a page first seen as skipped).
    """

    workspace_id: str
    page_id: str
    title: str
    url: str
    last_edited_time: str | None
    content_hash: str | None
    chunk_count: int
    status: PageStatus
    last_error: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    indexed_at: datetime | None


@dataclass(frozen=True)
class DeadLetter:
    """A page that failed in one run after its retries ran out, kept until a later run indexes it."""

    workspace_id: str
    page_id: str
    run_id: str
    error: str
    attempts: int
    recorded_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class SyncSummary:
    """Counts of one sync run; ``kind`` is one of ``full``, ``incremental``, ``backfill``, ``pages``."""

    workspace_id: str
    run_id: str
    kind: str
    started_at: datetime
    finished_at: datetime
    pages_seen: int = 0
    pages_indexed: int = 0
    pages_skipped: int = 0
    pages_failed: int = 0
    pages_deleted: int = 0
    chunks_embedded: int = 0
    chunks_deleted: int = 0

    def __post_init__(self) -> None:
        if self.kind not in SYNC_KINDS:
            raise ValueError(
                f"Invalid sync kind {self.kind!r} for run {self.run_id}: use one of "
                f"{', '.join(SYNC_KINDS)}."
            )


def utc_now() -> datetime:
    """Return the current UTC time cut to milliseconds, the precision MongoDB stores."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def as_utc(value: datetime | None) -> datetime | None:
    """Return ``value`` as an aware UTC datetime cut to milliseconds (naive values are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    else:
        value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)
