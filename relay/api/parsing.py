"""Request parsing: a strict JSON parser, and body and query checks that raise `Invalid`."""

import json
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request

from relay.api.errors import validation_items
from relay.errors import Invalid


class StrictJSONParser(JSONParser):
    """JSON that is JSON: UTF-8, and no NaN or Infinity, which no other client could read back.

    Size limits are checked before the body is read, by `TenantApiView`.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError) as error:
            raise ParseError(f"Request body is not valid JSON: {error}") from None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def parse_body(
    serializer_class: type[serializers.Serializer], request: Request, **kwargs: Any
) -> dict:
    """Validated body data, or `Invalid` with a `["body", ...]` location per failing field."""
    return _validate(serializer_class(data=json_object_body(request), **kwargs), ["body"])


def json_object_body(request: Request) -> dict:
    """The parsed body, which must be a JSON object."""
    if not isinstance(request.data, dict):
        raise Invalid.at(["body"], "Expected a JSON object", "type_error.dict")
    return request.data


def parse_query(serializer_class: type[serializers.Serializer], request: Request) -> dict:
    """Validated query parameters, or `Invalid` with `["query", name]` locations."""
    return _validate(serializer_class(data=request.query_params.dict()), ["query"])


def _validate(serializer: serializers.Serializer, root: list[str | int]) -> dict:
    if not serializer.is_valid():
        raise Invalid(validation_items(serializer.errors, root))
    return dict(serializer.validated_data)
