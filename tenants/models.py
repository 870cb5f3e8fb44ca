from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from relay.encryption import SecretBox
from relay.models import TimestampedModel


class Tenant(TimestampedModel):
    """A team: every dataset, job and key belongs to exactly one."""

    name = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(TimestampedModel):
    """A dashboard user's place in a tenant. A user belongs to one tenant."""

    class Role(models.TextChoices):
        ADMIN = "admin"
        MEMBER = "member"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant} ({self.role})"


class Scope(models.TextChoices):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


class ApiKey(TimestampedModel):
    """A hashed API key. The secret is shown once, at creation, and never stored."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=200)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_api_keys",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        indexes = [models.Index(fields=["tenant", "-created_at", "-id"], name="apikey_tenant_list")]

    def __str__(self) -> str:
        return f"{self.name} (rly_{self.prefix}_…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())


class EventType(models.TextChoices):
    AUDIO_READY = "audio.ready"
    AUDIO_FAILED = "audio.failed"
    ANNOTATION_SET_PUBLISHED = "annotation_set.published"
    TRAINING_COMPLETED = "training.completed"
    TRAINING_FAILED = "training.failed"
    INFERENCE_COMPLETED = "inference.completed"


PING_EVENT = "ping"  # sent only by POST /webhooks/{id}/ping, to every webhook whatever its events


def webhook_secret_box() -> SecretBox:
    return SecretBox(settings.RELAY_WEBHOOK_SECRET_KEYS)


class Webhook(TimestampedModel):
    """A tenant's endpoint for events, signed with its own secret. Signing needs the secret
    itself, so it is stored encrypted under RELAY_WEBHOOK_SECRET_KEYS (a Fernet token in
    `encrypted_secret`) and read and written in clear through `signing_secret`."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)
    description = models.CharField(max_length=500, blank=True)
    encrypted_secret = models.CharField(max_length=255)
    is_active = models.BooleanField(default=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="webhook_tenant_list")
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def signing_secret(self) -> str:
        """The secret in clear. Raises relay.encryption.Undecryptable when no configured key
        opens it (the key that encrypted it was removed)."""
        return webhook_secret_box().decrypt(self.encrypted_secret)

    @signing_secret.setter
    def signing_secret(self, secret: str) -> None:
        self.encrypted_secret = webhook_secret_box().encrypt(secret)


class WebhookDelivery(TimestampedModel):
    """One attempt to deliver one event to one webhook. A failed attempt schedules the next one
    as a new row (same `event_id`, `attempt` + 1), so the log shows every try."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    attempt = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    scheduled_at = models.DateTimeField()
    attempted_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    will_retry = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["webhook", "-created_at", "-id"], name="delivery_webhook_list"),
            models.Index(fields=["status", "scheduled_at"], name="delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.attempt} → {self.webhook_id} ({self.status})"
