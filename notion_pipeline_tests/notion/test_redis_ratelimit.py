"""The Redis-shared rate limit, against the Redis on 127.0.0.1:6379 and a redis-server started here."""

from __future__ import annotations

import logging
import multiprocessing
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from notion_pipeline.notion.ratelimit import TokenBucket
from notion_pipeline.notion.redis_ratelimit import (
    KEY_PREFIX,
    RedisTokenBucket,
    build_rate_limiter,
)
from notion_pipeline.settings import Settings

REDIS_URL = "redis://127.0.0.1:6379/0"
LOGGER = "notion_pipeline.notion.redis_ratelimit"


class CountingLimiter:
    """In-process fallback that counts how often the Redis limiter delegates to it."""

    def __init__(self) -> None:
        self.bucket = TokenBucket(1000.0, 1000)
        self.acquired = 0
        self.penalties: list[float] = []

    def acquire(self) -> None:
        self.acquired += 1
        self.bucket.acquire()

    def penalize(self, seconds: float) -> None:
        self.penalties.append(seconds)


@pytest.fixture
def key() -> Iterator[str]:
    name = f"notion_pipeline_test:ratelimit:{uuid.uuid4().hex}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(name)
    client.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(port: int, folder: Path) -> subprocess.Popen:
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=0.2)
    for _ in range(100):
        try:
            client.ping()
            return server
        except redis.ConnectionError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError(f"redis-server on port {port} did not start")


def stop_redis(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=10)


def acquire_many(key: str, count: int, start: multiprocessing.Event, results) -> None:
    limiter = RedisTokenBucket(REDIS_URL, key, 10.0, 2, fallback=CountingLimiter())
    start.wait()
    granted = []
    for _ in range(count):
        limiter.acquire()
        granted.append(time.time())
    results.put((granted, limiter.fallback.acquired))


def acquire_once(key: str, results) -> None:
    limiter = RedisTokenBucket(REDIS_URL, key, 10.0, 5, fallback=CountingLimiter())
    limiter.acquire()
    results.put(time.time())


def test_two_processes_share_bucket(key: str) -> None:
    rate, burst, per_process = 10.0, 2, 12
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    results = context.Queue()
    workers = [
        context.Process(target=acquire_many, args=(key, per_process, start, results))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    start.set()
    outcomes = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)

    granted = sorted(stamp for stamps, _ in outcomes for stamp in stamps)
    assert len(granted) == 2 * per_process
    assert [fallback_count for _, fallback_count in outcomes] == [0, 0]
    # Any span of the merged grants contains at most burst + rate * span grants. Two tokens of
    # slack cover a process recording its grant late after being descheduled.
    for first in range(len(granted)):
        for last in range(first, len(granted)):
            span = granted[last] - granted[first]
            assert last - first + 1 <= burst + rate * span + 2, (first, last, span)


def test_penalize_blocks_other_process(key: str) -> None:
    penalizer = RedisTokenBucket(REDIS_URL, key, 10.0, 5, fallback=CountingLimiter())
    context = multiprocessing.get_context("spawn")
    results = context.Queue()

    penalized_at = time.time()
    penalizer.penalize(1.5)
    worker = context.Process(target=acquire_once, args=(key, results))
    worker.start()
    granted_at = results.get(timeout=60)
    worker.join(timeout=30)

    assert granted_at - penalized_at >= 1.5


def test_penalize_empties_bucket(key: str) -> None:
    limiter = RedisTokenBucket(REDIS_URL, key, 10.0, 5, fallback=CountingLimiter())
    limiter.penalize(0.2)
    client = redis.Redis.from_url(REDIS_URL)

    state = client.hgetall(key)

    assert float(state[b"tokens"]) == 0.0
    assert float(state[b"blocked_until"]) > 0
    client.close()


def test_shorter_penalty_keeps_longer_block(key: str) -> None:
    limiter = RedisTokenBucket(REDIS_URL, key, 10.0, 5, fallback=CountingLimiter())
    client = redis.Redis.from_url(REDIS_URL)
    limiter.penalize(30)
    blocked_until = float(client.hget(key, "blocked_until"))

    limiter.penalize(1)

    assert float(client.hget(key, "blocked_until")) == blocked_until
    client.delete(key)
    client.close()


def test_penalize_also_reaches_fallback(key: str) -> None:
    fallback = CountingLimiter()
    limiter = RedisTokenBucket(REDIS_URL, key, 10.0, 5, fallback=fallback)

    limiter.penalize(0.1)
    limiter.penalize(0)

    assert fallback.penalties == [0.1]


def test_bucket_key_expires(key: str) -> None:
    limiter = RedisTokenBucket(REDIS_URL, key, 10.0, 5, fallback=CountingLimiter())
    limiter.acquire()
    client = redis.Redis.from_url(REDIS_URL)

    ttl = client.ttl(key)

    assert ttl > 0
    client.close()


def test_burst_then_refill_uses_redis(key: str) -> None:
    fallback = CountingLimiter()
    limiter = RedisTokenBucket(REDIS_URL, key, 50.0, 3, fallback=fallback)

    for _ in range(6):
        limiter.acquire()

    assert fallback.acquired == 0


def test_unreachable_redis_uses_fallback(key: str, caplog: pytest.LogCaptureFixture) -> None:
    fallback = CountingLimiter()
    url = f"redis://app:hunter22-pass@127.0.0.1:{free_port()}/0"
    limiter = RedisTokenBucket(url, key, 10.0, 2, fallback=fallback)

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        for _ in range(5):
            limiter.acquire()

    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert fallback.acquired == 5
    assert len(warnings) == 1
    assert "hunter22-pass" not in warnings[0].getMessage()


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_redis_stops_mid_run(key: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    server = start_redis(port, tmp_path)
    fallback = CountingLimiter()
    limiter = RedisTokenBucket(
        f"redis://127.0.0.1:{port}/0", key, 100.0, 10, fallback=fallback, retry_interval=0.2
    )
    try:
        with caplog.at_level(logging.INFO, logger=LOGGER):
            for _ in range(3):
                limiter.acquire()
            used_before_stop = fallback.acquired

            stop_redis(server)
            for _ in range(5):
                limiter.acquire()
            used_while_down = fallback.acquired - used_before_stop

            server = start_redis(port, tmp_path)
            time.sleep(0.3)  # past retry_interval, so the next call tries Redis again
            limiter.acquire()
            used_after_restart = fallback.acquired - used_before_stop - used_while_down
    finally:
        limiter.close()
        stop_redis(server)

    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    recovered = [record for record in caplog.records if "reachable again" in record.getMessage()]
    assert used_before_stop == 0
    assert used_while_down == 5
    assert used_after_restart == 0
    assert len(warnings) == 1
    assert len(recovered) == 1


def test_invalid_rate_rejected(key: str) -> None:
    with pytest.raises(ValueError, match="NOTION_REQUESTS_PER_SECOND"):
        RedisTokenBucket(REDIS_URL, key, 0, 2, fallback=CountingLimiter())


def test_invalid_burst_rejected(key: str) -> None:
    with pytest.raises(ValueError, match="NOTION_BURST"):
        RedisTokenBucket(REDIS_URL, key, 3.0, 0, fallback=CountingLimiter())


def test_build_without_redis(tmp_path: Path) -> None:
    settings = Settings.load({"NOTION_PIPELINE_DATA_DIR": str(tmp_path)})

    limiter = build_rate_limiter(settings, "acme")

    assert isinstance(limiter, TokenBucket)


def test_build_with_redis(tmp_path: Path) -> None:
    settings = Settings.load(
        {"NOTION_PIPELINE_DATA_DIR": str(tmp_path), "REDIS_URL": REDIS_URL, "NOTION_BURST": "4"}
    )

    limiter = build_rate_limiter(settings, "acme")

    assert isinstance(limiter, RedisTokenBucket)
    assert limiter.key == f"{KEY_PREFIX}acme"
    assert limiter.burst == 4
    assert isinstance(limiter.fallback, TokenBucket)
    limiter.close()
