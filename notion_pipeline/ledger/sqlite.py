"""The SQLite ledger: one file that several threads and processes may write at once.

Each thread (and each forked process) gets its own connection. The database runs in WAL mode
so readers never block the writer, and every write opens with ``BEGIN IMMEDIATE``: a deferred
transaction that later needs the write lock fails with "database is locked" at once, whereas
an immediate one waits up to ``busy_timeout`` for the lock.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from notion_pipeline.errors import ServiceUnavailableError
from notion_pipeline.ledger.base import clean_error
from notion_pipeline.ledger.models import (
    DeadLetter,
    PageRecord,
    PageStatus,
    SyncSummary,
    as_utc,
    utc_now,
)

logger = logging.getLogger(__name__)

SERVICE = "SQLite ledger"
SETTING = "NOTION_PIPELINE_SQLITE_PATH"
BUSY_TIMEOUT_MS = 30_000
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    workspace_id TEXT NOT NULL,
    page_id TEXT NOT NULL,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    last_edited_time TEXT,
    content_hash TEXT,
    chunk_count INTEGER NOT NULL,
    status TEXT NOT NULL,
    last_error TEXT,
    attempts INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    indexed_at TEXT,
    PRIMARY KEY (workspace_id, page_id)
);
CREATE INDEX IF NOT EXISTS pages_by_status ON pages (workspace_id, status);
CREATE TABLE IF NOT EXISTS dead_letters (
    workspace_id TEXT NOT NULL,
    page_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    error TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    resolved_at TEXT,
    PRIMARY KEY (workspace_id, page_id, run_id)
);
CREATE TABLE IF NOT EXISTS syncs (
    workspace_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    pages_seen INTEGER NOT NULL,
    pages_indexed INTEGER NOT NULL,
    pages_skipped INTEGER NOT NULL,
    pages_failed INTEGER NOT NULL,
    pages_deleted INTEGER NOT NULL,
    chunks_embedded INTEGER NOT NULL,
    chunks_deleted INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, run_id)
);
CREATE INDEX IF NOT EXISTS syncs_by_start ON syncs (workspace_id, started_at);
"""

_PAGE_COLUMNS = (
    "workspace_id, page_id, title, url, last_edited_time, content_hash, chunk_count, status, "
    "last_error, attempts, created_at, updated_at, indexed_at"
)
_DEAD_LETTER_COLUMNS = "workspace_id, page_id, run_id, error, attempts, recorded_at, resolved_at"
_SYNC_COLUMNS = (
    "workspace_id, run_id, kind, started_at, finished_at, pages_seen, pages_indexed, "
    "pages_skipped, pages_failed, pages_deleted, chunks_embedded, chunks_deleted"
)


class SqliteLedger:
    """Ledger stored in one SQLite file, safe for several threads and processes."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ServiceUnavailableError(
                SERVICE, SETTING, f"cannot create the folder {self.path.parent}: {error}"
            ) from error
        # executescript() would commit the open transaction first, so run statements one by one.
        with self._write() as connection:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    connection.execute(statement)
        logger.debug("Opened the SQLite ledger at %s", self.path)

    # Pages

    def get_page(self, workspace_id: str, page_id: str) -> PageRecord | None:
        row = self._connection().execute(
            f"SELECT {_PAGE_COLUMNS} FROM pages WHERE workspace_id = ? AND page_id = ?",
            (workspace_id, page_id),
        ).fetchone()
        return _page(row) if row else None

    def list_pages(self, workspace_id: str, status: PageStatus | None = None) -> list[PageRecord]:
        return list(self.iter_pages(workspace_id, status))

    def iter_pages(
        self, workspace_id: str, status: PageStatus | None = None, *, batch_size: int = 500
    ) -> Iterator[PageRecord]:
        # Keyset pages keep each read short, so a slow consumer never holds a read snapshot open.
        after = ""
        while True:
            query = f"SELECT {_PAGE_COLUMNS} FROM pages WHERE workspace_id = ? AND page_id > ?"
            params: list = [workspace_id, after]
            if status is not None:
                query += " AND status = ?"
                params.append(str(status))
            query += " ORDER BY page_id LIMIT ?"
            params.append(batch_size)
            rows = self._connection().execute(query, params).fetchall()
            for row in rows:
                yield _page(row)
            if len(rows) < batch_size:
                return
            after = rows[-1][1]

    def record_indexed(
        self,
        workspace_id: str,
        page_id: str,
        *,
        title: str,
        url: str,
        last_edited_time: str | None,
        content_hash: str | None,
        chunk_count: int,
        skipped: bool = False,
    ) -> PageRecord:
        now = _text(utc_now())
        status = PageStatus.SKIPPED if skipped else PageStatus.INDEXED
        # A skipped page keeps the time its points were written; a first sighting uses now.
        indexed_at_update = "COALESCE(pages.indexed_at, excluded.indexed_at)" if skipped else (
            "excluded.indexed_at"
        )
        with self._write() as connection:
            connection.execute(
                f"""
                INSERT INTO pages ({_PAGE_COLUMNS})
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, ?, ?, ?)
                ON CONFLICT (workspace_id, page_id) DO UPDATE SET
                    title = excluded.title,
                    url = excluded.url,
                    last_edited_time = excluded.last_edited_time,
                    content_hash = excluded.content_hash,
                    chunk_count = excluded.chunk_count,
                    status = excluded.status,
                    last_error = NULL,
                    attempts = 0,
                    updated_at = excluded.updated_at,
                    indexed_at = {indexed_at_update}
                """,
                (workspace_id, page_id, title, url, last_edited_time, content_hash, chunk_count,
                 str(status), now, now, now),
            )
            _resolve(connection, workspace_id, [page_id], now)
            return _read_page(connection, workspace_id, page_id)

    def record_failure(
        self,
        workspace_id: str,
        page_id: str,
        error: str,
        *,
        title: str | None = None,
        url: str | None = None,
    ) -> PageRecord:
        now = _text(utc_now())
        with self._write() as connection:
            connection.execute(
                f"""
                INSERT INTO pages ({_PAGE_COLUMNS})
                VALUES (?, ?, ?, ?, NULL, NULL, 0, ?, ?, 1, ?, ?, NULL)
                ON CONFLICT (workspace_id, page_id) DO UPDATE SET
                    title = COALESCE(?, pages.title),
                    url = COALESCE(?, pages.url),
                    status = excluded.status,
                    last_error = excluded.last_error,
                    attempts = pages.attempts + 1,
                    updated_at = excluded.updated_at
                """,
                (workspace_id, page_id, title or "", url or "", str(PageStatus.FAILED),
                 clean_error(error), now, now, title, url),
            )
            return _read_page(connection, workspace_id, page_id)

    def record_deleted(self, workspace_id: str, page_id: str, reason: str) -> PageRecord:
        now = _text(utc_now())
        with self._write() as connection:
            connection.execute(
                f"""
                INSERT INTO pages ({_PAGE_COLUMNS})
                VALUES (?, ?, '', '', NULL, NULL, 0, ?, ?, 0, ?, ?, NULL)
                ON CONFLICT (workspace_id, page_id) DO UPDATE SET
                    content_hash = NULL,
                    chunk_count = 0,
                    status = excluded.status,
                    last_error = excluded.last_error,
                    attempts = 0,
                    updated_at = excluded.updated_at
                """,
                (workspace_id, page_id, str(PageStatus.DELETED), clean_error(reason), now, now),
            )
            _resolve(connection, workspace_id, [page_id], now)
            return _read_page(connection, workspace_id, page_id)

    # Dead letters

    def add_dead_letter(
        self, workspace_id: str, page_id: str, *, run_id: str, error: str, attempts: int
    ) -> bool:
        with self._write() as connection:
            cursor = connection.execute(
                f"INSERT OR IGNORE INTO dead_letters ({_DEAD_LETTER_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (workspace_id, page_id, run_id, clean_error(error), attempts,
                 _text(utc_now())),
            )
            return cursor.rowcount == 1

    def list_dead_letters(
        self, workspace_id: str | None = None, *, include_resolved: bool = False
    ) -> list[DeadLetter]:
        query = f"SELECT {_DEAD_LETTER_COLUMNS} FROM dead_letters WHERE 1 = 1"
        params: list = []
        if workspace_id is not None:
            query += " AND workspace_id = ?"
            params.append(workspace_id)
        if not include_resolved:
            query += " AND resolved_at IS NULL"
        query += " ORDER BY recorded_at, workspace_id, page_id, run_id"
        rows = self._connection().execute(query, params).fetchall()
        return [_dead_letter(row) for row in rows]

    def resolve_dead_letters(self, workspace_id: str, page_ids: list[str] | None = None) -> int:
        with self._write() as connection:
            return _resolve(connection, workspace_id, page_ids, _text(utc_now()))

    # Syncs

    def record_sync(self, summary: SyncSummary) -> None:
        with self._write() as connection:
            connection.execute(
                f"INSERT OR REPLACE INTO syncs ({_SYNC_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (summary.workspace_id, summary.run_id, summary.kind,
                 _text(as_utc(summary.started_at)), _text(as_utc(summary.finished_at)),
                 summary.pages_seen, summary.pages_indexed, summary.pages_skipped,
                 summary.pages_failed, summary.pages_deleted, summary.chunks_embedded,
                 summary.chunks_deleted),
            )

    def list_syncs(self, workspace_id: str, limit: int = 20) -> list[SyncSummary]:
        rows = self._connection().execute(
            f"SELECT {_SYNC_COLUMNS} FROM syncs WHERE workspace_id = ? "
            "ORDER BY started_at DESC, run_id DESC LIMIT ?",
            (workspace_id, limit),
        ).fetchall()
        return [_sync(row) for row in rows]

    # Lifecycle

    def ping(self) -> None:
        try:
            self._connection().execute("SELECT count(*) FROM pages").fetchone()
        except sqlite3.Error as error:
            raise ServiceUnavailableError(
                SERVICE, SETTING, f"cannot read {self.path}: {error}"
            ) from error

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
        self._local = threading.local()

    def __enter__(self) -> SqliteLedger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqliteLedger({str(self.path)!r})"

    # Connections

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        # A connection must not cross a fork, so a child process opens its own.
        if connection is not None and self._local.pid == os.getpid():
            return connection
        try:
            connection = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as error:
            raise ServiceUnavailableError(
                SERVICE, SETTING, f"cannot open {self.path}: {error}"
            ) from error
        self._local.connection = connection
        self._local.pid = os.getpid()
        with self._lock:
            self._connections.append(connection)
        return connection

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")


def _resolve(
    connection: sqlite3.Connection, workspace_id: str, page_ids: list[str] | None, now: str
) -> int:
    query = "UPDATE dead_letters SET resolved_at = ? WHERE workspace_id = ? AND resolved_at IS NULL"
    params: list = [now, workspace_id]
    if page_ids is not None:
        if not page_ids:
            return 0
        query += f" AND page_id IN ({', '.join('?' for _ in page_ids)})"
        params.extend(page_ids)
    return connection.execute(query, params).rowcount


def _read_page(connection: sqlite3.Connection, workspace_id: str, page_id: str) -> PageRecord:
    row = connection.execute(
        f"SELECT {_PAGE_COLUMNS} FROM pages WHERE workspace_id = ? AND page_id = ?",
        (workspace_id, page_id),
    ).fetchone()
    return _page(row)


def _text(value: datetime | None) -> str | None:
    # Fixed-width ISO text in UTC sorts in time order, which ORDER BY relies on.
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00") if value else None


def _time(value: str | None) -> datetime | None:
    return as_utc(datetime.fromisoformat(value)) if value else None


def _page(row: tuple) -> PageRecord:
    return PageRecord(
        workspace_id=row[0],
        page_id=row[1],
        title=row[2],
        url=row[3],
        last_edited_time=row[4],
        content_hash=row[5],
        chunk_count=row[6],
        status=PageStatus(row[7]),
        last_error=row[8],
        attempts=row[9],
        created_at=_time(row[10]),
        updated_at=_time(row[11]),
        indexed_at=_time(row[12]),
    )


def _dead_letter(row: tuple) -> DeadLetter:
    return DeadLetter(
        workspace_id=row[0],
        page_id=row[1],
        run_id=row[2],
        error=row[3],
        attempts=row[4],
        recorded_at=_time(row[5]),
        resolved_at=_time(row[6]),
    )


def _sync(row: tuple) -> SyncSummary:
    return SyncSummary(
        workspace_id=row[0],
        run_id=row[1],
        kind=row[2],
        started_at=_time(row[3]),
        finished_at=_time(row[4]),
        pages_seen=row[5],
        pages_indexed=row[6],
        pages_skipped=row[7],
        pages_failed=row[8],
        pages_deleted=row[9],
        chunks_embedded=row[10],
        chunks_deleted=row[11],
    )
