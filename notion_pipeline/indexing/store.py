"""The Qdrant collection that contains every chunk of every page, one tenant per workspace."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from notion_pipeline.errors import ConfigurationError, ServiceUnavailableError
from notion_pipeline.indexing.sparse import SparseVector

if TYPE_CHECKING:
    from notion_pipeline.settings import Settings

logger = logging.getLogger(__name__)

DENSE_VECTOR = "dense"
SPARSE_VECTOR = "sparse"
DEFAULT_LOCK_TIMEOUT_SECONDS = 60.0
_LOCK_POLL_SECONDS = 0.5
_SCROLL_PAGE_SIZE = 256
_UPSERT_BATCH_SIZE = 128


@dataclass(frozen=True)
class PointData:
    """One point to write: its id, both named vectors and its payload."""

    id: str
    dense: list[float]
    sparse: SparseVector
    payload: dict[str, Any]


@dataclass(frozen=True)
class StoredHit:
    """One search result as the store returns it."""

    id: str
    score: float
    payload: dict[str, Any]


class QdrantStore:
    """Reads and writes the chunk collection; every filter includes the workspace id."""

    def __init__(self, client: QdrantClient, collection: str, dimension: int) -> None:
        self.client = client
        self.collection = collection
        self.dimension = dimension

    @classmethod
    def from_settings(cls, settings: Settings, dimension: int) -> QdrantStore:
        """Open Qdrant (server at ``QDRANT_URL``, else local mode on disk) and the collection."""
        if settings.qdrant_url:
            store = cls.connect(settings.qdrant_url, settings.qdrant_collection, dimension)
        else:
            lock_timeout = float(
                getattr(settings, "qdrant_lock_timeout_seconds", DEFAULT_LOCK_TIMEOUT_SECONDS)
            )
            store = cls.open_local(
                settings.resolved_qdrant_path, settings.qdrant_collection, dimension, lock_timeout
            )
        return store

    @classmethod
    def connect(cls, url: str, collection: str, dimension: int) -> QdrantStore:
        """Connect to a Qdrant server, with the API key from ``QDRANT_API_KEY`` if set."""
        api_key = os.environ.get("QDRANT_API_KEY") or None
        client = QdrantClient(url=url, api_key=api_key, timeout=30, check_compatibility=False)
        store = cls(client, collection, dimension)
        try:
            store.ensure_collection()
        except UnexpectedResponse as error:
            if error.status_code in (401, 403):
                raise ConfigurationError(
                    f"Qdrant at {url} rejected the API key (HTTP {error.status_code}): set "
                    "QDRANT_API_KEY to a valid key."
                ) from None
            raise ServiceUnavailableError(
                "Qdrant", "QDRANT_URL", f"{url} returned HTTP {error.status_code}"
            ) from None
        except (ResponseHandlingException, httpx.HTTPError, OSError) as error:
            # The message of a connection error names the host and the cause, never the key.
            raise ServiceUnavailableError(
                "Qdrant", "QDRANT_URL", f"cannot reach {url} ({_describe(error)})"
            ) from None
        return store

    @classmethod
    def open_local(
        cls,
        path: Path,
        collection: str,
        dimension: int,
        lock_timeout_seconds: float = DEFAULT_LOCK_TIMEOUT_SECONDS,
    ) -> QdrantStore:
        """Open local-mode storage at ``path``, waiting up to the timeout for its file lock."""
        path.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + lock_timeout_seconds
        while True:
            try:
                client = QdrantClient(path=str(path))
                break
            except RuntimeError as error:
                # Local mode takes an exclusive lock on the folder for the client's lifetime.
                if "already accessed" not in str(error):
                    raise
                if time.monotonic() >= deadline:
                    raise ServiceUnavailableError(
                        "Qdrant local storage",
                        "QDRANT_URL",
                        f"{path} is locked by another process that still holds it after "
                        f"{lock_timeout_seconds:g} s. Local mode allows one process at a time: "
                        "run one sync at a time, or set QDRANT_URL to use a Qdrant server",
                    ) from None
                logger.info("Waiting for another process to release Qdrant storage %s", path)
                time.sleep(_LOCK_POLL_SECONDS)
        store = cls(client, collection, dimension)
        store.ensure_collection()
        return store

    def close(self) -> None:
        """Close the client, which releases the local-mode lock."""
        self.client.close()

    def __enter__(self) -> QdrantStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def ensure_collection(self) -> None:
        """Create the collection if it is missing, or check that its vectors match."""
        if self.client.collection_exists(self.collection):
            self._check_collection()
            return

        logger.info(
            "Creating Qdrant collection %s with %d-dimensional dense vectors",
            self.collection, self.dimension,
        )
        self.client.create_collection(
            self.collection,
            vectors_config={
                DENSE_VECTOR: models.VectorParams(size=self.dimension, distance=models.Distance.COSINE)
            },
            sparse_vectors_config={
                SPARSE_VECTOR: models.SparseVectorParams(modifier=models.Modifier.IDF)
            },
        )
        # Local mode ignores payload indexes and warns about them, so only a server gets them.
        if not _is_local(self.client):
            self.client.create_payload_index(
                self.collection,
                "workspace_id",
                field_schema=models.KeywordIndexParams(
                    type=models.KeywordIndexType.KEYWORD, is_tenant=True
                ),
            )
            self.client.create_payload_index(
                self.collection, "page_id", field_schema=models.PayloadSchemaType.KEYWORD
            )

    def _check_collection(self) -> None:
        params = self.client.get_collection(self.collection).config.params
        vectors = params.vectors if isinstance(params.vectors, dict) else {}
        dense = vectors.get(DENSE_VECTOR)
        sparse = (params.sparse_vectors or {}).get(SPARSE_VECTOR)
        if dense is None or sparse is None:
            raise ConfigurationError(
                f"Qdrant collection {self.collection!r} was not created by notion-pipeline: it "
                f"lacks the named vectors {DENSE_VECTOR!r} and {SPARSE_VECTOR!r}. Set "
                "QDRANT_COLLECTION to another name."
            )
        if dense.size != self.dimension:
            raise ConfigurationError(
                f"Qdrant collection {self.collection!r} contains {dense.size}-dimensional vectors, "
                f"but the embedding model produces {self.dimension}. Set QDRANT_COLLECTION to "
                "another name, or delete the collection and index the workspace again."
            )

    # Reads

    def page_points(self, workspace_id: str, page_id: str) -> dict[str, dict[str, Any]]:
        """Return the payload of every point of one page, keyed by point id."""
        return self.points_of_pages(workspace_id, [page_id])[page_id]

    def points_of_pages(
        self, workspace_id: str, page_ids: Sequence[str]
    ) -> dict[str, dict[str, dict[str, Any]]]:
        """Return the payload of every point of several pages, keyed by page id, then point id.

        One filtered scroll serves all the pages. In local mode every filtered read scans the
        whole collection, so reading a batch of pages at once instead of one page at a time
        keeps a large sync from slowing down as the collection grows.
        """
        points: dict[str, dict[str, dict[str, Any]]] = {page_id: {} for page_id in page_ids}
        if not points:
            return points
        selector = models.Filter(
            must=[
                models.FieldCondition(key="workspace_id", match=models.MatchValue(value=workspace_id)),
                models.FieldCondition(key="page_id", match=models.MatchAny(any=list(points))),
            ]
        )
        for record in self._scroll(selector, with_payload=True):
            payload = record.payload or {}
            page_points = points.get(str(payload.get("page_id")))
            if page_points is not None:
                page_points[str(record.id)] = payload
        return points

    def count(self, workspace_id: str, page_id: str | None = None) -> int:
        """Count the points of a workspace, or of one of its pages."""
        selector = (
            _page_filter(workspace_id, page_id)
            if page_id is not None
            else _workspace_filter(workspace_id)
        )
        return self.client.count(self.collection, count_filter=selector, exact=True).count

    def count_all(self) -> int:
        """Count every point of the collection, across workspaces."""
        return self.client.count(self.collection, exact=True).count

    def workspace_page_counts(self, workspace_id: str) -> dict[str, int]:
        """Count the points of each page of a workspace."""
        counts: dict[str, int] = {}
        records = self._scroll(_workspace_filter(workspace_id), with_payload=["page_id"])
        for record in records:
            page_id = str((record.payload or {}).get("page_id"))
            counts[page_id] = counts.get(page_id, 0) + 1
        return counts

    def _scroll(self, selector: models.Filter, with_payload: bool | list[str]) -> list[models.Record]:
        records: list[models.Record] = []
        offset = None
        while True:
            batch, offset = self.client.scroll(
                self.collection,
                scroll_filter=selector,
                limit=_SCROLL_PAGE_SIZE,
                offset=offset,
                with_payload=with_payload,
                with_vectors=False,
            )
            records.extend(batch)
            if offset is None:
                return records

    # Writes

    def upsert(self, points: list[PointData]) -> None:
        """Write points with both named vectors, in batches, waiting until each is applied."""
        for start in range(0, len(points), _UPSERT_BATCH_SIZE):
            batch = points[start : start + _UPSERT_BATCH_SIZE]
            self.client.upsert(
                self.collection,
                points=[
                    models.PointStruct(
                        id=point.id,
                        vector={
                            DENSE_VECTOR: point.dense,
                            SPARSE_VECTOR: models.SparseVector(
                                indices=point.sparse.indices, values=point.sparse.values
                            ),
                        },
                        payload=point.payload,
                    )
                    for point in batch
                ],
                wait=True,
            )

    def set_payload(
        self, workspace_id: str, page_id: str, point_id: str, payload: dict[str, Any]
    ) -> None:
        """Overwrite payload keys of one point of one page."""
        self.client.set_payload(
            self.collection,
            payload=payload,
            points=models.FilterSelector(
                filter=_page_filter(workspace_id, page_id, point_ids=[point_id])
            ),
            wait=True,
        )

    def delete_points(self, workspace_id: str, page_id: str, point_ids: list[str]) -> None:
        """Delete the given points, but only those that belong to this page and workspace."""
        if not point_ids:
            return
        self.client.delete(
            self.collection,
            points_selector=models.FilterSelector(
                filter=_page_filter(workspace_id, page_id, point_ids=point_ids)
            ),
            wait=True,
        )

    def delete_page(self, workspace_id: str, page_id: str) -> int:
        """Delete every point of one page and return how many there were."""
        existing = self.count(workspace_id, page_id)
        if existing:
            self.client.delete(
                self.collection,
                points_selector=models.FilterSelector(filter=_page_filter(workspace_id, page_id)),
                wait=True,
            )
        return existing

    # Search

    def search_dense(
        self, vector: list[float], workspace_id: str | None, limit: int
    ) -> list[StoredHit]:
        """Find the points nearest to a dense query vector."""
        response = self.client.query_points(
            self.collection,
            query=vector,
            using=DENSE_VECTOR,
            query_filter=_optional_workspace_filter(workspace_id),
            limit=limit,
            with_payload=True,
        )
        return _hits(response.points)

    def search_sparse(
        self, vector: SparseVector, workspace_id: str | None, limit: int
    ) -> list[StoredHit]:
        """Find the points whose terms best match a sparse query vector (BM25 with IDF)."""
        response = self.client.query_points(
            self.collection,
            query=models.SparseVector(indices=vector.indices, values=vector.values),
            using=SPARSE_VECTOR,
            query_filter=_optional_workspace_filter(workspace_id),
            limit=limit,
            with_payload=True,
        )
        return _hits(response.points)

    def search_hybrid(
        self,
        dense: list[float],
        sparse: SparseVector,
        workspace_id: str | None,
        limit: int,
        candidates: int | None = None,
    ) -> list[StoredHit]:
        """Fuse dense and sparse candidates with reciprocal rank fusion (RRF)."""
        selector = _optional_workspace_filter(workspace_id)
        candidate_limit = candidates or max(limit * 4, 20)
        response = self.client.query_points(
            self.collection,
            prefetch=[
                models.Prefetch(
                    query=dense, using=DENSE_VECTOR, filter=selector, limit=candidate_limit
                ),
                models.Prefetch(
                    query=models.SparseVector(indices=sparse.indices, values=sparse.values),
                    using=SPARSE_VECTOR,
                    filter=selector,
                    limit=candidate_limit,
                ),
            ],
            query=models.FusionQuery(fusion=models.Fusion.RRF),
            query_filter=selector,
            limit=limit,
            with_payload=True,
        )
        return _hits(response.points)


def _is_local(client: QdrantClient) -> bool:
    from qdrant_client.local.qdrant_local import QdrantLocal

    return isinstance(getattr(client, "_client", None), QdrantLocal)


def _describe(error: Exception) -> str:
    return str(error) or type(error).__name__


def _workspace_filter(workspace_id: str) -> models.Filter:
    return models.Filter(
        must=[models.FieldCondition(key="workspace_id", match=models.MatchValue(value=workspace_id))]
    )


def _optional_workspace_filter(workspace_id: str | None) -> models.Filter | None:
    return _workspace_filter(workspace_id) if workspace_id is not None else None


def _page_filter(
    workspace_id: str, page_id: str, point_ids: list[str] | None = None
) -> models.Filter:
    conditions: list[models.Condition] = [
        models.FieldCondition(key="workspace_id", match=models.MatchValue(value=workspace_id)),
        models.FieldCondition(key="page_id", match=models.MatchValue(value=page_id)),
    ]
    if point_ids is not None:
        conditions.append(models.HasIdCondition(has_id=list(point_ids)))
    return models.Filter(must=conditions)


def _hits(points: list[models.ScoredPoint]) -> list[StoredHit]:
    return [StoredHit(id=str(point.id), score=point.score, payload=point.payload or {}) for point in points]
