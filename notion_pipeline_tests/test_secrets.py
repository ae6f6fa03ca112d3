"""Secrets never leave the process, and one workspace's sync never touches another's points."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
import redis
from qdrant_client import QdrantClient, models

from notion_pipeline.dead_letters import record_failed_run
from notion_pipeline.events import stream_key
from notion_pipeline.notion import builders
from notion_pipeline.notion.client import NotionClient
from notion_pipeline.notion.generator import generate_workspace
from notion_pipeline.notion.server import LocalNotionServer
from notion_pipeline_tests.faults.conftest import (
    apply_environment,
    free_port,
    ledger_for,
    point_differences,
    run_full_sync,
    run_job_process,
    snapshot_points,
    sync_environment,
)

NOTION_MARKER = "secret_MARKERnotion0123456789abcdefXYZ"
QDRANT_MARKER = "MARKERqdrantKey7781"
REDIS_MARKER = "MARKERredisPw5521"
MONGO_MARKER = "MARKERmongoPw9043"
MARKERS = (NOTION_MARKER, QDRANT_MARKER, REDIS_MARKER, MONGO_MARKER)


def leaked(text: str) -> list[str]:
    """Return the markers found in ``text``."""
    return [marker for marker in MARKERS if marker in text]


@pytest.fixture(scope="module")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start a password-protected Redis on a free loopback port; yield its URL with the password."""
    port = free_port()
    directory = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--requirepass", REDIS_MARKER,
         "--save", "", "--appendonly", "no", "--dir", str(directory)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://:{REDIS_MARKER}@127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    client.close()
    yield url
    process.terminate()
    process.wait(timeout=10)


@dataclass
class SecretRun:
    """Everything a failing ``dagster job execute`` run left behind, as text."""

    exit_status: int
    output: str
    run_configs: str
    run_tags: str
    event_log: str
    dead_letters: str
    stream: str
    stream_entries: int


@pytest.fixture(scope="module")
def secret_run(private_redis: str, tmp_path_factory: pytest.TempPathFactory) -> SecretRun:
    """Run a full sync that fails one page, with marker secrets in every secret setting."""
    root = tmp_path_factory.mktemp("secrets")
    workspace = generate_workspace(root / "workspace", 4, seed=5, min_words=20, max_words=40)
    data_dir, dagster_home = root / "data", root / "dagster_home"

    with LocalNotionServer(workspace.root, token=NOTION_MARKER) as server:
        # Every request for this page returns 500, so its sync fails for good after the retries.
        server.fail_object(workspace.page_ids[0], 500)
        env = sync_environment(data_dir, server, token=NOTION_MARKER, QDRANT_API_KEY=QDRANT_MARKER,
                               REDIS_URL=private_redis, NOTION_MAX_RETRY_SECONDS="2")
        status = run_job_process(env, dagster_home, root / "run.log")

    with pytest.MonkeyPatch.context() as patch:
        apply_environment(patch, env)
        patch.setenv("DAGSTER_HOME", str(dagster_home))
        with dg.DagsterInstance.get() as instance:
            runs = instance.get_runs()
            events = [record.event_log_entry for run in runs
                      for record in instance.get_records_for_run(run.run_id, limit=100_000).records]
            ledger = ledger_for(data_dir)
            for run in runs:
                failures = [event for event in events if event.dagster_event
                            and event.dagster_event.event_type_value == "RUN_FAILURE"
                            and event.run_id == run.run_id]
                message = failures[0].dagster_event.message if failures else ""
                record_failed_run(instance, run, ledger, failure_message=message or "",
                                  workspace_ids=["default"])
            letters = ledger.list_dead_letters(include_resolved=True)
            ledger.close()

    client = redis.Redis.from_url(private_redis)
    entries = client.xrange(stream_key("default"))
    client.close()
    return SecretRun(
        exit_status=status,
        output=(root / "run.log").read_text(errors="replace"),
        run_configs=repr([run.run_config for run in runs]),
        run_tags=repr([run.tags for run in runs]),
        event_log="\n".join(repr(event) for event in events),
        dead_letters=repr(letters),
        stream=repr(entries),
        stream_entries=len(entries),
    )


def test_secret_run_failed_one_page(secret_run: SecretRun) -> None:
    # The run must really have failed, so the failure paths were exercised.
    assert secret_run.exit_status != 0
    assert "dead_letters=[]" not in secret_run.dead_letters
    assert secret_run.dead_letters != "[]"


def test_secrets_absent_from_output(secret_run: SecretRun) -> None:
    assert leaked(secret_run.output) == []


def test_secrets_absent_from_run_config_and_tags(secret_run: SecretRun) -> None:
    assert leaked(secret_run.run_configs) == []
    assert leaked(secret_run.run_tags) == []


def test_secrets_absent_from_event_log(secret_run: SecretRun) -> None:
    assert secret_run.event_log != ""
    assert leaked(secret_run.event_log) == []


def test_secrets_absent_from_dead_letters(secret_run: SecretRun) -> None:
    assert leaked(secret_run.dead_letters) == []


def test_secrets_absent_from_redis_events(secret_run: SecretRun) -> None:
    assert secret_run.stream_entries > 0
    assert leaked(secret_run.stream) == []


def test_unauthorized_error_hides_token(tmp_path: Path) -> None:
    with LocalNotionServer(token="secret_serverSideToken000000000000") as server:
        client = NotionClient(token=NOTION_MARKER, base_url=server.url)
        with pytest.raises(Exception) as caught:
            client.me()
    chain = []
    error: BaseException | None = caught.value
    while error is not None:
        chain.append(f"{type(error).__name__}: {error}")
        error = error.__cause__ or error.__context__
    assert "401" in chain[0] or "token" in chain[0].lower()
    assert leaked("\n".join(chain)) == []


def test_unauthorized_run_hides_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with LocalNotionServer(token="secret_serverSideToken000000000000") as server:
        apply_environment(monkeypatch, sync_environment(tmp_path / "data", server, token=NOTION_MARKER))
        with dg.DagsterInstance.ephemeral() as instance:
            result = run_full_sync(instance)
            events = instance.get_records_for_run(result.run_id, limit=100_000).records
    assert not result.success
    assert leaked("\n".join(repr(record.event_log_entry) for record in events)) == []


def test_mongodb_error_hides_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"mongodb://indexer:{MONGO_MARKER}@127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=300"
    with LocalNotionServer() as server:
        apply_environment(monkeypatch, sync_environment(tmp_path / "data", server, MONGODB_URI=uri))
        with dg.DagsterInstance.ephemeral() as instance:
            result = run_full_sync(instance)
            events = instance.get_records_for_run(result.run_id, limit=100_000).records
    assert not result.success
    assert leaked("\n".join(repr(record.event_log_entry) for record in events)) == []


def test_workspaces_never_touch_each_other(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Both servers serve the same files, so both workspaces hold the same page ids: only the
    # workspace filter keeps one sync's deletes away from the other's points.
    workspace = generate_workspace(tmp_path / "workspace", 4, seed=9, min_words=20, max_words=40)
    deletes: list[models.Filter] = []
    original_delete = QdrantClient.delete

    def recording_delete(self, collection_name, points_selector, *args, **kwargs):
        deletes.append(points_selector)
        return original_delete(self, collection_name, points_selector, *args, **kwargs)

    monkeypatch.setattr(QdrantClient, "delete", recording_delete)
    data_dir = tmp_path / "data"
    with LocalNotionServer(workspace.root, token="secret_alphaToken00000000000000") as alpha, \
            LocalNotionServer(workspace.root, token="secret_betaToken000000000000000") as beta:
        env = sync_environment(
            data_dir, alpha, NOTION_WORKSPACES="alpha,beta",
            NOTION_TOKEN_ALPHA="secret_alphaToken00000000000000", NOTION_BASE_URL_ALPHA=alpha.url,
            NOTION_TOKEN_BETA="secret_betaToken000000000000000", NOTION_BASE_URL_BETA=beta.url,
        )
        apply_environment(monkeypatch, env)
        assert run_full_sync().success
        beta_before = snapshot_points(data_dir, "beta")

        trashed, edited = workspace.page_ids[0], workspace.page_ids[1]
        alpha.trash_page(trashed)
        alpha.append_blocks(edited, [builders.paragraph_block("Only alpha has this line.")])
        alpha.unshare_page(workspace.page_ids[2])
        assert run_full_sync().success

    alpha_pages = {point.payload["page_id"] for point in snapshot_points(data_dir, "alpha").values()}
    assert beta_before != {}
    assert point_differences(snapshot_points(data_dir, "beta"), beta_before) == []
    assert trashed not in alpha_pages
    assert workspace.page_ids[2] not in alpha_pages
    assert deletes != []
    unfiltered = [
        selector for selector in deletes
        if not any(getattr(condition, "key", None) == "workspace_id"
                   for condition in selector.filter.must or [])
    ]
    assert unfiltered == []
