import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from relay.errors import Invalid
from tenants import keys, selectors
from tenants.models import ApiKey, Membership, Scope, Tenant

logger = logging.getLogger(__name__)

DEFAULT_SCOPES = (Scope.READ, Scope.WRITE)
ALL_SCOPES = (Scope.READ, Scope.WRITE, Scope.ADMIN)


def ordered_scopes(scopes: Iterable[str]) -> list[str]:
    """Unique scope names in the canonical read, write, admin order."""
    wanted = {str(scope) for scope in scopes}
    return [str(scope) for scope in ALL_SCOPES if str(scope) in wanted]


@dataclass(frozen=True)
class CreatedApiKey:
    """A new key row plus its secret, which exists only in this object and the one response."""

    api_key: ApiKey
    key: str


@dataclass(frozen=True)
class CreatedTenant:
    tenant: Tenant
    user: AbstractBaseUser
    password: str
    api_key: CreatedApiKey


def create_api_key(
    *,
    tenant: Tenant,
    name: str,
    scopes: Iterable[str] = DEFAULT_SCOPES,
    expires_at: datetime | None = None,
    created_by: AbstractBaseUser | None = None,
) -> CreatedApiKey:
    generated = keys.generate_key()
    api_key = ApiKey.objects.create(
        tenant=tenant,
        name=name,
        prefix=generated.prefix,
        key_hash=generated.key_hash,
        scopes=ordered_scopes(scopes),
        expires_at=expires_at,
        created_by=created_by,
    )
    logger.info("api key %s created for tenant %s", api_key.pk, tenant.pk)
    return CreatedApiKey(api_key=api_key, key=generated.key)


def revoke_api_key(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key; revoking a revoked key keeps its first revocation time."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db(fields=["revoked_at"])
    logger.info("api key %s revoked", api_key.pk)
    return api_key


def authenticate_api_key(key: str) -> ApiKey | None:
    """The active key this secret belongs to, or None (unknown, malformed, revoked or expired)."""
    prefix = keys.prefix_of(key)
    if prefix is None:
        return None
    api_key = selectors.api_key_with_tenant(prefix)
    if api_key is None or not keys.key_matches(key, api_key.key_hash):
        return None
    now = timezone.now()
    if api_key.is_revoked or api_key.is_expired(now):
        return None
    _record_use(api_key, now)
    return api_key


def _record_use(api_key: ApiKey, now: datetime) -> None:
    # At most one write a minute per key: a busy key must not turn every read into a write.
    stale_before = now - settings.RELAY_KEY_LAST_USED_RESOLUTION
    if api_key.last_used_at is not None and api_key.last_used_at >= stale_before:
        return  # the row just read is fresh enough: no round trip at all
    ApiKey.objects.filter(pk=api_key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale_before)
    ).update(last_used_at=now)


@transaction.atomic
def make_operator(*, user: AbstractBaseUser) -> AbstractBaseUser:
    """Make `user` an operator of this install: staff and superuser, so it can use /admin/.
    Idempotent."""
    if not (user.is_staff and user.is_superuser):
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
        logger.info("user %s is now an operator (staff, superuser)", user.pk)
    return user


def create_tenant(*, name: str, email: str, password: str | None = None) -> CreatedTenant:
    """A tenant with one admin user (login = email) and an API key with every scope."""
    name = name.strip()
    email = email.strip().lower()
    if not name:
        raise Invalid.at(["name"], "Tenant name must not be empty", "value_error.blank")
    if Tenant.objects.filter(name=name).exists():
        raise Invalid.at(["name"], f"A tenant named {name!r} already exists", "value_error.unique")
    user_model = get_user_model()
    if user_model.objects.filter(username=email).exists():
        raise Invalid.at(["email"], f"A user {email!r} already exists", "value_error.unique")
    tenant = Tenant.objects.create(name=name)
    password = password or secrets.token_urlsafe(12)
    user = user_model.objects.create_user(username=email, email=email, password=password)
    Membership.objects.create(tenant=tenant, user=user, role=Membership.Role.ADMIN)
    api_key = create_api_key(tenant=tenant, name="Initial key", scopes=ALL_SCOPES, created_by=user)
    logger.info("tenant %s created with admin user %s", tenant.pk, user.pk)
    return CreatedTenant(tenant=tenant, user=user, password=password, api_key=api_key)
