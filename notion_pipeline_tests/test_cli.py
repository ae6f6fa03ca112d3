"""The notion-pipeline command line: search and dead-letter listing against real local stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from notion_pipeline.cli import main
from notion_pipeline.indexing.chunking import Chunker
from notion_pipeline.indexing.embedding import Embedder
from notion_pipeline.indexing.index import index_document
from notion_pipeline.indexing.store import QdrantStore
from notion_pipeline.ledger import open_ledger
from notion_pipeline.notion.document import RenderedDocument, Section
from notion_pipeline.settings import Settings


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("QDRANT_URL", "MONGODB_URI", "REDIS_URL", "NOTION_PIPELINE_CONFIG", "NOTION_WORKSPACES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NOTION_PIPELINE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_search_on_empty_index_explains(data_dir: Path, capsys: pytest.CaptureFixture[str]):
    status = main(["search", "how do I rotate keys"])

    assert status == 1
    error = capsys.readouterr().err
    assert "has no points" in error
    assert "Run a sync first" in error


def test_search_json_prints_documented_keys(data_dir: Path, capsys: pytest.CaptureFixture[str]):
    settings = Settings.load()
    embedder = Embedder.from_settings(settings)
    document = RenderedDocument(
        workspace_id="default",
        page_id="page-1",
        title="Key rotation",
        url="https://www.notion.so/Key-rotation-page1",
        last_edited_time="2026-11-02T09:15:00.000Z",
        sections=(
            Section("Signing keys are rotated every ninety days by the platform team.", "paragraph", (), ("b1",)),
        ),
    )
    with QdrantStore.from_settings(settings, embedder.dimension) as store:
        index_document(document, chunker=Chunker.from_settings(settings, embedder), embedder=embedder, store=store)

    status = main(["search", "how often are signing keys rotated", "--json", "--limit", "1"])

    assert status == 0
    [line] = capsys.readouterr().out.strip().splitlines()
    hit = json.loads(line)
    assert set(hit) == {"page_id", "title", "url", "heading", "score", "text"}
    assert hit["page_id"] == "page-1"


def test_dlq_list_without_records(data_dir: Path, capsys: pytest.CaptureFixture[str]):
    open_ledger(Settings.load()).close()

    assert main(["dlq", "list"]) == 0
    assert "No dead-letter records." in capsys.readouterr().out


def test_dlq_list_shows_open_record(data_dir: Path, capsys: pytest.CaptureFixture[str]):
    ledger = open_ledger(Settings.load())
    ledger.record_failure("default", "page-9", "Notion answered 500 for page-9")
    ledger.add_dead_letter("default", "page-9", run_id="run-1", error="Notion answered 500 for page-9", attempts=3)
    ledger.close()

    assert main(["dlq", "list", "--json"]) == 0
    [line] = capsys.readouterr().out.strip().splitlines()
    record = json.loads(line)
    assert record["page_id"] == "page-9"
    assert record["attempts"] == 3
    assert record["resolved_at"] is None
