"""What every dashboard page needs: a signed-in user who belongs to a tenant."""

import functools
from collections.abc import Callable
from typing import TypeVar

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from relay.errors import NotFound
from tenants import selectors
from tenants.models import Membership, Tenant

PageView = Callable[..., HttpResponse]
T = TypeVar("T")


def tenant_page(view: PageView) -> PageView:
    """Sign-in required; `request.membership` is set, and a user outside every tenant (an
    operator) gets a page that says so instead of the view."""

    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        request.membership = selectors.membership_of(request.user)
        if request.membership is None:
            return render(request, "tenants/no_tenant.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def tenant_of(request: HttpRequest) -> Tenant:
    return request.membership.tenant


def is_tenant_admin(request: HttpRequest) -> bool:
    return request.membership.role == Membership.Role.ADMIN


def found_or_404(lookup: Callable[..., T], **kwargs: object) -> T:
    """`lookup(**kwargs)`, a selector, with its NotFound turned into the page's 404."""
    try:
        return lookup(**kwargs)
    except NotFound as error:
        raise Http404(str(error)) from None
