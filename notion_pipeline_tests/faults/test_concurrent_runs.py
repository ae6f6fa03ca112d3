"""Two syncs at once: the Qdrant local lock serialises them, and the Redis limit is shared."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from notion_pipeline.notion.redis_ratelimit import KEY_PREFIX
from notion_pipeline.notion.server import FaultSettings, LocalNotionServer
from notion_pipeline_tests.faults.conftest import (
    FAULT_TOKEN,
    REPO_ROOT,
    ReferenceIndex,
    index_check,
    point_differences,
    snapshot_points,
    start_job_process,
    subprocess_environment,
    sync_environment,
)

REDIS_URL = "redis://127.0.0.1:6379/0"
LISTED_MESSAGE = "Reconciling workspace default"
LOCK_WAIT_MESSAGE = "Waiting for another process to release Qdrant storage"
RATE = 20.0
BURST = 4

# Fetch pages through the product's client and shared limiter, starting at a given moment so
# that both processes send their requests at the same time.
_FETCH_SCRIPT = """
import sys, time
from notion_pipeline.notion.blocks import fetch_page
from notion_pipeline.notion.client import NotionClient
from notion_pipeline.notion.redis_ratelimit import build_rate_limiter
from notion_pipeline.settings import Settings

settings = Settings.load()
workspace_id = settings.workspaces[0].id
client = NotionClient.from_settings(
    settings, workspace_id, rate_limiter=build_rate_limiter(settings, workspace_id)
)
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
for page_id in sys.argv[2:]:
    fetch_page(client, page_id)
"""


@dataclass(frozen=True)
class ConcurrentRuns:
    """Exit statuses and logs of two full syncs started together, and their data directory."""

    statuses: tuple[int, int]
    logs: tuple[str, str]
    data_dir: Path


@pytest.fixture(scope="module")
def concurrent_runs(reference_index: ReferenceIndex,
                    tmp_path_factory: pytest.TempPathFactory) -> ConcurrentRuns:
    """Start two ``dagster job execute`` full syncs of one workspace at once and wait for both."""
    root = tmp_path_factory.mktemp("concurrent")
    data_dir = root / "data"
    # Latency stretches each run, so the second requests the Qdrant lock while the first has it.
    faults = FaultSettings(latency_seconds=0.05)
    with LocalNotionServer(reference_index.workspace.root, token=FAULT_TOKEN, faults=faults) as server:
        env = sync_environment(data_dir, server, REDIS_URL=REDIS_URL)
        first = start_job_process(env, root / "dagster_home", root / "run-0.log")
        # Two processes that create a fresh DAGSTER_HOME's SQLite storage at the same moment can
        # fail inside Dagster ("table ... already exists"), so the second starts once the first
        # has listed the workspace. It still requests the Qdrant lock while the first has it.
        deadline = time.monotonic() + 300
        while LISTED_MESSAGE not in (root / "run-0.log").read_text(errors="replace"):
            assert first.poll() is None, "the first run ended before it listed pages"
            assert time.monotonic() < deadline, "the first run did not list pages in 300 s"
            time.sleep(0.2)
        second = start_job_process(env, root / "dagster_home", root / "run-1.log")
        statuses = (first.wait(timeout=400), second.wait(timeout=400))
    logs = tuple((root / f"run-{index}.log").read_text(errors="replace") for index in (0, 1))
    return ConcurrentRuns(statuses, logs, data_dir)


def test_concurrent_runs_both_succeed(concurrent_runs: ConcurrentRuns) -> None:
    assert concurrent_runs.statuses == (0, 0), concurrent_runs.logs


def test_concurrent_run_waits_for_qdrant_lock(concurrent_runs: ConcurrentRuns) -> None:
    waited = [LOCK_WAIT_MESSAGE in log for log in concurrent_runs.logs]
    assert waited == [False, True]


def test_concurrent_runs_index_exact(concurrent_runs: ConcurrentRuns,
                                     reference_index: ReferenceIndex) -> None:
    assert point_differences(snapshot_points(concurrent_runs.data_dir), reference_index.points) == []


def test_concurrent_runs_index_check(concurrent_runs: ConcurrentRuns) -> None:
    report = index_check(concurrent_runs.data_dir)
    assert report.passed, report.describe()


def _max_requests_in_one_second(timestamps: list[float]) -> int:
    ordered = sorted(timestamps)
    maximum = 0
    end = 0
    for start, moment in enumerate(ordered):
        while end < len(ordered) and ordered[end] < moment + 1.0:
            end += 1
        maximum = max(maximum, end - start)
    return maximum


def test_shared_rate_limit_across_processes(reference_index: ReferenceIndex, tmp_path: Path) -> None:
    workspace_id = f"limit_{uuid.uuid4().hex[:12]}"
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(f"{KEY_PREFIX}{workspace_id}")
    page_ids = list(reference_index.workspace.page_ids)

    with LocalNotionServer(reference_index.workspace.root, token=FAULT_TOKEN) as server:
        env = sync_environment(
            tmp_path / "data", server, REDIS_URL=REDIS_URL, NOTION_WORKSPACE_ID=workspace_id,
            NOTION_REQUESTS_PER_SECOND=str(RATE), NOTION_BURST=str(BURST),
        )
        full_env = subprocess_environment(env, tmp_path / "dagster_home")
        start_at = str(time.time() + 6.0)
        processes = [
            subprocess.Popen([sys.executable, "-c", _FETCH_SCRIPT, start_at, *page_ids], cwd=REPO_ROOT,
                             env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            for _ in range(2)
        ]
        outputs = [process.communicate(timeout=300)[0].decode(errors="replace") for process in processes]
        timestamps = [record.timestamp for record in server.request_log]
    client.delete(f"{KEY_PREFIX}{workspace_id}")
    client.close()

    assert [process.returncode for process in processes] == [0, 0], outputs
    # Every sliding one-second window contains at most the rate plus the burst (one request of
    # slack for the server recording a request a moment after the limiter granted it).
    assert _max_requests_in_one_second(timestamps) <= RATE + BURST + 1
    # Two separate limits would finish in about half this time: the limit really was shared.
    assert max(timestamps) - min(timestamps) >= 0.8 * (len(timestamps) - BURST) / RATE
