"""Fixtures for the deployment tests: a throwaway PostgreSQL database and Dagster processes.

The tests run Dagster as a deployment does, as separate processes (daemon, code server,
webserver, `dagster job launch`), all bound to loopback and logging to files under tmp_path.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest
import redis

from notion_pipeline.events import stream_key
from notion_pipeline.notion.generator import GeneratedWorkspace, generate_workspace
from notion_pipeline.notion.server import LocalNotionServer
from notion_pipeline_tests.conftest import LOCAL_NOTION_TOKEN

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DIR = REPO_ROOT / "deploy"
BIN_DIR = Path(sys.executable).parent
POSTGRES_HOST = os.environ.get("NOTION_PIPELINE_TEST_PG_HOST", "127.0.0.1")
POSTGRES_PORT = int(os.environ.get("NOTION_PIPELINE_TEST_PG_PORT", "5432"))
POSTGRES_USERS = ("postgres", "root")
REDIS_URL = os.environ.get("NOTION_PIPELINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

# Settings of the developer's shell that would point the processes under test elsewhere.
INHERITED_SETTINGS = (
    "NOTION_PIPELINE_CONFIG", "NOTION_WORKSPACES", "QDRANT_URL", "QDRANT_PATH", "MONGODB_URI",
    "NOTION_PIPELINE_SQLITE_PATH", "DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER",
    "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB",
)


@dataclass(frozen=True)
class PostgresDatabase:
    """A database created for one test, with the settings deploy/dagster.yaml reads."""

    host: str
    port: int
    user: str
    name: str

    def dagster_env(self) -> dict[str, str]:
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            # The test server trusts loopback connections, so the password is empty.
            "DAGSTER_PG_PASSWORD": "",
            "DAGSTER_PG_DB": self.name,
        }


def _admin_connection():
    """Connect to the maintenance database as the first user the server accepts, else None."""
    import psycopg2

    for user in POSTGRES_USERS:
        try:
            connection = psycopg2.connect(
                host=POSTGRES_HOST, port=POSTGRES_PORT, user=user, dbname="postgres", connect_timeout=3
            )
        except psycopg2.OperationalError:
            continue
        connection.autocommit = True
        return connection
    return None


@pytest.fixture(scope="module")
def local_workspace(tmp_path_factory: pytest.TempPathFactory) -> GeneratedWorkspace:
    """Generate ten short pages, so each run worker spends its time on Dagster, not on embedding.

    It replaces the shared 40-page workspace for the ``notion_server`` fixture in this package.
    """
    root = tmp_path_factory.mktemp("deploy_workspace")
    return generate_workspace(root, 10, seed=11, long_page_fraction=0.0, min_words=40, max_words=120)


@pytest.fixture
def postgres_database() -> Iterator[PostgresDatabase]:
    """Create an empty database for one test and drop it afterwards."""
    try:
        connection = _admin_connection()
    except ImportError as error:
        pytest.skip(f"psycopg2 cannot be imported ({error}); install psycopg2-binary>=2.9")
    if connection is None:
        pytest.skip(
            f"PostgreSQL is not reachable at {POSTGRES_HOST}:{POSTGRES_PORT} as any of "
            f"{', '.join(POSTGRES_USERS)}"
        )
    user = connection.info.user
    name = f"notion_pipeline_test_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PostgresDatabase(POSTGRES_HOST, POSTGRES_PORT, user, name)
    finally:
        with connection.cursor() as cursor:
            # FORCE ends the connections that run workers or the daemon may still hold.
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    """Connect to the test Redis, or skip when it is not running."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {error}")
    yield client
    client.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Deployment:
    """A Dagster home on PostgreSQL with its environment, and the processes started for it."""

    home: Path
    env: dict[str, str]
    workspace_id: str
    log_dir: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    _instance: dg.DagsterInstance | None = None

    @property
    def instance(self) -> dg.DagsterInstance:
        """Open the deployment's instance in the test process (the same PostgreSQL storage)."""
        if self._instance is None:
            saved = {name: os.environ.get(name) for name in self.env}
            os.environ.update(self.env)
            try:
                self._instance = dg.DagsterInstance.from_config(str(self.home))
            finally:
                for name, value in saved.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value
        return self._instance

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        """Start a long-running process (daemon, code server, webserver) in its own session."""
        log = (self.log_dir / f"{name}.log").open("w")
        process = subprocess.Popen(
            [str(BIN_DIR / args[0]), *args[1:]],
            cwd=REPO_ROOT,
            env=self.env if env is None else env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def run(self, *args: str, timeout: float = 120) -> str:
        """Run a short command such as ``dagster job launch``; return its output or fail with it."""
        result = subprocess.run(
            [str(BIN_DIR / args[0]), *args[1:]],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"{' '.join(args)} exited with {result.returncode}:\n{output[-4000:]}"
        return output

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def wait_for(self, condition: Callable[[], object], what: str, timeout: float = 180) -> object:
        """Poll ``condition`` until it returns a true value; fail naming ``what`` and the logs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            for name, process in self.processes.items():
                if process.poll() is not None:
                    pytest.fail(f"{name} exited with {process.returncode} while waiting for {what}:\n"
                                f"{self.log_tail(name)}")
            time.sleep(0.5)
        tails = "\n".join(f"--- {name} ---\n{self.log_tail(name)}" for name in self.processes)
        pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}.\n{tails}")

    def wait_for_run(self, run_id: str, timeout: float = 240) -> dg.DagsterRun:
        """Wait until a run finishes (success, failure or canceled) and return it."""
        finished = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}

        def finished_run():
            run = self.instance.get_run_by_id(run_id)
            return run if run is not None and run.status in finished else None

        return self.wait_for(finished_run, f"run {run_id} to finish", timeout)

    def stop(self) -> None:
        """Stop every started process: SIGTERM to its process group, SIGKILL after 20 s."""
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for name, process in self.processes.items():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            print(f"--- last lines of {name} ---\n{self.log_tail(name)}")
        if self._instance is not None:
            self._instance.dispose()


@pytest.fixture
def deployment(
    tmp_path: Path,
    postgres_database: PostgresDatabase,
    redis_client: redis.Redis,
    notion_server: LocalNotionServer,
) -> Iterator[Deployment]:
    """Build a Dagster home from deploy/dagster.yaml on a fresh database, with Redis and Notion.

    Sensors and schedules start stopped (NOTION_PIPELINE_AUTOMATION=off) so each test turns on
    the ones it exercises with `dagster sensor start`. The workspace id is unique per test, so
    the Redis stream and rate limit keys of parallel runs never mix.
    """
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY_DIR / "dagster.yaml", home / "dagster.yaml")
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    workspace_id = f"deploy_{secrets.token_hex(4)}"

    env = {name: value for name, value in os.environ.items() if name not in INHERITED_SETTINGS}
    env.update(postgres_database.dagster_env())
    env.update(
        {
            "DAGSTER_HOME": str(home),
            "NOTION_BASE_URL": notion_server.url,
            "NOTION_TOKEN": LOCAL_NOTION_TOKEN,
            "NOTION_WORKSPACE_ID": workspace_id,
            "NOTION_PIPELINE_DATA_DIR": str(tmp_path / "data"),
            "NOTION_REQUESTS_PER_SECOND": "50",
            "NOTION_BURST": "50",
            # Injected outages must fail a run within seconds, not after the 120 s default.
            "NOTION_MAX_RETRY_SECONDS": "2",
            "REDIS_URL": REDIS_URL,
            "NOTION_PIPELINE_AUTOMATION": "off",
            "PYTHONUNBUFFERED": "1",
        }
    )
    deployment = Deployment(home=home, env=env, workspace_id=workspace_id, log_dir=log_dir)
    try:
        yield deployment
    finally:
        deployment.stop()
        redis_client.delete(stream_key(workspace_id))
