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


def index_version(chunker: Chunker, embedder: Embedder, sparse: SparseEncoder) -> str:
    """Return the version that point ids depend on: a change re-embeds every chunk."""
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
    sparse = sparse or _DEFAULT_SPARSE_ENCODER
    workspace_id, page_id = document.workspace_id, document.page_id
    content_hash = document.content_hash

    if previous_content_hash == content_hash:
        existing_count = store.count(workspace_id, page_id)
        if existing_count > 0:
            logger.info(
                "Skipped page %s %r: content unchanged since the last index, %d chunks kept",
                page_id, document.title, existing_count,
            )
            return IndexResult(
                existing_count, 0, existing_count, 0, 0, skipped=True, content_hash=content_hash
            )

    chunks = chunker.chunk(document)
    planned = plan_points(document, chunks, index_version(chunker, embedder, sparse))
    existing = store.page_points(workspace_id, page_id)

    new_points = [point for point in planned if point.id not in existing]
    texts = [point.chunk.text for point in new_points]
    vectors = embedder.embed(texts)
    store.upsert(
        [
            PointData(
                id=point.id,
                dense=vector,
                sparse=sparse.encode_document(point.chunk.text),
                payload=point.payload,
            )
            for point, vector in zip(new_points, vectors, strict=True)
        ]
    )

    payload_updated = 0
    for point in planned:
        stored = existing.get(point.id)
        if stored is not None and not _same_payload(stored, point.payload):
            store.set_payload(workspace_id, page_id, point.id, point.payload)
            payload_updated += 1

    planned_ids = {point.id for point in planned}
    stale_ids = [identifier for identifier in existing if identifier not in planned_ids]
    store.delete_points(workspace_id, page_id, stale_ids)

    result = IndexResult(
        chunks_total=len(planned),
        embedded=len(new_points),
        reused=len(planned) - len(new_points),
        deleted=len(stale_ids),
        payload_updated=payload_updated,
        skipped=False,
        content_hash=content_hash,
    )
    logger.info(
        "Indexed page %s %r: %d chunks, %d embedded, %d reused, %d payloads updated, %d deleted",
        page_id, document.title, result.chunks_total, result.embedded, result.reused,
        result.payload_updated, result.deleted,
    )
    return result


def delete_page_points(workspace_id: str, page_id: str, store: QdrantStore) -> int:
    """Delete every point of a page, for a page that was deleted or trashed in Notion."""
    deleted = store.delete_page(workspace_id, page_id)
    logger.info("Deleted %d points of page %s in workspace %s", deleted, page_id, workspace_id)
    return deleted


def _same_payload(stored: dict[str, Any], planned: dict[str, Any]) -> bool:
    return all(stored.get(key) == value for key, value in planned.items())
