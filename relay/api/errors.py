"""The one place that turns errors into HTTP responses, in the shapes API.md documents."""

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from relay.errors import FIELD_REQUIRED, Conflict, Invalid, NotFound, RelayError, TooLarge
from relay.health import DATABASE_DOWN_ERRORS, database_unavailable

logger = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[RelayError], int] = {NotFound: 404, Conflict: 409, TooLarge: 413}
INTERNAL_ERROR_BODY = {"detail": "Internal server error"}

# DRF's error codes, in the `type` vocabulary API.md shows (`value_error.missing`).
ERROR_TYPE_BY_CODE = {"required": "value_error.missing", "null": "value_error.missing"}


def error_type(code: str) -> str:
    return ERROR_TYPE_BY_CODE.get(code, f"value_error.{code}")


def validation_items(errors: Any, loc: list[str | int]) -> list[dict[str, object]]:
    """Flatten DRF's nested `serializer.errors` into API.md's `[{loc, msg, type}]` items.

    Dicts name fields, lists of dicts are per-item errors of a nested list, and a list of
    ErrorDetail strings holds the messages for the location reached so far.
    """
    if isinstance(errors, Mapping):
        items = []
        for key, value in errors.items():
            # `non_field_errors` concern the object itself, so they sit at its own location.
            child_loc = loc if key in {"non_field_errors", "__all__"} else [*loc, key]
            items.extend(validation_items(value, child_loc))
        return items
    if isinstance(errors, Sequence) and not isinstance(errors, str):
        if all(isinstance(entry, str) for entry in errors):
            return [_item(loc, entry) for entry in errors]
        items = []
        for index, entry in enumerate(errors):
            if entry:  # an item without errors is an empty dict or list
                items.extend(validation_items(entry, [*loc, index]))
        return items
    return [_item(loc, errors)]


def _item(loc: list[str | int], message: object) -> dict[str, object]:
    code = getattr(message, "code", None) or "invalid"
    kind = error_type(code)
    text = FIELD_REQUIRED if kind == "value_error.missing" else str(message)
    return {"loc": loc, "msg": text, "type": kind}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Invalid):
        set_rollback()
        return Response({"detail": exc.items}, status=422)
    if isinstance(exc, RelayError):
        set_rollback()
        return Response({"detail": str(exc)}, status=STATUS_BY_ERROR.get(type(exc), 400))
    if isinstance(exc, drf_exceptions.ValidationError):
        set_rollback()
        return Response({"detail": validation_items(exc.detail, ["body"])}, status=422)
    if isinstance(exc, drf_exceptions.UnsupportedMediaType):
        set_rollback()
        return Response(
            {"detail": f"{exc.detail} Send JSON with Content-Type: application/json."}, 415
        )
    if isinstance(exc, RequestDataTooBig):
        set_rollback()
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response({"detail": f"Request body is over the limit of {limit} bytes."}, 413)
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    set_rollback()
    if isinstance(exc, DATABASE_DOWN_ERRORS):
        logger.warning(
            "database unavailable in %s: %s", context.get("view").__class__.__name__, exc
        )
        return database_unavailable()
    logger.exception("unhandled error in %s", context.get("view").__class__.__name__)
    return Response(INTERNAL_ERROR_BODY, status=500)
