"""One-time messages: kept for pages and the admin, never made for API calls."""

from django.contrib import messages
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from relay.middleware import PageMessagesMiddleware


def through_the_middleware(path: str, *, add: str = ""):
    def view(request):
        if add:
            messages.info(request, add)
        return HttpResponse()

    request = RequestFactory().get(path)
    SessionMiddleware(lambda request: HttpResponse()).process_request(request)
    response = PageMessagesMiddleware(view)(request)
    return request, response


def test_api_calls_make_no_message_stores(db):
    request, _ = through_the_middleware("/api/v1/datasets")

    assert not hasattr(request, "_messages")


def test_pages_keep_their_messages_for_the_next_page(db):
    request, response = through_the_middleware("/datasets/", add="Saved.")

    assert [str(message) for message in request._messages._queued_messages] == ["Saved."]
    assert response.cookies.get("messages") or request.session.modified
