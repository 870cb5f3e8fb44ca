"""Settings come from the environment, with defaults, and refuse malformed values at start-up."""

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from relay.encryption import key_from_secret_key

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


PRINT_ENGINE_AND_DEBUG = (
    "from django.conf import settings; "
    "print(settings.DATABASES['default']['ENGINE'], settings.DEBUG)"
)


def load_settings(
    tmp_path, code: str = PRINT_ENGINE_AND_DEBUG, **environment: str
) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("RELAY_") and key != "DATABASE_URL"
    }
    env |= {"RELAY_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "relay.settings"}
    env |= environment
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
    )


def test_defaults_are_sqlite_without_debug_and_a_generated_secret(tmp_path):
    result = load_settings(tmp_path)

    assert result.stdout.split() == ["django.db.backends.sqlite3", "False"]
    secret = (tmp_path / "secret_key").read_text()
    assert len(secret) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_the_secret_key_survives_a_restart(tmp_path):
    load_settings(tmp_path)
    first = (tmp_path / "secret_key").read_text()

    load_settings(tmp_path)

    assert (tmp_path / "secret_key").read_text() == first


def test_a_postgres_url_selects_postgresql(tmp_path):
    result = load_settings(tmp_path, DATABASE_URL="postgres://u:p@127.0.0.1:5432/relay")

    assert result.stdout.split()[0] == "django.db.backends.postgresql"


PRINT_CONNECTION_AGE = (
    "from django.conf import settings; database = settings.DATABASES['default']; "
    "print(database['CONN_MAX_AGE'], database['CONN_HEALTH_CHECKS'])"
)


def test_postgresql_connections_are_kept_60_s_and_checked_before_reuse(tmp_path):
    result = load_settings(
        tmp_path, PRINT_CONNECTION_AGE, DATABASE_URL="postgres://u:p@127.0.0.1:5432/relay"
    )

    assert result.stdout.split() == ["60", "True"]


def test_the_connection_age_comes_from_the_environment(tmp_path):
    result = load_settings(
        tmp_path,
        PRINT_CONNECTION_AGE,
        DATABASE_URL="postgres://u:p@127.0.0.1:5432/relay",
        RELAY_DB_CONN_MAX_AGE_S="0",
    )

    assert result.stdout.split() == ["0", "True"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RELAY_MAX_JSON_BODY_BYTES", "lots"),
        ("RELAY_DEBUG", "maybe"),
        ("RELAY_THROTTLE_RATE", "fast"),
        ("RELAY_AUTH_FAILURE_RATE", "20/fortnight"),
        ("RELAY_LOG_FORMAT", "xml"),
        ("RELAY_PAGE_SIZE", "9999"),
        ("RELAY_DB_CONN_MAX_AGE_S", "forever"),
        ("RELAY_WEBHOOK_SECRET_KEYS", "not-a-fernet-key"),
    ],
)
def test_malformed_values_stop_start_up_with_a_clear_message(tmp_path, name, value):
    result = load_settings(tmp_path, **{name: value})

    assert result.returncode != 0
    assert name in result.stderr


def test_the_suite_runs_on_the_database_ci_asked_for(db):
    # CI sets this for its PostgreSQL run, so that run can never quietly fall back to SQLite.
    expected = os.environ.get("RELAY_EXPECT_DATABASE")
    if expected:
        assert connection.vendor == expected
    else:
        assert connection.vendor in {"sqlite", "postgresql"}


PRINT_WEBHOOK_SECRET_KEYS = (
    "from django.conf import settings; print(*settings.RELAY_WEBHOOK_SECRET_KEYS)"
)


def test_webhook_secrets_are_encrypted_with_the_listed_keys_then_one_from_the_secret_key(tmp_path):
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()

    unset = load_settings(tmp_path, PRINT_WEBHOOK_SECRET_KEYS, RELAY_SECRET_KEY="s" * 50)
    listed = load_settings(
        tmp_path,
        PRINT_WEBHOOK_SECRET_KEYS,
        RELAY_SECRET_KEY="s" * 50,
        RELAY_WEBHOOK_SECRET_KEYS=f"{first}, {second}",
    )

    assert unset.stdout.split() == [key_from_secret_key("s" * 50)]
    assert listed.stdout.split() == [first, second, key_from_secret_key("s" * 50)]


def test_a_malformed_webhook_secret_key_is_not_repeated_in_the_error(tmp_path):
    almost = Fernet.generate_key().decode()[:-2]

    result = load_settings(
        tmp_path, RELAY_WEBHOOK_SECRET_KEYS=f"{Fernet.generate_key().decode()},{almost}"
    )

    assert "RELAY_WEBHOOK_SECRET_KEYS: item 2 is not a Fernet key" in result.stderr
    assert almost not in result.stderr
