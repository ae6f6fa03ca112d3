"""The interface every ledger backend implements, and helpers the backends share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from notion_pipeline.ledger.models import (
    MAX_ERROR_LENGTH,
    DeadLetter,
    PageRecord,
    PageStatus,
    SyncSummary,
)
from notion_pipeline.redaction import redact


@runtime_checkable
class Ledger(Protocol):
    """Per-page state, dead letters and sync summaries, every call keyed by workspace id."""

    def get_page(self, workspace_id: str, page_id: str) -> PageRecord | None:
        """Return the page's record, or None when the ledger has never seen the page."""
        ...

    def list_pages(self, workspace_id: str, status: PageStatus | None = None) -> list[PageRecord]:
        """Return the workspace's page records (only those with ``status`` if given), by page id."""
        ...

    def iter_pages(
        self, workspace_id: str, status: PageStatus | None = None, *, batch_size: int = 500
    ) -> Iterator[PageRecord]:
        """Yield the workspace's page records by page id, reading ``batch_size`` at a time."""
        ...

    def record_indexed(
        self,
        workspace_id: str,
        page_id: str,
        *,
        title: str,
        url: str,
        last_edited_time: str | None,
        content_hash: str | None,
        chunk_count: int,
        skipped: bool = False,
    ) -> PageRecord:
        """Mark the page indexed (or skipped, when its content hash was unchanged).

        Resets attempts to 0, clears the last error and resolves the page's open dead letters.
        """
        ...

    def record_failure(
        self,
        workspace_id: str,
        page_id: str,
        error: str,
        *,
        title: str | None = None,
        url: str | None = None,
    ) -> PageRecord:
        """Mark the page failed, add one attempt and store the redacted, truncated error.

        Keeps the content hash and chunk count, because the page's old points stay in the index.
        """
        ...

    def record_deleted(self, workspace_id: str, page_id: str, reason: str) -> PageRecord:
        """Mark the page deleted with no chunks and no hash, and resolve its open dead letters.

        ``reason`` (for example "trashed in Notion") is stored in ``last_error``.
        """
        ...

    def add_dead_letter(
        self, workspace_id: str, page_id: str, *, run_id: str, error: str, attempts: int
    ) -> bool:
        """Store a dead letter; return False when one for this page and run already exists."""
        ...

    def list_dead_letters(
        self, workspace_id: str | None = None, *, include_resolved: bool = False
    ) -> list[DeadLetter]:
        """Return dead letters of one workspace (or all), oldest first; open ones unless asked."""
        ...

    def resolve_dead_letters(self, workspace_id: str, page_ids: list[str] | None = None) -> int:
        """Resolve the open dead letters of the given pages (all when None); return how many."""
        ...

    def record_sync(self, summary: SyncSummary) -> None:
        """Store a sync summary, replacing an earlier one of the same workspace and run."""
        ...

    def list_syncs(self, workspace_id: str, limit: int = 20) -> list[SyncSummary]:
        """Return the workspace's latest sync summaries, newest first."""
        ...

    def ping(self) -> None:
        """Raise ServiceUnavailableError unless the ledger's database answers."""
        ...

    def close(self) -> None:
        """Release the database connections."""
        ...


def clean_error(error: str) -> str:
    """Return ``error`` with secrets masked and cut to ``MAX_ERROR_LENGTH`` characters."""
    cleaned = redact(error)
    if len(cleaned) <= MAX_ERROR_LENGTH:
        return cleaned
    marker = " … [truncated]"
    return cleaned[: MAX_ERROR_LENGTH - len(marker)] + marker
