"""Request parsing: a size-limited JSON parser and serializer checks that raise `Invalid`."""

import json
from typing import Any

from django.conf import settings
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request

from relay.api.errors import validation_items
from relay.errors import Invalid, TooLarge


class LimitedJSONParser(JSONParser):
    """JSON bodies up to `RELAY_MAX_JSON_BODY_BYTES` (or a view's own `max_body_bytes`).

    The limit is checked on the declared length and again while reading, so a body that lies
    about its length is still cut off.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        view = (parser_context or {}).get("view")
        limit = getattr(view, "max_body_bytes", None) or settings.RELAY_MAX_JSON_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = _declared_length(request)
        if declared is not None and declared > limit:
            raise TooLarge(f"Request body is {declared} bytes; the limit is {limit} bytes.")
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise TooLarge(f"Request body is over the limit of {limit} bytes.")
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError) as error:
            raise ParseError(f"Request body is not valid JSON: {error}") from None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _declared_length(request: Request | None) -> int | None:
    if request is None:
        return None
    raw = request.META.get("CONTENT_LENGTH") or ""
    return int(raw) if raw.isdigit() else None


def parse_body(
    serializer_class: type[serializers.Serializer], request: Request, **kwargs: Any
) -> dict:
    """Validated body data, or `Invalid` with a `["body", ...]` location per failing field."""
    data = request.data
    if not isinstance(data, dict):
        raise Invalid.at(["body"], "Expected a JSON object", "type_error.dict")
    return _validate(serializer_class(data=data, **kwargs), ["body"])


def parse_query(serializer_class: type[serializers.Serializer], request: Request) -> dict:
    """Validated query parameters, or `Invalid` with `["query", name]` locations."""
    return _validate(serializer_class(data=request.query_params.dict()), ["query"])


def _validate(serializer: serializers.Serializer, root: list[str | int]) -> dict:
    if not serializer.is_valid():
        raise Invalid(validation_items(serializer.errors, root))
    return dict(serializer.validated_data)
