"""Measuring helpers for the sync benchmark: machine facts, timed subprocesses, workspace preparation.

Wall times come from ``time.perf_counter`` and peak memory from polling the process tree with psutil.
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil

from notion_pipeline.indexing.chunking import Chunker
from notion_pipeline.indexing.embedding import Embedder
from notion_pipeline.notion.blocks import fetch_page
from notion_pipeline.notion.client import NotionClient
from notion_pipeline.notion.listing import list_pages
from notion_pipeline.notion.models import Block, plain_text
from notion_pipeline.notion.render import render_page
from notion_pipeline.notion.server import LocalNotionServer

RSS_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class MachineInfo:
    """The machine a benchmark ran on, as the report prints it."""

    cpu_model: str
    cores: int
    memory_gib: float
    python: str
    date: str

    def describe(self) -> str:
        return (
            f"{self.cpu_model}, {self.cores} cores, {self.memory_gib:.1f} GiB memory, "
            f"Python {self.python}, {self.date}"
        )


def describe_machine() -> MachineInfo:
    """Read the CPU model from /proc/cpuinfo and the core count and memory from psutil."""
    cpu_model = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    return MachineInfo(
        cpu_model=cpu_model,
        cores=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0,
        memory_gib=psutil.virtual_memory().total / 2**30,
        python=platform.python_version(),
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


@dataclass(frozen=True)
class ProcessRun:
    """One timed subprocess: wall time from spawn to exit and the peak RSS of its process tree."""

    command: list[str]
    returncode: int
    wall_seconds: float
    peak_rss_bytes: int
    log_path: Path

    @property
    def peak_rss_mib(self) -> float:
        return self.peak_rss_bytes / 2**20

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def run_measured(command: list[str], env: dict[str, str], log_path: Path, cwd: Path | None = None) -> ProcessRun:
    """Run ``command`` to completion, polling the RSS of its whole process tree.

    The peak is the largest sum over the tree seen at one poll, every ``RSS_POLL_SECONDS``,
    so a spike shorter than the poll interval can be missed.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    peak = 0
    with log_path.open("wb") as log:
        started = time.perf_counter()
        popen = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        watched = psutil.Process(popen.pid)
        while popen.poll() is None:
            peak = max(peak, _tree_rss(watched))
            time.sleep(RSS_POLL_SECONDS)
        wall = time.perf_counter() - started
    return ProcessRun(command, popen.returncode, wall, peak, log_path)


@dataclass(frozen=True)
class RequestTally:
    """Notion API requests the local server recorded during one phase."""

    total: int
    succeeded: int
    rate_limited: int
    by_endpoint: dict[str, int] = field(default_factory=dict)


def tally_requests(server: LocalNotionServer) -> RequestTally:
    """Count the requests in the server's log by status and endpoint (ids stripped)."""
    records = server.request_log
    endpoints: Counter[str] = Counter()
    for record in records:
        parts = record.path.strip("/").split("/")
        endpoints[f"{record.method} /{'/'.join(parts[:2])}"] += 1
    return RequestTally(
        total=len(records),
        succeeded=sum(1 for record in records if record.status == 200),
        rate_limited=sum(1 for record in records if record.status == 429),
        by_endpoint=dict(endpoints),
    )


class RequestWindow:
    """Count the server's requests between ``__enter__`` and ``__exit__``."""

    def __init__(self, server: LocalNotionServer) -> None:
        self.server = server
        self.tally = RequestTally(0, 0, 0)

    def __enter__(self) -> RequestWindow:
        self.server.reset_request_log()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.tally = tally_requests(self.server)


@dataclass
class PreparedPage:
    """One page rendered and chunked outside any timing, for the embedding floor and the edits."""

    page_id: str
    title: str
    chunk_texts: list[str]
    paragraph_ids: list[str]
    has_child_objects: bool


@dataclass
class PreparedWorkspace:
    """Every live page of a served workspace, rendered and chunked."""

    pages: list[PreparedPage]

    @property
    def chunk_texts(self) -> list[str]:
        return [text for page in self.pages for text in page.chunk_texts]

    @property
    def chunk_count(self) -> int:
        return sum(len(page.chunk_texts) for page in self.pages)


def _paragraph_ids(blocks: list[Block] | tuple[Block, ...]) -> list[str]:
    found: list[str] = []
    for block in blocks:
        if block.type == "paragraph" and plain_text(block.rich_text).strip():
            found.append(block.id)
        found.extend(_paragraph_ids(block.children))
    return found


def _has_child_objects(blocks: list[Block] | tuple[Block, ...]) -> bool:
    return any(
        block.type in ("child_page", "child_database") or _has_child_objects(block.children)
        for block in blocks
    )


def prepare_workspace(
    client: NotionClient, chunker: Chunker, workspace_id: str = "default"
) -> PreparedWorkspace:
    """Fetch, render and chunk every listed live page, as the sync would, without timing it."""
    pages: list[PreparedPage] = []
    for summary in list_pages(client):
        if summary.in_trash:
            continue
        fetched = fetch_page(client, summary.id)
        document = render_page(fetched, workspace_id)
        chunks = chunker.chunk(document)
        pages.append(
            PreparedPage(
                page_id=summary.id,
                title=document.title,
                chunk_texts=[chunk.text for chunk in chunks],
                paragraph_ids=_paragraph_ids(fetched.blocks),
                has_child_objects=_has_child_objects(fetched.blocks),
            )
        )
    return PreparedWorkspace(pages)


@dataclass(frozen=True)
class EmbeddingFloor:
    """Time to embed a fixed list of chunk texts in one call: the embedding floor of a sync."""

    chunks: int
    seconds: float
    batch_size: int

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds if self.seconds > 0 else float("inf")


def measure_embedding_floor(embedder: Embedder, texts: list[str]) -> EmbeddingFloor:
    """Time ``Embedder.embed`` over ``texts`` after one warm-up batch outside the timing."""
    embedder.embed(texts[: embedder.batch_size])
    started = time.perf_counter()
    embedder.embed(texts)
    seconds = time.perf_counter() - started
    return EmbeddingFloor(len(texts), seconds, embedder.batch_size)


class Stopwatch:
    """Measure the wall time of a ``with`` block in seconds."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __enter__(self) -> Stopwatch:
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.seconds = time.perf_counter() - self._started
