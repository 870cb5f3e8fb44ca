"""Structured logs: one JSON object per line with the request id and tenant, and no key material."""

import io
import json
import logging
import re

import dramatiq
import pytest

from relay import logs, queue
from relay.queue import LogContext
from tests.conftest import client_with_key

DATASETS_URL = "/api/v1/datasets"


@pytest.fixture
def json_log():
    """The console handler of RELAY_LOG_FORMAT=json, writing to a buffer: read() parses it."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.ContextFilter())
    handler.addFilter(logs.RedactSecrets())
    root = logging.getLogger()
    root.addHandler(handler)

    class Log:
        @staticmethod
        def text() -> str:
            return buffer.getvalue()

        @staticmethod
        def lines() -> list[dict]:
            return [json.loads(line) for line in buffer.getvalue().splitlines()]

    yield Log
    root.removeHandler(handler)


def request_lines(json_log) -> list[dict]:
    return [line for line in json_log.lines() if line["logger"] == "relay.requests"]


def test_each_request_logs_one_json_line_with_its_id_tenant_and_timing(
    api_client, tenant, json_log
):
    response = api_client.get(DATASETS_URL)

    [line] = request_lines(json_log)
    assert line["request_id"] == response["X-Request-ID"]
    assert line["tenant"] == str(tenant.pk)
    assert (line["method"], line["path"], line["status"]) == ("GET", DATASETS_URL, 200)
    assert line["level"] == "INFO"
    assert line["message"].startswith("GET /api/v1/datasets 200 ")
    assert isinstance(line["duration_ms"], float)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])


def test_lines_logged_inside_a_request_carry_its_id_and_tenant(api_client, tenant, json_log):
    response = api_client.post("/api/v1/api-keys", {"name": "ci"}, format="json")

    created = [line for line in json_log.lines() if line["logger"] == "tenants.services"]
    assert [line["message"] for line in created] == [
        f"api key {response.json()['id']} created for tenant {tenant.pk}"
    ]
    assert created[0]["request_id"] == response["X-Request-ID"]
    assert created[0]["tenant"] == str(tenant.pk)


def test_a_sane_incoming_request_id_is_kept_and_echoed(api_client, json_log):
    response = api_client.get(DATASETS_URL, HTTP_X_REQUEST_ID="lb-7f3a.12:9")

    assert response["X-Request-ID"] == "lb-7f3a.12:9"
    assert request_lines(json_log)[0]["request_id"] == "lb-7f3a.12:9"


@pytest.mark.parametrize(
    "incoming",
    ["", "x" * 129, "two words", "line\nbreak", "<script>", "-starts-with-dash"],
    ids=["empty", "too-long", "space", "newline", "markup", "dash"],
)
def test_anything_else_gets_a_fresh_request_id(api_client, incoming):
    response = api_client.get(DATASETS_URL, HTTP_X_REQUEST_ID=incoming)

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_pages_and_unauthenticated_calls_get_a_request_id_too(client, db, json_log):
    page = client.get("/login/")
    api = client.get(DATASETS_URL)

    assert page.status_code == 200
    assert api.status_code == 401
    assert [line["status"] for line in request_lines(json_log)] == [200, 401]
    assert all(line["tenant"] is None for line in request_lines(json_log))
    assert page["X-Request-ID"] != api["X-Request-ID"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "key rly_abcdefgh12_" + "S" * 40 + " used",
            "key rly_abcdefgh12_[redacted] used",
        ),
        ("secret whsec_" + "k" * 32, "secret whsec_[redacted]"),
        (
            "Relay-Signature: t=1700000000,v1=" + "a1" * 32,
            "Relay-Signature: t=1700000000,v1=[redacted]",
        ),
        (
            "/api/v1/storage/download?key=a.wav&expires=9&signature=Zm9v-YmFy",
            "/api/v1/storage/download?key=a.wav&expires=9&signature=[redacted]",
        ),
        (
            "https://s3/b/k?X-Amz-Signature=abc123&x=1",
            "https://s3/b/k?X-Amz-Signature=[redacted]&x=1",
        ),
        ("{'X-API-Key': 'anything-at-all'}", "{'X-API-Key': '[redacted]'}"),
    ],
    ids=["api-key", "webhook-secret", "signature-header", "signed-url", "s3-url", "header-dict"],
)
def test_key_like_strings_are_redacted(text, expected):
    assert logs.redact(text) == expected


def test_the_redaction_filter_covers_arguments_and_tracebacks():
    key = "rly_abcdefgh12_" + "S" * 40
    try:
        raise ValueError(f"bad key {key}")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "got %s", (key,), None)
        record.exc_info = __import__("sys").exc_info()

    logs.RedactSecrets().filter(record)
    line = logs.JsonFormatter().format(record)

    assert "S" * 40 not in line
    assert json.loads(line)["message"] == "got rly_abcdefgh12_[redacted]"
    assert "bad key rly_abcdefgh12_[redacted]" in json.loads(line)["exception"]


def test_a_session_of_api_calls_never_logs_a_key_it_created(
    api_client, tenant, json_log, settings, caplog
):
    caplog.set_level(logging.DEBUG)
    settings.RELAY_AUTH_FAILURE_RATE = "4/min"
    created = [
        api_client.post("/api/v1/api-keys", {"name": f"k{n}"}, format="json").json()
        for n in range(3)
    ]
    keys = [item["key"] for item in created]
    for key in keys:
        client_with_key(key).get(DATASETS_URL)
        client_with_key(key).post(DATASETS_URL, {"name": "", "k": key}, format="json")
    dataset = client_with_key(keys[2]).post(
        DATASETS_URL, {"name": "d", "artifact_types": [{"name": "click"}]}, format="json"
    )
    upload = client_with_key(keys[2]).post(
        f"{DATASETS_URL}/{dataset.json()['id']}/audio/upload-url",
        {"filename": "a.wav", "content_type": "audio/wav", "file_size": 10},
        format="json",
    )
    api_client.delete(f"/api/v1/api-keys/{created[0]['id']}")
    revoked = client_with_key(keys[0]).get(DATASETS_URL)
    guesses = [client_with_key(wrong_last_character(key)).get(DATASETS_URL) for key in keys]
    throttled = client_with_key(keys[1]).get(DATASETS_URL)

    assert [upload.status_code, revoked.status_code, throttled.status_code] == [201, 401, 429]
    assert [guess.status_code for guess in guesses] == [401, 401, 401]
    text = json_log.text()
    assert len(request_lines(json_log)) >= 12
    for key in keys:
        assert key not in text
        assert key.rsplit("_", 1)[1] not in text  # nor the secret part alone


def wrong_last_character(key: str) -> str:
    """A guess one character off the real key (never the key itself)."""
    return key[:-1] + ("1" if key.endswith("0") else "0")


def test_a_workers_lines_carry_the_id_of_the_message_it_works_on(json_log):
    message = dramatiq.Message(
        queue_name="webhooks", actor_name="deliver_webhook", args=(), kwargs={}, options={}
    )
    context = LogContext()

    context.before_process_message(queue.broker, message)
    logging.getLogger("tenants.tasks").info("working")
    context.after_process_message(queue.broker, message)
    logging.getLogger("tenants.tasks").info("idle")

    working, idle = [line for line in json_log.lines() if line["logger"] == "tenants.tasks"]
    assert working["request_id"] == f"message-{message.message_id}"
    assert idle["request_id"] is None


def test_health_probes_and_static_files_log_only_when_they_fail(client, db, json_log):
    client.get("/healthz")
    client.get("/static/css/relay.css")
    client.get("/static/no-such-file.css")

    assert [(line["path"], line["status"]) for line in request_lines(json_log)] == [
        ("/static/no-such-file.css", 404)
    ]
