"""Measure retrieval on the sample workspace: recall@5 and MRR@10 for dense, sparse and hybrid.

Run from the repository root: ``python evaluation/evaluate.py``. It serves the sample workspace
with the local Notion server, indexes every page into a temporary local-mode Qdrant and runs
each question of ``evaluation/questions.jsonl``. A hit is a chunk of the question's page.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from notion_pipeline.errors import PageGoneError
from notion_pipeline.indexing.chunking import Chunker
from notion_pipeline.indexing.embedding import Embedder
from notion_pipeline.indexing.index import index_document
from notion_pipeline.indexing.search import SEARCH_MODES, search
from notion_pipeline.indexing.store import QdrantStore
from notion_pipeline.notion.blocks import fetch_page
from notion_pipeline.notion.client import NotionClient
from notion_pipeline.notion.listing import list_pages
from notion_pipeline.notion.render import render_page
from notion_pipeline.notion.server import LocalNotionServer

logger = logging.getLogger(__name__)

QUESTIONS_PATH = Path(__file__).with_name("questions.jsonl")
WORKSPACE_ID = "sample"
RECALL_AT = 5
MRR_AT = 10


@dataclass(frozen=True)
class Question:
    """One evaluation question and the page that answers it."""

    id: str
    question: str
    page_id: str
    page_title: str


@dataclass(frozen=True)
class ModeScore:
    """Retrieval quality of one search mode over all questions."""

    mode: str
    recall: float
    mrr: float
    missed: tuple[str, ...]


def load_questions(path: Path) -> list[Question]:
    """Parse the questions file, one JSON object per line."""
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            questions.append(Question(raw["id"], raw["question"], raw["page_id"], raw["page_title"]))
    return questions


def index_workspace(
    workspace_dir: Path | None, store: QdrantStore, chunker: Chunker, embedder: Embedder
) -> int:
    """Fetch, render and index every live page the local server serves; return the page count."""
    indexed = 0
    with LocalNotionServer(workspace_dir) as server:
        client = NotionClient(token="evaluation", base_url=server.url, workspace_id=WORKSPACE_ID)
        for summary in list_pages(client):
            if summary.in_trash:
                continue
            try:
                fetched = fetch_page(client, summary.id)
            except PageGoneError as error:
                logger.warning("Skipped page %s: %s", summary.id, error)
                continue
            document = render_page(fetched, WORKSPACE_ID)
            index_document(document, chunker=chunker, embedder=embedder, store=store)
            indexed += 1
    return indexed


def score_mode(
    mode: str, questions: list[Question], store: QdrantStore, embedder: Embedder
) -> ModeScore:
    """Compute recall@5 and MRR@10 of one search mode, counting each page once per question."""
    recall_hits = 0
    reciprocal_ranks = 0.0
    missed = []
    for question in questions:
        hits = search(
            store, embedder, question.question, workspace_id=WORKSPACE_ID, limit=MRR_AT, mode=mode
        )
        ranked_pages = list(dict.fromkeys(hit.page_id for hit in hits))
        if question.page_id in ranked_pages:
            rank = ranked_pages.index(question.page_id) + 1
            reciprocal_ranks += 1 / rank
            if rank <= RECALL_AT:
                recall_hits += 1
            else:
                missed.append(question.id)
        else:
            missed.append(question.id)
    total = len(questions)
    return ModeScore(mode, recall_hits / total, reciprocal_ranks / total, tuple(missed))


def main(argv: list[str] | None = None) -> int:
    """Index the sample workspace, ask every question in every mode and print the scores."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workspace-dir", type=Path, default=None,
        help="Workspace directory for the local Notion server (default: the bundled sample).",
    )
    parser.add_argument("--questions", type=Path, default=QUESTIONS_PATH, help="Questions file.")
    parser.add_argument("--max-tokens", type=int, default=200, help="Chunk size in word pieces.")
    parser.add_argument("--overlap-tokens", type=int, default=24, help="Chunk overlap in word pieces.")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    questions = load_questions(arguments.questions)
    embedder = Embedder.load()
    chunker = Chunker.for_embedder(embedder, arguments.max_tokens, arguments.overlap_tokens)

    with tempfile.TemporaryDirectory(prefix="notion-evaluation-") as directory:
        qdrant_path = Path(directory) / "qdrant"
        with QdrantStore.open_local(qdrant_path, "evaluation", embedder.dimension) as store:
            pages = index_workspace(arguments.workspace_dir, store, chunker, embedder)
            print(f"Indexed {pages} pages into {store.count(WORKSPACE_ID)} chunks; "
                  f"{len(questions)} questions.")
            print(f"{'mode':<8} {'recall@' + str(RECALL_AT):>9} {'MRR@' + str(MRR_AT):>7}  missed")
            for mode in SEARCH_MODES:
                score = score_mode(mode, questions, store, embedder)
                print(f"{score.mode:<8} {score.recall:>9.3f} {score.mrr:>7.3f}  "
                      f"{' '.join(score.missed) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
