"""A Notion rate limit shared through Redis by every process and run of one integration.

Notion counts requests per integration, not per process, so concurrent runs must draw from one
token bucket. The bucket lives in a Redis hash and a Lua script updates it atomically, with
Redis's own ``TIME`` as the clock so that hosts with skewed clocks still agree.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable

import redis
from redis.exceptions import RedisError

from notion_pipeline.notion.ratelimit import RateLimiter, TokenBucket
from notion_pipeline.redaction import redact, redact_url
from notion_pipeline.settings import Settings

logger = logging.getLogger(__name__)

KEY_PREFIX = "notion_pipeline:ratelimit:"
DEFAULT_RETRY_INTERVAL_SECONDS = 30.0
SOCKET_TIMEOUT_SECONDS = 2.0

# Maximum duration of one sleep, so a waiting caller soon notices a new penalty or a Redis outage.
MAX_SLEEP_SECONDS = 1.0

# KEYS[1]: the bucket hash. ARGV: rate per second, burst, idle TTL in seconds.
# Returns "0" when a token was taken, else the seconds to wait before calling again.
# Fields: tokens, refilled_at (seconds), blocked_until (seconds, set by a 429 penalty).
_ACQUIRE_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'refilled_at', 'blocked_until')
local tokens = tonumber(state[1]) or burst
local refilled_at = tonumber(state[2]) or now
local blocked_until = tonumber(state[3]) or 0
if now < blocked_until then
    return tostring(blocked_until - now)
end
if now > refilled_at then
    tokens = math.min(burst, tokens + (now - refilled_at) * rate)
    refilled_at = now
end
local wait = 0
if tokens >= 1 then
    tokens = tokens - 1
else
    wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'refilled_at', tostring(refilled_at),
    'blocked_until', tostring(blocked_until))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return tostring(wait)
"""

# KEYS[1]: the bucket hash. ARGV: penalty in seconds, idle TTL in seconds.
# Empties the bucket and blocks it until now + penalty, unless a longer block is already set.
_PENALIZE_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local resume_at = now + tonumber(ARGV[1])
local blocked_until = tonumber(redis.call('HGET', KEYS[1], 'blocked_until')) or 0
if resume_at > blocked_until then
    redis.call('HSET', KEYS[1], 'tokens', '0', 'refilled_at', tostring(resume_at),
        'blocked_until', tostring(resume_at))
    redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[1])) + tonumber(ARGV[2]))
end
return tostring(resume_at - now)
"""


class RedisTokenBucket:
    """Token bucket in Redis shared by every process that uses the same ``key``.

    While Redis is unreachable, each process falls back to its own ``fallback`` limiter, so
    several processes together may then exceed the rate. It logs one warning per outage and
    tries Redis again every ``retry_interval`` seconds.
    """

    def __init__(
        self,
        redis_url: str,
        key: str,
        rate_per_second: float,
        burst: int,
        fallback: RateLimiter,
        *,
        retry_interval: float = DEFAULT_RETRY_INTERVAL_SECONDS,
        client: redis.Redis | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError(
                f"rate_per_second must be positive, got {rate_per_second}: "
                "set NOTION_REQUESTS_PER_SECOND to a positive number."
            )
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}: set NOTION_BURST to 1 or more.")

        self.key = key
        self.rate_per_second = rate_per_second
        self.burst = burst
        self.fallback = fallback
        self.retry_interval = retry_interval
        self._display_url = redact_url(redis_url)
        self._client = client or redis.Redis.from_url(
            redis_url,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        )
        self._acquire_script = self._client.register_script(_ACQUIRE_SCRIPT)
        self._penalize_script = self._client.register_script(_PENALIZE_SCRIPT)
        self._sleep = sleep

        # An idle bucket refills completely after burst / rate seconds, so dropping the key
        # after that (plus a margin) loses nothing.
        self._idle_ttl = math.ceil(burst / rate_per_second) + 60

        self._lock = threading.Lock()
        self._redis_down = False
        self._retry_at = 0.0

    def acquire(self) -> None:
        """Block until the shared bucket (or the fallback while Redis is down) grants a request."""
        while True:
            if not self._redis_usable():
                self.fallback.acquire()
                return
            try:
                wait = float(
                    self._acquire_script(
                        keys=[self.key], args=[self.rate_per_second, self.burst, self._idle_ttl]
                    )
                )
            except RedisError as error:
                self._mark_down(error)
                self.fallback.acquire()
                return
            self._mark_up()

            if wait <= 0:
                return
            # Jitter keeps processes that wait on the same bucket from retrying in lockstep.
            self._sleep(min(wait, MAX_SLEEP_SECONDS) * random.uniform(1.0, 1.1))

    def penalize(self, seconds: float) -> None:
        """Hold back every process that shares the bucket for ``seconds`` (a 429's Retry-After)."""
        if seconds <= 0:
            return

        # The fallback is penalized too, so the block still applies here if Redis fails during it.
        self.fallback.penalize(seconds)
        if not self._redis_usable():
            return
        try:
            self._penalize_script(keys=[self.key], args=[seconds, self._idle_ttl])
        except RedisError as error:
            self._mark_down(error)
            return
        self._mark_up()
        logger.info("Paused Notion requests for %s by %.1f s after a 429", self.key, seconds)

    def close(self) -> None:
        """Close the Redis connections."""
        self._client.close()

    def __repr__(self) -> str:
        return f"RedisTokenBucket({self._display_url!r}, {self.key!r})"

    def _redis_usable(self) -> bool:
        with self._lock:
            return not self._redis_down or time.monotonic() >= self._retry_at

    def _mark_down(self, error: RedisError) -> None:
        with self._lock:
            first = not self._redis_down
            self._redis_down = True
            self._retry_at = time.monotonic() + self.retry_interval
        if first:
            logger.warning(
                "Redis at %s is unreachable (%s): rate limiting %s in this process only "
                "until Redis answers again; retrying every %.0f s",
                self._display_url,
                redact(str(error)),
                self.key,
                self.retry_interval,
            )
        else:
            logger.debug("Redis at %s is still unreachable: %s", self._display_url, redact(str(error)))

    def _mark_up(self) -> None:
        with self._lock:
            recovered = self._redis_down
            self._redis_down = False
        if recovered:
            logger.info(
                "Redis at %s is reachable again: %s shares its rate limit again",
                self._display_url,
                self.key,
            )


def build_rate_limiter(settings: Settings, workspace_id: str) -> RateLimiter:
    """Build the workspace's limiter: shared through Redis when REDIS_URL is set, else in-process."""
    local = TokenBucket(settings.notion_requests_per_second, settings.notion_burst)
    if not settings.redis_url:
        return local
    return RedisTokenBucket(
        settings.redis_url,
        f"{KEY_PREFIX}{workspace_id}",
        settings.notion_requests_per_second,
        settings.notion_burst,
        fallback=local,
    )
