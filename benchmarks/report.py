"""Turn the benchmark's measurements into a markdown block with ratios and target checks."""

from __future__ import annotations

import io
import pstats
from dataclasses import dataclass, field
from pathlib import Path

from baselines import BaselineSync
from measure import EmbeddingFloor, MachineInfo, RequestTally
from pipeline import JobRun, Tick

RESULTS_START = "<!-- bench-results:start -->"
RESULTS_END = "<!-- bench-results:end -->"
PROFILE_ENTRIES = 15

BaselineRun = tuple[BaselineSync, RequestTally, float]


@dataclass
class Report:
    """Everything one benchmark run measured; filled in phase by phase."""

    machine: MachineInfo
    command: str
    pages: int
    total_seconds: float = 0.0
    prepare_seconds: float = 0.0
    prepare_requests: int = 0
    listing_requests: int = 0
    floor: EmbeddingFloor | None = None
    first_sync: JobRun | None = None
    profile: str | None = None
    naive_first: BaselineRun | None = None
    langchain_first: BaselineRun | None = None
    settle_tick: Tick | None = None
    no_change_ticks: dict[int, Tick] = field(default_factory=dict)
    edits: dict[str, list[str]] = field(default_factory=dict)
    new_page_chunks: int = 0
    change_tick: Tick | None = None
    change_runs: list[JobRun] = field(default_factory=list)
    reconcile_tick: Tick | None = None
    reconcile_runs: list[JobRun] = field(default_factory=list)
    naive_incremental: BaselineRun | None = None
    langchain_incremental: BaselineRun | None = None
    langchain_stale_chunks: int = 0
    rate_limited_pages: int = 0
    rate_limited_floor: EmbeddingFloor | None = None
    rate_limited_sync: JobRun | None = None
    scaled_pages: int = 0
    scaled_sync: JobRun | None = None

    def render(self) -> str:
        """Build the markdown results block."""
        out = io.StringIO()
        write = out.write
        write(f"Command: `{self.command}`  \n")
        write(f"Machine: {self.machine.describe()}  \n")
        write(f"Benchmark wall time: {self.total_seconds:.0f} s\n\n")
        self._render_first_sync(write)
        self._render_incremental(write)
        self._render_scaling(write)
        self._render_targets(write)
        if self.profile:
            write("\ncProfile of a first sync (rate limit off), top entries by cumulative time:\n\n```\n")
            write(self.profile)
            write("```\n")
        return out.getvalue()

    def _render_first_sync(self, write) -> None:
        floor, first = self.floor, self.first_sync
        assert floor is not None and first is not None
        write("### First sync\n\n")
        write(f"Workspace: {self.pages} pages, {floor.chunks} chunks. Fetching, rendering and chunking "
              f"every page outside any timing took {self.prepare_seconds:.1f} s and "
              f"{self.prepare_requests} Notion requests.\n\n")
        write("| run | Notion requests | chunks embedded | wall s | chunks/s | ratio to floor |\n")
        write("|---|---:|---:|---:|---:|---:|\n")
        write(f"| embedding floor (`Embedder.embed`, batch {floor.batch_size}) | 0 | {floor.chunks} | "
              f"{floor.seconds:.1f} | {floor.chunks_per_second:.1f} | 1.00 |\n")
        rate = first.counts.chunks_embedded / first.process.wall_seconds
        write(f"| pipeline: `dagster job execute notion_full_sync` | {first.requests.total} | "
              f"{first.counts.chunks_embedded} | {first.process.wall_seconds:.1f} | {rate:.1f} | "
              f"{rate / floor.chunks_per_second:.2f} |\n")
        inner = first.counts.chunks_embedded / first.counts.sync_seconds if first.counts.sync_seconds else 0.0
        write(f"| pipeline, sync step only (from its log) | | | {first.counts.sync_seconds:.1f} | "
              f"{inner:.1f} | {inner / floor.chunks_per_second:.2f} |\n")
        for name, run in (("naive baseline", self.naive_first), ("LangChain `index()`", self.langchain_first)):
            assert run is not None
            result, requests, seconds = run
            baseline_rate = result.chunks_embedded / seconds
            write(f"| {name} | {requests.total} | {result.chunks_embedded} | {seconds:.1f} | "
                  f"{baseline_rate:.1f} | {baseline_rate / floor.chunks_per_second:.2f} |\n")

        limited, limited_floor = self.rate_limited_sync, self.rate_limited_floor
        assert limited is not None and limited_floor is not None
        needed = limited.requests.succeeded
        request_floor = needed / 3.0
        larger = max(limited_floor.seconds, request_floor)
        write(f"\nRate-limited first sync on a separate {self.rate_limited_pages}-page workspace "
              "(server: 3 requests/s, burst 3, 100 ms per request; client: default 3 requests/s): "
              f"{limited.process.wall_seconds:.1f} s wall, {needed} requests answered, "
              f"{limited.requests.rate_limited} answered 429, {limited.counts.chunks_embedded} chunks. "
              f"Floors: embedding {limited_floor.seconds:.1f} s, requests {needed} / 3 per s = "
              f"{request_floor:.1f} s; ratio to the larger floor "
              f"**{limited.process.wall_seconds / larger:.2f}**.\n\n")

    def incremental_totals(self) -> tuple[int, int, float]:
        """Return our incremental sync's requests, chunks embedded and wall seconds (both ticks and their runs)."""
        ticks = [tick for tick in (self.change_tick, self.reconcile_tick) if tick is not None]
        runs = [*self.change_runs, *self.reconcile_runs]
        requests = sum(tick.requests.total for tick in ticks) + sum(run.requests.total for run in runs)
        chunks = sum(run.counts.chunks_embedded for run in runs)
        seconds = sum(tick.seconds for tick in ticks) + sum(run.process.wall_seconds for run in runs)
        return requests, chunks, seconds

    def requests_per_page(self) -> float:
        """Return the average requests to fetch one page from its id: the page object and its blocks."""
        return (self.prepare_requests - self.listing_requests) / max(1, self.pages)

    def same_minute_refetches(self) -> int:
        """Count the pages the reconciliation run fetched again after the change run synced them.

        Notion reports ``last_edited_time`` to the minute. A page synced within the minute of its
        edit could have been edited again unseen, so the next listing fetches it once more.
        """
        return sum(run.counts.listed_to_index for run in self.reconcile_runs)

    def _render_incremental(self, write) -> None:
        change, reconcile = self.change_tick, self.reconcile_tick
        assert change is not None and reconcile is not None
        edited, added, trashed = (len(self.edits.get(kind, [])) for kind in ("edited", "added", "trashed"))
        write("### Incremental sync\n\n")
        write(f"Edits: one paragraph in {_pages(edited)}, {_pages(added)} added ({self.new_page_chunks} chunks), "
              f"{_pages(trashed)} trashed. The change tick lists pages edited since its cursor with one "
              "search. Search leaves out trashed pages, so they are found by the next reconciliation "
              "(every RECONCILE_INTERVAL_SECONDS, forced here by resetting the cursor's last "
              "reconciliation): that tick requests one run, which lists the whole workspace "
              f"({self.listing_requests} requests) and syncs what changed.\n\n")

        write("| step | Notion requests | chunks embedded | wall s | pages to index / remove |\n")
        write("|---|---:|---:|---:|---|\n")
        for name, tick, runs in (("change tick", change, self.change_runs),
                                 ("reconciliation tick", reconcile, self.reconcile_runs)):
            write(f"| {name} | {tick.requests.total} | 0 | {tick.seconds:.2f} | "
                  f"{tick.pages_to_index} / {tick.pages_to_remove} |\n")
            for number, run in enumerate(runs, start=1):
                write(f"| {name}, run {number} (`dagster job execute`, sync step {run.counts.sync_seconds:.1f} s) | "
                      f"{run.requests.total} | {run.counts.chunks_embedded} | {run.process.wall_seconds:.1f} | "
                      f"{run.counts.indexed} indexed, {run.counts.unchanged} unchanged, "
                      f"{run.counts.removed} removed |\n")

        requests, chunks, seconds = self.incremental_totals()
        write(f"| **pipeline total** | **{requests}** | **{chunks}** | **{seconds:.1f}** | |\n")
        for name, run in (("naive baseline", self.naive_incremental),
                          ("LangChain `index()`, cleanup=incremental", self.langchain_incremental)):
            assert run is not None
            result, tally, baseline_seconds = run
            write(f"| {name} | {tally.total} | {result.chunks_embedded} | {baseline_seconds:.1f} | "
                  f"{result.pages} pages loaded, {result.chunks_deleted} chunks deleted |\n")
        write(f"\nLangChain's incremental cleanup left {self.langchain_stale_chunks} chunks of the trashed "
              "pages in its index (it only cleans sources it loads again).\n\n")
        refetched = self.same_minute_refetches()
        if refetched:
            write(f"The reconciliation run fetched {refetched} pages again because the change run had "
                  "synced them within the minute of their edit: Notion reports `last_edited_time` to "
                  "the minute, so a second edit in that minute would otherwise go unseen.\n\n")
        naive_requests = self.naive_incremental[1].total if self.naive_incremental else 0
        langchain_requests = self.langchain_incremental[1].total if self.langchain_incremental else 0
        write("The local server answers without a rate limit here. Against Notion's average of 3 "
              "requests/s, the requests alone would take at least "
              f"{requests / 3:.0f} s for the pipeline, {naive_requests / 3:.0f} s for the naive baseline "
              f"and {langchain_requests / 3:.0f} s for LangChain (a lower bound computed from the "
              "request counts, not measured).\n\n")

    def _render_scaling(self, write) -> None:
        write("### Size independence\n\n")
        write("| workspace pages | no-change tick requests | no-change tick s | first sync peak RSS MiB | "
              "first sync wall s | chunks |\n")
        write("|---:|---:|---:|---:|---:|---:|\n")
        for pages, run in ((self.pages, self.first_sync), (self.scaled_pages, self.scaled_sync)):
            tick = self.no_change_ticks.get(pages)
            assert tick is not None and run is not None
            write(f"| {pages} | {tick.requests.total} | {tick.seconds:.2f} | {run.process.peak_rss_mib:.0f} | "
                  f"{run.process.wall_seconds:.1f} | {run.counts.chunks_embedded} |\n")
        write("\nPeak RSS is the largest sum over the `dagster job execute` process tree, polled every 50 ms.\n\n")

    def _render_targets(self, write) -> None:
        floor, first, limited = self.floor, self.first_sync, self.rate_limited_sync
        assert floor is not None
        assert first is not None
        assert limited is not None
        assert self.rate_limited_floor is not None
        assert self.settle_tick is not None
        assert self.naive_incremental is not None
        assert self.langchain_incremental is not None
        assert self.scaled_sync is not None
        rows: list[tuple[str, str, str, bool]] = []

        ratio = first.counts.chunks_embedded / first.process.wall_seconds / floor.chunks_per_second
        rows.append(("first sync, rate limit off: chunks/s vs floor", ">= 0.80", f"{ratio:.2f}", ratio >= 0.8))

        larger = max(self.rate_limited_floor.seconds, limited.requests.succeeded / 3.0)
        limited_ratio = limited.process.wall_seconds / larger
        rows.append(("first sync, 3 requests/s: wall vs larger floor", "<= 1.15", f"{limited_ratio:.2f}",
                     limited_ratio <= 1.15))

        requests, chunks, seconds = self.incremental_totals()
        per_page = self.requests_per_page()
        changed = len(self.edits["edited"]) + len(self.edits["added"])
        # The constant is the change tick's search plus the reconciliation's full listing.
        constant = 1 + self.listing_requests
        request_bound = changed * per_page + constant
        refetched = self.same_minute_refetches()
        refetch_requests = sum(run.requests.total for run in self.reconcile_runs) - self.listing_requests
        measured = str(requests)
        if refetched:
            measured += f" ({requests - refetch_requests} without the {refetched} same-minute refetches)"
        rows.append((f"incremental requests vs {changed} changed pages x {per_page:.1f} requests/page "
                     f"+ {constant} for listings", f"<= {request_bound:.1f}", measured,
                     requests <= request_bound))
        chunk_bound = 2 * len(self.edits["edited"]) + self.new_page_chunks
        rows.append(("incremental chunks embedded", f"<= {chunk_bound}", str(chunks), chunks <= chunk_bound))
        for name, run in (("naive", self.naive_incremental), ("LangChain", self.langchain_incremental)):
            result, _, baseline_seconds = run
            chunk_ratio = result.chunks_embedded / max(1, chunks)
            time_ratio = baseline_seconds / seconds
            rows.append((f"incremental chunks embedded, {name} / ours", ">= 10", f"{chunk_ratio:.1f}",
                         chunk_ratio >= 10))
            rows.append((f"incremental wall time, {name} / ours", ">= 5", f"{time_ratio:.2f}", time_ratio >= 5))

        for pages, tick in sorted(self.no_change_ticks.items()):
            rows.append((f"no-change tick requests at {pages} pages", "1", str(tick.requests.total),
                         tick.requests.total == 1))
        small, large = first.process.peak_rss_mib, self.scaled_sync.process.peak_rss_mib
        growth = large / small - 1
        rows.append((f"peak RSS {self.scaled_pages} vs {self.pages} pages", "within 10%", f"{growth:+.1%}",
                     abs(growth) <= 0.10))

        write("### Targets\n\n| target | expected | measured | met |\n|---|---|---|---|\n")
        for name, expected, measured, met in rows:
            write(f"| {name} | {expected} | {measured} | {'met' if met else '**missed**'} |\n")


def _pages(count: int) -> str:
    return f"{count} page" if count == 1 else f"{count} pages"


def profile_summary(path: Path) -> str:
    """Return the top entries of a cProfile file by cumulative time."""
    buffer = io.StringIO()
    stats = pstats.Stats(str(path), stream=buffer)
    stats.strip_dirs().sort_stats("cumulative").print_stats(PROFILE_ENTRIES)
    lines = [line for line in buffer.getvalue().splitlines() if line.strip()]
    return "\n".join(lines[-(PROFILE_ENTRIES + 1):]) + "\n"


def write_results(path: Path, block: str) -> None:
    """Replace the text between the result markers of ``path``, or append a marked block."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    marked = f"{RESULTS_START}\n{block.rstrip()}\n{RESULTS_END}"
    if RESULTS_START in text and RESULTS_END in text:
        head, rest = text.split(RESULTS_START, 1)
        _, tail = rest.split(RESULTS_END, 1)
        text = head + marked + tail
    else:
        text = text.rstrip() + "\n\n## Latest results\n\n" + marked + "\n"
    path.write_text(text, encoding="utf-8")
