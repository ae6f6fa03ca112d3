import threading

import pytest

from notion_pipeline.notion.ratelimit import TokenBucket


class FakeClock:
    """A clock that advances only when the bucket sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_bucket(rate: float = 2.0, burst: int = 3) -> tuple[TokenBucket, FakeClock]:
    clock = FakeClock()
    return TokenBucket(rate, burst, clock=clock, sleep=clock.sleep), clock


def test_burst_needs_no_sleep():
    bucket, clock = make_bucket(burst=3)
    for _ in range(3):
        bucket.acquire()
    assert clock.sleeps == []


def test_request_after_burst_waits_one_interval():
    bucket, clock = make_bucket(rate=2.0, burst=3)
    for _ in range(4):
        bucket.acquire()
    assert clock.now - 100.0 == pytest.approx(0.5)


def test_average_rate_holds_over_many_requests():
    bucket, clock = make_bucket(rate=4.0, burst=2)
    for _ in range(42):
        bucket.acquire()
    # 2 requests from the burst, then 40 at 4 per second.
    assert clock.now - 100.0 == pytest.approx(10.0)


def test_idle_time_refills_up_to_burst():
    bucket, clock = make_bucket(rate=1.0, burst=3)
    for _ in range(3):
        bucket.acquire()
    clock.now += 60
    for _ in range(3):
        bucket.acquire()
    assert clock.sleeps == []


def test_penalize_holds_back_next_request():
    bucket, clock = make_bucket(rate=10.0, burst=5)
    bucket.penalize(2.0)
    bucket.acquire()
    assert clock.now - 100.0 >= 2.0


def test_penalize_empties_burst():
    bucket, clock = make_bucket(rate=10.0, burst=5)
    bucket.penalize(1.0)
    for _ in range(3):
        bucket.acquire()
    # After the penalty, tokens come at the average rate: 3 tokens take 0.3 s.
    assert clock.now - 100.0 == pytest.approx(1.3)


def test_shorter_penalty_does_not_shorten_longer():
    bucket, clock = make_bucket(rate=10.0, burst=5)
    bucket.penalize(3.0)
    bucket.penalize(1.0)
    bucket.acquire()
    assert clock.now - 100.0 >= 3.0


def test_zero_penalty_is_ignored():
    bucket, clock = make_bucket()
    bucket.penalize(0)
    bucket.acquire()
    assert clock.sleeps == []


def test_invalid_rate_raises():
    with pytest.raises(ValueError, match="NOTION_REQUESTS_PER_SECOND"):
        TokenBucket(0, 3)


def test_invalid_burst_raises():
    with pytest.raises(ValueError, match="NOTION_BURST"):
        TokenBucket(1.0, 0)


def test_threads_share_tokens():
    lock = threading.Lock()
    clock = FakeClock()

    def locked_sleep(seconds: float) -> None:
        with lock:
            clock.sleep(seconds)

    bucket = TokenBucket(5.0, 5, clock=clock, sleep=locked_sleep)
    threads = [threading.Thread(target=lambda: [bucket.acquire() for _ in range(5)])
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 20 requests: 5 from the burst, 15 more at 5 per second need at least 3 s of sleep.
    assert clock.now - 100.0 >= 3.0 - 1e-9
