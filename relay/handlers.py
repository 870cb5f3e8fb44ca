"""Django-level error pages: JSON under /api/, plain HTML pages elsewhere.

DRF's exception handler covers errors inside API views; these cover what happens before a view is
found (an unknown URL, a malformed id in a path) or outside DRF (a failing middleware).
"""

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from relay.health import DATABASE_DOWN_ERRORS, database_unavailable

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Bad request"}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Permission denied"}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Not found: no API resource at this URL"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    # Called while the exception is being handled: a database that is away (raised in a view or
    # in a middleware, such as the session's) is a 503 to retry, on pages and in the API alike.
    if isinstance(sys.exc_info()[1], DATABASE_DOWN_ERRORS):
        return database_unavailable()
    if _is_api(request):
        return JsonResponse({"detail": "Internal server error"}, status=500)
    return defaults.server_error(request)
