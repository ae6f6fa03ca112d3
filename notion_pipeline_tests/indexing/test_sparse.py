from __future__ import annotations

import subprocess
import sys

from notion_pipeline.indexing.sparse import TERM_ID_MODULUS, SparseEncoder, term_id, tokenize


def test_term_id_stable_across_processes():
    script = "from notion_pipeline.indexing.sparse import term_id; print(term_id('rollback'))"
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert int(output) == term_id("rollback")


def test_term_id_within_range():
    ids = [term_id(f"term{i}") for i in range(2000)]
    assert all(0 <= value < TERM_ID_MODULUS for value in ids)


def test_tokenize_stems_inflections():
    assert tokenize("Indexing indexed indexes") == ["index", "index", "index"]


def test_tokenize_keeps_short_words():
    assert tokenize("is as us") == ["is", "as", "us"]


def test_tokenize_splits_cjk_characters():
    assert tokenize("東京 office") == ["東", "京", "office"]


def test_query_weights_are_one():
    vector = SparseEncoder().encode_query("backup backup restore")
    assert vector.values == [1.0, 1.0]


def test_document_weight_saturates():
    encoder = SparseEncoder()
    once = encoder.encode_document("backup " + "filler " * 20)
    many = encoder.encode_document("backup " * 10 + "filler " * 11)
    backup = term_id("backup")
    weight_once = once.values[once.indices.index(backup)]
    weight_many = many.values[many.indices.index(backup)]
    assert weight_once < weight_many < encoder.k1 + 1


def test_longer_document_lowers_weight():
    encoder = SparseEncoder()
    short = encoder.encode_document("backup policy")
    long = encoder.encode_document("backup policy " + "filler words " * 200)
    backup = term_id("backup")
    assert long.values[long.indices.index(backup)] < short.values[short.indices.index(backup)]


def test_indices_sorted_and_unique():
    vector = SparseEncoder().encode_document("the quick brown fox jumps over the lazy dog " * 3)
    assert vector.indices == sorted(set(vector.indices))


def test_empty_text_has_empty_vector():
    vector = SparseEncoder().encode_document("  ")
    assert vector.indices == []
