from __future__ import annotations

from dataclasses import replace

import pytest

from notion_pipeline.indexing.chunking import Chunker
from notion_pipeline.indexing.index import delete_page_points, index_document
from notion_pipeline.indexing.sparse import SparseEncoder
from notion_pipeline.indexing.store import QdrantStore
from notion_pipeline.notion.document import Section

from .helpers import make_document, topic_sections


class SpyStore(QdrantStore):
    """A real store that records every write and checks the page after each one."""

    def __init__(self, inner: QdrantStore, page_id: str) -> None:
        super().__init__(inner.client, inner.collection, inner.dimension)
        self.page_id = page_id
        self.writes: list[str] = []
        self.counts_after_write: list[int] = []
        self.hits_after_write: list[int] = []

    def _record(self, name: str) -> None:
        self.writes.append(name)
        self.counts_after_write.append(self.count("acme", self.page_id))
        hits = self.search_dense([0.05] * self.dimension, "acme", limit=3)
        self.hits_after_write.append(len([hit for hit in hits if hit.payload["page_id"] == self.page_id]))

    def upsert(self, points):
        super().upsert(points)
        if points:
            self._record("upsert")

    def set_payload(self, workspace_id, page_id, point_id, payload):
        super().set_payload(workspace_id, page_id, point_id, payload)
        self._record("set_payload")

    def delete_points(self, workspace_id, page_id, point_ids):
        super().delete_points(workspace_id, page_id, point_ids)
        if point_ids:
            self._record("delete_points")


@pytest.fixture(scope="module")
def forty_topics():
    # Each topic paragraph fills most of a chunk, so the page has one chunk per topic.
    return topic_sections(40)


def edited(sections: list[Section], index: int) -> list[Section]:
    """Replace the first word of the paragraph of topic ``index``."""
    position = 2 * index + 1
    section = sections[position]
    changed = replace(section, markdown="Escalation " + section.markdown.split(" ", 1)[1])
    return sections[:position] + [changed] + sections[position + 1 :]


def test_forty_topic_page_has_forty_chunks(forty_topics, chunker):
    assert len(chunker.chunk(make_document(forty_topics))) == 40


def test_edit_one_paragraph(forty_topics, chunker, memo_embedder, store):
    index_document(make_document(forty_topics), chunker=chunker, embedder=memo_embedder, store=store)
    before = store.page_points("acme", "page-1")
    spy = SpyStore(store, "page-1")
    document = make_document(edited(forty_topics, 17), last_edited_time="2025-02-01T09:00:00.000Z")

    result = index_document(document, chunker=chunker, embedder=memo_embedder, store=spy)

    after = store.page_points("acme", "page-1")
    texts = sorted(payload["text"] for payload in after.values())
    assert result.embedded <= 2
    assert result.deleted == result.embedded
    assert len(set(before) & set(after)) == 40 - result.embedded
    assert texts == sorted(chunk.body for chunk in chunker.chunk(document))
    # Search must never see the page empty or shrunk: new points land before old ones go.
    assert spy.writes[0] == "upsert"
    assert spy.writes[-1] == "delete_points"
    assert min(spy.counts_after_write) >= 40
    assert min(spy.hits_after_write) > 0


def test_title_change_reembeds_all(chunker, memo_embedder, store):
    sections = topic_sections(4)
    index_document(make_document(sections), chunker=chunker, embedder=memo_embedder, store=store)
    document = make_document(sections, title="Guide")
    result = index_document(document, chunker=chunker, embedder=memo_embedder, store=store)
    # The title is part of every chunk's context line, so every chunk is new.
    assert result.embedded == 4


def test_last_edited_time_updates_payload_only(forty_topics, chunker, memo_embedder, store):
    index_document(make_document(forty_topics), chunker=chunker, embedder=memo_embedder, store=store)
    document = make_document(forty_topics, last_edited_time="2025-03-01T08:00:00.000Z")
    result = index_document(document, chunker=chunker, embedder=memo_embedder, store=store)
    assert result.embedded == 0
    assert result.payload_updated == 40
    times = {payload["last_edited_time"] for payload in store.page_points("acme", "page-1").values()}
    assert times == {"2025-03-01T08:00:00.000Z"}


def test_reindex_unchanged_writes_nothing(forty_topics, chunker, memo_embedder, store):
    document = make_document(forty_topics)
    index_document(document, chunker=chunker, embedder=memo_embedder, store=store)
    spy = SpyStore(store, "page-1")
    result = index_document(document, chunker=chunker, embedder=memo_embedder, store=spy)
    assert result.embedded == 0
    assert spy.writes == []


def test_same_content_hash_skips(forty_topics, chunker, memo_embedder, store):
    document = make_document(forty_topics)
    first = index_document(document, chunker=chunker, embedder=memo_embedder, store=store)
    spy = SpyStore(store, "page-1")
    result = index_document(
        document, chunker=chunker, embedder=memo_embedder, store=spy,
        previous_content_hash=first.content_hash,
    )
    assert result.skipped
    assert spy.writes == []


def test_same_hash_without_points_indexes(chunker, memo_embedder, store):
    document = make_document(topic_sections(2))
    result = index_document(
        document, chunker=chunker, embedder=memo_embedder, store=store,
        previous_content_hash=document.content_hash,
    )
    assert not result.skipped
    assert store.count("acme", "page-1") == 2


def test_version_change_reembeds_all(memo_embedder, store):
    document = make_document(topic_sections(5))
    first = Chunker.for_embedder(memo_embedder, max_tokens=200, overlap_tokens=24)
    index_document(document, chunker=first, embedder=memo_embedder, store=store)
    second = Chunker.for_embedder(memo_embedder, max_tokens=190, overlap_tokens=24)
    result = index_document(document, chunker=second, embedder=memo_embedder, store=store)
    assert result.embedded == 5
    assert result.deleted == 5


def test_sparse_version_change_reembeds_all(chunker, memo_embedder, store):
    document = make_document(topic_sections(3))
    index_document(document, chunker=chunker, embedder=memo_embedder, store=store)
    result = index_document(
        document, chunker=chunker, embedder=memo_embedder, store=store,
        sparse=SparseEncoder(k1=1.5),
    )
    assert result.embedded == 3


def test_empty_document_removes_points(chunker, memo_embedder, store):
    index_document(make_document(topic_sections(3)), chunker=chunker, embedder=memo_embedder, store=store)
    result = index_document(make_document([]), chunker=chunker, embedder=memo_embedder, store=store)
    assert result.deleted == 3
    assert store.count("acme", "page-1") == 0


def test_repeated_chunks_get_distinct_ids(chunker, memo_embedder, store):
    sections = [
        Section("Same text.", "paragraph", ("A",), ("a",)),
        Section("Other text.", "paragraph", ("B",), ("b",)),
        Section("Same text.", "paragraph", ("A",), ("c",)),
    ]
    index_document(make_document(sections), chunker=chunker, embedder=memo_embedder, store=store)
    assert store.count("acme", "page-1") == 3


def test_payload_fields(chunker, memo_embedder, store):
    sections = [Section("Badges are printed at reception.", "paragraph", ("Office", "Access"), ("b1",))]
    document = make_document(sections)
    index_document(document, chunker=chunker, embedder=memo_embedder, store=store)
    payload = next(iter(store.page_points("acme", "page-1").values()))
    assert payload == {
        "workspace_id": "acme",
        "page_id": "page-1",
        "title": "Handbook",
        "url": "https://www.notion.so/page-1",
        "heading": "Office > Access",
        "heading_path": ["Office", "Access"],
        "text": "Badges are printed at reception.",
        "block_ids": ["b1"],
        "last_edited_time": "2025-01-01T10:00:00.000Z",
        "content_hash": document.content_hash,
        "chunk_index": 0,
    }


def test_delete_page_points_keeps_other_workspace(chunker, memo_embedder, store):
    sections = topic_sections(2)
    index_document(make_document(sections), chunker=chunker, embedder=memo_embedder, store=store)
    other = make_document(sections, workspace_id="globex")
    index_document(other, chunker=chunker, embedder=memo_embedder, store=store)
    assert delete_page_points("acme", "page-1", store) == 2
    assert store.count("globex", "page-1") == 2
