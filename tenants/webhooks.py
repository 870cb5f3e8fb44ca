"""Webhooks: a tenant's endpoints, the events published to them, and their signed deliveries.

An event is published inside the transaction that makes it true (`publish_event`): a delivery row
per subscribed webhook is written with the change, and the queue is told after commit, so an event
exists exactly when its change does. A worker claims a pending delivery with a conditional UPDATE,
resolves and checks the URL again (SSRF), POSTs the signed body to an address that check approved,
and records the outcome. A failure schedules the next attempt as a new row, after an exponential
backoff, until RELAY_WEBHOOK_MAX_ATTEMPTS.
"""

import http.client
import json
import logging
import socket
import ssl
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from relay.api.fields import utc_datetime_text
from relay.encryption import Undecryptable
from relay.errors import Invalid
from tenants import webhook_signing, webhook_urls
from tenants.models import (
    PING_EVENT,
    EventType,
    Tenant,
    Webhook,
    WebhookDelivery,
    webhook_secret_box,
)

logger = logging.getLogger(__name__)

RESPONSE_EXCERPT_CHARS = 1000
USER_AGENT = "Relay-Webhooks/1.0"
# A claimed delivery whose worker died mid-send is sent again after this long (at least once).
STUCK_SENDING_AFTER = timedelta(minutes=5)
# A pending delivery this far past its time lost its queue message.
OVERDUE_AFTER = timedelta(minutes=1)
UNREADABLE_SECRET = (
    "The webhook's signing secret cannot be decrypted with the server's keys "
    "(RELAY_WEBHOOK_SECRET_KEYS lost the key it was encrypted with); nothing was sent. Restore "
    "that key, or delete the webhook and make it again."
)


def ordered_events(events: Iterable[str]) -> list[str]:
    wanted = set(events)
    return [str(event) for event in EventType if str(event) in wanted]


def _check_url(url: str) -> None:
    reason = webhook_urls.refusal(url, allow_private=settings.RELAY_WEBHOOKS_ALLOW_PRIVATE_URLS)
    if reason is not None:
        raise Invalid.at(["body", "url"], reason, "value_error.url_refused")


def create_webhook(
    *, tenant: Tenant, url: str, events: Iterable[str], description: str = ""
) -> Webhook:
    """A webhook with a new secret. Invalid (at `url`) when the URL may not be reached."""
    _check_url(url)
    webhook = Webhook.objects.create(
        tenant=tenant,
        url=url,
        events=ordered_events(events),
        description=description,
        signing_secret=webhook_signing.new_secret(),  # stored encrypted
    )
    logger.info("webhook %s created for tenant %s", webhook.pk, tenant.pk)
    return webhook


def update_webhook(*, webhook: Webhook, **changes: Any) -> Webhook:
    if "url" in changes:
        _check_url(changes["url"])
    if "events" in changes:
        changes["events"] = ordered_events(changes["events"])
    for name, value in changes.items():
        setattr(webhook, name, value)
    webhook.save(update_fields=[*changes, "updated_at"])
    logger.info("webhook %s changed: %s", webhook.pk, ", ".join(sorted(changes)))
    return webhook


def rotate_secrets_key() -> tuple[int, int]:
    """Encrypts every webhook's secret again with the first of RELAY_WEBHOOK_SECRET_KEYS. Returns
    how many were encrypted again and how many no key decrypts (those are left as they are).
    Idempotent, and safe beside running workers: a secret never changes once made."""
    box = webhook_secret_box()
    rotated = unreadable = 0
    for webhook_id, token in Webhook.objects.values_list("pk", "encrypted_secret").iterator():
        try:
            fresh = box.rotate(token)
        except Undecryptable:
            unreadable += 1
            logger.warning("webhook %s: no key decrypts its signing secret", webhook_id)
            continue
        rotated += Webhook.objects.filter(pk=webhook_id, encrypted_secret=token).update(
            encrypted_secret=fresh
        )
    logger.info(
        "webhook secrets: %d encrypted with the first key, %d unreadable", rotated, unreadable
    )
    return rotated, unreadable


def delete_webhook(*, webhook: Webhook) -> None:
    webhook_id = webhook.pk
    webhook.delete()
    logger.info("webhook %s deleted", webhook_id)


def _event(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    # Rendered as the API renders it, so `data` is byte for byte what a GET would return.
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "created_at": utc_datetime_text(timezone.now()),
        "data": json.loads(JSONRenderer().render(data)),
    }


def _enqueue_after_commit(deliveries: list[WebhookDelivery], *, delay_s: float = 0) -> None:
    from tenants import tasks

    ids = [str(delivery.pk) for delivery in deliveries]

    delay_ms = round(delay_s * 1000) or None  # any delay, even 0, parks a message on a delay queue

    def send() -> None:
        for delivery_id in ids:
            tasks.deliver_webhook.send_with_options(args=(delivery_id,), delay=delay_ms)

    transaction.on_commit(send)


def publish_event(*, tenant_id: uuid.UUID, event_type: EventType, data: dict[str, Any]) -> int:
    """Queues the event for each active webhook of the tenant that takes it; returns how many.
    Call it inside the transaction that makes the event true."""
    subscribed = [
        webhook
        for webhook in Webhook.objects.filter(tenant_id=tenant_id, is_active=True)
        if str(event_type) in webhook.events
    ]
    if not subscribed:
        return 0
    event = _event(str(event_type), data)
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            webhook=webhook,
            event_id=event["id"],
            event_type=event["type"],
            payload=event,
            scheduled_at=timezone.now(),
        )
        for webhook in subscribed
    )
    _enqueue_after_commit(deliveries)
    return len(deliveries)


def ping_webhook(*, webhook: Webhook) -> WebhookDelivery:
    """Sends a `ping` event now, once, and returns its delivery (no retries)."""
    event = _event(PING_EVENT, {"webhook_id": str(webhook.pk), "url": webhook.url})
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        event_id=event["id"],
        event_type=PING_EVENT,
        payload=event,
        scheduled_at=timezone.now(),
    )
    return deliver(delivery_id=delivery.pk) or delivery


@dataclass(frozen=True)
class Outcome:
    response_status: int | None = None
    response_body: str = ""
    error: str = ""
    duration_ms: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300


class _PinnedConnection(http.client.HTTPConnection):
    """Connects to an address the SSRF guard checked, never to a fresh DNS answer (rebinding),
    while the Host header still names the URL's host and port. http.client follows no
    redirects: a 3xx is the answer, since it could lead past the check."""

    def __init__(self, target: webhook_urls.Target, *, timeout_s: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout_s)
        self.target = target

    def connect(self) -> None:
        failure = OSError(f"No address of {self.target.host} to connect to")
        for address in self.target.addresses:  # in the resolver's order, as urllib would
            try:
                self.sock = socket.create_connection((address, self.target.port), self.timeout)
                return
            except OSError as error:
                failure = error
        raise failure


class _PinnedTLSConnection(_PinnedConnection):
    """The same, over TLS: SNI and the certificate check use the URL's host, not the address."""

    default_port = 443  # the Host header leaves out the default port

    def connect(self) -> None:
        super().connect()
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self.sock, server_hostname=self.target.host)


def _post(webhook: Webhook, payload: dict[str, Any], delivery_id: str) -> Outcome:
    try:
        secret = webhook.signing_secret
    except Undecryptable:
        return Outcome(error=UNREADABLE_SECRET)
    try:
        target = webhook_urls.target(
            webhook.url, allow_private=settings.RELAY_WEBHOOKS_ALLOW_PRIVATE_URLS
        )
    except webhook_urls.RefusedUrl as refused:
        return Outcome(error=str(refused))
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        webhook_signing.SIGNATURE_HEADER: webhook_signing.signature_header(secret, body),
        "Relay-Event-Id": payload["id"],
        "Relay-Event-Type": payload["type"],
        "Relay-Delivery-Id": delivery_id,
    }
    connection_class = _PinnedTLSConnection if target.scheme == "https" else _PinnedConnection
    connection = connection_class(target, timeout_s=settings.RELAY_WEBHOOK_TIMEOUT_S)
    started = time.perf_counter()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        status, text = response.status, response.read(RESPONSE_EXCERPT_CHARS)
    except (OSError, ValueError, http.client.HTTPException) as error:  # refused, timed out, TLS
        duration_ms = round((time.perf_counter() - started) * 1000)
        return Outcome(error=f"{type(error).__name__}: {error}", duration_ms=duration_ms)
    finally:
        connection.close()
    duration_ms = round((time.perf_counter() - started) * 1000)
    return Outcome(status, text.decode("utf-8", "replace"), "", duration_ms)


def retry_delay_s(attempt: int) -> float:
    """The wait after failed attempt number `attempt` (1-based): base, 2 x base, 4 x base, …"""
    return settings.RELAY_WEBHOOK_RETRY_BASE_S * 2 ** (attempt - 1)


def deliver(*, delivery_id: uuid.UUID | str) -> WebhookDelivery | None:
    """Makes a pending delivery's attempt and records it; None when it is not pending (done,
    deleted, or claimed by another worker). Idempotent: a second call finds it claimed."""
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING
    ).update(status=WebhookDelivery.Status.SENDING, attempted_at=timezone.now())
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    webhook = delivery.webhook
    outcome = (
        _post(webhook, delivery.payload, str(delivery.pk))
        if webhook.is_active or delivery.event_type == PING_EVENT
        else Outcome(error="The webhook is disabled.")
    )
    return _record(delivery, outcome)


@transaction.atomic
def _record(delivery: WebhookDelivery, outcome: Outcome) -> WebhookDelivery:
    webhook = delivery.webhook
    will_retry = (
        not outcome.succeeded
        and delivery.event_type != PING_EVENT
        and webhook.is_active
        and delivery.attempt < settings.RELAY_WEBHOOK_MAX_ATTEMPTS
    )
    delivery.status = (
        WebhookDelivery.Status.SUCCEEDED if outcome.succeeded else WebhookDelivery.Status.FAILED
    )
    delivery.response_status = outcome.response_status
    delivery.response_body = outcome.response_body
    delivery.error = outcome.error
    delivery.duration_ms = outcome.duration_ms
    delivery.will_retry = will_retry
    delivery.save()
    what = outcome.response_status or outcome.error
    logger.info(
        "webhook %s: %s attempt %d %s (%s)",
        webhook.pk,
        delivery.event_type,
        delivery.attempt,
        delivery.status,
        what,
    )
    if will_retry:
        delay_s = retry_delay_s(delivery.attempt)
        following = WebhookDelivery.objects.create(
            webhook=webhook,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            payload=delivery.payload,
            attempt=delivery.attempt + 1,
            scheduled_at=timezone.now() + timedelta(seconds=delay_s),
        )
        _enqueue_after_commit([following], delay_s=delay_s)
        logger.info(
            "webhook %s: %s attempt %d in %.0f s",
            webhook.pk,
            delivery.event_type,
            following.attempt,
            delay_s,
        )
    return delivery


def deliveries_needing_a_worker() -> list[str]:
    """Pending deliveries whose message was lost, and claimed ones whose worker died mid-send
    (put back to pending: a receiver may then get an event twice, and dedupes on its id)."""
    now = timezone.now()
    WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.SENDING, attempted_at__lt=now - STUCK_SENDING_AFTER
    ).update(status=WebhookDelivery.Status.PENDING)
    overdue = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, scheduled_at__lt=now - OVERDUE_AFTER
    )
    return [str(pk) for pk in overdue.values_list("pk", flat=True)[:1000]]
