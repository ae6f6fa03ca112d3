"""Index one page: write only the chunks that changed, then delete the ones that are gone."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from notion_pipeline.indexing.chunking import Chunk, Chunker
from notion_pipeline.indexing.embedding import Embedder
from notion_pipeline.indexing.sparse import SparseEncoder
from notion_pipeline.indexing.store import PointData, QdrantStore
from notion_pipeline.notion.document import RenderedDocument

logger = logging.getLogger(__name__)

# Fixed namespace for point ids, so the same chunk gets the same id in every process.
POINT_ID_NAMESPACE = uuid.UUID("6f0f8a8e-4c1b-5d2a-9a77-2d1c0e5b7a31")

_DEFAULT_SPARSE_ENCODER = SparseEncoder()


@dataclass(frozen=True)
class IndexResult:
    """Outcome of indexing one page, counted in chunks and points."""

    chunks_total: int
    embedded: int
    reused: int
    deleted: int
    payload_updated: int
    skipped: bool
    content_hash: str


@dataclass(frozen=True)
class _PlannedPoint:
    id: str
    chunk: Chunk
    payload: dict[str, Any]


def index_version(chunker: Chunker, embedder: Embedder, sparse: SparseEncoder | None = None) -> str:
    """Return the version that point ids depend on: a change re-embeds every chunk."""
    sparse = sparse or _DEFAULT_SPARSE_ENCODER
    return f"{chunker.version}|{embedder.version}|{sparse.version}"


def point_id(workspace_id: str, page_id: str, version: str, text: str, occurrence: int) -> str:
    """Derive a point id from the chunk's text, so an unchanged chunk keeps its id."""
    text_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    name = "\x1f".join([workspace_id, page_id, version, text_hash, str(occurrence)])
    return str(uuid.uuid5(POINT_ID_NAMESPACE, name))


def plan_points(
    document: RenderedDocument, chunks: list[Chunk], version: str
) -> list[_PlannedPoint]:
    """Give each chunk its point id and payload, numbering repeats of the same text."""
    content_hash = document.content_hash
    occurrences: dict[str, int] = {}
    planned: list[_PlannedPoint] = []
    for chunk_index, chunk in enumerate(chunks):
        occurrence = occurrences.get(chunk.text, 0)
        occurrences[chunk.text] = occurrence + 1
        payload = {
            "workspace_id": document.workspace_id,
            "page_id": document.page_id,
            "title": document.title,
            "url": document.url,
            "heading": " > ".join(chunk.heading_path),
            "heading_path": list(chunk.heading_path),
            "text": chunk.body,
            "block_ids": list(chunk.block_ids),
            "last_edited_time": document.last_edited_time,
            "content_hash": content_hash,
            "chunk_index": chunk_index,
        }
        identifier = point_id(
            document.workspace_id, document.page_id, version, chunk.text, occurrence
        )
        planned.append(_PlannedPoint(identifier, chunk, payload))
    return planned


@dataclass
class PagePlan:
    """The writes that indexing one page needs: its planned points, and those still to embed."""

    document: RenderedDocument
    planned: list[_PlannedPoint]
    existing: dict[str, dict[str, Any]]
    new_points: list[_PlannedPoint]
    skipped: IndexResult | None = None

    @property
    def texts_to_embed(self) -> list[str]:
        return [point.chunk.text for point in self.new_points]


def plan_page(
    document: RenderedDocument,
    chunks: list[Chunk] | None,
    existing: dict[str, dict[str, Any]],
    *,
    version: str,
) -> PagePlan:
    """Compare a page's chunks with its stored points (``existing``), reading nothing.

    ``chunks`` is None when the page's content is known to be unchanged since it was last
    indexed: the plan then keeps every existing point and embeds nothing.
    """
    content_hash = document.content_hash
    if chunks is None:
        point_count = len(existing)
        skipped = IndexResult(
            point_count, 0, point_count, 0, 0, skipped=True, content_hash=content_hash
        )
        return PagePlan(document, [], existing, [], skipped=skipped)
    planned = plan_points(document, chunks, version)
    new_points = [point for point in planned if point.id not in existing]
    return PagePlan(document, planned, existing, new_points)


def apply_index(
    plan: PagePlan,
    vectors: list[list[float]],
    *,
    store: QdrantStore,
    sparse: SparseEncoder | None = None,
) -> IndexResult:
    """Write a planned page: new points first, then moved payloads, and only then deletions.

    ``vectors`` are the dense vectors of ``plan.texts_to_embed``, in order.
    """
    sparse = sparse or _DEFAULT_SPARSE_ENCODER
    document = plan.document
    workspace_id, page_id = document.workspace_id, document.page_id
    if plan.skipped is not None:
        logger.info(
            "Skipped page %s %r: content unchanged since the last index, %d chunks kept",
            page_id, document.title, plan.skipped.chunks_total,
        )
        return plan.skipped

    store.upsert(
        [
            PointData(
                id=point.id,
                dense=vector,
                sparse=sparse.encode_document(point.chunk.text),
                payload=point.payload,
            )
            for point, vector in zip(plan.new_points, vectors, strict=True)
        ]
    )

    payload_updated = 0
    for point in plan.planned:
        stored = plan.existing.get(point.id)
        if stored is not None and not _same_payload(stored, point.payload):
            store.set_payload(workspace_id, page_id, point.id, point.payload)
            payload_updated += 1

    planned_ids = {point.id for point in plan.planned}
    stale_ids = [identifier for identifier in plan.existing if identifier not in planned_ids]
    store.delete_points(workspace_id, page_id, stale_ids)

    result = IndexResult(
        chunks_total=len(plan.planned),
        embedded=len(plan.new_points),
        reused=len(plan.planned) - len(plan.new_points),
        deleted=len(stale_ids),
        payload_updated=payload_updated,
        skipped=False,
        content_hash=document.content_hash,
    )
    logger.info(
        "Indexed page %s %r: %d chunks, %d embedded, %d reused, %d payloads updated, %d deleted",
        page_id, document.title, result.chunks_total, result.embedded, result.reused,
        result.payload_updated, result.deleted,
    )
    return result


def index_document(
    document: RenderedDocument,
    *,
    chunker: Chunker,
    embedder: Embedder,
    store: QdrantStore,
    previous_content_hash: str | None = None,
    sparse: SparseEncoder | None = None,
) -> IndexResult:
    """Bring the page's points in line with ``document``, never leaving the page empty.

    New chunks are embedded and written first, moved chunks get their payload updated, and
    only then are the points that no longer belong to the page deleted, so a search during
    indexing sees either the old or the new content of every chunk.
    """
    existing = store.page_points(document.workspace_id, document.page_id)
    unchanged = previous_content_hash == document.content_hash and bool(existing)
    plan = plan_page(
        document,
        None if unchanged else chunker.chunk(document),
        existing,
        version=index_version(chunker, embedder, sparse),
    )
    vectors = embedder.embed(plan.texts_to_embed) if plan.new_points else []
    return apply_index(plan, vectors, store=store, sparse=sparse)


def embed_plans(plans: list[PagePlan], embedder: Embedder) -> list[list[list[float]]]:
    """Embed the new chunks of several pages in one call, so small pages still fill whole batches.

    Returns one list of vectors per plan, in the order of ``plan.texts_to_embed``.
    """
    texts = [text for plan in plans for text in plan.texts_to_embed]
    vectors = embedder.embed(texts) if texts else []
    grouped: list[list[list[float]]] = []
    start = 0
    for plan in plans:
        count = len(plan.new_points)
        grouped.append(vectors[start : start + count])
        start += count
    return grouped


def delete_page_points(workspace_id: str, page_id: str, store: QdrantStore) -> int:
    """Delete every point of a page, for a page that was deleted or trashed in Notion."""
    deleted = store.delete_page(workspace_id, page_id)
    logger.info("Deleted %d points of page %s in workspace %s", deleted, page_id, workspace_id)
    return deleted


def _same_payload(stored: dict[str, Any], planned: dict[str, Any]) -> bool:
    return all(stored.get(key) == value for key, value in planned.items())
