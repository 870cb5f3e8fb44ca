from django.http import HttpRequest

from tenants import selectors


def membership(request: HttpRequest) -> dict[str, object]:
    """The signed-in user's membership (and so the tenant's name) for the page shell; pages
    decorated with `tenant_page` have looked it up already."""
    if not hasattr(request, "membership"):
        user = getattr(request, "user", None)
        # Pages that DRF renders (the API docs) see the API's Caller, which holds the user.
        user = getattr(user, "user", user)
        request.membership = selectors.membership_of(user)
    return {"membership": request.membership}
