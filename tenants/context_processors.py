from django.http import HttpRequest

from tenants import selectors


def membership(request: HttpRequest) -> dict[str, object]:
    """The signed-in user's membership (and so the tenant's name) for the page shell; pages
    decorated with `tenant_page` have looked it up already."""
    if not hasattr(request, "membership"):
        request.membership = selectors.membership_of(getattr(request, "user", None))
    return {"membership": request.membership}
