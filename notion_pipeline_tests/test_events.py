"""Progress events in a Redis stream, against the Redis on 127.0.0.1:6379."""

from __future__ import annotations

import argparse
import json
import logging
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from notion_pipeline.events import (
    MAX_ERROR_LENGTH,
    ProgressEvents,
    read_events,
    register_cli,
    stream_key,
)
from notion_pipeline.settings import Settings

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def workspace_id() -> Iterator[str]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(stream_key(name))
    client.close()


@pytest.fixture
def events() -> Iterator[ProgressEvents]:
    publisher = ProgressEvents(REDIS_URL)
    yield publisher
    publisher.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_disabled_without_redis_url(tmp_path: Path) -> None:
    publisher = ProgressEvents.from_settings(Settings.load({"NOTION_PIPELINE_DATA_DIR": str(tmp_path)}))

    publisher.sync_started("acme", "run-1", "full", 10)

    assert publisher.enabled is False


def test_enabled_with_redis_url(tmp_path: Path) -> None:
    settings = Settings.load({"NOTION_PIPELINE_DATA_DIR": str(tmp_path), "REDIS_URL": REDIS_URL})

    publisher = ProgressEvents.from_settings(settings)

    assert publisher.enabled is True
    publisher.close()


def test_sync_started_fields(events: ProgressEvents, workspace_id: str) -> None:
    events.sync_started(workspace_id, "run-1", "full", 120)

    [event] = list(read_events(REDIS_URL, workspace_id))

    assert event.type == "sync_started"
    assert event.workspace_id == workspace_id
    assert event.run_id == "run-1"
    assert event.details == {"kind": "full", "total": "120"}
    assert event.time.endswith("+00:00")


def test_unknown_total_is_empty(events: ProgressEvents, workspace_id: str) -> None:
    events.progress(workspace_id, "run-1", 3, None)

    [event] = list(read_events(REDIS_URL, workspace_id))

    assert event.details == {"done": "3", "total": ""}


def test_sync_completed_counts(events: ProgressEvents, workspace_id: str) -> None:
    events.sync_completed(workspace_id, "run-1", {"pages_indexed": 4, "pages_failed": 1}, 12.3456)

    [event] = list(read_events(REDIS_URL, workspace_id))

    assert json.loads(event.details["counts"]) == {"pages_indexed": 4, "pages_failed": 1}
    assert event.details["duration_seconds"] == "12.346"


def test_page_failed_error_redacted(events: ProgressEvents, workspace_id: str) -> None:
    token = "ntn_" + "Q1w2E3r4" * 5
    events.page_failed(
        workspace_id, "run-1", "page-a", f"401 for {token} at redis://:hunter22-pass@cache:6379"
    )

    [event] = list(read_events(REDIS_URL, workspace_id))

    assert event.details["page_id"] == "page-a"
    assert token not in event.details["error"]
    assert "hunter22-pass" not in event.details["error"]


def test_page_failed_error_capped(events: ProgressEvents, workspace_id: str) -> None:
    events.page_failed(workspace_id, "run-1", "page-a", "x" * 10_000)

    [event] = list(read_events(REDIS_URL, workspace_id))

    assert len(event.details["error"]) == MAX_ERROR_LENGTH


def test_stream_is_trimmed(workspace_id: str) -> None:
    publisher = ProgressEvents(REDIS_URL, max_len=10)
    for done in range(500):
        publisher.progress(workspace_id, "run-1", done, 500)
    client = redis.Redis.from_url(REDIS_URL)

    length = client.xlen(stream_key(workspace_id))

    # Approximate trimming drops whole internal nodes, so the stream may keep more than 10.
    assert length < 500
    assert length >= 10
    client.close()
    publisher.close()


def test_read_last_count_in_order(events: ProgressEvents, workspace_id: str) -> None:
    for done in range(5):
        events.progress(workspace_id, "run-1", done, 5)

    done_values = [event.details["done"] for event in read_events(REDIS_URL, workspace_id, count=3)]

    assert done_values == ["2", "3", "4"]


def test_read_count_zero(events: ProgressEvents, workspace_id: str) -> None:
    events.progress(workspace_id, "run-1", 1, 5)

    assert list(read_events(REDIS_URL, workspace_id, count=0)) == []


def test_read_empty_stream(workspace_id: str) -> None:
    assert list(read_events(REDIS_URL, workspace_id)) == []


def test_follow_yields_new_events(events: ProgressEvents, workspace_id: str) -> None:
    events.progress(workspace_id, "run-1", 1, 3)
    events.progress(workspace_id, "run-1", 2, 3)
    stream = read_events(REDIS_URL, workspace_id, follow=True, count=1, block_ms=200)

    last_past = next(stream)
    events.progress(workspace_id, "run-1", 3, 3)
    new = next(stream)

    assert last_past.details["done"] == "2"
    assert new.details["done"] == "3"
    stream.close()


def test_follow_from_empty_start(events: ProgressEvents, workspace_id: str) -> None:
    events.progress(workspace_id, "run-1", 1, 3)
    stream = read_events(REDIS_URL, workspace_id, follow=True, count=0, block_ms=200)
    events.progress(workspace_id, "run-1", 2, 3)

    first = next(stream)

    assert first.details["done"] == "2"
    stream.close()


def test_unreachable_redis_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    publisher = ProgressEvents(f"redis://:hunter22-pass@127.0.0.1:{closed_port()}/0")

    with caplog.at_level(logging.WARNING, logger="notion_pipeline.events"):
        publisher.sync_started("acme", "run-1", "full", 3)
        publisher.page_failed("acme", "run-1", "page-a", "boom")
        publisher.sync_completed("acme", "run-1", {"pages_failed": 1}, 1.0)

    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "hunter22-pass" not in warnings[0].getMessage()
    assert "run-1" in warnings[0].getMessage()


def test_unreachable_redis_retries_later(caplog: pytest.LogCaptureFixture) -> None:
    publisher = ProgressEvents(
        f"redis://127.0.0.1:{closed_port()}/0", retry_interval=0.0
    )

    with caplog.at_level(logging.WARNING, logger="notion_pipeline.events"):
        publisher.progress("acme", "run-1", 1, 3)
        publisher.progress("acme", "run-1", 2, 3)

    assert len(caplog.records) == 1


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="notion-pipeline")
    register_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_prints_events(
    events: ProgressEvents,
    workspace_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("NOTION_WORKSPACES", f"other,{workspace_id}")
    monkeypatch.setenv("NOTION_PIPELINE_DATA_DIR", str(tmp_path))
    events.sync_started(workspace_id, "run-1", "full", 2)
    events.page_failed(workspace_id, "run-1", "page-a", "boom")
    events.progress(workspace_id, "run-1", 2, 2)

    status = run_cli(["events", "--workspace", workspace_id, "--count", "2"])

    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert len(lines) == 2
    assert "page_failed page_id=page-a error=boom" in lines[0]
    assert "progress done=2 total=2" in lines[1]


def test_cli_without_redis_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("NOTION_PIPELINE_CONFIG", raising=False)
    monkeypatch.setenv("NOTION_PIPELINE_DATA_DIR", str(tmp_path))

    status = run_cli(["events"])

    assert status == 2
    assert "REDIS_URL is not set" in capsys.readouterr().err


def test_cli_unknown_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("NOTION_WORKSPACES", "acme")
    monkeypatch.setenv("NOTION_PIPELINE_DATA_DIR", str(tmp_path))

    status = run_cli(["events", "--workspace", "globex"])

    assert status == 2
    assert "globex" in capsys.readouterr().err
