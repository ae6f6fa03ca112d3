"""The two designs the benchmark compares the pipeline with, built on the project's own parts.

Both use the project's Notion client, block fetch, renderer, chunker and embedder, so only the
sync design differs: the naive design re-embeds every chunk of every page on every sync, and
LangChain's indexing API hashes chunks in a SQL record manager but must load every page to find
what changed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from langchain_classic.indexes import SQLRecordManager, index
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_qdrant import QdrantVectorStore
from qdrant_client import QdrantClient, models

from notion_pipeline.indexing.chunking import Chunker
from notion_pipeline.indexing.embedding import Embedder
from notion_pipeline.indexing.index import plan_points
from notion_pipeline.indexing.sparse import SparseEncoder
from notion_pipeline.indexing.store import PointData, QdrantStore
from notion_pipeline.notion.blocks import fetch_page
from notion_pipeline.notion.client import NotionClient
from notion_pipeline.notion.document import RenderedDocument
from notion_pipeline.notion.listing import list_pages
from notion_pipeline.notion.render import render_page

logger = logging.getLogger(__name__)

WORKSPACE_ID = "default"


@dataclass(frozen=True)
class BaselineSync:
    """What one baseline sync did: chunks embedded and chunks deleted."""

    pages: int
    chunks_embedded: int
    chunks_deleted: int


def _live_documents(client: NotionClient) -> Iterator[RenderedDocument]:
    """Fetch and render every live page of the full listing, one at a time."""
    for summary in list_pages(client):
        if summary.in_trash:
            continue
        yield render_page(fetch_page(client, summary.id), WORKSPACE_ID)


class NaiveBaseline:
    """The original worker design: fetch every page, delete its points, embed every chunk again."""

    def __init__(self, client: NotionClient, chunker: Chunker, embedder: Embedder, qdrant_path: Path) -> None:
        self.client = client
        self.chunker = chunker
        self.embedder = embedder
        self.sparse = SparseEncoder()
        self.store = QdrantStore.open_local(qdrant_path, "naive_baseline", embedder.dimension)
        self.known_page_ids: set[str] = set()

    def sync(self) -> BaselineSync:
        """Re-index every listed page and delete the points of pages no longer listed."""
        pages = embedded = deleted = 0
        live: set[str] = set()
        for document in _live_documents(self.client):
            live.add(document.page_id)
            chunks = self.chunker.chunk(document)
            planned = plan_points(document, chunks, "naive")
            deleted += self.store.delete_page(WORKSPACE_ID, document.page_id)
            vectors = self.embedder.embed([point.chunk.text for point in planned])
            self.store.upsert(
                [
                    PointData(point.id, vector, self.sparse.encode_document(point.chunk.text), point.payload)
                    for point, vector in zip(planned, vectors, strict=True)
                ]
            )
            pages += 1
            embedded += len(planned)
        for page_id in sorted(self.known_page_ids - live):
            deleted += self.store.delete_page(WORKSPACE_ID, page_id)
        self.known_page_ids = live
        return BaselineSync(pages, embedded, deleted)

    def close(self) -> None:
        self.store.close()


class ProjectEmbeddings(Embeddings):
    """LangChain's embeddings interface over the project's embedder (same model, same batch size)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed([text])[0]


class LangChainBaseline:
    """LangChain's ``index()`` with a SQLite record manager, incremental cleanup and Qdrant.

    The loader yields the project's chunks as documents whose ``source`` is the page id, so the
    record manager decides per chunk whether to embed. Incremental cleanup deletes the old
    chunks of pages it loaded again, but never the chunks of pages that are no longer loaded.
    """

    def __init__(self, client: NotionClient, chunker: Chunker, embedder: Embedder, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.client = client
        self.chunker = chunker
        self.qdrant = QdrantClient(path=str(directory / "qdrant"))
        self.qdrant.create_collection(
            "langchain_baseline",
            vectors_config=models.VectorParams(size=embedder.dimension, distance=models.Distance.COSINE),
        )
        self.vector_store = QdrantVectorStore(
            client=self.qdrant, collection_name="langchain_baseline", embedding=ProjectEmbeddings(embedder)
        )
        self.record_manager = SQLRecordManager(
            f"notion/{WORKSPACE_ID}", db_url=f"sqlite:///{directory / 'record_manager.sqlite3'}"
        )
        self.record_manager.create_schema()
        self._pages_loaded = 0

    def _documents(self) -> Iterator[Document]:
        for document in _live_documents(self.client):
            self._pages_loaded += 1
            for chunk in self.chunker.chunk(document):
                yield Document(page_content=chunk.text, metadata={"source": document.page_id})

    def sync(self) -> BaselineSync:
        """Load every page and let ``index()`` embed the chunks its record manager has not seen."""
        self._pages_loaded = 0
        result = index(
            self._documents(),
            self.record_manager,
            self.vector_store,
            cleanup="incremental",
            source_id_key="source",
        )
        logger.info("LangChain index() over %d pages: %s", self._pages_loaded, result)
        # num_updated counts documents written again because force_update was set; both are embeddings.
        return BaselineSync(
            pages=self._pages_loaded,
            chunks_embedded=result["num_added"] + result["num_updated"],
            chunks_deleted=result["num_deleted"],
        )

    def stale_chunks(self, gone_page_ids: list[str]) -> int:
        """Count the chunks the record manager still keeps for pages that are gone from Notion."""
        if not gone_page_ids:
            return 0
        return len(self.record_manager.list_keys(group_ids=gone_page_ids))

    def close(self) -> None:
        self.qdrant.close()
