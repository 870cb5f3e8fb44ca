"""Retries and error messages of the client's HTTP layer, over httpx's mock transport (the
network is the one thing these tests replace)."""

import email.utils
import time

import httpx
import pytest
from relay_client.errors import ApiError
from relay_client.http import MAX_RETRY_AFTER_S, Http, retry_after_s


def _http(
    responses: list, *, max_retries: int = 5
) -> tuple[Http, list[float], list[httpx.Request]]:
    """An Http whose server answers `responses` in turn (an exception is raised instead)."""
    waits: list[float] = []
    seen: list[httpx.Request] = []
    answers = iter(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    http = Http(
        "http://relay.test",
        "rly_key",
        max_retries=max_retries,
        transport=httpx.MockTransport(handler),
        sleep=waits.append,
    )
    return http, waits, seen


def test_a_429_is_retried_after_the_seconds_retry_after_gives():
    http, waits, seen = _http(
        [
            httpx.Response(429, headers={"Retry-After": "7"}, json={"detail": "slow down"}),
            httpx.Response(201, json={"id": "1"}),
        ]
    )

    body = http.json("POST", "/datasets", json={"name": "a"})

    assert body == {"id": "1"}
    assert waits == [7.0]
    assert len(seen) == 2


def test_a_503_is_retried_with_growing_backoff_even_for_a_post():
    http, waits, _ = _http(
        [httpx.Response(503, json={"detail": "broker down"})] * 3 + [httpx.Response(201, json={})]
    )

    http.json("POST", "/training-jobs", json={})

    assert len(waits) == 3
    assert all(0 <= wait <= 0.5 * 2**attempt for attempt, wait in enumerate(waits))


def test_a_502_on_a_post_is_not_retried_since_it_may_have_been_carried_out():
    http, waits, seen = _http([httpx.Response(502, text="<html>Bad Gateway</html>")])

    with pytest.raises(ApiError) as raised:
        http.json("POST", "/datasets", json={})

    assert raised.value.status == 502
    assert raised.value.detail == "<html>Bad Gateway</html>"
    assert waits == []
    assert len(seen) == 1


def test_a_502_on_a_get_is_retried():
    http, waits, _ = _http([httpx.Response(502), httpx.Response(200, json={"items": []})])

    assert http.json("GET", "/datasets") == {"items": []}
    assert len(waits) == 1


def test_retries_give_up_after_max_retries_with_the_last_error():
    http, waits, seen = _http(
        [httpx.Response(503, json={"detail": "storage down"})] * 3, max_retries=2
    )

    with pytest.raises(ApiError, match="503 storage down"):
        http.json("GET", "/datasets")

    assert len(seen) == 3
    assert len(waits) == 2


def test_a_refused_connection_is_retried_for_any_method():
    refused = httpx.ConnectError("connection refused")
    http, waits, _ = _http([refused, refused, httpx.Response(201, json={"ok": True})])

    assert http.json("POST", "/datasets", json={}) == {"ok": True}
    assert len(waits) == 2


def test_a_read_timeout_on_a_post_is_not_retried():
    http, _, seen = _http([httpx.ReadTimeout("timed out")])

    with pytest.raises(httpx.ReadTimeout):
        http.json("POST", "/inference-jobs", json={})

    assert len(seen) == 1


def test_a_422_gives_one_line_per_item_with_its_loc():
    detail = [
        {"loc": ["body", "name"], "msg": "This field is required.", "type": "value_error.missing"},
        {"loc": ["body", "artifact_types", 1, "color"], "msg": "Use #RRGGBB.", "type": "x"},
    ]
    http, _, _ = _http([httpx.Response(422, json={"detail": detail})])

    with pytest.raises(ApiError) as raised:
        http.json("POST", "/datasets", json={})

    assert raised.value.lines() == [
        "422 validation failed (POST /datasets)",
        "body.name: This field is required.",
        "body.artifact_types.1.color: Use #RRGGBB.",
    ]


def test_the_api_key_is_sent_to_the_api_and_never_to_the_storage_url():
    http, _, seen = _http([httpx.Response(200, json={}), httpx.Response(204)])

    http.json("GET", "/datasets")
    http.post_to_storage(
        "http://bucket.test/upload",
        fields={"key": "k"},
        file=b"RIFF",
        filename="a.wav",
        content_type="audio/wav",
    )

    assert seen[0].headers["X-API-Key"] == "rly_key"
    assert "X-API-Key" not in seen[1].headers


@pytest.mark.parametrize(
    ("header", "expected"),
    [("12", 12.0), ("", None), ("soon", None), ("999999", MAX_RETRY_AFTER_S)],
    ids=["seconds", "absent", "unreadable", "capped"],
)
def test_retry_after_is_read_as_seconds(header, expected):
    assert retry_after_s(header) == expected


def test_retry_after_is_read_as_an_http_date():
    now = time.time()
    header = email.utils.formatdate(now + 30, usegmt=True)

    assert 28 <= retry_after_s(header, now=now) <= 31
