from uuid import UUID

from django.db.models import QuerySet

from relay.errors import NotFound
from tenants.models import ApiKey, Membership, Tenant


def api_keys_for(tenant: Tenant) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(tenant=tenant).order_by("-created_at", "-id")


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
