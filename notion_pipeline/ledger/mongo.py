"""The MongoDB ledger, for deployments where several machines share one ledger."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

import pymongo
from pymongo import ReturnDocument
from pymongo.errors import (
    ConfigurationError as MongoConfigurationError,
    DuplicateKeyError,
    InvalidURI,
    PyMongoError,
)

from notion_pipeline.errors import ConfigurationError, ServiceUnavailableError
from notion_pipeline.ledger.base import clean_error
from notion_pipeline.ledger.models import (
    DeadLetter,
    PageRecord,
    PageStatus,
    SyncSummary,
    as_utc,
    utc_now,
)
from notion_pipeline.redaction import redact, redact_url, url_passwords

logger = logging.getLogger(__name__)

SERVICE = "MongoDB"
SETTING = "MONGODB_URI"
SERVER_SELECTION_TIMEOUT_MS = 5_000

T = TypeVar("T")


def _translate_errors(method: Callable[..., T]) -> Callable[..., T]:
    """Turn driver errors into ServiceUnavailableError with the connection string masked."""

    @wraps(method)
    def wrapper(self: MongoLedger, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except DuplicateKeyError:
            raise
        except PyMongoError as error:
            raise self._unavailable(error) from None

    return wrapper


class MongoLedger:
    """Ledger stored in three MongoDB collections: ``pages``, ``dead_letters`` and ``syncs``."""

    def __init__(
        self,
        uri: str | None = None,
        database: str = "notion_pipeline",
        *,
        client: Any | None = None,
        server_selection_timeout_ms: int = SERVER_SELECTION_TIMEOUT_MS,
    ) -> None:
        if client is None and not uri:
            raise ConfigurationError("MONGODB_URI is empty: set it to a mongodb:// connection string.")
        self._display_uri = redact_url(uri) if uri else "the given MongoDB client"
        self._owns_client = client is None
        if client is None:
            client = _connect(uri, server_selection_timeout_ms)
        self._client = client
        self._database = client[database]
        self._pages = self._database["pages"]
        self._dead_letters = self._database["dead_letters"]
        self._syncs = self._database["syncs"]
        try:
            self._create_indexes()
        except ServiceUnavailableError:
            self.close()
            raise
        logger.debug("Opened the MongoDB ledger %s at %s", database, self._display_uri)

    @_translate_errors
    def _create_indexes(self) -> None:
        self._pages.create_index(
            [("workspace_id", 1), ("page_id", 1)], unique=True, name="workspace_page"
        )
        self._pages.create_index([("workspace_id", 1), ("status", 1)], name="workspace_status")
        self._dead_letters.create_index(
            [("workspace_id", 1), ("page_id", 1), ("run_id", 1)],
            unique=True,
            name="workspace_page_run",
        )
        self._dead_letters.create_index(
            [("workspace_id", 1), ("resolved_at", 1)], name="workspace_resolved"
        )
        self._syncs.create_index(
            [("workspace_id", 1), ("run_id", 1)], unique=True, name="workspace_run"
        )
        self._syncs.create_index([("workspace_id", 1), ("started_at", -1)], name="workspace_start")

    # Pages

    @_translate_errors
    def get_page(self, workspace_id: str, page_id: str) -> PageRecord | None:
        document = self._pages.find_one({"workspace_id": workspace_id, "page_id": page_id})
        return _page(document) if document else None

    def list_pages(self, workspace_id: str, status: PageStatus | None = None) -> list[PageRecord]:
        return list(self.iter_pages(workspace_id, status))

    @_translate_errors
    def iter_pages(
        self, workspace_id: str, status: PageStatus | None = None, *, batch_size: int = 500
    ) -> Iterator[PageRecord]:
        query: dict[str, Any] = {"workspace_id": workspace_id}
        if status is not None:
            query["status"] = str(status)
        cursor = self._pages.find(query).sort("page_id", 1).batch_size(batch_size)
        # The decorator covers only creating the cursor, so _guarded maps errors raised while iterating.
        return self._guarded(_page(document) for document in cursor)

    @_translate_errors
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
        now = utc_now()
        fields = {
            "title": title,
            "url": url,
            "last_edited_time": last_edited_time,
            "content_hash": content_hash,
            "chunk_count": chunk_count,
            "status": str(PageStatus.SKIPPED if skipped else PageStatus.INDEXED),
            "last_error": None,
            "attempts": 0,
            "updated_at": now,
        }
        on_insert: dict[str, Any] = {"created_at": now}
        # A skipped page keeps the time its points were written; a first sighting uses now.
        if skipped:
            on_insert["indexed_at"] = now
        else:
            fields["indexed_at"] = now

        document = self._upsert(workspace_id, page_id, {"$set": fields, "$setOnInsert": on_insert})
        if document.get("indexed_at") is None:
            document = self._pages.find_one_and_update(
                {"workspace_id": workspace_id, "page_id": page_id, "indexed_at": None},
                {"$set": {"indexed_at": now}},
                return_document=ReturnDocument.AFTER,
            ) or document
        self._resolve(workspace_id, [page_id], now)
        return _page(document)

    @_translate_errors
    def record_failure(
        self,
        workspace_id: str,
        page_id: str,
        error: str,
        *,
        title: str | None = None,
        url: str | None = None,
    ) -> PageRecord:
        now = utc_now()
        fields: dict[str, Any] = {
            "status": str(PageStatus.FAILED),
            "last_error": clean_error(error),
            "updated_at": now,
        }
        on_insert: dict[str, Any] = {
            "created_at": now,
            "last_edited_time": None,
            "content_hash": None,
            "chunk_count": 0,
            "indexed_at": None,
        }
        for name, value in (("title", title), ("url", url)):
            if value is None:
                on_insert[name] = ""
            else:
                fields[name] = value

        document = self._upsert(
            workspace_id,
            page_id,
            {"$set": fields, "$setOnInsert": on_insert, "$inc": {"attempts": 1}},
        )
        return _page(document)

    @_translate_errors
    def record_deleted(self, workspace_id: str, page_id: str, reason: str) -> PageRecord:
        now = utc_now()
        fields = {
            "content_hash": None,
            "chunk_count": 0,
            "status": str(PageStatus.DELETED),
            "last_error": clean_error(reason),
            "attempts": 0,
            "updated_at": now,
        }
        on_insert = {
            "title": "",
            "url": "",
            "last_edited_time": None,
            "created_at": now,
            "indexed_at": None,
        }
        document = self._upsert(workspace_id, page_id, {"$set": fields, "$setOnInsert": on_insert})
        self._resolve(workspace_id, [page_id], now)
        return _page(document)

    # Dead letters

    @_translate_errors
    def add_dead_letter(
        self, workspace_id: str, page_id: str, *, run_id: str, error: str, attempts: int
    ) -> bool:
        try:
            self._dead_letters.insert_one(
                {
                    "workspace_id": workspace_id,
                    "page_id": page_id,
                    "run_id": run_id,
                    "error": clean_error(error),
                    "attempts": attempts,
                    "recorded_at": utc_now(),
                    "resolved_at": None,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    @_translate_errors
    def list_dead_letters(
        self, workspace_id: str | None = None, *, include_resolved: bool = False
    ) -> list[DeadLetter]:
        query: dict[str, Any] = {}
        if workspace_id is not None:
            query["workspace_id"] = workspace_id
        if not include_resolved:
            query["resolved_at"] = None
        cursor = self._dead_letters.find(query).sort(
            [("recorded_at", 1), ("workspace_id", 1), ("page_id", 1), ("run_id", 1)]
        )
        return [_dead_letter(document) for document in cursor]

    @_translate_errors
    def resolve_dead_letters(self, workspace_id: str, page_ids: list[str] | None = None) -> int:
        return self._resolve(workspace_id, page_ids, utc_now())

    # Syncs

    @_translate_errors
    def record_sync(self, summary: SyncSummary) -> None:
        document = {
            "workspace_id": summary.workspace_id,
            "run_id": summary.run_id,
            "kind": summary.kind,
            "started_at": as_utc(summary.started_at),
            "finished_at": as_utc(summary.finished_at),
            "pages_seen": summary.pages_seen,
            "pages_indexed": summary.pages_indexed,
            "pages_skipped": summary.pages_skipped,
            "pages_failed": summary.pages_failed,
            "pages_deleted": summary.pages_deleted,
            "chunks_embedded": summary.chunks_embedded,
            "chunks_deleted": summary.chunks_deleted,
        }
        self._syncs.replace_one(
            {"workspace_id": summary.workspace_id, "run_id": summary.run_id},
            document,
            upsert=True,
        )

    @_translate_errors
    def list_syncs(self, workspace_id: str, limit: int = 20) -> list[SyncSummary]:
        cursor = (
            self._syncs.find({"workspace_id": workspace_id})
            .sort([("started_at", -1), ("run_id", -1)])
            .limit(limit)
        )
        return [_sync(document) for document in cursor]

    # Lifecycle

    def ping(self) -> None:
        try:
            self._database.command("ping")
        except PyMongoError as error:
            raise self._unavailable(error) from None

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> MongoLedger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MongoLedger({self._display_uri!r}, {self._database.name!r})"

    # Helpers

    def _upsert(self, workspace_id: str, page_id: str, update: dict[str, Any]) -> dict[str, Any]:
        key = {"workspace_id": workspace_id, "page_id": page_id}
        try:
            return self._pages.find_one_and_update(
                key, update, upsert=True, return_document=ReturnDocument.AFTER
            )
        except DuplicateKeyError:
            # Two writers upserting a new page race on the unique index; the loser retries
            # once and then finds the winner's document to update.
            return self._pages.find_one_and_update(
                key, update, upsert=True, return_document=ReturnDocument.AFTER
            )

    def _resolve(self, workspace_id: str, page_ids: list[str] | None, now: datetime) -> int:
        query: dict[str, Any] = {"workspace_id": workspace_id, "resolved_at": None}
        if page_ids is not None:
            if not page_ids:
                return 0
            query["page_id"] = {"$in": list(page_ids)}
        return self._dead_letters.update_many(query, {"$set": {"resolved_at": now}}).modified_count

    def _guarded(self, records: Iterator[PageRecord]) -> Iterator[PageRecord]:
        try:
            yield from records
        except PyMongoError as error:
            raise self._unavailable(error) from None

    def _unavailable(self, error: Exception) -> ServiceUnavailableError:
        detail = redact(f"{type(error).__name__} at {self._display_uri}: {error}")
        return ServiceUnavailableError(SERVICE, SETTING, detail)


def _connect(uri: str, server_selection_timeout_ms: int) -> pymongo.MongoClient:
    options: dict[str, Any] = {"tz_aware": True, "appname": "notion-pipeline"}
    # Keyword options override the URI's, so a timeout written in the URI must not be replaced.
    if "serverselectiontimeoutms" not in uri.lower():
        options["serverSelectionTimeoutMS"] = server_selection_timeout_ms
    try:
        # tz_aware makes the driver return aware UTC datetimes, as the SQLite ledger does.
        return pymongo.MongoClient(uri, **options)
    except (InvalidURI, MongoConfigurationError) as error:
        raise ConfigurationError(
            f"Invalid MONGODB_URI {redact_url(uri)}: {redact(str(error), url_passwords(uri))}. "
            "Use a connection string such as mongodb://user:password@host:27017/."
        ) from None


def _page(document: dict[str, Any]) -> PageRecord:
    return PageRecord(
        workspace_id=document["workspace_id"],
        page_id=document["page_id"],
        title=document.get("title", ""),
        url=document.get("url", ""),
        last_edited_time=document.get("last_edited_time"),
        content_hash=document.get("content_hash"),
        chunk_count=document.get("chunk_count", 0),
        status=PageStatus(document["status"]),
        last_error=document.get("last_error"),
        attempts=document.get("attempts", 0),
        created_at=as_utc(document["created_at"]),
        updated_at=as_utc(document["updated_at"]),
        indexed_at=as_utc(document.get("indexed_at")),
    )


def _dead_letter(document: dict[str, Any]) -> DeadLetter:
    return DeadLetter(
        workspace_id=document["workspace_id"],
        page_id=document["page_id"],
        run_id=document["run_id"],
        error=document["error"],
        attempts=document["attempts"],
        recorded_at=as_utc(document["recorded_at"]),
        resolved_at=as_utc(document.get("resolved_at")),
    )


def _sync(document: dict[str, Any]) -> SyncSummary:
    return SyncSummary(
        workspace_id=document["workspace_id"],
        run_id=document["run_id"],
        kind=document["kind"],
        started_at=as_utc(document["started_at"]),
        finished_at=as_utc(document["finished_at"]),
        pages_seen=document["pages_seen"],
        pages_indexed=document["pages_indexed"],
        pages_skipped=document["pages_skipped"],
        pages_failed=document["pages_failed"],
        pages_deleted=document["pages_deleted"],
        chunks_embedded=document["chunks_embedded"],
        chunks_deleted=document["chunks_deleted"],
    )
