"""One key's rate limit holds across web processes that share Redis, under real concurrency.

Uses RELAY_TEST_REDIS_URL when CI provides it, else a throwaway `redis-server` on a free port.
Without either the tests skip, except in CI (RELAY_REQUIRE_INTEGRATION), where they fail.

A request's server-side time lies between when the client sent it and when the answer came back,
so "admitted within one second" is counted over requests whose whole round trip fits in the
second: the count a leaky limit inflates, and one an exact sliding window keeps at the limit.
"""

import contextlib
import math
import multiprocessing
import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests

from relay.ratelimit import Check, Rate, RedisWindowStore
from tests.live import embedded_env, free_port, running_relay, start_serve, stop_serve

TOLERANCE = 1.05  # issue 20: within 5 % of the configured rate


@dataclass(frozen=True)
class Attempt:
    sent: float  # time.time() when the request left the client
    answered: float
    admitted: bool
    server: int = 0


def most_admitted_in_one_period(attempts: list[Attempt], period_s: float) -> int:
    """The most admitted requests whose round trips all fit inside one `period_s` window."""
    admitted = sorted((a for a in attempts if a.admitted), key=lambda a: a.sent)
    return max(
        (sum(1 for b in admitted if b.sent >= a.sent and b.answered < a.sent + period_s))
        for a in admitted
    )


def check_the_rate_held(attempts: list[Attempt], rate: Rate) -> dict[str, float]:
    admitted = [a for a in attempts if a.admitted]
    duration_s = max(a.answered for a in attempts) - min(a.sent for a in attempts)
    busiest = most_admitted_in_one_period(attempts, rate.period_s)
    measured = {
        "requests": len(attempts),
        "admitted": len(admitted),
        "duration_s": round(duration_s, 2),
        "busiest_period": busiest,
    }
    assert len(admitted) < len(attempts), f"the load never reached the rate: {measured}"
    assert busiest <= rate.limit * TOLERANCE, measured
    assert len(admitted) <= rate.limit * math.ceil(duration_s / rate.period_s), measured
    return measured


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    url = os.environ.get("RELAY_TEST_REDIS_URL", "")
    if url:
        yield url
        return
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("RELAY_REQUIRE_INTEGRATION") or os.environ.get("CI"):
            pytest.fail("needs redis-server or RELAY_TEST_REDIS_URL")
        pytest.skip("needs redis-server (apt-get install redis-server) or RELAY_TEST_REDIS_URL")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def hammer_the_store(redis_url: str, key: str, rate_text: str, seconds: float, queue) -> None:
    store = RedisWindowStore(redis.Redis.from_url(redis_url))
    rate = Rate.parse(rate_text)
    attempts = []
    deadline = time.time() + seconds
    while time.time() < deadline:
        sent = time.time()
        allowed = store.hit(key, rate).allowed
        attempts.append((sent, time.time(), allowed))
    queue.put(attempts)


def test_chained_checks_in_redis_stop_at_the_first_refusal_in_one_script(redis_url):
    store = RedisWindowStore(redis.Redis.from_url(redis_url))
    gate, counted = Rate(1, 60), Rate(5, 60)
    run = uuid.uuid4().hex
    store.hit(f"gate:{run}", gate)

    refused = store.check(Check(f"gate:{run}", gate, False), Check(f"counted:{run}", counted, True))
    passed = store.check(Check(f"open:{run}", gate, False), Check(f"counted:{run}", counted, True))

    assert [decision.allowed for decision in refused] == [False]
    assert [(decision.allowed, decision.remaining) for decision in passed] == [(True, 1), (True, 4)]
    assert store.peek(f"open:{run}", gate).remaining == 1
    assert 59 < passed[1].reset_s <= 60


def test_two_processes_sharing_redis_never_admit_more_than_the_rate(redis_url):
    rate_text, key = "50/s", f"test:{uuid.uuid4().hex}"
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [
        context.Process(target=hammer_the_store, args=(redis_url, key, rate_text, 3.0, results))
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    attempts = [Attempt(*row) for _ in processes for row in results.get(timeout=60)]
    for process in processes:
        process.join(timeout=30)

    measured = check_the_rate_held(attempts, Rate.parse(rate_text))

    # Hammered without pause, an exact window admits the whole limit in every period.
    assert measured["busiest_period"] == 50


@contextlib.contextmanager
def second_server(env: Mapping[str, str]) -> Iterator[str]:
    port = free_port()
    server = start_serve(env, port, Path(env["RELAY_DATA_DIR"]) / "serve-2.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_serve(server)


def test_one_key_over_its_rate_gets_429_across_two_web_processes(redis_url, tmp_path):
    rate = Rate.parse("20/s")
    env = embedded_env(tmp_path, REDIS_URL=redis_url, RELAY_THROTTLE_RATE="20/s")
    with running_relay(env) as relay, second_server(relay.env) as other_base_url:
        servers = [relay.base_url, other_base_url]
        attempts: list[Attempt] = []
        bad_429s: list[str] = []
        stop_at = time.time() + 4.0

        def client(number: int) -> None:
            session = requests.Session()
            session.headers["X-API-Key"] = relay.api_key
            server = number % 2
            while time.time() < stop_at:
                sent = time.time()
                response = session.get(f"{servers[server]}/api/v1/datasets", timeout=30)
                attempts.append(Attempt(sent, time.time(), response.status_code == 200, server))
                if response.status_code == 429 and not (
                    response.headers.get("Retry-After") and "detail" in response.json()
                ):
                    bad_429s.append(response.text)

        threads = [threading.Thread(target=client, args=(number,)) for number in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    measured = check_the_rate_held(attempts, rate)
    print(f"rate limit 20/s across two web processes: {measured}")  # noqa: T201
    assert bad_429s == []
    assert {a.server for a in attempts if a.admitted} == {0, 1}, "both processes admitted some"
