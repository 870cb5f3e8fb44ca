"""Per-key rate limits with RateLimit-* headers; failed authentications throttled per address."""

from rest_framework.test import APIClient

from relay.api import throttling
from tests.conftest import client_with_key
from tests.factories import make_api_key

DATASETS_URL = "/api/v1/datasets"
MISSING_DATASET_URL = f"{DATASETS_URL}/3f1c7a52-0000-4000-8000-000000000000"


def rate_headers(response) -> tuple[int, int, int]:
    return (
        int(response["RateLimit-Limit"]),
        int(response["RateLimit-Remaining"]),
        int(response["RateLimit-Reset"]),
    )


def test_every_response_reports_the_keys_limit_and_what_is_left(api_client, settings):
    settings.RELAY_THROTTLE_RATE = "5/min"

    responses = [
        api_client.get(DATASETS_URL),
        api_client.get(MISSING_DATASET_URL),
        api_client.post(DATASETS_URL, {"name": ""}, format="json"),
        api_client.get(DATASETS_URL, {"page": "two"}),
    ]

    assert [response.status_code for response in responses] == [200, 404, 422, 422]
    assert [rate_headers(response)[:2] for response in responses] == [
        (5, 4),
        (5, 3),
        (5, 2),
        (5, 1),
    ]
    assert all(0 < rate_headers(response)[2] <= 60 for response in responses)


def test_a_call_the_keys_scopes_refuse_still_counts(read_client, settings):
    settings.RELAY_THROTTLE_RATE = "5/min"

    refused = read_client.post(DATASETS_URL, {"name": "x"}, format="json")

    assert refused.status_code == 403
    assert rate_headers(refused)[:2] == (5, 4)


def test_a_call_without_credentials_reports_the_addresses_allowance(db, settings):
    settings.RELAY_AUTH_FAILURE_RATE = "20/min"

    response = client_with_key(unknown_key(1)).get(DATASETS_URL)
    anonymous = APIClient().get(DATASETS_URL)

    assert (response.status_code, anonymous.status_code) == (401, 401)
    assert rate_headers(response)[:2] == (20, 19)
    assert rate_headers(anonymous)[:2] == (20, 19)


def test_a_throttled_response_says_when_to_come_back(api_client, settings):
    settings.RELAY_THROTTLE_RATE = "2/hour"
    api_client.get(DATASETS_URL)
    api_client.get(DATASETS_URL)

    throttled = api_client.get(DATASETS_URL)

    assert throttled.status_code == 429
    assert rate_headers(throttled)[:2] == (2, 0)
    assert int(throttled["Retry-After"]) == int(throttled["RateLimit-Reset"])
    assert 3590 < int(throttled["Retry-After"]) <= 3600
    assert throttled.json() == {
        "detail": "Too many requests for this key: the limit is 2 per hour. "
        f"Try again in {throttled['Retry-After']} seconds."
    }


def test_dashboard_users_are_limited_too(client, tenant, settings):
    settings.RELAY_THROTTLE_RATE = "1/min"
    client.login(username="admin@acme.test", password="correct-horse-42")

    first, second = client.get(DATASETS_URL), client.get(DATASETS_URL)

    assert (first.status_code, second.status_code) == (200, 429)
    assert first["RateLimit-Remaining"] == "0"


def unknown_key(number: int) -> str:
    return f"rly_{number:010d}_{'x' * 40}"


def test_repeated_bad_keys_from_one_address_get_429(db, settings):
    settings.RELAY_AUTH_FAILURE_RATE = "5/min"

    statuses = [
        client_with_key(unknown_key(number)).get(DATASETS_URL).status_code for number in range(7)
    ]

    assert statuses == [401] * 5 + [429] * 2


def test_the_429_for_failed_authentication_is_clear(db, settings):
    settings.RELAY_AUTH_FAILURE_RATE = "2/min"
    for number in range(2):
        client_with_key(unknown_key(number)).get(DATASETS_URL)

    refused = client_with_key("not even a key").get(DATASETS_URL)

    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["detail"].startswith(
        "Too many failed authentication attempts from this address (the limit is 2 per minute)."
    )
    assert rate_headers(refused)[:2] == (2, 0)


def test_guesses_on_a_real_keys_prefix_are_throttled_and_the_real_key_waits_too(tenant, settings):
    settings.RELAY_AUTH_FAILURE_RATE = "3/min"
    real = make_api_key(tenant=tenant).key
    prefix = real.rsplit("_", 1)[0]

    guesses = [
        client_with_key(f"{prefix}_{'A' * 39}{letter}").get(DATASETS_URL).status_code
        for letter in "abcd"
    ]
    # Checked before the key is looked at: a throttled address learns nothing, even when right.
    right_key = client_with_key(real).get(DATASETS_URL)

    assert guesses == [401, 401, 401, 429]
    assert right_key.status_code == 429


def test_wrong_guesses_never_use_up_the_real_keys_rate(tenant, settings):
    settings.RELAY_THROTTLE_RATE = "2/min"
    real = make_api_key(tenant=tenant).key
    guess = client_with_key(f"{real[:-1]}{'B' if real[-1] == 'A' else 'A'}")

    guesses = [guess.get(DATASETS_URL).status_code for _ in range(3)]
    calls = [client_with_key(real).get(DATASETS_URL).status_code for _ in range(3)]

    assert guesses == [401, 401, 401]
    assert calls == [200, 200, 429]


def test_an_api_call_checks_its_rate_limits_in_one_round_trip(api_client, monkeypatch):
    store = throttling.window_store()
    check = store.check
    calls = []

    def counted_check(*checks):
        calls.append([item.key.split(":")[0] for item in checks])
        return check(*checks)

    monkeypatch.setattr(store, "check", counted_check)

    response = api_client.get(DATASETS_URL)

    assert response.status_code == 200
    assert calls == [["auth-failures", "key"]]  # the address's failures, then the key's rate
    assert rate_headers(response)[1] == int(response["RateLimit-Limit"]) - 1


def test_failures_are_counted_per_address(db, settings):
    settings.RELAY_AUTH_FAILURE_RATE = "1/min"
    one, other = client_with_key(unknown_key(1)), client_with_key(unknown_key(2))

    one.get(DATASETS_URL, REMOTE_ADDR="192.0.2.10")

    assert one.get(DATASETS_URL, REMOTE_ADDR="192.0.2.10").status_code == 429
    assert other.get(DATASETS_URL, REMOTE_ADDR="192.0.2.11").status_code == 401


def test_successful_calls_never_count_as_failures(api_client, settings):
    settings.RELAY_AUTH_FAILURE_RATE = "1/min"

    statuses = {api_client.get(DATASETS_URL).status_code for _ in range(30)}

    assert statuses == {200}


def sign_in(client, password: str):
    return client.post("/login/", {"username": "admin@acme.test", "password": password})


def test_failed_sign_ins_from_one_address_are_throttled_too(client, tenant, settings):
    settings.RELAY_AUTH_FAILURE_RATE = "3/min"

    statuses = [sign_in(client, "wrong").status_code for _ in range(4)]
    right = sign_in(client, "correct-horse-42")

    assert statuses == [200, 200, 200, 429]
    assert right.status_code == 429  # refused before the password is checked
    assert 0 < int(right["Retry-After"]) <= 60
    assert "Too many failed sign-ins from this address. Try again in" in right.content.decode()


def test_bad_keys_and_bad_passwords_share_one_allowance(client, tenant, settings):
    settings.RELAY_AUTH_FAILURE_RATE = "2/min"
    sign_in(client, "wrong")
    client_with_key(unknown_key(1)).get(DATASETS_URL)

    assert sign_in(client, "wrong").status_code == 429
    assert client_with_key(unknown_key(2)).get(DATASETS_URL).status_code == 429


def test_good_sign_ins_are_never_counted(client, tenant, settings):
    settings.RELAY_AUTH_FAILURE_RATE = "1/min"

    first = sign_in(client, "correct-horse-42")
    client.post("/logout/")
    second = sign_in(client, "correct-horse-42")

    assert (first.status_code, second.status_code) == (302, 302)
