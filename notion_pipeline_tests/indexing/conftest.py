"""Fixtures for the indexing tests: one real embedding model per session, Qdrant local mode."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from notion_pipeline.indexing.chunking import Chunker
from notion_pipeline.indexing.embedding import Embedder
from notion_pipeline.indexing.store import QdrantStore


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """Load the bundled all-MiniLM-L6-v2 once for the whole test session."""
    return Embedder.load()


class MemoEmbedder(Embedder):
    """The real model, embedding each distinct text once per session to keep tests fast."""

    def __init__(self, inner: Embedder) -> None:
        super().__init__(inner.model, inner.model_id, inner.batch_size)
        self.vectors: dict[str, list[float]] = {}

    def embed(self, texts: list[str]) -> list[list[float]]:
        missing = sorted({text for text in texts if text not in self.vectors})
        for text, vector in zip(missing, super().embed(missing), strict=True):
            self.vectors[text] = vector
        return [self.vectors[text] for text in texts]


@pytest.fixture(scope="session")
def memo_embedder(embedder: Embedder) -> MemoEmbedder:
    return MemoEmbedder(embedder)


@pytest.fixture(scope="session")
def chunker(embedder: Embedder) -> Chunker:
    return Chunker.for_embedder(embedder, max_tokens=200, overlap_tokens=24)


@pytest.fixture
def store(tmp_path, embedder: Embedder) -> Iterator[QdrantStore]:
    """Open a fresh local-mode collection in the test's temporary folder."""
    with QdrantStore.open_local(tmp_path / "qdrant", "test_chunks", embedder.dimension) as opened:
        yield opened
