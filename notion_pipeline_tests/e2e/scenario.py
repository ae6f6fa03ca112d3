"""Run the pipeline as a user does: the Dagster daemon and webserver as processes, a local Notion.

``DagsterDeployment`` starts both processes on a temporary DAGSTER_HOME with a given instance
configuration (the embedded dagster.yaml, or deploy/dagster.yaml on PostgreSQL), so the same
scenario runs against either.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], object], *, timeout: float, interval: float = 1.0, what: str) -> object:
    """Poll ``condition`` until it returns something truthy; fail with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@dataclass
class DagsterDeployment:
    """A running daemon and webserver on one DAGSTER_HOME, with helpers to drive and observe them."""

    home: Path
    env: dict[str, str]
    webserver_port: int
    logs: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def instance(self) -> dg.DagsterInstance:
        return dg.DagsterInstance.from_config(str(self.home))

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """Run a command from the project's virtual environment with the deployment's environment."""
        command = [str(BIN / args[0]), *args[1:]]
        return subprocess.run(
            command, cwd=PROJECT_ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode("utf-8")
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.webserver_port}/graphql",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = json.loads(response.read())
        if payload.get("errors"):
            raise AssertionError(f"GraphQL errors: {payload['errors']}")
        return payload["data"]

    def runs(self, **filters: object) -> list[dg.DagsterRun]:
        with self.instance() as instance:
            return list(instance.get_runs(dg.RunsFilter(**filters)))

    def wait_for_runs_done(self, *, timeout: float, **filters: object) -> list[dg.DagsterRun]:
        """Wait until every run matching ``filters`` has finished, and there is at least one."""

        def finished() -> list[dg.DagsterRun] | None:
            runs = self.runs(**filters)
            if runs and all(run.is_finished for run in runs):
                return runs
            return None

        return wait_for(finished, timeout=timeout, what=f"runs {filters} to finish")  # type: ignore[return-value]

    def log_tail(self) -> str:
        parts = []
        for path in sorted(self.logs.glob("*.log")):
            text = path.read_text(errors="replace")
            parts.append(f"--- {path.name} ---\n{text[-4000:]}")
        return "\n".join(parts)


@contextmanager
def dagster_deployment(
    instance_yaml: Path, env: dict[str, str], tmp_path: Path
) -> Iterator[DagsterDeployment]:
    """Start ``dagster-webserver`` and ``dagster-daemon`` on a fresh DAGSTER_HOME."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(instance_yaml, home / "dagster.yaml")
    logs = tmp_path / "logs"
    logs.mkdir()
    full_env = {**os.environ, **env, "DAGSTER_HOME": str(home)}
    port = free_port()
    deployment = DagsterDeployment(home=home, env=full_env, webserver_port=port, logs=logs)
    workspace = str(PROJECT_ROOT / "workspace.yaml")
    commands = {
        "webserver": [str(BIN / "dagster-webserver"), "-w", workspace, "-h", "127.0.0.1", "-p", str(port)],
        "daemon": [str(BIN / "dagster-daemon"), "run", "-w", workspace],
    }
    # Create the storage schema once, before two processes race to migrate the same SQLite files.
    with deployment.instance() as instance:
        instance.get_runs(limit=1)
        instance.all_instigator_state()
        instance.get_dynamic_partitions("notion_pages_bootstrap")
    try:
        for name, command in commands.items():
            handle = (logs / f"{name}.log").open("w")
            deployment.processes.append(
                subprocess.Popen(
                    command, cwd=PROJECT_ROOT, env=full_env, stdout=handle, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

        def webserver_ready() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5):
                    return True
            except OSError:
                return False

        wait_for(webserver_ready, timeout=240, what="the Dagster webserver")
        yield deployment
    finally:
        # Each process runs in its own session, so signalling the group also stops the gRPC code
        # servers and run workers it started, which would otherwise outlive the test.
        for process in deployment.processes:
            _signal_group(process, signal.SIGTERM)
        for process in deployment.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
        time.sleep(2)
        for process in deployment.processes:
            _signal_group(process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass
