"""A Notion API client with rate limiting, bounded retries and typed errors.

It wraps the official SDK (``notion-client`` 3.1, sync ``notion_client.Client``) with the
SDK's own retries turned off: the SDK 3.1 retries only 429 on every method and 500/503 on GET
and DELETE, and it lets connection errors through raw. This module retries every method on
429 (after ``Retry-After``), on 500/502/503/504/529, on timeouts and on dropped connections,
with exponential backoff and full jitter, until ``max_retry_seconds`` is spent.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from notion_client import Client
from notion_client.errors import HTTPResponseError, RequestTimeoutError

from notion_pipeline.errors import (
    NotionAuthError,
    NotionRateLimitedError,
    NotionRequestError,
    NotionUnavailableError,
    PageGoneError,
)
from notion_pipeline.notion.ratelimit import RateLimiter
from notion_pipeline.settings import DEFAULT_NOTION_BASE_URL, Settings

logger = logging.getLogger(__name__)

NOTION_VERSION = "2025-09-03"
RETRYABLE_STATUSES = frozenset({409, 500, 502, 503, 504, 529})
DEFAULT_PAGE_SIZE = 100

T = TypeVar("T")


class NotionNotFoundError(NotionRequestError):
    """Notion returned 404 for an object other than a page (a block, database or data source)."""

    def __init__(self, object_id: str, message: str) -> None:
        self.object_id = object_id
        super().__init__(message)


class NotionClient:
    """A sync Notion client for one workspace that passes every request through the rate limiter."""

    def __init__(
        self,
        *,
        token: str,
        base_url: str = DEFAULT_NOTION_BASE_URL,
        rate_limiter: RateLimiter | None = None,
        max_retry_seconds: float = 120,
        timeout_seconds: float = 30,
        workspace_id: str = "default",
        token_env: str = "NOTION_TOKEN",
        backoff_base_seconds: float = 0.5,
        backoff_max_seconds: float = 30.0,
    ) -> None:
        if not token:
            raise NotionAuthError(
                f"Notion token for workspace {workspace_id!r} is empty: set {token_env} to the "
                "integration's internal token."
            )
        self.base_url = base_url.rstrip("/")
        self.workspace_id = workspace_id
        self.token_env = token_env
        self.rate_limiter = rate_limiter
        self.max_retry_seconds = max_retry_seconds
        self.backoff_base_seconds = backoff_base_seconds
        self.backoff_max_seconds = backoff_max_seconds

        # The SDK logs every failed attempt as a warning. This client logs its own retries,
        # so the SDK logger is set to errors only.
        sdk_logger = logging.getLogger(f"{__name__}.sdk")
        self._sdk = Client(
            auth=token,
            base_url=self.base_url,
            timeout_ms=int(timeout_seconds * 1000),
            notion_version=NOTION_VERSION,
            logger=sdk_logger,
            log_level=logging.ERROR,
            retry=False,
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        workspace_id: str,
        rate_limiter: RateLimiter | None = None,
    ) -> NotionClient:
        """Build a client for one configured workspace, reading its token from the environment."""
        workspace = settings.workspace(workspace_id)
        return cls(
            token=workspace.token(),
            base_url=workspace.base_url,
            rate_limiter=rate_limiter,
            max_retry_seconds=settings.notion_max_retry_seconds,
            timeout_seconds=settings.notion_timeout_seconds,
            workspace_id=workspace_id,
            token_env=workspace.token_env,
        )

    def __repr__(self) -> str:
        return f"NotionClient(workspace_id={self.workspace_id!r}, base_url={self.base_url!r})"

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._sdk.close()

    def __enter__(self) -> NotionClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Endpoints. Each returns the raw JSON object, which callers parse once into dataclasses.

    def me(self) -> dict[str, Any]:
        """Retrieve the integration's bot user, which checks the token."""
        return self._call("GET users/me", None, lambda: self._sdk.users.me())

    def retrieve_page(self, page_id: str) -> dict[str, Any]:
        """Retrieve a page; raise ``PageGoneError`` when it is not found or not shared."""
        try:
            return self._call(f"GET pages/{page_id}", page_id,
                              lambda: self._sdk.pages.retrieve(page_id))
        except NotionNotFoundError:
            raise PageGoneError(page_id, "not found or not shared with the integration") from None

    def retrieve_block(self, block_id: str) -> dict[str, Any]:
        """Retrieve one block."""
        return self._call(f"GET blocks/{block_id}", block_id,
                          lambda: self._sdk.blocks.retrieve(block_id))

    def list_block_children(
        self, block_id: str, start_cursor: str | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> dict[str, Any]:
        """Fetch one page of a block's children (``results``, ``has_more``, ``next_cursor``)."""
        return self._call(
            f"GET blocks/{block_id}/children",
            block_id,
            lambda: self._sdk.blocks.children.list(
                block_id, start_cursor=start_cursor, page_size=page_size
            ),
        )

    def iter_block_children(self, block_id: str) -> Iterator[dict[str, Any]]:
        """Yield every child of a block, following ``next_cursor``."""
        yield from self._paginate(
            lambda cursor: self.list_block_children(block_id, start_cursor=cursor)
        )

    def retrieve_database(self, database_id: str) -> dict[str, Any]:
        """Retrieve a database (its title and the ids of its data sources)."""
        return self._call(f"GET databases/{database_id}", database_id,
                          lambda: self._sdk.databases.retrieve(database_id))

    def retrieve_data_source(self, data_source_id: str) -> dict[str, Any]:
        """Retrieve a data source (its title and property schema)."""
        return self._call(f"GET data_sources/{data_source_id}", data_source_id,
                          lambda: self._sdk.data_sources.retrieve(data_source_id))

    def query_data_source(
        self,
        data_source_id: str,
        start_cursor: str | None = None,
        sorts: list[dict[str, Any]] | None = None,
        filter: dict[str, Any] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> dict[str, Any]:
        """Fetch one page of a data source's rows."""
        arguments: dict[str, Any] = {"start_cursor": start_cursor, "page_size": page_size}
        if sorts is not None:
            arguments["sorts"] = sorts
        if filter is not None:
            arguments["filter"] = filter
        return self._call(
            f"POST data_sources/{data_source_id}/query",
            data_source_id,
            lambda: self._sdk.data_sources.query(data_source_id, **arguments),
        )

    def iter_data_source_rows(
        self,
        data_source_id: str,
        sorts: list[dict[str, Any]] | None = None,
        filter: dict[str, Any] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """Yield every row of a data source, following ``next_cursor``."""
        yield from self._paginate(
            lambda cursor: self.query_data_source(
                data_source_id, start_cursor=cursor, sorts=sorts, filter=filter,
                page_size=page_size,
            )
        )

    def search_page(
        self,
        *,
        query: str | None = None,
        filter_object: str | None = None,
        sort_direction: str | None = "descending",
        start_cursor: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> dict[str, Any]:
        """Fetch one page of search results; ``filter_object`` is ``page`` or ``data_source``."""
        arguments: dict[str, Any] = {"start_cursor": start_cursor, "page_size": page_size}
        if query is not None:
            arguments["query"] = query
        if filter_object is not None:
            arguments["filter"] = {"property": "object", "value": filter_object}
        if sort_direction is not None:
            arguments["sort"] = {"direction": sort_direction, "timestamp": "last_edited_time"}
        return self._call("POST search", None, lambda: self._sdk.search(**arguments))

    def search(
        self,
        *,
        query: str | None = None,
        filter_object: str | None = None,
        sort_direction: str | None = "descending",
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """Yield every search result, fetching the next page only when the caller reaches it."""
        yield from self._paginate(
            lambda cursor: self.search_page(
                query=query, filter_object=filter_object, sort_direction=sort_direction,
                start_cursor=cursor, page_size=page_size,
            )
        )

    # Retries and error mapping.

    def _paginate(
        self, fetch: Callable[[str | None], dict[str, Any]]
    ) -> Iterator[dict[str, Any]]:
        cursor: str | None = None
        while True:
            response = fetch(cursor)
            yield from response.get("results") or []
            cursor = response.get("next_cursor")
            if not response.get("has_more") or not cursor:
                return

    def _call(self, operation: str, object_id: str | None, send: Callable[[], T]) -> T:
        """Send one request with rate limiting and retries; ``operation`` is "METHOD path"."""
        started = time.monotonic()
        attempt = 0
        while True:
            if self.rate_limiter is not None:
                self.rate_limiter.acquire()
            try:
                return replace_lone_surrogates(send())
            except HTTPResponseError as error:
                retry_after = _parse_retry_after(error.headers.get("retry-after"))
                if error.status == 429:
                    if self.rate_limiter is not None and retry_after:
                        self.rate_limiter.penalize(retry_after)
                    wait = retry_after if retry_after is not None else self._backoff(attempt)
                    fault = f"status 429 ({error.code})"
                    give_up = NotionRateLimitedError
                elif error.status in RETRYABLE_STATUSES or error.status >= 500:
                    wait = retry_after if retry_after is not None else self._backoff(attempt)
                    fault = f"status {error.status}"
                    give_up = NotionUnavailableError
                else:
                    raise self._permanent_error(operation, object_id, error) from None
            except httpx.UnsupportedProtocol:
                raise NotionRequestError(
                    f"Notion base URL {self.base_url!r} is invalid: set NOTION_BASE_URL to an "
                    "http:// or https:// URL."
                ) from None
            except RequestTimeoutError:
                wait, fault, give_up, retry_after = (
                    self._backoff(attempt), "timeout", NotionUnavailableError, None
                )
            except (httpx.TransportError, httpx.DecodingError, json.JSONDecodeError) as error:
                # A dropped connection surfaces as an httpx transport error, and a body cut
                # short after a 200 surfaces as invalid JSON; both are worth another try.
                wait, fault, give_up, retry_after = (
                    self._backoff(attempt), type(error).__name__, NotionUnavailableError, None
                )

            elapsed = time.monotonic() - started
            attempt += 1
            if elapsed + wait > self.max_retry_seconds:
                raise give_up(
                    self._give_up_message(operation, fault, attempt, elapsed), retry_after
                ) from None
            logger.warning(
                "Notion %s failed with %s (attempt %s); retrying in %.2fs",
                operation, fault, attempt, wait,
            )
            time.sleep(wait)

    def _backoff(self, attempt: int) -> float:
        # Full jitter: a uniform wait up to the exponential bound spreads out clients that
        # failed together, so they do not retry in lockstep.
        bound = min(self.backoff_max_seconds, self.backoff_base_seconds * 2**attempt)
        return random.uniform(0, bound)

    def _give_up_message(self, operation: str, fault: str, attempts: int, elapsed: float) -> str:
        message = (
            f"Notion {operation} at {self.base_url} failed with {fault} after {attempts} "
            f"attempts in {elapsed:.1f}s (retry limit {self.max_retry_seconds:g}s)."
        )
        if fault == "ConnectError":
            message += (
                f" Cannot connect to {self.base_url}: check that NOTION_BASE_URL points at a "
                "running Notion API server."
            )
        else:
            message += " Try again later."
        return message

    def _permanent_error(
        self, operation: str, object_id: str | None, error: HTTPResponseError
    ) -> Exception:
        code = getattr(error.code, "value", error.code)
        detail = str(error) or f"status {error.status}"
        if error.status == 401:
            return NotionAuthError(
                f"Notion rejected the token for workspace {self.workspace_id!r} ({operation}: "
                f"{detail}). Check the integration token in {self.token_env}."
            )
        if error.status == 403:
            return NotionAuthError(
                f"Notion denied access for workspace {self.workspace_id!r} ({operation}: "
                f"{detail}). Share the page with the integration, or give the integration "
                f"the read content capability; the token comes from {self.token_env}."
            )
        if error.status == 404:
            return NotionNotFoundError(
                object_id or "",
                f"Notion {operation} returned 404 {code}: {detail}. The object does not exist "
                "or is not shared with the integration.",
            )
        return NotionRequestError(f"Notion rejected {operation} with {error.status} {code}: {detail}")


def _parse_retry_after(value: str | None) -> float | None:
    """Parse a ``Retry-After`` header given in seconds (possibly fractional) or as a date."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = moment.timestamp() - time.time()
    return max(0.0, seconds)


def replace_lone_surrogates(value: T) -> T:
    """Replace unpaired UTF-16 surrogates in every string of a JSON value with U+FFFD.

    JSON may escape half of a surrogate pair (``"\\ud800"``). Python decodes it into a string
    that cannot be encoded as UTF-8, so SQLite, Qdrant and the tokenizer would all reject it.
    """
    if isinstance(value, str):
        if _SURROGATE.search(value) is None:
            return value
        return _SURROGATE.sub("\ufffd", value)  # type: ignore[return-value]
    if isinstance(value, dict):
        return {key: replace_lone_surrogates(item) for key, item in value.items()}  # type: ignore[return-value]
    if isinstance(value, list):
        return [replace_lone_surrogates(item) for item in value]  # type: ignore[return-value]
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")
