"""A full sync through injected 429/5xx responses, dropped connections and latency ends exact."""

from __future__ import annotations

from pathlib import Path

import pytest

from notion_pipeline.notion.server import FaultSettings, LocalNotionServer
from notion_pipeline_tests.faults.conftest import (
    FAULT_TOKEN,
    ReferenceIndex,
    apply_environment,
    index_check,
    ledger_for,
    point_differences,
    run_full_sync,
    snapshot_points,
    sync_environment,
)

FAULTS = FaultSettings(
    error_rate=0.20,
    drop_rate=0.02,
    latency_seconds=0.002,
    latency_jitter_seconds=0.02,
    retry_after_seconds=0.1,
    # With this seed the first 30 requests already draw every error status and a dropped
    # connection, so even the short form meets each fault (the draw order is fixed per seed).
    seed=54,
)


def _sync_through_faults(reference: ReferenceIndex, data_dir: Path,
                         monkeypatch: pytest.MonkeyPatch) -> tuple[bool, list, dict]:
    with LocalNotionServer(reference.workspace.root, token=FAULT_TOKEN, faults=FAULTS) as server:
        apply_environment(monkeypatch, sync_environment(data_dir, server))
        result = run_full_sync()
        log = server.request_log
    return result.success, log, snapshot_points(data_dir)


def _assert_exact(reference: ReferenceIndex, data_dir: Path, success: bool, log: list,
                  points: dict) -> None:
    statuses = {record.status for record in log if record.fault == "error"}
    dropped = sum(1 for record in log if record.fault == "drop")
    faulted = sum(1 for record in log if record.fault is not None)

    assert success
    # The faults really happened: every injected status and some dropped connections.
    assert statuses == {429, 500, 502, 503, 504}
    assert dropped > 0
    assert faulted / len(log) > 0.1
    assert point_differences(points, reference.points) == []

    ledger = ledger_for(data_dir)
    try:
        assert ledger.list_dead_letters(include_resolved=True) == []
        assert [page.page_id for page in ledger.list_pages("default") if page.status == "failed"] == []
    finally:
        ledger.close()
    report = index_check(data_dir)
    assert report.passed, report.describe()


def test_full_sync_through_faults(reference_index: ReferenceIndex, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    success, log, points = _sync_through_faults(reference_index, tmp_path / "data", monkeypatch)
    _assert_exact(reference_index, tmp_path / "data", success, log, points)


@pytest.mark.slow
def test_full_sync_through_faults_200_pages(long_reference_index: ReferenceIndex, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    success, log, points = _sync_through_faults(long_reference_index, tmp_path / "data", monkeypatch)
    _assert_exact(long_reference_index, tmp_path / "data", success, log, points)
