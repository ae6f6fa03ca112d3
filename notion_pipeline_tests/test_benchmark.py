"""The sync benchmark (`benchmarks/bench_sync.py`) run end to end on a tiny workspace.

It checks what each phase counts, never how fast anything ran: speed belongs to the benchmark's
own report. Needs the `bench` extra (LangChain), which `make setup` installs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS_DIR = Path(__file__).resolve().parent.parent / "benchmarks"
PAGES = 8


@pytest.fixture(scope="module")
def bench_modules():
    pytest.importorskip("langchain_classic", reason="the benchmark needs the bench extra")
    sys.path.insert(0, str(BENCHMARKS_DIR))
    try:
        import bench_sync
        import measure
        import report

        yield bench_sync, measure, report
    finally:
        sys.path.remove(str(BENCHMARKS_DIR))


@pytest.fixture(scope="module")
def bench_report(bench_modules, tmp_path_factory: pytest.TempPathFactory):
    bench_sync, measure, report = bench_modules
    args = bench_sync.parse_args(
        ["--pages", str(PAGES), "--scale-factor", "2", "--rate-limited-pages", "3", "--no-write"]
    )
    result = report.Report(machine=measure.describe_machine(), command="test", pages=PAGES)
    bench_sync.run_benchmark(args, tmp_path_factory.mktemp("bench"), result)
    return result


def test_benchmark_first_sync_embeds_floor_chunks(bench_report):
    first = bench_report.first_sync
    assert bench_report.floor.chunks > 0
    assert first.counts.chunks_embedded == bench_report.floor.chunks
    assert first.counts.failed == 0
    assert first.process.peak_rss_mib > 0
    # The full sync reuses the listing's page objects, so it needs fewer requests than a fetch by id.
    assert first.requests.total < bench_report.prepare_requests


def test_benchmark_incremental_sync_counts(bench_report):
    edits = bench_report.edits
    assert len(edits["edited"]) == 1
    assert len(edits["added"]) == 1
    assert len(edits["trashed"]) == 1
    [change_run] = bench_report.change_runs
    assert change_run.counts.indexed == 2
    [reconcile_run] = bench_report.reconcile_runs
    assert reconcile_run.counts.removed == 1
    assert bench_report.reconcile_tick.requests.total == 0

    requests, chunks, _ = bench_report.incremental_totals()
    assert 0 < chunks <= 2 + bench_report.new_page_chunks
    naive, naive_requests, _ = bench_report.naive_incremental
    langchain, langchain_requests, _ = bench_report.langchain_incremental
    assert naive.chunks_embedded > chunks
    assert langchain.pages == naive.pages > 0
    assert requests < naive_requests.total
    assert requests < langchain_requests.total


def test_benchmark_no_change_tick_one_request(bench_report):
    assert sorted(bench_report.no_change_ticks) == [PAGES, 2 * PAGES]
    for tick in bench_report.no_change_ticks.values():
        assert tick.requests.total == 1
        assert tick.run_requests == []


def test_benchmark_rate_limited_run_counts(bench_report):
    limited = bench_report.rate_limited_sync
    assert bench_report.rate_limited_pages == 3
    assert limited.requests.succeeded > 0
    assert limited.counts.chunks_embedded == bench_report.rate_limited_floor.chunks


def test_benchmark_report_lists_every_target(bench_report):
    text = bench_report.render()
    for heading in ("### First sync", "### Incremental sync", "### Size independence", "### Targets"):
        assert heading in text
    target_rows = text.split("### Targets", 1)[1].count("\n| ") - 1
    assert target_rows == 11


def test_benchmark_results_replace_marked_block(bench_modules, tmp_path: Path):
    _, _, report = bench_modules
    results = tmp_path / "BENCHMARKS.md"
    results.write_text(
        f"# Title\n\nBefore.\n\n{report.RESULTS_START}\nold figures\n{report.RESULTS_END}\n\nAfter.\n",
        encoding="utf-8",
    )

    report.write_results(results, "new figures\n")

    text = results.read_text(encoding="utf-8")
    assert "old figures" not in text
    assert f"{report.RESULTS_START}\nnew figures\n{report.RESULTS_END}" in text
    assert text.startswith("# Title\n\nBefore.")
    assert text.endswith("After.\n")
