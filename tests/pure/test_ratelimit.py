"""The sliding-window rate limit in one process: exact under threads, and it slides."""

import threading
import time

import pytest

from relay.ratelimit import Check, Decision, LocalWindowStore, Rate


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("50/s", Rate(50, 1)),
        ("600/min", Rate(600, 60)),
        ("1000/hour", Rate(1000, 3600)),
        ("5/day", Rate(5, 86400)),
    ],
    ids=["second", "minute", "hour", "day"],
)
def test_rates_parse_from_settings_text(text, rate):
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["fast", "0/s", "10/fortnight", "-5/min", "10 / s"])
def test_a_malformed_rate_is_refused(text):
    with pytest.raises(ValueError, match="looks like 50/s"):
        Rate.parse(text)


def test_the_window_admits_the_limit_then_refuses():
    store = LocalWindowStore()
    rate = Rate(3, 60)

    decisions = [store.hit("key", rate) for _ in range(4)]

    assert [decision.allowed for decision in decisions] == [True, True, True, False]
    assert [decision.remaining for decision in decisions] == [2, 1, 0, 0]
    assert 59 < decisions[-1].reset_s <= 60
    assert decisions[-1].retry_after_s == 60


def test_a_peek_records_nothing():
    store = LocalWindowStore()
    rate = Rate(1, 60)

    peeked = [store.peek("key", rate) for _ in range(5)]

    assert all(decision.allowed and decision.remaining == 1 for decision in peeked)
    assert store.hit("key", rate).allowed


def test_keys_are_counted_apart():
    store = LocalWindowStore()
    rate = Rate(1, 60)

    assert store.hit("one", rate).allowed
    assert store.hit("two", rate).allowed
    assert not store.hit("one", rate).allowed


def test_chained_checks_stop_at_the_first_refusal_and_record_nothing_after_it():
    store = LocalWindowStore()
    gate, counted = Rate(1, 60), Rate(5, 60)
    store.hit("gate", gate)

    refused = store.check(Check("gate", gate, record=False), Check("counted", counted, True))
    passed = store.check(Check("open", gate, record=False), Check("counted", counted, True))

    assert [decision.allowed for decision in refused] == [False]
    assert [(decision.allowed, decision.remaining) for decision in passed] == [(True, 1), (True, 4)]
    assert store.peek("open", gate).remaining == 1  # peeked, never recorded


def test_the_window_slides_instead_of_resetting():
    store = LocalWindowStore()
    rate = Rate(2, 1)
    store.hit("key", rate)
    time.sleep(0.5)
    store.hit("key", rate)

    refused = store.hit("key", rate)
    time.sleep(refused.reset_s + 0.02)  # the first request leaves the window; the second stays
    admitted = store.hit("key", rate)
    refused_again = store.hit("key", rate)

    assert not refused.allowed
    assert admitted.allowed
    assert not refused_again.allowed


def test_concurrent_threads_never_get_more_than_the_limit():
    store = LocalWindowStore()
    rate = Rate(100, 60)
    admitted = []
    start = threading.Barrier(8)

    def hammer() -> None:
        start.wait()
        admitted.extend(decision for _ in range(50) if (decision := store.hit("key", rate)).allowed)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(admitted) == 100
    assert sorted(decision.remaining for decision in admitted) == list(range(100))


def test_headers_report_limit_remaining_and_whole_seconds_to_reset():
    decision = Decision(allowed=True, limit=50, remaining=7, reset_s=0.31)

    assert decision.headers() == {
        "RateLimit-Limit": "50",
        "RateLimit-Remaining": "7",
        "RateLimit-Reset": "1",
    }
