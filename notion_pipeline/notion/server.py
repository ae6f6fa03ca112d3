"""A local HTTP server that behaves like Notion's API (version 2025-09-03) for the endpoints we use.

It serves a workspace directory (pages/, blocks/, databases/, data_sources/, workspace.json)
from memory, with Notion's envelopes, opaque cursors, error bodies and status codes, an
optional rate limit (429 with Retry-After) and seeded fault injection. Mutations go through
the Python API or the ``/_control`` HTTP API and never touch the directory on disk.

``/_control`` needs no token and is neither rate limited, faulted nor recorded in
``request_log``; bind the server to loopback only.
"""

from __future__ import annotations

import argparse
import hmac
import json
import logging
import re
import signal
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote

from notion_pipeline.notion import builders
from notion_pipeline.notion.faults import (
    FaultDecision,
    FaultInjector,
    FaultKind,
    FaultSettings,
    TokenBucket,
    format_retry_after,
)
from notion_pipeline.notion.workspace_store import (
    MAX_PAGE_SIZE,
    ApiError,
    DuplicateIdError,
    ListPage,
    WorkspaceStore,
    parse_sorts,
    parse_timestamp_filter,
    validation_error,
)

__all__ = ["FaultSettings", "LocalNotionServer", "RequestRecord", "SAMPLE_WORKSPACE_DIR", "register_cli"]

logger = logging.getLogger(__name__)

SAMPLE_WORKSPACE_DIR = Path(__file__).resolve().parent.parent / "sample_workspace"

BOT_USER_ID = "6f1b4c1e-6a3e-4f7a-9a61-2d9b7b1c0b07"

_VERSION_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>local-notion-proxy</center>\r\n"
    b"</body>\r\n</html>\r\n"
)

_INJECTED_ERRORS = {
    429: ("rate_limited", "You have been rate limited. Please try again in a few minutes."),
    500: ("internal_server_error", "Unexpected error occurred."),
    503: ("service_unavailable", "Notion is unavailable, please try again later."),
    504: ("gateway_timeout", "Notion timed out while processing the request, please try again later."),
}


@dataclass(frozen=True)
class RequestRecord:
    """One ``/v1`` request as the server saw it; ``status`` is None for a dropped connection."""

    method: str
    path: str
    status: int | None
    timestamp: float
    fault: str | None = None


@dataclass
class Response:
    """An HTTP response to write: status, body, content type and extra headers."""

    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] | None = None


def _json_response(status: int, payload: dict, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(payload).encode("utf-8"), headers=headers)


def _error_response(error: ApiError, request_id: str, headers: dict[str, str] | None = None) -> Response:
    payload = {
        "object": "error",
        "status": error.status,
        "code": error.code,
        "message": error.message,
        "request_id": request_id,
    }
    return _json_response(error.status, payload, headers)


def _list_response(page: ListPage, list_type: str, request_id: str) -> Response:
    payload = {
        "object": "list",
        "results": page.results,
        "next_cursor": page.next_cursor,
        "has_more": page.has_more,
        "type": list_type,
        list_type: {},
        "request_id": request_id,
    }
    return _json_response(200, payload)


class LocalNotionServer:
    """Serve a workspace directory over HTTP as Notion's API does.

    Start it with ``start()`` or a ``with`` block, so that it runs in a background thread.
    ``url`` is the base URL to give a Notion client, because request paths start with ``/v1``.
    ``token`` None accepts any non-empty Bearer token. ``requests_per_second`` None turns the
    rate limit off.
    """

    def __init__(
        self,
        workspace_dir: Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        requests_per_second: float | None = None,
        burst: int = 3,
        faults: FaultSettings | None = None,
    ) -> None:
        self.workspace_dir = Path(workspace_dir) if workspace_dir is not None else SAMPLE_WORKSPACE_DIR
        self.store = WorkspaceStore.load(self.workspace_dir)
        self.host = host
        self.port = port
        self.token = token
        self._faults = FaultInjector(faults)
        self._bucket: TokenBucket | None = None
        self.set_rate_limit(requests_per_second, burst)
        self._log_lock = threading.Lock()
        self._request_log: list[RequestRecord] = []
        self._http: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._failing_objects: dict[str, int] = {}

    # Lifecycle

    def start(self) -> LocalNotionServer:
        """Bind the port and serve in a background thread; return self."""
        if self._http is not None:
            return self
        self._http = _HttpServer((self.host, self.port), _Handler, self)
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"local-notion-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        logger.info("Local Notion server for %s listening on %s", self.workspace_dir, self.url)
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._http is None:
            return
        self._http.shutdown()
        self._http.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._http = None
        self._thread = None
        logger.info("Local Notion server on port %d stopped", self.port)

    def __enter__(self) -> LocalNotionServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Return the base URL, e.g. ``http://127.0.0.1:8765`` (no trailing slash, no /v1)."""
        return f"http://{self.host}:{self.port}"

    # Request accounting and behaviour knobs

    @property
    def request_log(self) -> list[RequestRecord]:
        """Return a copy of the ``/v1`` requests served so far, oldest first."""
        with self._log_lock:
            return list(self._request_log)

    def reset_request_log(self) -> None:
        """Forget the recorded requests."""
        with self._log_lock:
            self._request_log.clear()

    def request_count(self, path_prefix: str | None = None) -> int:
        """Count recorded requests whose path starts with ``path_prefix`` (e.g. ``/v1/blocks``)."""
        with self._log_lock:
            if path_prefix is None:
                return len(self._request_log)
            return sum(1 for record in self._request_log if record.path.startswith(path_prefix))

    def set_faults(self, faults: FaultSettings | None) -> None:
        """Replace the fault settings (None: no faults) and restart their random sequence."""
        self._faults.configure(faults)

    @property
    def faults(self) -> FaultSettings:
        return self._faults.settings

    def set_rate_limit(self, requests_per_second: float | None, burst: int = 3) -> None:
        """Limit ``/v1`` requests to a token bucket (None: no limit); excess requests get 429."""
        self._bucket = TokenBucket(requests_per_second, burst) if requests_per_second else None

    # Mutations: ids may be given with or without dashes; ``when`` defaults to now

    def fail_object(self, object_id: str, status: int = 500) -> None:
        """Fail every request that names ``object_id`` in its path with ``status``, until healed."""
        if status not in _INJECTED_ERRORS and status != 502:
            raise ValueError(f"Unsupported injected status {status}; use one of 429, 500, 502, 503, 504.")
        self._failing_objects[_id(object_id).replace("-", "")] = status

    def heal_object(self, object_id: str) -> None:
        """Stop failing requests for ``object_id``."""
        self._failing_objects.pop(_id(object_id).replace("-", ""), None)

    def edit_block_text(self, block_id: str, text: str, *, when: datetime | None = None) -> None:
        """Replace a block's text; stamp the block and its page with ``when``."""
        self.store.edit_block_text(_id(block_id), text, when)

    def add_page(
        self,
        title: str,
        blocks: list[dict] | None = None,
        *,
        parent_page_id: str | None = None,
        data_source_id: str | None = None,
        page_id: str | None = None,
        when: datetime | None = None,
    ) -> str:
        """Create a page with partial blocks from ``builders``; return its id.

        Without a parent the page is top level. A child page also gets a ``child_page`` block
        at the end of its parent's children.
        """
        return self.store.add_page(
            title,
            blocks,
            parent_page_id=_id(parent_page_id) if parent_page_id else None,
            data_source_id=_id(data_source_id) if data_source_id else None,
            page_id=_id(page_id) if page_id else None,
            when=when,
        )

    def append_blocks(self, parent_id: str, blocks: list[dict], *, when: datetime | None = None) -> list[str]:
        """Append partial blocks under a page or block; return the new top-level block ids."""
        return self.store.append_blocks(_id(parent_id), blocks, when)

    def delete_block(self, block_id: str, *, when: datetime | None = None) -> None:
        """Move a block to the trash so that its parent no longer lists it."""
        self.store.delete_block(_id(block_id), when)

    def set_page_title(self, page_id: str, title: str, *, when: datetime | None = None) -> None:
        """Rename a page."""
        self.store.set_page_title(_id(page_id), title, when)

    def trash_page(self, page_id: str, *, when: datetime | None = None) -> None:
        """Move a page, and so its child pages, to the trash."""
        self.store.set_page_trashed(_id(page_id), True, when)

    def restore_page(self, page_id: str, *, when: datetime | None = None) -> None:
        """Restore a page from the trash."""
        self.store.set_page_trashed(_id(page_id), False, when)

    def unshare_page(self, page_id: str) -> None:
        """Remove the integration's access to a page, database or data source and all below it."""
        self.store.set_shared(_id(page_id), False)

    def share_page(self, page_id: str) -> None:
        """Give back access removed by ``unshare_page``."""
        self.store.set_shared(_id(page_id), True)

    def touch_page(self, page_id: str, *, when: datetime | None = None) -> None:
        """Set a page's ``last_edited_time`` without changing its content."""
        self.store.touch_page(_id(page_id), when)

    # Request handling (called from handler threads)

    def _record(self, method: str, path: str, status: int | None, fault: str | None) -> None:
        with self._log_lock:
            self._request_log.append(RequestRecord(method, path, status, time.time(), fault))

    def handle_api(self, method: str, path: str, query: dict[str, list[str]],
                   headers: dict[str, str], body: bytes) -> Response | None:
        """Build the response to one ``/v1`` request, or None to close the connection without one."""
        request_id = str(uuid.uuid4())
        decision = self._faults.draw()
        if decision.delay_seconds > 0:
            time.sleep(decision.delay_seconds)
        if decision.kind is FaultKind.DROP:
            self._record(method, path, None, "drop")
            return None
        if decision.kind is FaultKind.ERROR:
            response = self._injected_error(decision, request_id)
            self._record(method, path, response.status, "error")
            return response
        failing_status = self._failing_status(path)
        if failing_status is not None:
            response = self._injected_error(FaultDecision(FaultKind.ERROR, failing_status, 0.0), request_id)
            self._record(method, path, response.status, "failing object")
            return response

        try:
            self._check_headers(headers)
            self._check_rate_limit()
            response = self._route(method, path, query, body, request_id)
        except _RateLimited as limited:
            response = _error_response(
                ApiError(429, "rate_limited", "You have been rate limited. Please try again in a few minutes."),
                request_id,
                {"Retry-After": format_retry_after(limited.wait_seconds, whole_seconds=True)},
            )
        except ApiError as error:
            logger.debug("%s %s: %d %s: %s (request %s)", method, path, error.status, error.code,
                         error.message, request_id)
            response = _error_response(error, request_id)
        except Exception:
            logger.exception("Local Notion server failed on %s %s (request %s)", method, path, request_id)
            response = _error_response(
                ApiError(500, "internal_server_error", "Unexpected error occurred."), request_id
            )
        self._record(method, path, response.status, None)
        return response

    def _failing_status(self, path: str) -> int | None:
        if not self._failing_objects:
            return None
        compact = path.replace("-", "")
        for object_id, status in self._failing_objects.items():
            if object_id in compact:
                return status
        return None

    def _injected_error(self, decision: FaultDecision, request_id: str) -> Response:
        status = decision.status or 500
        if status == 502:
            return Response(502, _BAD_GATEWAY_HTML, content_type="text/html")
        code, message = _INJECTED_ERRORS[status]
        headers = None
        if status == 429:
            retry_after = format_retry_after(self.faults.retry_after_seconds, whole_seconds=False)
            headers = {"Retry-After": retry_after}
        return _error_response(ApiError(status, code, message), request_id, headers)

    def _check_headers(self, headers: dict[str, str]) -> None:
        version = headers.get("notion-version")
        if not version:
            raise ApiError(
                400, "missing_version",
                "Notion-Version header is missing: send the API version, e.g. Notion-Version: 2025-09-03.",
            )
        if not _VERSION_PATTERN.match(version):
            raise validation_error(
                f"Notion-Version header should be a date like 2025-09-03, instead was {json.dumps(version)}."
            )

        authorization = headers.get("authorization", "")
        scheme, _, presented = authorization.partition(" ")
        presented = presented.strip()
        valid = scheme.lower() == "bearer" and bool(presented)
        if valid and self.token is not None:
            valid = hmac.compare_digest(presented.encode("utf-8"), self.token.encode("utf-8"))
        if not valid:
            raise ApiError(401, "unauthorized", "API token is invalid.")

    def _check_rate_limit(self) -> None:
        bucket = self._bucket
        if bucket is None:
            return
        wait = bucket.acquire()
        if wait > 0:
            raise _RateLimited(wait)

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: bytes,
               request_id: str) -> Response:
        parts = path.strip("/").split("/")[1:]
        match (method, parts):
            case ("POST", ["search"]):
                return self._search(_parse_body(body), request_id)
            case ("GET", ["pages", page_id]):
                return _json_response(200, self.store.get_page(_path_id(page_id, "page_id")))
            case ("GET", ["blocks", block_id]):
                return _json_response(200, self.store.get_block(_path_id(block_id, "block_id")))
            case ("GET", ["blocks", block_id, "children"]):
                page = self.store.list_children(
                    _path_id(block_id, "block_id"),
                    _query_value(query, "start_cursor"),
                    _page_size(_query_value(query, "page_size"), "query.page_size"),
                )
                return _list_response(page, "block", request_id)
            case ("GET", ["databases", database_id]):
                return _json_response(200, self.store.get_database(_path_id(database_id, "database_id")))
            case ("GET", ["data_sources", data_source_id]):
                return _json_response(
                    200, self.store.get_data_source(_path_id(data_source_id, "data_source_id"))
                )
            case ("POST", ["data_sources", data_source_id, "query"]):
                return self._query_data_source(_path_id(data_source_id, "data_source_id"),
                                               _parse_body(body), request_id)
            case ("GET", ["users", "me"]):
                return _json_response(200, self._bot_user())
        raise ApiError(400, "invalid_request_url", f"Invalid request URL: {method} {path} is not an endpoint.")

    def _search(self, body: dict, request_id: str) -> Response:
        query = body.get("query", "")
        if not isinstance(query, str):
            raise validation_error(f"body.query should be a string, instead was {json.dumps(query)}.")

        object_type = None
        filter_object = body.get("filter")
        if filter_object is not None:
            if not isinstance(filter_object, dict) or filter_object.get("property") != "object":
                raise validation_error(
                    f"body.filter.property should be \"object\", instead was {json.dumps(filter_object)}."
                )
            object_type = filter_object.get("value")
            if object_type not in ("page", "data_source"):
                raise validation_error(
                    "body.filter.value should be \"page\" or \"data_source\", instead was "
                    f"{json.dumps(object_type)}."
                )

        direction = "descending"
        sort = body.get("sort")
        if sort is not None:
            if not isinstance(sort, dict) or sort.get("timestamp") != "last_edited_time":
                raise validation_error(
                    f"body.sort.timestamp should be \"last_edited_time\", instead was {json.dumps(sort)}."
                )
            direction = sort.get("direction", "descending")
            if direction not in ("ascending", "descending"):
                raise validation_error(
                    "body.sort.direction should be \"ascending\" or \"descending\", instead was "
                    f"{json.dumps(direction)}."
                )

        page = self.store.search(
            query, object_type, direction, _body_cursor(body), _page_size(body.get("page_size"), "body.page_size")
        )
        return _list_response(page, "page_or_data_source", request_id)

    def _query_data_source(self, data_source_id: str, body: dict, request_id: str) -> Response:
        conditions = parse_timestamp_filter(body["filter"]) if body.get("filter") is not None else []
        page = self.store.query_data_source(
            data_source_id,
            conditions,
            parse_sorts(body.get("sorts")),
            _body_cursor(body),
            _page_size(body.get("page_size"), "body.page_size"),
        )
        return _list_response(page, "page_or_data_source", request_id)

    def _bot_user(self) -> dict:
        return {
            "object": "user",
            "id": BOT_USER_ID,
            "name": "Local Notion server",
            "avatar_url": None,
            "type": "bot",
            "bot": {
                "owner": {"type": "workspace", "workspace": True},
                "workspace_name": self.workspace_dir.name,
            },
        }

    def handle_control(self, method: str, path: str, body: bytes) -> Response:
        """Build the response to one ``/_control`` request (mutations, faults, stats)."""
        request_id = str(uuid.uuid4())
        try:
            return self._control(method, path.strip("/").split("/")[1:], _parse_body(body))
        except ApiError as error:
            failure = error
        except DuplicateIdError as error:
            failure = ApiError(409, "conflict_error", str(error))
        except KeyError as error:
            failure = ApiError(404, "object_not_found", str(error.args[0]))
        except (ValueError, TypeError) as error:
            failure = validation_error(str(error))
        logger.warning("Control request %s %s failed: %s", method, path, failure)
        return _error_response(failure, request_id)

    def _control(self, method: str, parts: list[str], body: dict) -> Response:
        when = _parse_when(body.get("when"))
        match (method, parts):
            case ("GET", ["stats"]):
                return _json_response(200, self._stats())
            case ("POST", ["reset_log"]):
                self.reset_request_log()
            case ("POST", ["faults"]):
                known = {field.name for field in fields(FaultSettings)}
                unknown = sorted(set(body) - known)
                if unknown:
                    raise validation_error(
                        f"Unknown fault settings {unknown}: use {sorted(known)}."
                    )
                self.set_faults(FaultSettings(**body) if body else None)
            case ("POST", ["rate_limit"]):
                self.set_rate_limit(body.get("requests_per_second"), int(body.get("burst", 3)))
            case ("POST", ["pages"]):
                page_id = self.add_page(
                    str(body.get("title", "")),
                    body.get("blocks") or None,
                    parent_page_id=body.get("parent_page_id"),
                    data_source_id=body.get("data_source_id"),
                    page_id=body.get("page_id"),
                    when=when,
                )
                return _json_response(200, {"id": page_id})
            case ("POST", ["pages", page_id, action]) if action in _PAGE_ACTIONS:
                _PAGE_ACTIONS[action](self, page_id, body, when)
            case ("POST", ["blocks", block_id, "text"]):
                self.edit_block_text(block_id, str(body.get("text", "")), when=when)
            case ("POST", ["blocks", block_id, "children"]):
                ids = self.append_blocks(block_id, list(body.get("children", [])), when=when)
                return _json_response(200, {"ids": ids})
            case ("POST", ["blocks", block_id, "delete"]):
                self.delete_block(block_id, when=when)
            case _:
                raise ApiError(400, "invalid_request_url", f"Invalid control URL: {method} /_control/{'/'.join(parts)}.")
        return _json_response(200, {"ok": True})

    def _stats(self) -> dict:
        records = self.request_log
        by_status: dict[str, int] = {}
        for record in records:
            key = str(record.status) if record.status is not None else "dropped"
            by_status[key] = by_status.get(key, 0) + 1
        return {
            "requests": len(records),
            "by_status": by_status,
            "workspace": self.store.counts(),
            "faults": asdict(self.faults),
            "rate_limit": (
                {"requests_per_second": self._bucket.rate, "burst": self._bucket.burst} if self._bucket else None
            ),
        }


_PAGE_ACTIONS = {
    "trash": lambda server, page_id, body, when: server.trash_page(page_id, when=when),
    "restore": lambda server, page_id, body, when: server.restore_page(page_id, when=when),
    "unshare": lambda server, page_id, body, when: server.unshare_page(page_id),
    "share": lambda server, page_id, body, when: server.share_page(page_id),
    "touch": lambda server, page_id, body, when: server.touch_page(page_id, when=when),
    "title": lambda server, page_id, body, when: server.set_page_title(
        page_id, str(body.get("title", "")), when=when
    ),
}


class _RateLimited(Exception):
    def __init__(self, wait_seconds: float) -> None:
        self.wait_seconds = wait_seconds
        super().__init__(f"rate limited for {wait_seconds:.3f} s")


def _id(value: str) -> str:
    normalized = builders.normalize_id(value)
    if normalized is None:
        raise ValueError(f"Invalid Notion id {value!r}: use a UUID, with or without dashes.")
    return normalized


def _path_id(value: str, name: str) -> str:
    normalized = builders.normalize_id(unquote(value))
    if normalized is None:
        raise validation_error(f"path.{name} should be a valid uuid, instead was {json.dumps(unquote(value))}.")
    return normalized


def _parse_body(body: bytes) -> dict:
    if not body.strip():
        return {}
    try:
        parsed = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "invalid_json", "Error parsing JSON body.") from None
    if not isinstance(parsed, dict):
        raise validation_error(f"body should be an object, instead was {json.dumps(parsed)[:100]}.")
    return parsed


def _parse_when(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        return builders.parse_timestamp(str(value))
    except ValueError:
        raise validation_error(f"when should be an ISO 8601 timestamp, instead was {json.dumps(value)}.") from None


def _query_value(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _body_cursor(body: dict) -> str | None:
    cursor = body.get("start_cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise validation_error(f"body.start_cursor should be a string, instead was {json.dumps(cursor)}.")
    return cursor


def _page_size(value: object, name: str) -> int:
    if value is None:
        return MAX_PAGE_SIZE
    try:
        size = int(value) if not isinstance(value, bool) else -1
    except (TypeError, ValueError):
        size = -1
    if isinstance(value, float) and not value.is_integer():
        size = -1
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise validation_error(
            f"{name} should be an integer from 1 to {MAX_PAGE_SIZE}, instead was {json.dumps(value)}."
        )
    return size


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler],
                 notion: LocalNotionServer) -> None:
        self.notion = notion
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Buffer the response so headers and body leave in one segment, and send it at once:
    # separate small writes on a keep-alive connection stall about 40 ms on delayed ACKs.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    server: _HttpServer

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def log_message(self, format: str, *args: object) -> None:
        # The standard access log goes to stderr; requests are logged in _handle instead.
        pass

    def _handle(self, method: str) -> None:
        started = time.monotonic()
        raw_path, _, query_string = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        notion = self.server.notion

        if raw_path.startswith("/_control/"):
            response: Response | None = notion.handle_control(method, raw_path, body)
        elif raw_path.startswith("/v1/"):
            headers = {name.lower(): value for name, value in self.headers.items()}
            response = notion.handle_api(method, raw_path, parse_qs(query_string), headers, body)
        else:
            response = _error_response(
                ApiError(400, "invalid_request_url", f"Invalid request URL: {raw_path} does not start with /v1/."),
                str(uuid.uuid4()),
            )

        elapsed_ms = (time.monotonic() - started) * 1000
        if response is None:
            logger.debug("%s %s: dropped the connection (injected fault) after %.1f ms", method, raw_path, elapsed_ms)
            self.close_connection = True
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in (response.headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)
        logger.debug("%s %s: %d in %.1f ms", method, raw_path, response.status, elapsed_ms)


# Command line


def register_cli(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``notion-server`` subcommand; its ``func`` runs the server in the foreground."""
    parser = subparsers.add_parser(
        "notion-server",
        help="Serve a workspace directory as a local Notion-compatible API.",
        description="Serve a workspace directory as a local Notion-compatible API (version 2025-09-03).",
    )
    parser.add_argument("--workspace", type=Path, default=None,
                        help="workspace directory to serve (default: the bundled sample workspace)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="TCP port, 0 for any free port (default: 8765)")
    parser.add_argument("--token", default=None,
                        help="the only Bearer token accepted (default: any non-empty token)")
    parser.add_argument("--requests-per-second", type=float, default=None,
                        help="rate limit in requests per second; excess requests get 429 (default: none)")
    parser.add_argument("--burst", type=int, default=3, help="requests allowed at once above the rate (default: 3)")
    parser.add_argument("--error-rate", type=float, default=0.0,
                        help="fraction of requests that get a 429, 500, 502, 503 or 504 response (default: 0)")
    parser.add_argument("--drop-rate", type=float, default=0.0,
                        help="fraction of connections closed without a response (default: 0)")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="milliseconds added to every request (default: 0)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault sequence (default: 0)")
    parser.set_defaults(func=run_server_command)
    return parser


def run_server_command(args: argparse.Namespace) -> int:
    """Run the server in the foreground until interrupted; return the exit status."""
    faults = FaultSettings(
        error_rate=args.error_rate,
        drop_rate=args.drop_rate,
        latency_seconds=args.latency_ms / 1000.0,
        seed=args.seed,
    )
    server = LocalNotionServer(
        args.workspace,
        host=args.host,
        port=args.port,
        token=args.token,
        requests_per_second=args.requests_per_second,
        burst=args.burst,
        faults=faults,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    print(f"Local Notion server for {server.workspace_dir} listening on {server.url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run ``notion-server`` as a standalone program."""
    parser = argparse.ArgumentParser(prog="python -m notion_pipeline.notion.server")
    subparsers = parser.add_subparsers()
    register_cli(subparsers)
    args = parser.parse_args(["notion-server", *(argv if argv is not None else sys.argv[1:])])
    logging.basicConfig(level=logging.INFO)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
