"""Sync progress events in a Redis stream per workspace, so an application can show live status.

Events carry ids, counts and error messages (redacted and cut to ``MAX_ERROR_LENGTH``
characters), never page content. Publishing is best effort, so a Redis failure is logged once
per outage and never fails a sync.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis
from redis.exceptions import RedisError

from notion_pipeline.errors import ConfigurationError
from notion_pipeline.redaction import redact, redact_url
from notion_pipeline.settings import Settings

logger = logging.getLogger(__name__)

STREAM_PREFIX = "notion_pipeline:events:"
DEFAULT_MAX_LEN = 10_000
MAX_ERROR_LENGTH = 500
DEFAULT_RETRY_INTERVAL_SECONDS = 30.0
SOCKET_TIMEOUT_SECONDS = 2.0

SYNC_STARTED = "sync_started"
PROGRESS = "progress"
PAGE_FAILED = "page_failed"
SYNC_COMPLETED = "sync_completed"


def stream_key(workspace_id: str) -> str:
    """Return the name of the workspace's Redis stream."""
    return f"{STREAM_PREFIX}{workspace_id}"


@dataclass(frozen=True)
class ProgressEvent:
    """One entry of a workspace's event stream, with the type-specific fields in ``details``."""

    id: str
    type: str
    workspace_id: str
    run_id: str
    time: str
    details: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_entry(cls, entry_id: bytes | str, values: Mapping[bytes | str, bytes | str]) -> ProgressEvent:
        """Parse one stream entry as XRANGE or XREAD returns it."""
        decoded = {_text(name): _text(value) for name, value in values.items()}
        return cls(
            id=_text(entry_id),
            type=decoded.pop("type", ""),
            workspace_id=decoded.pop("workspace_id", ""),
            run_id=decoded.pop("run_id", ""),
            time=decoded.pop("time", ""),
            details=decoded,
        )

    def describe(self) -> str:
        """Format the event as one line for a terminal."""
        details = " ".join(f"{name}={value}" for name, value in self.details.items())
        line = f"{self.time} {self.workspace_id} run={self.run_id} {self.type}"
        return f"{line} {details}" if details else line


class ProgressEvents:
    """Publisher of sync progress events. Every method does nothing when ``redis_url`` is None."""

    def __init__(
        self,
        redis_url: str | None = None,
        *,
        max_len: int = DEFAULT_MAX_LEN,
        retry_interval: float = DEFAULT_RETRY_INTERVAL_SECONDS,
        client: redis.Redis | None = None,
    ) -> None:
        self.max_len = max_len
        self.retry_interval = retry_interval
        self._display_url = redact_url(redis_url) if redis_url else None
        self._client = client
        if self._client is None and redis_url:
            self._client = redis.Redis.from_url(
                redis_url,
                socket_timeout=SOCKET_TIMEOUT_SECONDS,
                socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
            )
        self._lock = threading.Lock()
        self._failing = False
        self._retry_at = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ProgressEvents:
        """Build a Redis publisher when REDIS_URL is set, else a publisher that does nothing."""
        return cls(settings.redis_url)

    @property
    def enabled(self) -> bool:
        return self._client is not None

    def sync_started(self, workspace_id: str, run_id: str, kind: str, total: int | None) -> None:
        """Publish the start of a sync of ``kind`` over ``total`` pages (None when not yet known)."""
        self._publish(workspace_id, run_id, SYNC_STARTED, {"kind": kind, "total": _number(total)})

    def progress(self, workspace_id: str, run_id: str, done: int, total: int | None) -> None:
        """Publish that ``done`` of ``total`` pages are processed."""
        self._publish(workspace_id, run_id, PROGRESS, {"done": str(done), "total": _number(total)})

    def page_failed(self, workspace_id: str, run_id: str, page_id: str, error: str) -> None:
        """Publish a page failure with its error redacted and cut to ``MAX_ERROR_LENGTH`` characters."""
        self._publish(
            workspace_id, run_id, PAGE_FAILED, {"page_id": page_id, "error": _short_error(error)}
        )

    def sync_completed(
        self, workspace_id: str, run_id: str, counts: Mapping[str, int], duration_seconds: float
    ) -> None:
        """Publish the end of a sync with its counts (pages indexed, failed …) and duration."""
        self._publish(
            workspace_id,
            run_id,
            SYNC_COMPLETED,
            {
                "counts": json.dumps(dict(counts), sort_keys=True),
                "duration_seconds": f"{duration_seconds:.3f}",
            },
        )

    def close(self) -> None:
        """Close the Redis connections."""
        if self._client is not None:
            self._client.close()

    def _publish(self, workspace_id: str, run_id: str, event_type: str, details: dict[str, str]) -> None:
        if self._client is None:
            return
        with self._lock:
            if self._failing and time.monotonic() < self._retry_at:
                return

        entry = {
            "type": event_type,
            "workspace_id": workspace_id,
            "run_id": run_id,
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            **details,
        }
        try:
            self._client.xadd(stream_key(workspace_id), entry, maxlen=self.max_len, approximate=True)
        # Events are best effort, so no failure of any kind may reach the sync that publishes.
        except Exception as error:  # noqa: BLE001
            self._mark_failing(workspace_id, run_id, error)
            return

        with self._lock:
            recovered, self._failing = self._failing, False
        if recovered:
            logger.info("Publishing progress events to Redis at %s again", self._display_url)

    def _mark_failing(self, workspace_id: str, run_id: str, error: Exception) -> None:
        with self._lock:
            first, self._failing = not self._failing, True
            self._retry_at = time.monotonic() + self.retry_interval
        if first:
            logger.warning(
                "Could not publish progress events of workspace %s, run %s, to Redis at %s "
                "(%s): the sync goes on without them; retrying every %.0f s",
                workspace_id,
                run_id,
                self._display_url,
                redact(str(error)),
                self.retry_interval,
            )


def read_events(
    redis_url: str,
    workspace_id: str,
    *,
    follow: bool = False,
    count: int = 20,
    block_ms: int = 5_000,
    client: redis.Redis | None = None,
) -> Iterator[ProgressEvent]:
    """Return the workspace's last ``count`` events, oldest first, then new ones while ``follow``.

    The past events are read before this function returns, so with ``follow`` every event
    published after the call is yielded, even before the first ``next()``.
    """
    client = client or redis.Redis.from_url(redis_url, socket_connect_timeout=SOCKET_TIMEOUT_SECONDS)
    key = stream_key(workspace_id)

    latest = client.xrevrange(key, count=max(count, 1))
    last_id = _text(latest[0][0]) if latest else "0-0"
    past = [ProgressEvent.from_entry(entry_id, values) for entry_id, values in latest[:count]]
    past.reverse()
    return _follow(client, key, past, last_id, block_ms) if follow else iter(past)


def _follow(
    client: redis.Redis, key: str, past: list[ProgressEvent], last_id: str, block_ms: int
) -> Iterator[ProgressEvent]:
    yield from past
    while True:
        # XREAD returns None when block_ms passes without a new entry, and the loop waits again.
        response = client.xread({key: last_id}, block=block_ms, count=100)
        for _stream, entries in response or []:
            for entry_id, values in entries:
                last_id = _text(entry_id)
                yield ProgressEvent.from_entry(entry_id, values)


def register_cli(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``events`` command, which prints a workspace's sync progress events."""
    parser = subparsers.add_parser(
        "events",
        help="Print sync progress events from Redis (requires REDIS_URL).",
        description="Print a workspace's sync progress events, one line per event, oldest first.",
    )
    parser.add_argument(
        "--workspace", help="workspace id to read (default: the first configured workspace)"
    )
    parser.add_argument(
        "--follow", action="store_true", help="keep printing new events until interrupted"
    )
    parser.add_argument(
        "--count", type=int, default=20, help="number of past events to print first (default: 20)"
    )
    parser.set_defaults(func=run_events_command)
    return parser


def run_events_command(args: argparse.Namespace) -> int:
    """Print the events that ``args`` selects; return the process exit status."""
    try:
        settings = Settings.load()
        workspace_id = settings.workspace(args.workspace).id if args.workspace else (
            settings.workspaces[0].id
        )
    except ConfigurationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not settings.redis_url:
        print(
            "error: REDIS_URL is not set. Progress events are published only to Redis: set "
            "REDIS_URL (for example redis://127.0.0.1:6379/0) for the pipeline and this command.",
            file=sys.stderr,
        )
        return 2
    if args.count < 0:
        print(f"error: --count must be 0 or more, got {args.count}.", file=sys.stderr)
        return 2

    try:
        for event in read_events(
            settings.redis_url, workspace_id, follow=args.follow, count=args.count
        ):
            print(event.describe(), flush=True)
    except KeyboardInterrupt:
        return 0
    except RedisError as error:
        print(
            f"error: reading events from Redis at {redact_url(settings.redis_url)} failed: "
            f"{redact(str(error))}. Check that Redis is running and REDIS_URL points at it.",
            file=sys.stderr,
        )
        return 1
    return 0


def _short_error(error: str) -> str:
    cleaned = redact(error)
    if len(cleaned) <= MAX_ERROR_LENGTH:
        return cleaned
    return cleaned[: MAX_ERROR_LENGTH - 1] + "…"


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
