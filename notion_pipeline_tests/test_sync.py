"""PageSyncer's grouped path: pages batched by chunk count, embedded while the previous group is written.

Every test runs the real model, Qdrant local mode, a SQLite ledger and the local Notion server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from notion_pipeline.defs.resources import EmbeddingResource
from notion_pipeline.errors import ConfigurationError
from notion_pipeline.indexing.chunking import Chunker
from notion_pipeline.indexing.embedding import Embedder
from notion_pipeline.indexing.store import QdrantStore
from notion_pipeline.ledger import PageStatus
from notion_pipeline.ledger.sqlite import SqliteLedger
from notion_pipeline.notion.client import NotionClient
from notion_pipeline.notion.generator import GeneratedWorkspace, generate_workspace
from notion_pipeline.notion.server import LocalNotionServer
from notion_pipeline.sync import PagePrefetcher, PageSyncer, PreparedPage, prepare_page

TOKEN = "secret_sync_test_token"
WORKSPACE = "default"


class RecordingEmbedder(Embedder):
    """The real model, recording how many texts each call embeds, failing on a marked text."""

    def __init__(self, inner: Embedder, fail_on: str | None = None) -> None:
        super().__init__(inner.model, inner.model_id, inner.batch_size)
        self.calls: list[int] = []
        self.fail_on = fail_on

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(len(texts))
        if self.fail_on is not None and any(self.fail_on in text for text in texts):
            raise RuntimeError(f"cannot embed a text containing {self.fail_on!r}")
        return super().embed(texts)


@pytest.fixture(scope="module")
def model() -> Embedder:
    return Embedder.load()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> GeneratedWorkspace:
    root = tmp_path_factory.mktemp("sync_workspace")
    return generate_workspace(root, 24, seed=11, min_words=80, max_words=500)


@pytest.fixture
def server(workspace: GeneratedWorkspace) -> Iterator[LocalNotionServer]:
    with LocalNotionServer(Path(workspace.root), token=TOKEN) as running:
        yield running


@pytest.fixture
def client(server: LocalNotionServer) -> Iterator[NotionClient]:
    notion = NotionClient(token=TOKEN, base_url=server.url)
    yield notion
    notion.close()


@pytest.fixture
def open_syncer(tmp_path: Path, client: NotionClient) -> Iterator[Callable[[str, Embedder], PageSyncer]]:
    """Return a factory of syncers with their own collection and ledger, closed after the test."""
    opened: list[PageSyncer] = []

    def open_one(name: str, embedder: Embedder) -> PageSyncer:
        syncer = PageSyncer(
            workspace_id=WORKSPACE,
            client=client,
            ledger=SqliteLedger(tmp_path / name / "ledger.sqlite3"),
            store=QdrantStore.open_local(tmp_path / name / "qdrant", "chunks", embedder.dimension),
            embedder=embedder,
            chunker=Chunker.for_embedder(embedder, max_tokens=200, overlap_tokens=24),
        )
        opened.append(syncer)
        return syncer

    yield open_one
    for syncer in opened:
        syncer.store.close()
        syncer.ledger.close()


def live_page_ids(workspace: GeneratedWorkspace) -> list[str]:
    hidden = set(workspace.trashed_page_ids) | set(workspace.unshared_page_ids)
    return [page_id for page_id in workspace.page_ids if page_id not in hidden]


def all_points(store: QdrantStore) -> dict[str, dict]:
    records, _ = store.client.scroll(store.collection, limit=10_000, with_payload=True)
    return {str(record.id): record.payload for record in records}


def test_grouped_sync_matches_single_page_sync(open_syncer, model: Embedder, workspace: GeneratedWorkspace) -> None:
    page_ids = live_page_ids(workspace)
    grouped_embedder = RecordingEmbedder(model)
    grouped = open_syncer("grouped", grouped_embedder)
    single = open_syncer("single", model)

    prepared = [grouped.prepare(page_id) for page_id in page_ids]
    outcomes = list(grouped.sync_pages(prepared, batch_chunks=40))
    singles = [single.sync_page(page_id) for page_id in page_ids]

    assert [outcome.page_id for outcome in outcomes] == page_ids
    assert {outcome.status for outcome in outcomes} == {"indexed"}
    assert [outcome.result.chunks_total for outcome in outcomes] == [
        outcome.result.chunks_total for outcome in singles
    ]
    grouped_points, single_points = all_points(grouped.store), all_points(single.store)
    assert grouped_points.keys() == single_points.keys()
    assert grouped_points == single_points
    # Several pages share a model call, so there are fewer calls than pages.
    max_page_chunks = max(outcome.result.chunks_total for outcome in outcomes)
    assert max(grouped_embedder.calls) > max_page_chunks
    assert len(grouped_embedder.calls) < len(page_ids)
    for page_id, outcome in zip(page_ids, outcomes, strict=True):
        record = grouped.ledger.get_page(WORKSPACE, page_id)
        assert record is not None
        assert record.status == PageStatus.INDEXED
        assert record.chunk_count == outcome.result.chunks_total


def test_grouped_resync_embeds_nothing(open_syncer, model: Embedder, workspace: GeneratedWorkspace) -> None:
    page_ids = live_page_ids(workspace)
    embedder = RecordingEmbedder(model)
    syncer = open_syncer("twice", embedder)
    list(syncer.sync_pages([syncer.prepare(page_id) for page_id in page_ids], batch_chunks=64))
    before = all_points(syncer.store)
    embedder.calls.clear()

    unchanged = list(syncer.sync_pages([syncer.prepare(page_id) for page_id in page_ids]))
    assert {outcome.status for outcome in unchanged} == {"unchanged"}
    assert sum(embedder.calls) == 0

    forced = list(syncer.sync_pages([syncer.prepare(page_id) for page_id in page_ids], force=True))
    assert {outcome.status for outcome in forced} == {"indexed"}
    assert sum(outcome.result.embedded for outcome in forced) == 0
    assert sum(outcome.result.reused for outcome in forced) == len(before)
    assert all_points(syncer.store) == before


def test_grouped_sync_reindexes_page_missing_points(
    open_syncer, model: Embedder, workspace: GeneratedWorkspace
) -> None:
    page_ids = live_page_ids(workspace)[:6]
    syncer = open_syncer("missing", model)
    first = list(syncer.sync_pages([syncer.prepare(page_id) for page_id in page_ids]))
    syncer.store.delete_page(WORKSPACE, page_ids[2])

    again = list(syncer.sync_pages([syncer.prepare(page_id) for page_id in page_ids]))

    assert [outcome.status for outcome in again] == [
        "unchanged", "unchanged", "indexed", "unchanged", "unchanged", "unchanged"
    ]
    assert again[2].result.embedded == first[2].result.chunks_total
    assert syncer.store.count(WORKSPACE, page_ids[2]) == first[2].result.chunks_total


def test_grouped_sync_isolates_failed_and_gone_pages(
    open_syncer, model: Embedder, workspace: GeneratedWorkspace
) -> None:
    page_ids = live_page_ids(workspace)[:8]
    syncer = open_syncer("mixed", model)
    list(syncer.sync_pages([syncer.prepare(page_ids[5])]))
    prepared = [syncer.prepare(page_id) for page_id in page_ids]
    prepared[2] = PreparedPage(page_ids[2], error=ValueError("block abc has no 'type' key"))
    prepared[5] = PreparedPage(page_ids[5], gone_reason="in trash")

    outcomes = list(syncer.sync_pages(prepared, batch_chunks=1000))

    assert [outcome.page_id for outcome in outcomes] == page_ids
    assert [outcome.status for outcome in outcomes] == [
        "indexed", "indexed", "failed", "indexed", "indexed", "removed", "indexed", "indexed"
    ]
    assert "block abc has no 'type' key" in (outcomes[2].error or "")
    assert syncer.ledger.get_page(WORKSPACE, page_ids[2]).status == PageStatus.FAILED
    assert syncer.ledger.get_page(WORKSPACE, page_ids[5]).status == PageStatus.DELETED
    assert syncer.store.count(WORKSPACE, page_ids[5]) == 0
    assert outcomes[5].points_deleted > 0


def test_grouped_embedding_failure_fails_one_page(
    open_syncer, client: NotionClient, model: Embedder, workspace: GeneratedWorkspace
) -> None:
    page_ids = live_page_ids(workspace)[:6]
    prepared = [prepare_page(client, WORKSPACE, page_id) for page_id in page_ids]
    bad_title = prepared[3].document.title
    syncer = open_syncer("fallback", RecordingEmbedder(model, fail_on=bad_title))

    outcomes = list(syncer.sync_pages(prepared, batch_chunks=1000))

    assert [outcome.status for outcome in outcomes] == [
        "indexed", "indexed", "indexed", "failed", "indexed", "indexed"
    ]
    assert bad_title in (outcomes[3].error or "")
    assert syncer.store.count(WORKSPACE, page_ids[3]) == 0
    for index in (0, 1, 2, 4, 5):
        assert syncer.store.count(WORKSPACE, page_ids[index]) > 0


def test_chunker_tokenizer_safe_beside_embedding(model: Embedder) -> None:
    chunker = Chunker.for_embedder(model, max_tokens=200, overlap_tokens=24)
    assert chunker.tokenizer is not model.tokenizer
    texts = [f"Paragraph {index}: " + "the release checklist and the rota " * (index % 40 + 1) for index in range(96)]
    expected_vectors = model.embed(texts)
    expected_counts = [chunker.count_tokens(text) for text in texts]

    vectors: list[list[float]] = []
    embedding = threading.Thread(target=lambda: vectors.extend(model.embed(texts)))
    embedding.start()
    counts = []
    while embedding.is_alive() or not counts:
        counts = [chunker.count_tokens(text) for text in texts]
        assert counts == expected_counts
    embedding.join()
    assert len(vectors) == len(expected_vectors)
    for got, expected in zip(vectors, expected_vectors, strict=True):
        assert got == pytest.approx(expected, abs=1e-4)


def test_prefetcher_fetches_early_in_order(
    client: NotionClient, workspace: GeneratedWorkspace
) -> None:
    page_ids = live_page_ids(workspace)[:10]
    started: list[str] = []
    first_fetched = threading.Event()

    def prepare(page_id: str) -> PreparedPage:
        started.append(page_id)
        prepared = prepare_page(client, WORKSPACE, page_id)
        first_fetched.set()
        return prepared

    with PagePrefetcher(prepare, page_ids, workers=2, ahead=4) as prefetcher:
        assert first_fetched.wait(timeout=30), "no page was fetched before the prefetcher was read"
        assert len(started) <= 4
        prepared = list(prefetcher)
    assert [page.page_id for page in prepared] == page_ids
    assert all(page.document is not None for page in prepared)
    assert sorted(started) == sorted(page_ids)


def test_prefetcher_stops_fetching_when_closed_early(
    client: NotionClient, workspace: GeneratedWorkspace
) -> None:
    page_ids = live_page_ids(workspace)[:12]
    started: list[str] = []

    def prepare(page_id: str) -> PreparedPage:
        started.append(page_id)
        return prepare_page(client, WORKSPACE, page_id)

    with PagePrefetcher(prepare, page_ids, workers=2, ahead=3) as prefetcher:
        first = next(iter(prefetcher))
    assert first.page_id == page_ids[0]
    assert len(started) <= 4


def test_preload_missing_model_raises_in_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EMBEDDING_MODEL", str(tmp_path / "no-such-model"))
    resource = EmbeddingResource()
    resource.preload()
    with pytest.raises(ConfigurationError, match="no-such-model"):
        resource.embedder()


def test_preload_shares_model_with_run(model: Embedder) -> None:
    resource = EmbeddingResource()
    resource.preload()
    assert resource.embedder().model is model.model
