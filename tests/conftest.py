import logging
import os

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from relay import queue
from relay.api import throttling
from tenants import services as tenant_services
from tenants.models import Tenant
from tests.factories import make_api_key, make_tenant
from tests.log_watch import KeyMaterialWatcher


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is slow on purpose; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _files_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"


@pytest.fixture(autouse=True)
def _empty_queues():
    # Messages sent by one test must not be left for the next; tests run actors themselves.
    queue.broker.flush_all()
    yield
    queue.broker.flush_all()


@pytest.fixture(scope="session")
def _key_material_watcher():
    watcher = KeyMaterialWatcher()
    # First: the console's redaction filter rewrites records in place, and the watcher must see
    # what the code logged.
    logging.getLogger().handlers.insert(0, watcher)
    yield watcher
    logging.getLogger().removeHandler(watcher)


@pytest.fixture(autouse=True)
def _no_key_material_in_logs(_key_material_watcher):
    # Every test's log lines are scanned for API keys and webhook secrets (issue 20).
    already = len(_key_material_watcher.leaks)
    yield
    leaked = _key_material_watcher.leaks[already:]
    if leaked:
        pytest.fail(f"key material was logged: {leaked}")


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    # One test's requests (or failed authentications) must not throttle the next.
    throttling.window_store().clear()
    cache.clear()
    yield
    throttling.window_store().clear()
    cache.clear()


@pytest.fixture
def tenant(db) -> Tenant:
    return make_tenant(name="Acme Voice", email="admin@acme.test").tenant


@pytest.fixture
def other_tenant(db) -> Tenant:
    return make_tenant(name="Other Co", email="admin@other.test").tenant


def client_with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    return client


@pytest.fixture
def api_client(tenant) -> APIClient:
    """A client with a read+write+admin key of `tenant`."""
    return client_with_key(make_api_key(tenant=tenant, scopes=tenant_services.ALL_SCOPES).key)


@pytest.fixture
def read_client(tenant) -> APIClient:
    return client_with_key(make_api_key(tenant=tenant, scopes=["read"]).key)


@pytest.fixture
def other_client(other_tenant) -> APIClient:
    return client_with_key(make_api_key(tenant=other_tenant, scopes=tenant_services.ALL_SCOPES).key)


def skip_unless_postgresql(what: str) -> None:
    """Skips a test that needs PostgreSQL (row locks, concurrent connections) on SQLite, and fails
    it instead where RELAY_REQUIRE_INTEGRATION says PostgreSQL must be there (CI's second pass)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    if os.environ.get("RELAY_REQUIRE_INTEGRATION"):
        pytest.fail(f"{what} needs PostgreSQL")
    pytest.skip("needs PostgreSQL (runs in CI's PostgreSQL pass)")
