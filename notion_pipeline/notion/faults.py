"""Fault injection and rate limiting for the local Notion server."""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass
from enum import Enum

# Statuses an injected error is drawn from, each equally likely.
INJECTED_ERROR_STATUSES = (429, 500, 502, 503, 504)


@dataclass
class FaultSettings:
    """Faults the local server injects into ``/v1`` requests, drawn from a seeded generator."""

    error_rate: float = 0.0
    """Fraction of requests that get a 429, 500, 502 (HTML body), 503 or 504 response."""
    drop_rate: float = 0.0
    """Fraction of connections closed without a response."""
    latency_seconds: float = 0.0
    """Delay added to every request."""
    latency_jitter_seconds: float = 0.0
    """Extra delay drawn uniformly from [0, jitter] per request."""
    retry_after_seconds: float = 1.0
    """Retry-After value of injected 429s. Notion sends whole seconds, but fractions keep tests fast."""
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("error_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"FaultSettings.{name} must be between 0 and 1, got {value}.")
        if self.error_rate + self.drop_rate > 1.0:
            raise ValueError(
                f"FaultSettings.error_rate + drop_rate must be at most 1, got "
                f"{self.error_rate} + {self.drop_rate}."
            )
        for name in ("latency_seconds", "latency_jitter_seconds", "retry_after_seconds"):
            value = getattr(self, name)
            if value < 0:
                raise ValueError(f"FaultSettings.{name} must not be negative, got {value}.")


class FaultKind(Enum):
    """The server's treatment of one request."""

    NONE = "none"
    DROP = "drop"
    ERROR = "error"


@dataclass(frozen=True)
class FaultDecision:
    """The fault drawn for one request: its kind, the error status and the added delay."""

    kind: FaultKind
    status: int | None
    delay_seconds: float


class FaultInjector:
    """Draw one fault decision per request from a generator seeded by ``FaultSettings.seed``.

    Decisions are drawn in arrival order under a lock, so a client that sends requests one at
    a time gets the same sequence of faults on every run.
    """

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._lock = threading.Lock()
        self.configure(settings)

    def configure(self, settings: FaultSettings | None) -> None:
        """Replace the settings and restart the random sequence from the seed."""
        with self._lock:
            self.settings = settings or FaultSettings()
            self._random = random.Random(self.settings.seed)

    def draw(self) -> FaultDecision:
        """Draw the fault for the next request."""
        settings = self.settings
        with self._lock:
            delay = settings.latency_seconds
            if settings.latency_jitter_seconds > 0:
                delay += self._random.uniform(0.0, settings.latency_jitter_seconds)
            if settings.error_rate == 0 and settings.drop_rate == 0:
                return FaultDecision(FaultKind.NONE, None, delay)

            roll = self._random.random()
            if roll < settings.drop_rate:
                return FaultDecision(FaultKind.DROP, None, delay)
            if roll < settings.drop_rate + settings.error_rate:
                status = self._random.choice(INJECTED_ERROR_STATUSES)
                return FaultDecision(FaultKind.ERROR, status, delay)
            return FaultDecision(FaultKind.NONE, None, delay)


class TokenBucket:
    """A token bucket: ``rate`` tokens per second, at most ``burst`` stored."""

    def __init__(self, rate: float, burst: int) -> None:
        if rate <= 0:
            raise ValueError(f"Rate limit must be positive requests per second, got {rate}.")
        if burst < 1:
            raise ValueError(f"Rate limit burst must be at least 1, got {burst}.")
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take a token and return 0, or return the seconds until one is available."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self.rate


def format_retry_after(seconds: float, *, whole_seconds: bool) -> str:
    """Format a Retry-After header value: rounded up to whole seconds, or as a decimal."""
    if whole_seconds:
        return str(max(1, math.ceil(seconds)))
    if float(seconds).is_integer():
        return str(int(seconds))
    return f"{seconds:.3f}".rstrip("0").rstrip(".")
