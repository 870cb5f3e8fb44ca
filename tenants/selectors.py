from uuid import UUID

from django.db.models import QuerySet

from relay import rows
from relay.errors import NotFound
from tenants.models import ApiKey, Membership, Tenant, Webhook, WebhookDelivery


def api_keys_for(tenant: Tenant) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(tenant=tenant).order_by("-created_at", "-id")


def api_key_with_tenant(prefix: str) -> ApiKey | None:
    """The key with this prefix and its tenant, whoever's it is (authentication), in one query
    written out once: every API call makes it (relay.rows)."""
    return rows.one(ApiKey, {"prefix": prefix}, parent_key="tenant")


def get_api_key(*, tenant: Tenant, api_key_id: UUID) -> ApiKey:
    try:
        return api_keys_for(tenant).get(pk=api_key_id)
    except ApiKey.DoesNotExist:
        raise NotFound("API key not found") from None


def membership_of(user: object) -> Membership | None:
    """The user's membership, or None for users outside every tenant (operators, for example)."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return Membership.objects.select_related("tenant").get(user=user)
    except Membership.DoesNotExist:
        return None


def webhooks_for(tenant: Tenant) -> QuerySet[Webhook]:
    return Webhook.objects.filter(tenant=tenant).order_by("-created_at", "-id")


def get_webhook(*, tenant: Tenant, webhook_id: UUID) -> Webhook:
    try:
        return webhooks_for(tenant).get(pk=webhook_id)
    except Webhook.DoesNotExist:
        raise NotFound("Webhook not found") from None


def deliveries_of(webhook: Webhook) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(webhook=webhook).order_by("-created_at", "-id")
