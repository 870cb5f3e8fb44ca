"""Who is calling: an API key (`X-API-Key`) or a dashboard session (cookie + CSRF token)."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView

from relay.api import throttling
from relay.ratelimit import Decision
from tenants import selectors as tenant_selectors
from tenants import services as tenant_services
from tenants.models import ApiKey, Membership, Scope, Tenant

API_KEY_HEADER = "X-API-Key"
SCOPES_BY_ROLE = {
    Membership.Role.ADMIN: frozenset({Scope.READ, Scope.WRITE, Scope.ADMIN}),
    Membership.Role.MEMBER: frozenset({Scope.READ, Scope.WRITE}),
}


@dataclass(frozen=True)
class Caller:
    """The authenticated party of a request: `request.user` in every API view."""

    tenant: Tenant
    scopes: frozenset[str]
    api_key: ApiKey | None = None
    user: AbstractBaseUser | None = field(default=None)
    # An API key's rate-limit window, counted as the key was presented (throttling).
    rate_limit: Decision | None = None

    is_authenticated = True

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Caller, ApiKey] | None:
        key = request.META.get("HTTP_X_API_KEY")
        if key is None:
            return None
        key = key.strip()
        # An address that keeps failing is refused before its next guess is even looked at; the
        # key's own rate limit is counted in the same round trip.
        rate_limit = throttling.check_address_and_key(request, key)
        api_key = tenant_services.authenticate_api_key(key)
        if api_key is None:
            throttling.record_failed_authentication(request)
            raise exceptions.AuthenticationFailed("Invalid, revoked or expired API key.")
        caller = Caller(
            tenant=api_key.tenant,
            scopes=frozenset(api_key.scopes),
            api_key=api_key,
            rate_limit=rate_limit,
        )
        return caller, api_key

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) when credentials are missing or wrong.
        return API_KEY_HEADER


class DashboardSessionAuthentication(authentication.SessionAuthentication):
    """The dashboard's logged-in user, acting for their tenant; CSRF is enforced by DRF."""

    def authenticate(self, request: Request) -> tuple[Caller, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        membership = tenant_selectors.membership_of(user)
        if membership is None:
            raise exceptions.AuthenticationFailed("This user is not a member of any tenant.")
        scopes = SCOPES_BY_ROLE[Membership.Role(membership.role)]
        return Caller(tenant=membership.tenant, scopes=scopes, user=user), None


class HasRequiredScope(permissions.BasePermission):
    """Checks the view's `required_scopes` (`{"GET": "read", ...}`) against the caller."""

    def has_permission(self, request: Request, view: "APIView") -> bool:
        caller = request.user
        if not isinstance(caller, Caller):
            return False  # DRF turns this into 401, since nobody authenticated
        method = "GET" if request.method in {"HEAD", "OPTIONS"} else request.method
        required = view.required_scopes.get(method)
        if required is None or caller.allows(required):
            return True
        self.message = f"This action needs the '{required}' scope, which this key does not have."
        return False
