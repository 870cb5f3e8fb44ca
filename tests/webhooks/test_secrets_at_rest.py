"""A webhook's signing secret is stored encrypted, signs in clear, survives a key rotation, and
a secret no key opens fails its delivery with a readable error instead of crashing the worker."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from relay.encryption import SecretBox
from tenants import webhooks
from tenants.models import EventType, Webhook, WebhookDelivery
from tests.webhooks.conftest import assert_signed, create_webhook, ping

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def stored_secret(webhook_id: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT encrypted_secret FROM tenants_webhook WHERE id = %s",
            [Webhook._meta.pk.get_db_prep_value(webhook_id, connection)],
        )
        [(value,)] = cursor.fetchall()
    return value


def rotate() -> str:
    out = io.StringIO()
    call_command("rotate_webhook_secrets_key", stdout=out)
    return out.getvalue()


@pytest.fixture
def made_under_old_key(api_client, receiver, settings) -> dict:
    """A webhook (for audio.ready) made while OLD_KEY was the only key."""
    settings.RELAY_WEBHOOK_SECRET_KEYS = [OLD_KEY]
    return create_webhook(api_client, receiver.url, ["audio.ready"])


def test_the_database_never_holds_the_secret_in_clear(made_under_old_key):
    created = made_under_old_key

    stored = stored_secret(created["id"])
    assert created["secret"].startswith("whsec_")
    assert created["secret"] not in stored
    assert SecretBox([OLD_KEY]).decrypt(stored) == created["secret"]


def test_a_delivery_is_signed_with_the_secret_in_clear(api_client, receiver):
    created = create_webhook(api_client, receiver.url)

    assert ping(api_client, created)["status"] == "succeeded"

    [request] = receiver.received
    assert_signed(request, created["secret"])


def test_rotation_encrypts_every_secret_with_the_new_first_key(
    api_client, made_under_old_key, receiver, settings
):
    created = made_under_old_key
    before = stored_secret(created["id"])
    settings.RELAY_WEBHOOK_SECRET_KEYS = [NEW_KEY, OLD_KEY]

    output = rotate()
    settings.RELAY_WEBHOOK_SECRET_KEYS = [NEW_KEY]  # the old key is gone
    delivery = ping(api_client, created)

    assert output == "1 webhook secrets encrypted with the first key.\n"
    assert stored_secret(created["id"]) != before
    assert delivery["status"] == "succeeded"
    [request] = receiver.received
    assert_signed(request, created["secret"])


def test_rotation_fails_naming_how_many_secrets_no_key_opens(made_under_old_key, settings):
    created = made_under_old_key
    before = stored_secret(created["id"])
    settings.RELAY_WEBHOOK_SECRET_KEYS = [NEW_KEY]

    with pytest.raises(CommandError, match="1 webhook secrets cannot be decrypted"):
        rotate()

    assert stored_secret(created["id"]) == before


def test_a_secret_no_key_opens_fails_the_delivery_with_a_clear_error(
    made_under_old_key,
    tenant,
    receiver,
    settings,
    run_webhook_queue,
    django_capture_on_commit_callbacks,
):
    settings.RELAY_WEBHOOK_MAX_ATTEMPTS = 2
    settings.RELAY_WEBHOOK_SECRET_KEYS = [NEW_KEY]

    with django_capture_on_commit_callbacks(execute=True):
        webhooks.publish_event(tenant_id=tenant.pk, event_type=EventType.AUDIO_READY, data={})
    run_webhook_queue()

    attempts = WebhookDelivery.objects.order_by("attempt")
    assert [(d.attempt, d.status, d.error) for d in attempts] == [
        (1, "failed", webhooks.UNREADABLE_SECRET),
        (2, "failed", webhooks.UNREADABLE_SECRET),
    ]
    assert receiver.received == []


def migrate_tenants_to(name: str):
    executor = MigrationExecutor(connection)
    executor.migrate([("tenants", name)])
    return executor.loader.project_state(("tenants", name)).apps


def test_the_migration_encrypts_secrets_kept_in_clear_and_its_reverse_decrypts_them(
    transactional_db, settings
):
    settings.RELAY_WEBHOOK_SECRET_KEYS = [NEW_KEY]
    secret = "whsec_" + "c" * 43
    before = migrate_tenants_to("0002_webhooks")
    try:
        tenant = before.get_model("tenants", "Tenant").objects.create(name="Voice Lab")
        before.get_model("tenants", "Webhook").objects.create(
            tenant=tenant, url="https://hooks.example.com/", events=["audio.ready"], secret=secret
        )

        after = migrate_tenants_to("0003_encrypt_webhook_secrets")
        encrypted = after.get_model("tenants", "Webhook").objects.get().encrypted_secret
        back = migrate_tenants_to("0002_webhooks")
        decrypted = back.get_model("tenants", "Webhook").objects.get().secret
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )

    assert secret not in encrypted
    assert SecretBox([NEW_KEY]).decrypt(encrypted) == secret
    assert decrypted == secret
