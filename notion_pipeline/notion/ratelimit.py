"""Client-side rate limiting for Notion requests.

Notion allows an average of about three requests per second per integration and responds
with 429 and a ``Retry-After`` header beyond that. Every request the client sends first calls
``RateLimiter.acquire``. A 429 calls ``RateLimiter.penalize``, so every caller sharing the
limiter backs off, not only the one that was rejected.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

DEFAULT_RATE_PER_SECOND = 3.0
DEFAULT_BURST = 10
TOKEN_TOLERANCE = 1e-6


class RateLimiter(Protocol):
    """A limit shared by every request to one Notion workspace."""

    def acquire(self) -> None: ...  # block until one request may be sent

    def penalize(self, seconds: float) -> None: ...  # hold every caller back for `seconds`


class TokenBucket:
    """Thread-safe in-process token bucket: ``rate_per_second`` on average, ``burst`` at once."""

    def __init__(
        self,
        rate_per_second: float = DEFAULT_RATE_PER_SECOND,
        burst: int = DEFAULT_BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError(
                f"rate_per_second must be positive, got {rate_per_second}: "
                "set NOTION_REQUESTS_PER_SECOND to a positive number."
            )
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}: set NOTION_BURST to 1 or more.")
        self.rate_per_second = rate_per_second
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._refilled_at = clock()

    def acquire(self) -> None:
        """Take one token, sleeping until one is available."""
        while True:
            with self._lock:
                wait = self._take_or_wait()
            if wait <= 0:
                return
            self._sleep(wait)

    def penalize(self, seconds: float) -> None:
        """Empty the bucket and start refilling it only after ``seconds``."""
        if seconds <= 0:
            return
        with self._lock:
            self._refill()
            resume_at = self._clock() + seconds
            # Refilling starts at the end of the penalty, so callers resume at the average
            # rate instead of spending a whole burst into the limit that just rejected them.
            self._tokens = 0.0
            self._refilled_at = max(self._refilled_at, resume_at)

    def _take_or_wait(self) -> float:
        """Take a token and return 0, or return the seconds until one is available."""
        self._refill()
        # The tolerance absorbs rounding: a wait too small to move a large clock value
        # would otherwise leave the bucket a hair short of one token forever.
        if self._tokens >= 1 - TOKEN_TOLERANCE:
            self._tokens = max(0.0, self._tokens - 1)
            return 0.0
        now = self._clock()
        penalty_left = max(0.0, self._refilled_at - now)
        return penalty_left + (1 - self._tokens) / self.rate_per_second

    def _refill(self) -> None:
        now = self._clock()
        if now <= self._refilled_at:
            return
        elapsed = now - self._refilled_at
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate_per_second)
        self._refilled_at = now
