"""Helpers for the fault, kill, concurrency and bad-input tests: environments, runs, point snapshots.

Every test builds its own data directory (SQLite ledger, Qdrant local store) and talks only to
servers it starts on 127.0.0.1, plus the Redis on 127.0.0.1:6379.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from qdrant_client import QdrantClient

from notion_pipeline.notion.generator import GeneratedWorkspace, generate_workspace
from notion_pipeline.notion.server import LocalNotionServer

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGSTER_BIN = Path(sys.executable).parent / "dagster"
COLLECTION = "notion_chunks"
VECTOR_TOLERANCE = 1e-6
FAULT_TOKEN = "secret_faultSuiteToken0123456789abcdef"

# Settings that a developer's shell may set and that would leak into a test run.
_PIPELINE_VARIABLES = (
    "NOTION_", "QDRANT_", "REDIS_URL", "MONGODB_", "EMBEDDING_", "CHUNK_", "SENSOR_",
    "RECONCILE_", "BACKFILL_", "FULL_SYNC_", "INDEX_CHECK_", "DAGSTER_HOME",
)

# Page counts of the generated fault workspace: the CI form and the long form (-m slow).
SHORT_PAGES = 12
LONG_PAGES = 200
WORKSPACE_SEED = 2024


@dataclass(frozen=True)
class StoredPoint:
    """One Qdrant point as scrolled back: both named vectors and the payload."""

    dense: tuple[float, ...]
    sparse_indices: tuple[int, ...]
    sparse_values: tuple[float, ...]
    payload: dict[str, Any]


def free_port() -> int:
    """Return a loopback TCP port that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sync_environment(data_dir: Path, server: LocalNotionServer, token: str = FAULT_TOKEN,
                     **extra: str) -> dict[str, str]:
    """Build the environment variables of one sync against ``server`` with its own data directory."""
    env = {
        "NOTION_BASE_URL": server.url,
        "NOTION_TOKEN": token,
        "NOTION_PIPELINE_DATA_DIR": str(data_dir),
        "NOTION_REQUESTS_PER_SECOND": "200",
        "NOTION_BURST": "50",
        "NOTION_MAX_RETRY_SECONDS": "600",
        "NOTION_PIPELINE_AUTOMATION": "off",
    }
    env.update(extra)
    return env


def apply_environment(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """Replace every pipeline setting in os.environ with ``env``."""
    for name in list(os.environ):
        if name.startswith(_PIPELINE_VARIABLES):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def subprocess_environment(env: dict[str, str], dagster_home: Path) -> dict[str, str]:
    """Build the full environment of a ``dagster job execute`` process with its own DAGSTER_HOME."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    full = {name: value for name, value in os.environ.items() if not name.startswith(_PIPELINE_VARIABLES)}
    full.update(env)
    full["DAGSTER_HOME"] = str(dagster_home)
    full["PYTHONUNBUFFERED"] = "1"
    return full


def start_job_process(env: dict[str, str], dagster_home: Path, log_path: Path,
                      job: str = "notion_full_sync") -> subprocess.Popen:
    """Start ``dagster job execute -m notion_pipeline.definitions -j <job>`` writing to ``log_path``."""
    log = log_path.open("wb")
    return subprocess.Popen(
        [str(DAGSTER_BIN), "job", "execute", "-m", "notion_pipeline.definitions", "-j", job],
        cwd=REPO_ROOT,
        env=subprocess_environment(env, dagster_home),
        stdout=log,
        stderr=subprocess.STDOUT,
        # Its own process group, so a kill reaches nothing else.
        start_new_session=True,
    )


def run_job_process(env: dict[str, str], dagster_home: Path, log_path: Path,
                    timeout: float = 300, job: str = "notion_full_sync") -> int:
    """Run the job in a ``dagster job execute`` process to the end and return its exit status."""
    process = start_job_process(env, dagster_home, log_path, job)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise


def run_full_sync(instance: dg.DagsterInstance | None = None) -> dg.ExecuteInProcessResult:
    """Run ``notion_full_sync`` in this process with the settings in os.environ."""
    from notion_pipeline.definitions import build_definitions
    from notion_pipeline.settings import Settings

    definitions = build_definitions(Settings.load())
    job = definitions.resolve_job_def("notion_full_sync")
    return job.execute_in_process(instance=instance or dg.DagsterInstance.ephemeral(), raise_on_error=False)


def snapshot_points(data_dir: Path, workspace_id: str | None = None) -> dict[str, StoredPoint]:
    """Scroll every point (with vectors) out of the Qdrant local store under ``data_dir``."""
    path = data_dir / "qdrant"
    if not path.exists():
        return {}
    client = QdrantClient(path=str(path))
    try:
        if not client.collection_exists(COLLECTION):
            return {}
        points: dict[str, StoredPoint] = {}
        offset = None
        while True:
            batch, offset = client.scroll(COLLECTION, limit=256, offset=offset,
                                          with_payload=True, with_vectors=True)
            for record in batch:
                payload = record.payload or {}
                if workspace_id is not None and payload.get("workspace_id") != workspace_id:
                    continue
                vectors = record.vector or {}
                sparse = vectors.get("sparse")
                points[str(record.id)] = StoredPoint(
                    dense=tuple(vectors.get("dense") or ()),
                    sparse_indices=tuple(sparse.indices) if sparse else (),
                    sparse_values=tuple(sparse.values) if sparse else (),
                    payload=payload,
                )
            if offset is None:
                return points
    finally:
        client.close()


def point_differences(actual: dict[str, StoredPoint], expected: dict[str, StoredPoint],
                      ignore_payload_keys: tuple[str, ...] = ()) -> list[str]:
    """List how ``actual`` differs from ``expected``: missing, extra, and changed points."""
    problems = [f"missing point {point_id}" for point_id in sorted(expected.keys() - actual.keys())]
    problems += [f"extra point {point_id}" for point_id in sorted(actual.keys() - expected.keys())]
    for point_id in sorted(expected.keys() & actual.keys()):
        got, want = actual[point_id], expected[point_id]
        got_payload = {k: v for k, v in got.payload.items() if k not in ignore_payload_keys}
        want_payload = {k: v for k, v in want.payload.items() if k not in ignore_payload_keys}
        if got_payload != want_payload:
            problems.append(f"point {point_id}: payload differs")
        if len(got.dense) != len(want.dense) or any(
            abs(a - b) > VECTOR_TOLERANCE for a, b in zip(got.dense, want.dense)
        ):
            problems.append(f"point {point_id}: dense vector differs")
        if got.sparse_indices != want.sparse_indices or any(
            abs(a - b) > VECTOR_TOLERANCE for a, b in zip(got.sparse_values, want.sparse_values)
        ):
            problems.append(f"point {point_id}: sparse vector differs")
    return problems


def ledger_for(data_dir: Path):
    """Open the SQLite ledger of a data directory."""
    from notion_pipeline.ledger.sqlite import SqliteLedger

    return SqliteLedger(data_dir / "ledger.sqlite3")


def index_check(data_dir: Path, workspace_id: str = "default"):
    """Run ``check_index`` on the ledger and the Qdrant local store of a data directory."""
    from notion_pipeline.consistency import check_index

    counts: dict[str, int] = {}
    for point in snapshot_points(data_dir, workspace_id).values():
        page_id = str(point.payload.get("page_id"))
        counts[page_id] = counts.get(page_id, 0) + 1
    ledger = ledger_for(data_dir)
    try:
        return check_index(ledger.list_pages(workspace_id), counts)
    finally:
        ledger.close()


@dataclass(frozen=True)
class ReferenceIndex:
    """A workspace and the points a fault-free full sync of it produced."""

    workspace: GeneratedWorkspace
    points: dict[str, StoredPoint]
    requests: int


def build_reference(root: Path, pages: int) -> ReferenceIndex:
    """Generate the fault workspace and index it once without faults, in this process."""
    workspace = generate_workspace(root / "workspace", pages, seed=WORKSPACE_SEED, min_words=30, max_words=120)
    data_dir = root / "reference-data"
    with LocalNotionServer(workspace.root, token=FAULT_TOKEN) as server, pytest.MonkeyPatch.context() as patch:
        apply_environment(patch, sync_environment(data_dir, server))
        result = run_full_sync()
        if not result.success:
            raise RuntimeError(f"The fault-free reference sync of {workspace.root} failed.")
        requests = server.request_count()
    return ReferenceIndex(workspace, snapshot_points(data_dir), requests)


@pytest.fixture(scope="session")
def reference_index(tmp_path_factory: pytest.TempPathFactory) -> ReferenceIndex:
    """The short-form fault workspace and its fault-free index, built once per session."""
    return build_reference(tmp_path_factory.mktemp("fault-reference"), SHORT_PAGES)


@pytest.fixture(scope="session")
def long_reference_index(tmp_path_factory: pytest.TempPathFactory) -> ReferenceIndex:
    """The long-form (200 pages) fault workspace and its fault-free index."""
    return build_reference(tmp_path_factory.mktemp("fault-reference-long"), LONG_PAGES)


@pytest.fixture
def fault_server(reference_index: ReferenceIndex) -> Iterator[LocalNotionServer]:
    """Serve the short-form fault workspace on a free loopback port, without faults yet."""
    with LocalNotionServer(reference_index.workspace.root, token=FAULT_TOKEN) as server:
        yield server
