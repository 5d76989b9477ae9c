"""The load limits on their own: the bounded turn queue and the per-client rate."""

import threading

import pytest

from bot.web.limits import Busy, Gate, RateLimited, RateLimiter


def test_the_gate_runs_some_queues_some_and_refuses_the_rest_at_once():
    gate = Gate(running=1, queued=1)
    inside, release = threading.Event(), threading.Event()
    order: list[str] = []

    def first():
        with gate.enter():
            inside.set()
            release.wait(5)
            order.append("first")

    def second():
        with gate.enter():
            order.append("second")

    a = threading.Thread(target=first)
    a.start()
    assert inside.wait(5)
    b = threading.Thread(target=second)
    b.start()
    while gate._inside < 2:  # the second is queued behind the first
        pass
    with pytest.raises(Busy), gate.enter():
        pass
    release.set()
    a.join(5)
    b.join(5)
    assert order == ["first", "second"] and gate.refused == 1
    with gate.enter():  # capacity comes back
        pass


def test_a_failing_turn_gives_its_place_back():
    gate = Gate(running=1, queued=0)
    with pytest.raises(ValueError), gate.enter():
        raise ValueError("boom")
    with gate.enter():
        pass


def test_the_rate_limit_is_per_client_and_refills_with_time():
    limiter = RateLimiter(per_minute=60)  # one a second, bursts of 15
    for _ in range(15):
        limiter.check("a", now=0.0)
    with pytest.raises(RateLimited) as refused:
        limiter.check("a", now=0.0)
    assert (refused.value.retry_after, refused.value.per_minute) == (1, 60)
    limiter.check("b", now=0.0)  # another client is not affected
    limiter.check("a", now=1.0)  # a second later, one more
    with pytest.raises(RateLimited):
        limiter.check("a", now=1.0)
    for _ in range(150):  # a client with its own limit: 600 a minute, bursts of 150
        limiter.check("backend", now=0.0, per_minute=600)
    with pytest.raises(RateLimited):
        limiter.check("backend", now=0.0, per_minute=600)


def test_the_rate_limiter_forgets_old_clients():
    limiter = RateLimiter(per_minute=60, clients=3)
    for n in range(10):
        limiter.check(f"c{n}", now=0.0)
    assert len(limiter._buckets) == 3
