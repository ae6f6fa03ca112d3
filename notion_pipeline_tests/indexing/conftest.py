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


@pytest.fixture(scope="session")
def chunker(embedder: Embedder) -> Chunker:
    return Chunker.for_embedder(embedder, max_tokens=200, overlap_tokens=24)


@pytest.fixture
def store(tmp_path, embedder: Embedder) -> Iterator[QdrantStore]:
    """Open a fresh local-mode collection in the test's temporary folder."""
    with QdrantStore.open_local(tmp_path / "qdrant", "test_chunks", embedder.dimension) as opened:
        yield opened
