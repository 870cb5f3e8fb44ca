"""On the production shape (gunicorn with 2 workers, Redis, a worker per queue): one key's rate
limit holds across both web processes, and a webhook whose receiver fails twice gets exactly one
successful delivery through the webhooks worker, every request signed, the retries logged."""

import threading
import time
import uuid

import requests

from relay.ratelimit import Rate
from tests.api.test_rate_limit_across_processes import Attempt, check_the_rate_held
from tests.audio import write_wav
from tests.stack.test_faults import wait_for
from tests.webhooks.conftest import assert_signed
from tests.webhooks.receiver import running_receiver

STACK_RATE = Rate.parse("50/s")  # RELAY_THROTTLE_RATE's default, which the stack keeps


def test_one_key_over_its_rate_gets_429_within_5_percent_across_both_web_processes(relay_stack):
    # A missing dataset: the cheapest call that still authenticates and counts.
    url = f"{relay_stack.stack.base_url}/api/v1/datasets/{uuid.uuid4()}"
    attempts: list[Attempt] = []
    stop_at = time.time() + 5.0

    def client() -> None:
        session = requests.Session()
        session.headers["X-API-Key"] = relay_stack.api_key
        while time.time() < stop_at:
            sent = time.time()
            response = session.get(url, timeout=30)
            assert response.status_code in {404, 429}, response.text
            attempts.append(Attempt(sent, time.time(), response.status_code == 404))

    threads = [threading.Thread(target=client) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    measured = check_the_rate_held(attempts, STACK_RATE)
    print(f"rate limit 50/s on the stack: {measured}")  # noqa: T201


def test_a_receiver_that_fails_twice_gets_one_successful_delivery(relay_stack, tmp_path):
    api = relay_stack.client
    with running_receiver([500, 503, 200]) as receiver:
        hook = api.post("/webhooks", {"url": receiver.url, "events": ["audio.ready"]}, expect=201)
        dataset = api.post(
            "/datasets",
            {"name": "Webhooks on the stack", "artifact_types": [{"name": "click"}]},
            expect=201,
        )
        audio_id = api.upload_audio(
            dataset["id"], write_wav(tmp_path / "hooked.wav", seconds=1.0), content_type="audio/wav"
        )
        wait_for(lambda: len(receiver.received) >= 3, timeout_s=120, what="three attempts")
        time.sleep(1)  # a fourth, wrong, attempt would come within the next backoff

    events = [assert_signed(request, hook["secret"]) for request in receiver.received]
    assert len(events) == 3
    assert {event["id"] for event in events} == {events[0]["id"]}
    assert events[0]["type"] == "audio.ready"
    assert events[0]["data"]["id"] == audio_id
    log = api.get(f"/webhooks/{hook['id']}/deliveries")["items"]
    assert sorted((d["attempt"], d["status"], d["response_status"]) for d in log) == [
        (1, "failed", 500),
        (2, "failed", 503),
        (3, "succeeded", 200),
    ]
