"""Drive the pipeline as a user does: `dagster job execute` subprocesses and change-sensor ticks.

Each ``PipelineHome`` is a fresh DAGSTER_HOME and data directory (SQLite ledger, local Qdrant)
pointed at one local Notion server. Sensor ticks are evaluated in the benchmark process with
``dg.build_sensor_context``, as the daemon would evaluate them, and the runs they request are
executed as `dagster job execute` subprocesses, as the daemon would launch them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from measure import ProcessRun, RequestTally, RequestWindow, run_measured
from notion_pipeline.notion.server import LocalNotionServer

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
WORKSPACE_ID = "default"
TOKEN = "benchmark-token"
# Settings that would change what is measured if inherited from the caller's shell.
_CLEARED_PREFIXES = (
    "NOTION_", "QDRANT_", "MONGODB_", "REDIS_", "DAGSTER_", "EMBEDDING_", "SENSOR_",
    "RECONCILE_", "BACKFILL_", "CHUNK_",
)
_RECONCILING_LINE = re.compile(r"Reconciling workspace \S+: (\d+) pages listed, (\d+) to index")
_FINISHED_LINE = re.compile(
    r"Finished syncing workspace \S+ in ([\d.]+) s: (\d+) indexed, (\d+) unchanged, (\d+) removed, "
    r"(\d+) failed, (\d+) chunks embedded"
)


@dataclass
class SyncCountsFromLog:
    """Totals read from the 'Finished syncing' lines of a run's log."""

    sync_seconds: float = 0.0
    indexed: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    chunks_embedded: int = 0
    listed_to_index: int = 0
    """Pages a reconciliation's listing sent to be fetched (new, edited or synced within their edit's minute)."""

    @classmethod
    def parse(cls, log_text: str) -> SyncCountsFromLog:
        counts = cls()
        for match in _RECONCILING_LINE.finditer(log_text):
            counts.listed_to_index += int(match.group(2))
        for match in _FINISHED_LINE.finditer(log_text):
            counts.sync_seconds += float(match.group(1))
            counts.indexed += int(match.group(2))
            counts.unchanged += int(match.group(3))
            counts.removed += int(match.group(4))
            counts.failed += int(match.group(5))
            counts.chunks_embedded += int(match.group(6))
        return counts


@dataclass
class JobRun:
    """One `dagster job execute` subprocess with its Notion requests and its sync totals."""

    process: ProcessRun
    requests: RequestTally
    counts: SyncCountsFromLog


@dataclass
class Tick:
    """One evaluation of the change sensor."""

    seconds: float
    requests: RequestTally
    cursor: str | None
    run_requests: list[dg.RunRequest] = field(default_factory=list)
    pages_to_index: int = 0
    pages_to_remove: int = 0


@contextlib.contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    """Replace the pipeline's settings in ``os.environ`` for the duration of a block."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(_CLEARED_PREFIXES):
            del os.environ[name]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class PipelineHome:
    """A fresh DAGSTER_HOME and data directory for one workspace served by ``server``."""

    def __init__(self, root: Path, server: LocalNotionServer, *, client_rate_limited: bool = False) -> None:
        self.root = root
        self.server = server
        self.dagster_home = root / "dagster_home"
        self.data_dir = root / "data"
        self.logs = root / "logs"
        for directory in (self.dagster_home, self.data_dir, self.logs):
            directory.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPOSITORY_ROOT / "dagster.yaml", self.dagster_home / "dagster.yaml")
        self.settings_env = {
            "DAGSTER_HOME": str(self.dagster_home),
            "NOTION_BASE_URL": server.url,
            "NOTION_TOKEN": TOKEN,
            "NOTION_PIPELINE_DATA_DIR": str(self.data_dir),
            "NOTION_PIPELINE_AUTOMATION": "off",
        }
        if not client_rate_limited:
            # A client limit far above the rate the local server answers at, so the client limiter is not the bottleneck.
            self.settings_env["NOTION_REQUESTS_PER_SECOND"] = "10000"
            self.settings_env["NOTION_BURST"] = "10000"
        self._run_number = 0

    def _process_env(self) -> dict[str, str]:
        env = {name: value for name, value in os.environ.items() if not name.startswith(_CLEARED_PREFIXES)}
        env.update(self.settings_env)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        return env

    def execute_job(self, job_name: str, run_config: dict | None = None, *, profile_to: Path | None = None) -> JobRun:
        """Run ``dagster job execute`` for one job and count its requests, chunks and memory."""
        self._run_number += 1
        command = [str(Path(sys.executable).parent / "dagster")]
        if profile_to is not None:
            command = [sys.executable, "-m", "cProfile", "-o", str(profile_to), command[0]]
        command += ["job", "execute", "-m", "notion_pipeline.definitions", "-j", job_name]
        if run_config:
            config_path = self.root / f"run_config_{self._run_number}.json"
            config_path.write_text(json.dumps(run_config), encoding="utf-8")
            command += ["-c", str(config_path)]
        log_path = self.logs / f"{self._run_number:02d}_{job_name}.log"
        with RequestWindow(self.server) as window:
            process = run_measured(command, self._process_env(), log_path, cwd=REPOSITORY_ROOT)
        if process.returncode != 0:
            tail = "\n".join(process.log_text().splitlines()[-30:])
            raise RuntimeError(f"`{' '.join(command)}` exited with {process.returncode}; log {log_path}:\n{tail}")
        return JobRun(process, window.tally, SyncCountsFromLog.parse(process.log_text()))

    def full_sync(self, *, profile_to: Path | None = None) -> JobRun:
        return self.execute_job("notion_full_sync", profile_to=profile_to)

    def tick(self, cursor: str | None) -> Tick:
        """Evaluate the workspace's change sensor once, from ``cursor``, in this process."""
        with patched_environ(self.settings_env):
            from notion_pipeline.defs.resources import build_resources
            from notion_pipeline.definitions import build_definitions
            from notion_pipeline.settings import Settings

            definitions = build_definitions(Settings.load())
            sensor = definitions.resolve_sensor_def(f"notion_changes_{WORKSPACE_ID}")
            instance = dg.DagsterInstance.from_config(str(self.dagster_home))
            try:
                with dg.build_sensor_context(
                    instance=instance, cursor=cursor, resources=build_resources()
                ) as context:
                    with RequestWindow(self.server) as window:
                        started = time.perf_counter()
                        data = sensor.evaluate_tick(context)
                        seconds = time.perf_counter() - started
            finally:
                instance.dispose()

        run_requests = list(data.run_requests or [])
        to_index = to_remove = 0
        for request in run_requests:
            op_config = next(iter(request.run_config["ops"].values()))["config"]
            to_index += len(op_config.get("page_ids", []))
            to_remove += len(op_config.get("removals", []))
        return Tick(seconds, window.tally, data.cursor, run_requests, to_index, to_remove)

    def execute_requested(self, tick: Tick) -> list[JobRun]:
        """Execute every run a tick requested, one subprocess each, as the daemon would launch them."""
        job_name = f"notion_sync_pages_{WORKSPACE_ID}"
        return [self.execute_job(job_name, request.run_config) for request in tick.run_requests]


def force_reconciliation(cursor: str | None) -> str | None:
    """Return the cursor with its last reconciliation moved to the epoch, so the next tick reconciles."""
    if cursor is None:
        return None
    values = json.loads(cursor)
    values["last_reconciled"] = 0.0
    return json.dumps(values, sort_keys=True)
