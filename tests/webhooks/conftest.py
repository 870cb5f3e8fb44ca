import json
from collections.abc import Callable, Iterator

import pytest
from dramatiq import Message

from relay import queue
from tenants import tasks
from tenants.webhook_signing import verify
from tests.webhooks.receiver import Receiver, running_receiver

WEBHOOKS_URL = "/api/v1/webhooks"


@pytest.fixture
def private_urls_allowed(settings):
    # The receivers run on 127.0.0.1, which the SSRF guard refuses unless told otherwise.
    settings.RELAY_WEBHOOKS_ALLOW_PRIVATE_URLS = True
    settings.RELAY_WEBHOOK_RETRY_BASE_S = 30


@pytest.fixture
def receiver(private_urls_allowed) -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def create_webhook(api_client, url: str, events=("audio.ready",), **extra) -> dict:
    response = api_client.post(
        WEBHOOKS_URL, {"url": url, "events": list(events), **extra}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def ping(api_client, webhook: dict) -> dict:
    """POST /webhooks/{id}/ping: the delivery it made, as the API reports it."""
    return api_client.post(f"{WEBHOOKS_URL}/{webhook['id']}/ping").json()


@pytest.fixture
def run_webhook_queue(django_capture_on_commit_callbacks) -> Callable[[], list[Message]]:
    """Runs every message on the webhooks queue and its delay queue, in order, as a worker
    would (without waiting out the delays), until both are empty; returns the messages."""

    def run() -> list[Message]:
        ran = []
        while True:
            waiting = [
                queue.broker.queues[name]
                for name in ("webhooks", "webhooks.DQ")
                if name in queue.broker.queues and not queue.broker.queues[name].empty()
            ]
            if not waiting:
                return ran
            message = Message.decode(waiting[0].get_nowait())
            # A failed attempt queues its retry after commit, as in a worker.
            with django_capture_on_commit_callbacks(execute=True):
                tasks.deliver_webhook(*message.args)
            ran.append(message)

    return run


def assert_signed(received, secret: str) -> dict:
    """The request's Relay-Signature verifies with `secret`; returns the parsed body."""
    assert verify(secret, received.headers["Relay-Signature"], received.body), received.headers
    return json.loads(received.body)
