"""Search the index by meaning (dense), by keywords (sparse) or by both fused (hybrid)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from typing import Any

from notion_pipeline.indexing.embedding import Embedder
from notion_pipeline.indexing.sparse import SparseEncoder
from notion_pipeline.indexing.store import QdrantStore, StoredHit

SEARCH_MODES = ("hybrid", "dense", "sparse")
SNIPPET_LENGTH = 320


@dataclass(frozen=True)
class SearchHit:
    """One matching chunk and the page it belongs to."""

    page_id: str
    title: str
    url: str
    heading: str
    score: float
    text: str


def search(
    store: QdrantStore,
    embedder: Embedder,
    query: str,
    *,
    workspace_id: str | None = None,
    limit: int = 5,
    mode: str = "hybrid",
    sparse: SparseEncoder | None = None,
) -> list[SearchHit]:
    """Return the chunks that best match ``query``, best first."""
    if mode not in SEARCH_MODES:
        raise ValueError(f"Unknown search mode {mode!r}: use one of {', '.join(SEARCH_MODES)}.")
    if limit < 1:
        raise ValueError(f"Search limit must be at least 1, got {limit}.")
    if not query.strip():
        return []
    sparse = sparse or SparseEncoder()

    if mode == "dense":
        hits = store.search_dense(embedder.embed([query])[0], workspace_id, limit)
    elif mode == "sparse":
        hits = store.search_sparse(sparse.encode_query(query), workspace_id, limit)
    else:
        hits = store.search_hybrid(
            embedder.embed([query])[0], sparse.encode_query(query), workspace_id, limit
        )
    return [_to_search_hit(hit) for hit in hits]


def _to_search_hit(hit: StoredHit) -> SearchHit:
    payload = hit.payload
    return SearchHit(
        page_id=str(payload.get("page_id", "")),
        title=str(payload.get("title", "")),
        url=str(payload.get("url", "")),
        heading=str(payload.get("heading", "")),
        score=hit.score,
        text=str(payload.get("text", "")),
    )


def register_cli(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``search`` command to an argparse sub-parser set."""
    parser = subparsers.add_parser("search", help="Search the indexed Notion pages.")
    parser.add_argument("query", help="What to look for, in natural language or keywords.")
    parser.add_argument("--workspace", default=None, help="Search only this workspace id.")
    parser.add_argument("--limit", type=int, default=5, help="Number of hits to print (default 5).")
    parser.add_argument(
        "--mode", choices=SEARCH_MODES, default="hybrid",
        help="hybrid fuses meaning and keywords (default); dense is meaning only; "
        "sparse is keywords only.",
    )
    parser.add_argument("--json", action="store_true", help="Print one JSON object per hit.")
    parser.set_defaults(func=run_search_command)
    return parser


def run_search_command(arguments: argparse.Namespace) -> int:
    """Run the ``search`` command and print its hits; return the exit code."""
    from notion_pipeline.settings import Settings

    settings = Settings.load()
    if arguments.workspace is not None:
        # Raises with the list of configured workspaces when the id is unknown.
        settings.workspace(arguments.workspace)
    embedder = Embedder.from_settings(settings)
    with QdrantStore.from_settings(settings, embedder.dimension) as store:
        indexed = store.count(arguments.workspace) if arguments.workspace else store.count_all()
        if indexed == 0:
            where = settings.qdrant_url or str(settings.resolved_qdrant_path)
            scope = f"workspace {arguments.workspace!r}" if arguments.workspace else "any workspace"
            print(
                f"error: the collection {settings.qdrant_collection!r} at {where} has no points for "
                f"{scope}. Run a sync first (`make demo`, or `dagster job execute -m "
                "notion_pipeline.definitions -j notion_full_sync`), and check that "
                "NOTION_PIPELINE_DATA_DIR or QDRANT_URL point at the index it wrote.",
                file=sys.stderr,
            )
            return 1
        hits = search(
            store,
            embedder,
            arguments.query,
            workspace_id=arguments.workspace,
            limit=arguments.limit,
            mode=arguments.mode,
        )

    if arguments.json:
        for hit in hits:
            print(json.dumps(asdict(hit), ensure_ascii=False))
        return 0
    if not hits:
        print("No matching chunks.")
        return 0
    for rank, hit in enumerate(hits, start=1):
        print(f"{rank}. {hit.title or '(untitled)'}  [score {hit.score:.4f}]")
        print(f"   {hit.url}")
        if hit.heading:
            print(f"   {hit.heading}")
        print(f"   {_snippet(hit.text)}")
        print()
    return 0


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) <= SNIPPET_LENGTH:
        return flat
    return flat[: SNIPPET_LENGTH].rsplit(" ", 1)[0] + " …"
