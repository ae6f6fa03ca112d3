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
from collections.abc import Iterator, Sequence
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
from notion_pipeline.indexing.chunking import Chunker
from notion_pipeline.indexing.embedding import Embedder
from notion_pipeline.indexing.index import (
    IndexResult,
    PagePlan,
    apply_index,
    delete_page_points,
    embed_plans,
    plan_index,
)
from notion_pipeline.indexing.store import QdrantStore
from notion_pipeline.ledger import Ledger, PageRecord, PageStatus
from notion_pipeline.notion.blocks import fetch_page
from notion_pipeline.notion.client import NotionClient
from notion_pipeline.notion.document import RenderedDocument
from notion_pipeline.notion.render import render_page
from notion_pipeline.redaction import redact

logger = logging.getLogger(__name__)

OutcomeStatus = Literal["indexed", "unchanged", "removed", "failed"]
MAX_ERROR_LENGTH = 2000


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
        """Fetch and render one page without touching Qdrant or the ledger.

        Safe to call from a fetching thread while another thread indexes earlier pages. Errors
        that concern this page only are returned inside the result; systemic ones are raised.
        """
        try:
            fetched = fetch_page(self.client, page_id)
        except PageGoneError as gone:
            return PreparedPage(page_id, gone_reason=gone.reason)
        except Exception as error:  # noqa: BLE001 - one page's failure must not stop the others
            if is_systemic(error):
                raise
            return PreparedPage(page_id, error=error)
        try:
            document = render_page(fetched, self.workspace_id)
        except Exception as error:  # noqa: BLE001 - one page's failure must not stop the others
            if is_systemic(error):
                raise
            return PreparedPage(page_id, error=error)
        return PreparedPage(page_id, document=document, warnings=list(fetched.warnings))

    def apply(self, prepared: PreparedPage, *, force: bool = False) -> PageOutcome:
        """Index a prepared page (or remove it, or record its failure) and update the ledger."""
        return self.apply_batch([prepared], force=force)[0]

    def apply_batch(self, batch: Sequence[PreparedPage], *, force: bool = False) -> list[PageOutcome]:
        """Index several prepared pages, embedding all their new chunks in one model call.

        Returns one outcome per page, in order. A page that fails is recorded as failed, and the
        others still index. If the shared embedding call fails, each page is embedded alone, so
        the failure stays with the page that caused it.
        """
        outcomes: dict[int, PageOutcome] = {}
        planned: list[tuple[int, PreparedPage, PagePlan]] = []
        for position, prepared in enumerate(batch):
            previous = self.ledger.get_page(self.workspace_id, prepared.page_id)
            if prepared.gone_reason is not None:
                outcomes[position] = self.remove_page(prepared.page_id, prepared.gone_reason)
            elif prepared.error is not None or prepared.document is None:
                error = prepared.error or RuntimeError("the page was not fetched")
                outcomes[position] = self._fail(
                    prepared.page_id, error, title=previous.title if previous else ""
                )
            else:
                try:
                    plan = self._plan(prepared.document, previous, force=force)
                except Exception as error:  # noqa: BLE001 - one page's failure must not stop the others
                    outcomes[position] = self._fail(prepared.page_id, error, title=prepared.document.title)
                else:
                    planned.append((position, prepared, plan))

        try:
            vectors: list[list[list[float]]] | None = embed_plans([plan for _, _, plan in planned], self.embedder)
        except Exception:  # noqa: BLE001 - retried page by page below to find the page at fault
            logger.warning(
                "Embedding %d pages together failed; embedding them one at a time", len(planned), exc_info=True
            )
            vectors = None

        for index, (position, prepared, plan) in enumerate(planned):
            try:
                if vectors is None:
                    page_vectors = self.embedder.embed(plan.texts_to_embed) if plan.new_points else []
                else:
                    page_vectors = vectors[index]
                result = apply_index(plan, page_vectors, store=self.store)
            except Exception as error:  # noqa: BLE001 - one page's failure must not stop the others
                outcomes[position] = self._fail(prepared.page_id, error, title=plan.document.title)
                continue
            outcomes[position] = self._record_indexed(prepared, plan.document, result)
        return [outcomes[position] for position in range(len(batch))]

    def _plan(self, document: RenderedDocument, previous: PageRecord | None, *, force: bool) -> PagePlan:
        previous_hash = None
        if not force and previous is not None and previous.status in (PageStatus.INDEXED, PageStatus.SKIPPED):
            previous_hash = previous.content_hash
        plan = plan_index(
            document,
            chunker=self.chunker,
            embedder=self.embedder,
            store=self.store,
            previous_content_hash=previous_hash,
        )
        if plan.skipped is not None and previous is not None and plan.skipped.chunks_total != previous.chunk_count:
            # The points no longer match the ledger (an interrupted write, a manual delete), so
            # the page is diffed against Qdrant instead of trusting its content hash.
            logger.warning(
                "Page %s has %d points but the ledger records %d chunks; re-indexing it",
                document.page_id, plan.skipped.chunks_total, previous.chunk_count,
            )
            plan = plan_index(document, chunker=self.chunker, embedder=self.embedder, store=self.store)
        return plan

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

    def prepare_ahead(self, page_ids: Sequence[str], *, workers: int, ahead: int) -> Iterator[PreparedPage]:
        """Yield prepared pages in order while ``workers`` threads fetch up to ``ahead`` pages ahead.

        Fetching waits on Notion (latency and the rate limit) while indexing waits on the CPU, so
        overlapping them brings a sync close to the slower of the two instead of their sum.
        """
        if workers < 1 or len(page_ids) <= 1:
            for page_id in page_ids:
                yield self.prepare(page_id)
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notion-fetch") as pool:
            pending: deque[Future[PreparedPage]] = deque()
            remaining = iter(page_ids)
            for page_id in remaining:
                pending.append(pool.submit(self.prepare, page_id))
                if len(pending) >= ahead:
                    break
            try:
                while pending:
                    prepared = pending.popleft().result()
                    next_id = next(remaining, None)
                    if next_id is not None:
                        pending.append(pool.submit(self.prepare, next_id))
                    yield prepared
            finally:
                for future in pending:
                    future.cancel()

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


def _describe(error: BaseException) -> str:
    if isinstance(error, NotionPipelineError):
        text = str(error)
    else:
        text = f"{type(error).__name__}: {error}"
    return _encodable(redact(text))[:MAX_ERROR_LENGTH]


def _encodable(text: str) -> str:
    """Replace what UTF-8 cannot encode (lone surrogates), so the ledger can always store the text."""
    return text.encode("utf-8", "replace").decode("utf-8")
