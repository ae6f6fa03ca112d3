from __future__ import annotations

import argparse
import json

import pytest

from notion_pipeline.indexing.index import index_document
from notion_pipeline.indexing.search import register_cli, search
from notion_pipeline.indexing.store import QdrantStore
from notion_pipeline.notion.document import Section

from .helpers import make_document

PAGES = {
    "deploy": (
        "Deployments",
        "To roll back a failed release, run the zephyrine command from the operations "
        "laptop. It restores the previous container image on every cluster node.",
    ),
    "vacation": (
        "Time off",
        "Employees receive twenty-five days of paid leave per year. Requests go to the "
        "line manager at least two weeks ahead.",
    ),
    "coffee": (
        "Kitchen",
        "Descale the espresso machine every Monday morning and empty the grounds drawer.",
    ),
    "payroll": (
        "Payroll",
        "Salaries are transferred on the last working day of each month.",
    ),
}


@pytest.fixture(scope="module")
def store_path(tmp_path_factory, chunker, memo_embedder):
    path = tmp_path_factory.mktemp("search") / "qdrant"
    with QdrantStore.open_local(path, "notion_chunks", memo_embedder.dimension) as store:
        for page_id, (title, text) in PAGES.items():
            document = make_document(
                [Section(text, "paragraph", (), (f"b-{page_id}",))], page_id=page_id, title=title
            )
            index_document(document, chunker=chunker, embedder=memo_embedder, store=store)
        other = make_document(
            [Section(PAGES["deploy"][1], "paragraph", (), ("b-x",))],
            workspace_id="globex", page_id="globex-deploy", title="Deployments",
        )
        index_document(other, chunker=chunker, embedder=memo_embedder, store=store)
    return path


@pytest.fixture
def search_store(store_path, memo_embedder):
    with QdrantStore.open_local(store_path, "notion_chunks", memo_embedder.dimension) as store:
        yield store


@pytest.mark.parametrize("mode", ["sparse", "hybrid"])
def test_rare_keyword_found(mode, search_store, memo_embedder):
    hits = search(search_store, memo_embedder, "zephyrine", workspace_id="acme", mode=mode)
    assert hits[0].page_id == "deploy"


@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_paraphrase_found(mode, search_store, memo_embedder):
    hits = search(
        search_store, memo_embedder, "how many holidays do staff get", workspace_id="acme", mode=mode
    )
    assert hits[0].page_id == "vacation"


def test_sparse_misses_paraphrase(search_store, memo_embedder):
    hits = search(search_store, memo_embedder, "holidays staff", workspace_id="acme", mode="sparse")
    assert "vacation" not in [hit.page_id for hit in hits]


def test_search_filters_workspace(search_store, memo_embedder):
    hits = search(search_store, memo_embedder, "zephyrine", workspace_id="globex", limit=10)
    assert {hit.page_id for hit in hits} == {"globex-deploy"}


def test_search_without_workspace_spans_all(search_store, memo_embedder):
    hits = search(search_store, memo_embedder, "zephyrine", limit=10, mode="sparse")
    assert {hit.page_id for hit in hits} == {"deploy", "globex-deploy"}


def test_search_hit_fields(search_store, memo_embedder):
    hit = search(search_store, memo_embedder, "espresso", workspace_id="acme", limit=1)[0]
    assert hit.title == "Kitchen"
    assert hit.url == "https://www.notion.so/coffee"
    assert hit.text == PAGES["coffee"][1]


def test_search_limit(search_store, memo_embedder):
    assert len(search(search_store, memo_embedder, "work", workspace_id="acme", limit=2)) == 2


def test_unknown_mode_rejected(search_store, memo_embedder):
    with pytest.raises(ValueError, match="hybrid, dense, sparse"):
        search(search_store, memo_embedder, "x", mode="keyword")


def test_cli_prints_json_lines(store_path, monkeypatch, capsys):
    monkeypatch.setenv("QDRANT_PATH", str(store_path))
    monkeypatch.delenv("QDRANT_URL", raising=False)
    monkeypatch.delenv("NOTION_PIPELINE_CONFIG", raising=False)
    monkeypatch.setenv("NOTION_WORKSPACES", "acme")
    parser = argparse.ArgumentParser()
    register_cli(parser.add_subparsers())
    arguments = parser.parse_args(["search", "zephyrine", "--workspace", "acme", "--json", "--limit", "2"])

    assert arguments.func(arguments) == 0

    lines = capsys.readouterr().out.strip().splitlines()
    first = json.loads(lines[0])
    assert len(lines) == 2
    assert first["page_id"] == "deploy"
    assert set(first) == {"page_id", "title", "url", "heading", "score", "text"}


def test_cli_prints_readable_hits(store_path, monkeypatch, capsys):
    monkeypatch.setenv("QDRANT_PATH", str(store_path))
    monkeypatch.delenv("QDRANT_URL", raising=False)
    monkeypatch.delenv("NOTION_PIPELINE_CONFIG", raising=False)
    parser = argparse.ArgumentParser()
    register_cli(parser.add_subparsers())
    arguments = parser.parse_args(["search", "espresso machine", "--limit", "1"])

    arguments.func(arguments)

    output = capsys.readouterr().out
    assert "Kitchen" in output
    assert "https://www.notion.so/coffee" in output
