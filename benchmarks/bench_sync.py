"""Benchmark the Notion-to-Qdrant sync against the embedding floor and two baseline designs.

Run ``python benchmarks/bench_sync.py --pages 200`` (``make bench``). Every figure comes from one
run on one machine: a synthetic workspace served by the local Notion server in this process,
the pipeline run as `dagster job execute` subprocesses and change-sensor ticks, and the baselines
run in this process on the same workspace and the same edits. Results are printed and written
into BENCHMARKS.md between its result markers.
"""

from __future__ import annotations

import argparse
import logging
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import LangChainBaseline, NaiveBaseline  # noqa: E402
from measure import (  # noqa: E402
    PreparedWorkspace,
    RequestWindow,
    Stopwatch,
    describe_machine,
    measure_embedding_floor,
    prepare_workspace,
)
from pipeline import PipelineHome, TOKEN, force_reconciliation  # noqa: E402
from report import Report, profile_summary, write_results  # noqa: E402

from notion_pipeline.indexing.chunking import Chunker  # noqa: E402
from notion_pipeline.indexing.embedding import Embedder  # noqa: E402
from notion_pipeline.notion import builders  # noqa: E402
from notion_pipeline.notion.client import NotionClient  # noqa: E402
from notion_pipeline.notion.faults import FaultSettings  # noqa: E402
from notion_pipeline.notion.generator import generate_workspace  # noqa: E402
from notion_pipeline.notion.listing import list_pages  # noqa: E402
from notion_pipeline.notion.server import LocalNotionServer  # noqa: E402
from notion_pipeline.settings import Settings  # noqa: E402

logger = logging.getLogger("bench_sync")

SERVER_RATE_LIMIT = 3.0
SERVER_BURST = 3
SERVER_LATENCY_SECONDS = 0.1
EDITED_FRACTION = 0.01
ADDED_FRACTION = 0.005
TRASHED_FRACTION = 0.005


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200, help="pages in the main workspace (default: 200)")
    parser.add_argument("--scale-factor", type=int, default=5,
                        help="the no-change tick and peak memory are also measured at this many times "
                        "--pages (default: 5)")
    parser.add_argument("--rate-limited-pages", type=int, default=None,
                        help="pages in the workspace of the rate-limited first sync (default: --pages / 10, "
                        "at least 10)")
    parser.add_argument("--min-words", type=int, default=60, help="fewest words of a generated page (default: 60)")
    parser.add_argument("--max-words", type=int, default=400, help="most words of a generated page (default: 400)")
    parser.add_argument("--long-page-fraction", type=float, default=0.0,
                        help="fraction of pages of 8,000 to 15,000 words (default: 0)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the workspaces and the edits (default: 1)")
    parser.add_argument("--profile", action="store_true",
                        help="also run one first sync under cProfile and report its top entries")
    parser.add_argument("--results", type=Path, default=Path(__file__).resolve().parent.parent / "BENCHMARKS.md",
                        help="markdown file whose result block is refreshed (default: BENCHMARKS.md)")
    parser.add_argument("--no-write", action="store_true", help="print the results without writing them")
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="keep workspaces, logs and stores here instead of a temporary directory")
    return parser.parse_args(argv)


def generate(directory: Path, pages: int, args: argparse.Namespace, seed: int) -> Path:
    generate_workspace(
        directory, pages, seed=seed, min_words=args.min_words, max_words=args.max_words,
        long_page_fraction=args.long_page_fraction,
    )
    return directory


def apply_edits(server: LocalNotionServer, prepared: PreparedWorkspace, seed: int) -> dict[str, list[str]]:
    """Edit one paragraph in 1% of the pages, add 0.5% new pages and trash 0.5% of them."""
    rng = random.Random(seed)
    total = len(prepared.pages)
    edit_count = max(1, round(total * EDITED_FRACTION))
    add_count = max(1, round(total * ADDED_FRACTION))
    trash_count = max(1, round(total * TRASHED_FRACTION))
    # Trashing a page also trashes its child pages and database rows, which would change more
    # pages than asked, so only leaf pages are trashed.
    editable = [page for page in prepared.pages if page.paragraph_ids]
    leaves = [page for page in editable if not page.has_child_objects]
    trashed = rng.sample(leaves, trash_count)
    edited = rng.sample([page for page in editable if page not in trashed], edit_count)

    for number, page in enumerate(edited):
        block_id = rng.choice(page.paragraph_ids)
        server.edit_block_text(block_id, f"Benchmark edit {number}: the on-call rota now lives in the "
                               "shared calendar, and every handover is written down before noon.")
    for page in trashed:
        server.trash_page(page.page_id)
    added = []
    for number in range(add_count):
        blocks = [builders.heading_block(2, f"Added section {number}")]
        for paragraph in range(6):
            words = " ".join(rng.choice(("deploy", "review", "queue", "owner", "budget", "alert", "runbook",
                                         "cluster", "latency", "release")) for _ in range(40))
            blocks.append(builders.paragraph_block(f"Paragraph {paragraph} of added page {number}: {words}."))
        added.append(server.add_page(f"Benchmark added page {number}", blocks))
    return {
        "edited": [page.page_id for page in edited],
        "added": added,
        "trashed": [page.page_id for page in trashed],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logger.setLevel(logging.INFO)
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="notion-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    report = Report(machine=describe_machine(), command=" ".join(["python benchmarks/bench_sync.py", *sys.argv[1:]]),
                    pages=args.pages)
    started = time.perf_counter()
    try:
        run_benchmark(args, work, report)
    finally:
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    report.total_seconds = time.perf_counter() - started
    text = report.render()
    print(text)
    if not args.no_write:
        write_results(args.results, text)
        print(f"\nResults written to {args.results}")
    return 0


def run_benchmark(args: argparse.Namespace, work: Path, report: Report) -> None:
    settings = Settings.load({"NOTION_TOKEN": TOKEN})
    embedder = Embedder.from_settings(settings)
    chunker = Chunker.from_settings(settings, embedder)

    logger.info("Generating %d pages and serving them", args.pages)
    server = LocalNotionServer(generate(work / "workspace", args.pages, args, args.seed), token=TOKEN).start()
    client = NotionClient(token=TOKEN, base_url=server.url)
    try:
        run_main_workspace(args, work, report, server, client, embedder, chunker)
    finally:
        client.close()
        server.stop()

    run_rate_limited(args, work, report, embedder, chunker)
    run_scaled(args, work, report)


def run_main_workspace(args, work, report, server, client, embedder, chunker) -> None:
    logger.info("Fetching, rendering and chunking every page (untimed for the floor)")
    with Stopwatch() as fetch_watch, RequestWindow(server) as prep_window:
        prepared = prepare_workspace(client, chunker)
    report.prepare_seconds = fetch_watch.seconds
    report.prepare_requests = prep_window.tally.total
    with RequestWindow(server) as listing_window:
        sum(1 for _ in list_pages(client))
    report.listing_requests = listing_window.tally.total
    logger.info("Timing the embedding floor over %d chunks", prepared.chunk_count)
    report.floor = measure_embedding_floor(embedder, prepared.chunk_texts)

    logger.info("First sync through Dagster, rate limit off")
    home = PipelineHome(work / "pipeline", server)
    report.first_sync = home.full_sync()
    if args.profile:
        logger.info("First sync again under cProfile, on a fresh home")
        profile_path = work / "first_sync.prof"
        PipelineHome(work / "pipeline_profiled", server).full_sync(profile_to=profile_path)
        report.profile = profile_summary(profile_path)

    logger.info("Naive baseline, first sync")
    naive = NaiveBaseline(client, chunker, embedder, work / "naive_qdrant")
    langchain = LangChainBaseline(client, chunker, embedder, work / "langchain")
    try:
        report.naive_first = timed_baseline(server, naive.sync)
        logger.info("LangChain baseline, first sync")
        report.langchain_first = timed_baseline(server, langchain.sync)

        logger.info("Sensor: reconciliation tick after the first sync, then a no-change tick")
        settle = home.tick(None)
        report.settle_tick = settle
        report.no_change_ticks[args.pages] = home.tick(settle.cursor)

        report.edits = apply_edits(server, prepared, args.seed)
        logger.info("Edits applied: %s", {kind: len(ids) for kind, ids in report.edits.items()})

        logger.info("Incremental sync: change tick and its runs")
        change_tick = home.tick(report.no_change_ticks[args.pages].cursor)
        report.change_tick = change_tick
        report.change_runs = home.execute_requested(change_tick)
        logger.info("Incremental sync: reconciliation tick (finds trashed pages) and its runs")
        reconcile_tick = home.tick(force_reconciliation(change_tick.cursor))
        report.reconcile_tick = reconcile_tick
        report.reconcile_runs = home.execute_requested(reconcile_tick)

        logger.info("Naive baseline, incremental")
        report.naive_incremental = timed_baseline(server, naive.sync)
        logger.info("LangChain baseline, incremental")
        report.langchain_incremental = timed_baseline(server, langchain.sync)
        report.langchain_stale_chunks = langchain.stale_chunks(report.edits["trashed"])
        report.new_page_chunks = count_new_page_chunks(client, chunker, report.edits["added"])
    finally:
        naive.close()
        langchain.close()


def count_new_page_chunks(client: NotionClient, chunker: Chunker, page_ids: list[str]) -> int:
    from notion_pipeline.notion.blocks import fetch_page
    from notion_pipeline.notion.render import render_page

    return sum(len(chunker.chunk(render_page(fetch_page(client, page_id), "default"))) for page_id in page_ids)


def timed_baseline(server: LocalNotionServer, sync) -> tuple:
    with Stopwatch() as watch, RequestWindow(server) as window:
        result = sync()
    return result, window.tally, watch.seconds


def run_rate_limited(args, work, report, embedder, chunker) -> None:
    pages = args.rate_limited_pages or max(10, args.pages // 10)
    logger.info("Rate-limited first sync over %d pages", pages)
    server = LocalNotionServer(generate(work / "workspace_rate_limited", pages, args, args.seed + 1),
                               token=TOKEN).start()
    client = NotionClient(token=TOKEN, base_url=server.url)
    try:
        prepared = prepare_workspace(client, chunker)
        report.rate_limited_floor = measure_embedding_floor(embedder, prepared.chunk_texts)
        server.set_rate_limit(SERVER_RATE_LIMIT, SERVER_BURST)
        server.set_faults(FaultSettings(latency_seconds=SERVER_LATENCY_SECONDS))
        home = PipelineHome(work / "pipeline_rate_limited", server, client_rate_limited=True)
        report.rate_limited_pages = pages
        report.rate_limited_sync = home.full_sync()
    finally:
        client.close()
        server.stop()


def run_scaled(args, work, report) -> None:
    pages = args.pages * args.scale_factor
    logger.info("Scaled workspace of %d pages: first sync, then a no-change tick", pages)
    server = LocalNotionServer(generate(work / "workspace_scaled", pages, args, args.seed + 2), token=TOKEN).start()
    try:
        home = PipelineHome(work / "pipeline_scaled", server)
        report.scaled_pages = pages
        report.scaled_sync = home.full_sync()
        settle = home.tick(None)
        report.no_change_ticks[pages] = home.tick(settle.cursor)
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
