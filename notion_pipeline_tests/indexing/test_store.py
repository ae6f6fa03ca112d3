from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from notion_pipeline.errors import ConfigurationError, ServiceUnavailableError
from notion_pipeline.indexing.sparse import SparseVector
from notion_pipeline.indexing.store import PointData, QdrantStore

DIMENSION = 4


def point(number: int, workspace_id: str, page_id: str) -> PointData:
    return PointData(
        id=f"00000000-0000-0000-0000-{number:012d}",
        dense=[1.0, float(number), 0.5, 0.25],
        sparse=SparseVector(indices=[number], values=[1.0]),
        payload={"workspace_id": workspace_id, "page_id": page_id, "text": f"chunk {number}"},
    )


@pytest.fixture
def small_store(tmp_path):
    with QdrantStore.open_local(tmp_path / "qdrant", "chunks", DIMENSION) as opened:
        yield opened


def test_dimension_mismatch_rejected(tmp_path):
    QdrantStore.open_local(tmp_path / "qdrant", "chunks", DIMENSION).close()
    with pytest.raises(ConfigurationError, match="Set QDRANT_COLLECTION to another name"):
        QdrantStore.open_local(tmp_path / "qdrant", "chunks", DIMENSION + 1)


def test_dimension_mismatch_names_sizes(tmp_path):
    QdrantStore.open_local(tmp_path / "qdrant", "chunks", DIMENSION).close()
    with pytest.raises(ConfigurationError, match="contains 4-dimensional vectors.*produces 5"):
        QdrantStore.open_local(tmp_path / "qdrant", "chunks", DIMENSION + 1)


def test_local_lock_held_by_other_process(tmp_path):
    path = tmp_path / "qdrant"
    QdrantStore.open_local(path, "chunks", DIMENSION).close()
    holder_script = textwrap.dedent(
        f"""
        import sys
        from qdrant_client import QdrantClient
        client = QdrantClient(path={str(path)!r})
        print("locked", flush=True)
        sys.stdin.read()
        """
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", holder_script],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ServiceUnavailableError) as caught:
            QdrantStore.open_local(path, "chunks", DIMENSION, lock_timeout_seconds=1)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    message = str(caught.value)
    assert str(path) in message
    assert "another process" in message
    assert "run one sync at a time" in message
    assert "QDRANT_URL" in message


def test_lock_released_on_close(tmp_path):
    path = tmp_path / "qdrant"
    QdrantStore.open_local(path, "chunks", DIMENSION).close()
    reopened = QdrantStore.open_local(path, "chunks", DIMENSION, lock_timeout_seconds=0)
    reopened.close()


def test_unreachable_server_raises():
    # Port 9 (discard) on loopback has no listener here, so the connection is refused.
    with pytest.raises(ServiceUnavailableError, match="QDRANT_URL"):
        QdrantStore.connect("http://127.0.0.1:9", "chunks", DIMENSION)


def test_unreachable_server_hides_api_key(monkeypatch):
    monkeypatch.setenv("QDRANT_API_KEY", "secret-key-value")
    with pytest.raises(ServiceUnavailableError) as caught:
        QdrantStore.connect("http://127.0.0.1:9", "chunks", DIMENSION)
    assert "secret-key-value" not in str(caught.value)


def test_delete_page_only_its_workspace(small_store):
    small_store.upsert([point(1, "acme", "page"), point(2, "acme", "page"), point(3, "other", "page")])
    deleted = small_store.delete_page("acme", "page")
    assert deleted == 2
    assert small_store.count("acme") == 0
    assert small_store.count("other", "page") == 1


def test_delete_points_ignores_other_workspace(small_store):
    other = point(3, "other", "page")
    small_store.upsert([point(1, "acme", "page"), other])
    small_store.delete_points("acme", "page", [other.id])
    assert small_store.count("other") == 1


def test_page_points_filters_workspace_and_page(small_store):
    small_store.upsert(
        [point(1, "acme", "page"), point(2, "acme", "other-page"), point(3, "other", "page")]
    )
    assert list(small_store.page_points("acme", "page")) == [point(1, "acme", "page").id]


def test_page_points_scrolls_all(small_store):
    small_store.upsert([point(number, "acme", "page") for number in range(1, 601)])
    assert len(small_store.page_points("acme", "page")) == 600


def test_workspace_page_counts(small_store):
    small_store.upsert(
        [point(1, "acme", "a"), point(2, "acme", "a"), point(3, "acme", "b"), point(4, "other", "c")]
    )
    assert small_store.workspace_page_counts("acme") == {"a": 2, "b": 1}


def test_set_payload_updates_one_point(small_store):
    first, second = point(1, "acme", "page"), point(2, "acme", "page")
    small_store.upsert([first, second])
    small_store.set_payload("acme", "page", first.id, {"text": "changed"})
    payloads = small_store.page_points("acme", "page")
    assert payloads[first.id]["text"] == "changed"
    assert payloads[second.id]["text"] == "chunk 2"


def test_search_filters_workspace(small_store):
    small_store.upsert([point(1, "acme", "page"), point(2, "other", "page")])
    hits = small_store.search_dense([1.0, 1.0, 0.5, 0.25], "other", limit=5)
    assert [hit.payload["workspace_id"] for hit in hits] == ["other"]
