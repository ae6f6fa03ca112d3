"""A service that is down at start fails the run clearly, or, for Redis, does not fail it at all."""

from __future__ import annotations

import logging
from pathlib import Path

import dagster as dg
import pytest

from notion_pipeline.notion.server import LocalNotionServer
from notion_pipeline_tests.faults.conftest import (
    ReferenceIndex,
    apply_environment,
    free_port,
    ledger_for,
    point_differences,
    run_full_sync,
    snapshot_points,
    sync_environment,
)

PASSWORD_MARKER = "pwMARKERservices42"


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    """Join the messages of every step failure, causes included."""
    parts = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        while error is not None:
            parts.append(error.message)
            error = error.cause
    return "\n".join(parts)


def _page_rows(data_dir: Path) -> list:
    ledger = ledger_for(data_dir)
    try:
        return ledger.list_pages("default")
    finally:
        ledger.close()


def test_qdrant_down_fails_clearly(fault_server: LocalNotionServer, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    url = f"http://127.0.0.1:{free_port()}"
    apply_environment(monkeypatch, sync_environment(data_dir, fault_server, QDRANT_URL=url))

    result = run_full_sync()
    message = failure_text(result)

    assert not result.success
    assert "Qdrant is unavailable" in message
    assert "QDRANT_URL" in message
    assert url in message
    assert _page_rows(data_dir) == []
    assert not (data_dir / "qdrant").exists()


@pytest.mark.parametrize("layout", ["under_a_file", "a_directory"])
def test_sqlite_ledger_unusable_fails_clearly(layout: str, fault_server: LocalNotionServer,
                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    if layout == "under_a_file":
        (tmp_path / "plain-file").write_text("not a folder")
        ledger_path = tmp_path / "plain-file" / "ledger.sqlite3"
    else:
        ledger_path = tmp_path / "a-folder"
        ledger_path.mkdir()
    apply_environment(
        monkeypatch, sync_environment(data_dir, fault_server, NOTION_PIPELINE_SQLITE_PATH=str(ledger_path))
    )

    result = run_full_sync()
    message = failure_text(result)

    assert not result.success
    assert "SQLite ledger is unavailable" in message
    assert "NOTION_PIPELINE_SQLITE_PATH" in message
    assert snapshot_points(data_dir) == {}


def test_mongodb_down_fails_clearly(fault_server: LocalNotionServer, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    uri = f"mongodb://indexer:{PASSWORD_MARKER}@127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=300"
    apply_environment(monkeypatch, sync_environment(data_dir, fault_server, MONGODB_URI=uri))

    result = run_full_sync()
    message = failure_text(result)

    assert not result.success
    assert "MongoDB" in message
    assert "MONGODB_URI" in message
    assert PASSWORD_MARKER not in message
    assert snapshot_points(data_dir) == {}


def test_redis_down_sync_still_exact(reference_index: ReferenceIndex, fault_server: LocalNotionServer,
                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     caplog: pytest.LogCaptureFixture) -> None:
    # Redis only carries the shared rate limit (which falls back to a per-process limit) and
    # best-effort progress events, so a sync without it must succeed and log a warning.
    data_dir = tmp_path / "data"
    port = free_port()
    url = f"redis://:{PASSWORD_MARKER}@127.0.0.1:{port}/0"
    apply_environment(monkeypatch, sync_environment(data_dir, fault_server, REDIS_URL=url))

    with caplog.at_level(logging.WARNING, logger="notion_pipeline"):
        result = run_full_sync()
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    redis_warnings = [text for text in warnings if "Redis" in text and f"127.0.0.1:{port}" in text]

    assert result.success
    assert point_differences(snapshot_points(data_dir), reference_index.points) == []
    assert redis_warnings != []
    assert all(PASSWORD_MARKER not in text for text in warnings)
