"""SQLite-only behaviour: several processes and threads writing one file, unusable paths."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest

from notion_pipeline.errors import ServiceUnavailableError
from notion_pipeline.ledger import PageStatus
from notion_pipeline.ledger.sqlite import SqliteLedger

WORKSPACE = "acme"
WRITES_PER_WORKER = 150


def write_pages(path: str, worker: str, start: multiprocessing.Event) -> None:
    ledger = SqliteLedger(path)
    start.wait()
    for number in range(WRITES_PER_WORKER):
        page_id = f"shared-{number % 10}"
        ledger.record_failure(WORKSPACE, page_id, f"{worker} failed")
        ledger.add_dead_letter(
            WORKSPACE, f"{worker}-{number}", run_id=worker, error="boom", attempts=1
        )
        ledger.record_indexed(
            WORKSPACE,
            f"{worker}-{number}",
            title="Page",
            url="https://www.notion.so/page",
            last_edited_time=None,
            content_hash=str(number),
            chunk_count=number,
        )
    ledger.close()


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    path = str(tmp_path / "ledger.sqlite3")
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [
        context.Process(target=write_pages, args=(path, name, start)) for name in ("a", "b")
    ]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(timeout=120)

    ledger = SqliteLedger(path)
    failed = ledger.list_pages(WORKSPACE, PageStatus.FAILED)
    indexed = ledger.list_pages(WORKSPACE, PageStatus.INDEXED)
    assert [worker.exitcode for worker in workers] == [0, 0]
    assert len(indexed) == 2 * WRITES_PER_WORKER
    assert sum(record.attempts for record in failed) == 2 * WRITES_PER_WORKER
    assert ledger.list_dead_letters(WORKSPACE) == []
    ledger.close()


def test_threads_share_one_ledger(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    errors: list[BaseException] = []

    def fail_many() -> None:
        try:
            for _ in range(50):
                ledger.record_failure(WORKSPACE, "page-a", "boom")
        except BaseException as error:  # noqa: BLE001 - reported by the assert below
            errors.append(error)

    threads = [threading.Thread(target=fail_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert ledger.get_page(WORKSPACE, "page-a").attempts == 200
    ledger.close()


def test_file_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    first = SqliteLedger(path)
    first.record_failure(WORKSPACE, "page-a", "boom")
    first.close()

    second = SqliteLedger(path)

    assert second.get_page(WORKSPACE, "page-a").attempts == 1
    second.close()


def test_creates_missing_folder(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "nested" / "deeper" / "ledger.sqlite3")

    ledger.ping()

    assert (tmp_path / "nested" / "deeper" / "ledger.sqlite3").exists()
    ledger.close()


def test_uses_wal_mode(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")

    mode = ledger._connection().execute("PRAGMA journal_mode").fetchone()[0]

    assert mode == "wal"
    ledger.close()


def test_folder_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")

    with pytest.raises(ServiceUnavailableError, match="NOTION_PIPELINE_SQLITE_PATH"):
        SqliteLedger(blocker / "ledger.sqlite3")


def test_corrupt_file_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    ledger = SqliteLedger(path)
    ledger.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"this is not a database" * 100)

    with pytest.raises(ServiceUnavailableError, match="SQLite ledger"):
        SqliteLedger(path)
