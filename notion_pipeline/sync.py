"""Sync one page at a time: fetch, render, index, and keep the ledger in step.

``PageSyncer`` is the unit every Dagster asset, job and CLI command calls. One page's failure is
recorded and returned, never raised. Faults that would fail every page alike (a rejected token,
Qdrant or the ledger unreachable) are raised instead, so the run stops with one clear error rather
than filling the dead-letter records.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from notion_pipeline.errors import (
    ConfigurationError,
    NotionAuthError,
    NotionPipelineError,
    NotionRequestError,
    PageGoneError,
    RetryableError,
    ServiceUnavailableError,
)
from notion_pipeline.indexing.chunking import Chunk, Chunker
from notion_pipeline.indexing.embedding import Embedder
from notion_pipeline.indexing.index import (
    IndexResult,
    PagePlan,
    apply_index,
    delete_page_points,
    embed_plans,
    index_version,
    plan_page,
)
from notion_pipeline.indexing.store import QdrantStore
from notion_pipeline.ledger import Ledger, PageRecord, PageStatus
from notion_pipeline.notion.blocks import fetch_page
from notion_pipeline.notion.client import NotionClient
from notion_pipeline.notion.document import RenderedDocument
from notion_pipeline.notion.models import PageObject
from notion_pipeline.notion.render import render_page
from notion_pipeline.redaction import redact

logger = logging.getLogger(__name__)

OutcomeStatus = Literal["indexed", "unchanged", "removed", "failed"]
MAX_ERROR_LENGTH = 2000
# Chunks embedded per model call. The model sorts a call's texts by length and pads each batch
# to its longest text, so calls of a few hundred chunks waste far less work on padding than
# calls of one small page each.
DEFAULT_BATCH_CHUNKS = 256
# Pages per group at most, so unchanged pages (which add no chunks) still report progress.
MAX_BATCH_PAGES = 64


@dataclass
class PageOutcome:
    """The result of syncing one page."""

    page_id: str
    status: OutcomeStatus
    title: str = ""
    url: str = ""
    last_edited_time: str | None = None
    content_hash: str | None = None
    result: IndexResult | None = None
    error: str | None = None
    retryable: bool = False
    warnings: list[str] = field(default_factory=list)
    points_deleted: int = 0

    def metadata(self) -> dict[str, object]:
        """Build the Dagster materialization metadata for this page."""
        values: dict[str, object] = {
            "page_id": self.page_id,
            "status": self.status,
            "title": self.title,
            "url": self.url,
        }
        if self.last_edited_time:
            values["last_edited_time"] = self.last_edited_time
        if self.content_hash:
            values["content_hash"] = self.content_hash
        if self.result is not None:
            values["chunks_total"] = self.result.chunks_total
            values["chunks_embedded"] = self.result.embedded
            values["chunks_reused"] = self.result.reused
            values["chunks_deleted"] = self.result.deleted
        if self.status == "removed":
            values["chunks_deleted"] = self.points_deleted
        if self.warnings:
            values["warnings"] = "\n".join(self.warnings)
        if self.error:
            values["error"] = self.error
        return values


@dataclass
class PreparedPage:
    """A fetched and rendered page waiting to be indexed, or why it could not be prepared."""

    page_id: str
    document: RenderedDocument | None = None
    gone_reason: str | None = None
    error: Exception | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class _PendingPage:
    """One page of a group on its way through planning, embedding and writing."""

    prepared: PreparedPage
    previous: PageRecord | None
    chunks: list[Chunk] | None = None
    unchanged_chunk_count: int | None = None
    plan: PagePlan | None = None
    outcome: PageOutcome | None = None

    @property
    def needs_plan(self) -> bool:
        return self.outcome is None and self.prepared.document is not None and (
            self.chunks is not None or self.unchanged_chunk_count is not None
        )

    @property
    def title(self) -> str:
        if self.prepared.document is not None:
            return self.prepared.document.title
        return self.previous.title if self.previous is not None else ""


@dataclass
class SyncCounts:
    """Running totals of a sync, for logs, run metadata and the ledger's sync summaries."""

    total: int = 0
    indexed: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    chunks_embedded: int = 0
    chunks_deleted: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def done(self) -> int:
        return self.indexed + self.unchanged + self.removed + self.failed

    def add(self, outcome: PageOutcome) -> None:
        """Count one page's outcome."""
        if outcome.status == "indexed":
            self.indexed += 1
        elif outcome.status == "unchanged":
            self.unchanged += 1
        elif outcome.status == "removed":
            self.removed += 1
        else:
            self.failed += 1
        if outcome.result is not None:
            self.chunks_embedded += outcome.result.embedded
            self.chunks_deleted += outcome.result.deleted
        self.chunks_deleted += outcome.points_deleted

    def as_dict(self) -> dict[str, int]:
        return {
            "pages_total": self.total,
            "pages_done": self.done,
            "pages_indexed": self.indexed,
            "pages_unchanged": self.unchanged,
            "pages_removed": self.removed,
            "pages_failed": self.failed,
            "chunks_embedded": self.chunks_embedded,
            "chunks_deleted": self.chunks_deleted,
        }

    @property
    def elapsed_seconds(self) -> float:
        return time.monotonic() - self.started


def is_systemic(error: BaseException) -> bool:
    """Tell whether an error would fail every page alike, so the run should stop at once."""
    if isinstance(error, (NotionAuthError, ServiceUnavailableError)):
        return True
    return isinstance(error, ConfigurationError) and not isinstance(error, NotionRequestError)


@dataclass
class PageSyncer:
    """Sync pages of one workspace into Qdrant and the ledger."""

    workspace_id: str
    client: NotionClient
    ledger: Ledger
    store: QdrantStore
    embedder: Embedder
    chunker: Chunker

    def sync_page(self, page_id: str, *, force: bool = False) -> PageOutcome:
        """Fetch, render and index one page; a gone page is removed instead.

        With ``force`` the content hash check is skipped, so every chunk is diffed against Qdrant
        again (chunks that already exist are still reused, not embedded).
        """
        return self.apply(self.prepare(page_id), force=force)

    def prepare(self, page_id: str) -> PreparedPage:
        """Fetch and render one page without touching Qdrant or the ledger."""
        return prepare_page(self.client, self.workspace_id, page_id)

    def apply(self, prepared: PreparedPage, *, force: bool = False) -> PageOutcome:
        """Index a prepared page (or remove it, or record its failure) and update the ledger."""
        return self.apply_batch([prepared], force=force)[0]

    def apply_batch(self, batch: Sequence[PreparedPage], *, force: bool = False) -> list[PageOutcome]:
        """Index several prepared pages and return one outcome per page, in order."""
        return list(self.sync_pages(batch, force=force))

    def sync_pages(
        self,
        prepared_pages: Iterable[PreparedPage],
        *,
        force: bool = False,
        batch_chunks: int = DEFAULT_BATCH_CHUNKS,
    ) -> Iterator[PageOutcome]:
        """Index prepared pages in batches, yielding one outcome per page, in input order.

        Pages are grouped until their chunks reach ``batch_chunks`` (or the group contains
        ``MAX_BATCH_PAGES`` pages). A group's stored points are read with one Qdrant query and
        its new chunks are embedded in one model call, run in a background thread while the
        previous group is written to Qdrant and the ledger. A page that fails is recorded as
        failed and the others still index. If a shared embedding call fails, each page of the
        group is embedded alone, so the failure stays with the page that caused it.
        """
        version = index_version(self.chunker, self.embedder)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedding") as embedding_thread:
            in_flight: tuple[list[_PendingPage], Future[list[list[list[float]]]]] | None = None
            for group in self._groups(prepared_pages, force=force, batch_chunks=batch_chunks):
                self._plan_group(group, version)
                plans = [pending.plan for pending in group if pending.plan is not None]
                embedding = embedding_thread.submit(embed_plans, plans, self.embedder)
                if in_flight is not None:
                    yield from self._write_group(*in_flight)
                in_flight = (group, embedding)
            if in_flight is not None:
                yield from self._write_group(*in_flight)

    def _groups(
        self, prepared_pages: Iterable[PreparedPage], *, force: bool, batch_chunks: int
    ) -> Iterator[list[_PendingPage]]:
        """Read each page's ledger record, chunk the changed pages and group them by chunk count."""
        group: list[_PendingPage] = []
        group_chunks = 0
        for prepared in prepared_pages:
            pending = _PendingPage(prepared, self.ledger.get_page(self.workspace_id, prepared.page_id))
            document = prepared.document
            if prepared.gone_reason is None and prepared.error is None and document is not None:
                previous = pending.previous
                if (
                    not force
                    and previous is not None
                    and previous.status in (PageStatus.INDEXED, PageStatus.SKIPPED)
                    and previous.content_hash == document.content_hash
                ):
                    pending.unchanged_chunk_count = previous.chunk_count
                else:
                    try:
                        pending.chunks = self.chunker.chunk(document)
                    except Exception as error:  # noqa: BLE001 - one page's failure must not stop the others
                        pending.outcome = self._fail(prepared.page_id, error, title=document.title)
                    else:
                        group_chunks += len(pending.chunks)
            group.append(pending)
            if group_chunks >= batch_chunks or len(group) >= MAX_BATCH_PAGES:
                yield group
                group, group_chunks = [], 0
        if group:
            yield group

    def _plan_group(self, group: list[_PendingPage], version: str) -> None:
        """Read the group's stored points with one query and plan each page's writes."""
        to_plan = [pending for pending in group if pending.needs_plan]
        if not to_plan:
            return
        try:
            existing = self.store.points_of_pages(
                self.workspace_id, [pending.prepared.page_id for pending in to_plan]
            )
        except Exception as error:  # noqa: BLE001 - recorded on every page of the group below
            for pending in to_plan:
                pending.outcome = self._fail(pending.prepared.page_id, error, title=pending.title)
            return
        for pending in to_plan:
            document = pending.prepared.document
            assert document is not None
            points = existing[pending.prepared.page_id]
            try:
                if pending.chunks is None and len(points) != pending.unchanged_chunk_count:
                    # The points no longer match the ledger (an interrupted write, a manual
                    # delete), so the page is diffed against Qdrant instead of trusting its hash.
                    logger.warning(
                        "Page %s has %d points but the ledger records %d chunks; re-indexing it",
                        document.page_id, len(points), pending.unchanged_chunk_count,
                    )
                    pending.chunks = self.chunker.chunk(document)
                pending.plan = plan_page(document, pending.chunks, points, version=version)
            except Exception as error:  # noqa: BLE001 - one page's failure must not stop the others
                pending.outcome = self._fail(document.page_id, error, title=document.title)

    def _write_group(
        self, group: list[_PendingPage], embedding: Future[list[list[list[float]]]]
    ) -> Iterator[PageOutcome]:
        """Write a planned group once its vectors are ready, yielding each page's outcome."""
        try:
            vectors: list[list[list[float]]] | None = embedding.result()
        except Exception:  # noqa: BLE001 - retried page by page below to find the page at fault
            planned = sum(1 for pending in group if pending.plan is not None)
            logger.warning(
                "Embedding %d pages together failed; embedding them one at a time", planned, exc_info=True
            )
            vectors = None
        planned_index = 0
        for pending in group:
            if pending.outcome is None:
                pending.outcome = self._write_page(pending, vectors, planned_index)
            if pending.plan is not None:
                planned_index += 1
            yield pending.outcome

    def _write_page(
        self, pending: _PendingPage, vectors: list[list[list[float]]] | None, planned_index: int
    ) -> PageOutcome:
        prepared, plan = pending.prepared, pending.plan
        if prepared.gone_reason is not None:
            return self.remove_page(prepared.page_id, prepared.gone_reason)
        if plan is None:
            error = prepared.error or RuntimeError("the page was not fetched")
            return self._fail(prepared.page_id, error, title=pending.title)
        try:
            if vectors is None:
                page_vectors = self.embedder.embed(plan.texts_to_embed) if plan.new_points else []
            else:
                page_vectors = vectors[planned_index]
            result = apply_index(plan, page_vectors, store=self.store)
        except Exception as error:  # noqa: BLE001 - one page's failure must not stop the others
            return self._fail(prepared.page_id, error, title=plan.document.title)
        return self._record_indexed(prepared, plan.document, result)

    def _record_indexed(self, prepared: PreparedPage, document: RenderedDocument, result: IndexResult) -> PageOutcome:
        self.ledger.record_indexed(
            self.workspace_id,
            prepared.page_id,
            title=document.title,
            url=document.url,
            last_edited_time=document.last_edited_time,
            content_hash=result.content_hash,
            chunk_count=result.chunks_total,
            skipped=result.skipped,
        )
        for warning in prepared.warnings:
            logger.warning("Page %s %r: %s", prepared.page_id, document.title, warning)
        return PageOutcome(
            page_id=prepared.page_id,
            status="unchanged" if result.skipped else "indexed",
            title=document.title,
            url=document.url,
            last_edited_time=document.last_edited_time,
            content_hash=result.content_hash,
            result=result,
            warnings=prepared.warnings,
        )

    def remove_page(self, page_id: str, reason: str) -> PageOutcome:
        """Delete a page's points (in this workspace only) and mark it deleted in the ledger."""
        previous = self.ledger.get_page(self.workspace_id, page_id)
        deleted = delete_page_points(self.workspace_id, page_id, self.store)
        self.ledger.record_deleted(self.workspace_id, page_id, reason)
        title = previous.title if previous else ""
        logger.info('Removed page %s "%s" (%s): %d points deleted', page_id, title, reason, deleted)
        return PageOutcome(
            page_id=page_id,
            status="removed",
            title=title,
            url=previous.url if previous else "",
            points_deleted=deleted,
        )

    def _fail(self, page_id: str, error: Exception, *, title: str) -> PageOutcome:
        if is_systemic(error):
            raise error
        message = _describe(error)
        self.ledger.record_failure(
            self.workspace_id, page_id, message, title=_encodable(title) if title else None
        )
        logger.error("Failed to sync page %s %r: %s", page_id, title, message)
        return PageOutcome(
            page_id=page_id,
            status="failed",
            title=title,
            error=message,
            retryable=isinstance(error, RetryableError),
        )


def prepare_page(
    client: NotionClient, workspace_id: str, page_id: str, *, listed: PageObject | None = None
) -> PreparedPage:
    """Fetch and render one page without touching Qdrant or the ledger.

    ``listed`` is the page object from a listing, which saves one request. Safe to call from
    fetching threads while another thread indexes earlier pages. Errors that concern this page
    only are returned inside the result; systemic ones are raised.
    """
    try:
        fetched = fetch_page(client, page_id, page=listed)
    except PageGoneError as gone:
        return PreparedPage(page_id, gone_reason=gone.reason)
    except Exception as error:  # noqa: BLE001 - one page's failure must not stop the others
        if is_systemic(error):
            raise
        return PreparedPage(page_id, error=error)
    try:
        document = render_page(fetched, workspace_id)
    except Exception as error:  # noqa: BLE001 - one page's failure must not stop the others
        if is_systemic(error):
            raise
        return PreparedPage(page_id, error=error)
    return PreparedPage(page_id, document=document, warnings=list(fetched.warnings))


class PagePrefetcher:
    """Prepare pages in worker threads, up to ``ahead`` pages ahead of the reader, from the start.

    Fetching waits on Notion (latency and the rate limit) while indexing waits on the CPU, so
    overlapping them brings a sync close to the slower of the two instead of their sum. Fetching
    begins when the prefetcher is built, so it also overlaps whatever the caller does before
    reading, such as loading the embedding model. Use it as a context manager; iterating yields
    the prepared pages in the order of ``page_ids``.
    """

    def __init__(
        self,
        prepare: Callable[[str], PreparedPage],
        page_ids: Sequence[str],
        *,
        workers: int,
        ahead: int,
    ) -> None:
        self._prepare = prepare
        self._remaining = iter(page_ids)
        self._pending: deque[Future[PreparedPage]] = deque()
        self._pool: ThreadPoolExecutor | None = None
        if workers >= 1 and len(page_ids) > 1:
            self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notion-fetch")
            for page_id in self._remaining:
                self._pending.append(self._pool.submit(prepare, page_id))
                if len(self._pending) >= max(ahead, 1):
                    break

    def __iter__(self) -> Iterator[PreparedPage]:
        if self._pool is None:
            for page_id in self._remaining:
                yield self._prepare(page_id)
            return
        while self._pending:
            prepared = self._pending.popleft().result()
            next_id = next(self._remaining, None)
            if next_id is not None:
                self._pending.append(self._pool.submit(self._prepare, next_id))
            yield prepared

    def close(self) -> None:
        """Cancel the fetches not yet started and wait for the running ones."""
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def __enter__(self) -> PagePrefetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _describe(error: BaseException) -> str:
    if isinstance(error, NotionPipelineError):
        text = str(error)
    else:
        text = f"{type(error).__name__}: {error}"
    return _encodable(redact(text))[:MAX_ERROR_LENGTH]


def _encodable(text: str) -> str:
    """Replace what UTF-8 cannot encode (lone surrogates), so the ledger can always store the text."""
    return text.encode("utf-8", "replace").decode("utf-8")
