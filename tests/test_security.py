"""Security settings: a clean `check --deploy` in production, CSP with per-request nonces,
security headers, CORS closed unless configured, secure cookies behind TLS."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from relay.middleware import content_security_policy

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_ENV = ROOT / "docs" / "production.env"
DATASETS_URL = "/api/v1/datasets"


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """This process's environment without Relay's settings, plus docs/production.env."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("RELAY_") and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    for line in PRODUCTION_ENV.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    env |= {"RELAY_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "relay.settings"}
    return env | overrides


def settings_in(env: dict[str, str], *names: str) -> list[str]:
    code = "from django.conf import settings; " + "; ".join(
        f"print(repr(getattr(settings, {name!r}, None)))" for name in names
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.splitlines()


def test_check_deploy_is_clean_with_the_production_environment(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        env=production_env(tmp_path, REDIS_URL="redis://127.0.0.1:6379/0"),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_that_without_redis_limits_and_queues_are_per_process(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        env=production_env(tmp_path),  # REDIS_URL is the operator's to add
        cwd=ROOT,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "(relay.W001) REDIS_URL is not set" in result.stderr + result.stdout


def test_the_production_environment_sends_cookies_over_https_only_and_logs_json(tmp_path):
    values = settings_in(
        production_env(tmp_path),
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_SSL_REDIRECT",
        "RELAY_LOG_FORMAT",
    )

    assert values == ["True", "True", "('HTTP_X_FORWARDED_PROTO', 'https')", "True", "'json'"]


def test_x_forwarded_proto_is_believed_only_behind_trusted_proxies(tmp_path):
    env = production_env(tmp_path, RELAY_TRUSTED_PROXIES="")

    assert settings_in(env, "SECURE_PROXY_SSL_HEADER") == ["None"]


def test_make_run_defaults_are_plain_logs_and_cookies_that_work_over_http(tmp_path):
    env = {k: v for k, v in production_env(tmp_path).items() if not k.startswith("RELAY_")}
    env["RELAY_DATA_DIR"] = str(tmp_path)

    values = settings_in(env, "SESSION_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "RELAY_LOG_FORMAT")

    assert values == ["False", "False", "'plain'"]


def nonce_of(response) -> str:
    match = re.search(r"script-src 'self' 'nonce-([^']+)'", response["Content-Security-Policy"])
    assert match, response["Content-Security-Policy"]
    return match[1]


def test_pages_carry_a_csp_whose_nonce_is_on_their_inline_scripts(client, db):
    first, second = client.get("/login/"), client.get("/login/")

    nonce = nonce_of(first)
    assert f'<script type="importmap" nonce="{nonce}">' in first.content.decode()
    assert nonce != nonce_of(second)
    assert len(nonce) >= 16


def test_the_api_docs_page_runs_under_the_csp(client, db):
    page = client.get("/api/v1/docs")

    nonce = nonce_of(page)
    html = page.content.decode()
    assert f'<style nonce="{nonce}">' in html
    assert f'<script nonce="{nonce}">' in html
    assert not re.search(r"<(script|style)>", html)


def test_the_policy_allows_nothing_inline_without_the_nonce():
    policy = content_security_policy("abc")

    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "style-src 'self' 'nonce-abc'" in policy


def test_s3_uploads_and_playback_are_allowed_by_the_policy(settings):
    settings.RELAY_CSP_STORAGE_SOURCES = ["http://127.0.0.1:9000"]

    policy = content_security_policy("abc")

    assert "connect-src 'self' http://127.0.0.1:9000" in policy
    assert "media-src 'self' blob: http://127.0.0.1:9000" in policy


def test_responses_carry_the_security_headers(api_client):
    response = api_client.get(DATASETS_URL)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "Content-Security-Policy" in response


def test_cors_is_closed_by_default(api_client):
    preflight = api_client.options(
        DATASETS_URL,
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    call = api_client.get(DATASETS_URL, HTTP_ORIGIN="https://evil.example")

    assert call.status_code == 200
    for response in (preflight, call):
        assert "Access-Control-Allow-Origin" not in response
        assert "Access-Control-Allow-Methods" not in response


@pytest.fixture
def tools_origin(settings) -> str:
    settings.RELAY_CORS_ALLOWED_ORIGINS = ["https://tools.example"]
    return "https://tools.example"


def test_a_listed_origin_gets_its_preflight_and_the_headers_it_needs(api_client, tools_origin):
    preflight = api_client.options(
        DATASETS_URL, HTTP_ORIGIN=tools_origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    call = api_client.get(DATASETS_URL, HTTP_ORIGIN=tools_origin)

    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == tools_origin
    assert "X-API-Key" in preflight["Access-Control-Allow-Headers"]
    assert call["Access-Control-Allow-Origin"] == tools_origin
    assert "RateLimit-Remaining" in call["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in call
    assert "Origin" in call["Vary"]


def test_other_origins_and_pages_stay_closed_when_one_is_listed(client, api_client, tools_origin):
    other = api_client.get(DATASETS_URL, HTTP_ORIGIN="https://evil.example")
    page = client.get("/login/", HTTP_ORIGIN=tools_origin)

    assert "Access-Control-Allow-Origin" not in other
    assert "Access-Control-Allow-Origin" not in page


def test_a_signed_in_user_can_open_the_api_docs(client, tenant):
    client.login(username="admin@acme.test", password="correct-horse-42")

    page = client.get("/api/v1/docs")

    assert page.status_code == 200
    assert "swagger-ui" in page.content.decode()
