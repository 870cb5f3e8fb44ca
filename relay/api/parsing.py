"""Request parsing: a strict JSON parser, and body and query checks that raise `Invalid`."""

import functools
import json
from collections.abc import Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.fields import SkipField
from rest_framework.parsers import JSONParser
from rest_framework.request import Request

from relay.api.errors import validation_items
from relay.errors import Invalid
from relay.json_depth import json_depth_exceeds

# Deeper than any real request (the deepest, metadata, is a few levels) and far below where
# Python's recursive JSON decoder overflows its stack.
MAX_JSON_DEPTH = 400


class StrictJSONParser(JSONParser):
    """JSON that is JSON: UTF-8, no NaN or Infinity, which no other client could read back, and
    nesting of at most MAX_JSON_DEPTH levels, checked before the recursive decoder runs.

    Size limits are checked before the body is read, by `TenantApiView`.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ParseError(f"Request body is not valid JSON: {error}") from None
        if json_depth_exceeds(text, MAX_JSON_DEPTH):
            raise ParseError(
                f"Request body is nested more than {MAX_JSON_DEPTH} levels deep; "
                "no Relay request needs that."
            )
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except ValueError as error:
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
    """Validated query parameters, or `Invalid` with `["query", name]` locations. Without any
    query parameters the answer is the class's defaults, worked out once where they are plain
    values (a DRF serializer made and validated per call was 5 % of a list request's time)."""
    if not request.query_params:
        defaults = _query_defaults(serializer_class)
        if defaults is not None:
            return dict(defaults)
    return _validate(serializer_class(data=request.query_params.dict()), ["query"])


PLAIN_VALUES = (str, int, float, bool, type(None))


@functools.cache
def _query_defaults(serializer_class: type[serializers.Serializer]) -> dict | None:
    """What an empty query validates to, when that can never change: no default is computed
    (callable) and every value is immutable. None otherwise, or when an empty query is invalid."""
    serializer = serializer_class(data={})
    if any(callable(field.default) for field in serializer.fields.values()):
        return None
    if not serializer.is_valid():
        return None
    defaults = dict(serializer.validated_data)
    if not all(isinstance(value, PLAIN_VALUES) for value in defaults.values()):
        return None
    return defaults


def parse_query_and_body(
    query_class: type[serializers.Serializer],
    body_class: type[serializers.Serializer],
    request: Request,
) -> tuple[dict, dict]:
    """Both validated, or one `Invalid` listing every failing query parameter and body field."""
    parsed: list[dict] = []
    items: list[dict[str, object]] = []
    for parse, serializer_class in ((parse_query, query_class), (parse_body, body_class)):
        try:
            parsed.append(parse(serializer_class, request))
        except Invalid as error:
            items.extend(error.items)
    if items:
        raise Invalid(items)
    return parsed[0], parsed[1]


class AllErrorsSerializer(serializers.Serializer):
    """A serializer whose cross-field `validate()` also runs when some fields failed, on the
    fields that passed, so one 422 lists field and cross-field problems together.

    DRF runs `validate()` only once every field is valid. Subclasses' `validate()` must therefore
    skip a check whose fields are absent from `attrs`.
    """

    def to_internal_value(self, data: object) -> dict:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            if not isinstance(error.detail, dict) or not isinstance(data, Mapping):
                raise
            try:
                self.validate(self._fields_that_pass(data, failed=error.detail))
            except serializers.ValidationError as cross:
                raise serializers.ValidationError(_merged(error.detail, cross.detail)) from None
            raise

    def _fields_that_pass(self, data: Mapping, *, failed: Mapping) -> dict:
        passed: dict = {}
        for field in self._writable_fields:
            if field.field_name in failed:
                continue
            try:
                value = field.run_validation(field.get_value(data))
            except (serializers.ValidationError, SkipField):
                continue
            self.set_value(passed, field.source_attrs, value)
        return passed


class AliasesMixin:
    """Accepts `aliases` (`{"alias": "field"}`) as other names of a field: the two upload flows
    name the same things differently, and each takes the other's names. Errors are reported at
    the name the client sent. Both names with different values is an error at the alias."""

    aliases: dict[str, str] = {}

    def to_internal_value(self, data: object) -> dict:
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)
        data = dict(data.items())
        sent_as: dict[str, str] = {}
        conflicts = {}
        for alias, name in self.aliases.items():
            if alias not in data:
                continue
            value = data.pop(alias)
            if name in data and data[name] != value:
                conflicts[alias] = [
                    serializers.ErrorDetail(
                        f"{alias} is another name for {name}; send one of them.", code="conflict"
                    )
                ]
                continue
            data[name] = value
            sent_as[name] = alias
        try:
            validated = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if not isinstance(error.detail, dict):
                raise
            renamed = {sent_as.get(key, key): value for key, value in error.detail.items()}
            raise serializers.ValidationError({**renamed, **conflicts}) from None
        if conflicts:
            raise serializers.ValidationError(conflicts)
        return validated


def _merged(field_errors: dict, cross_errors: object) -> dict:
    merged = dict(field_errors)
    if not isinstance(cross_errors, dict):
        cross_errors = {"non_field_errors": cross_errors}
    for name, errors in cross_errors.items():
        merged.setdefault(name, errors)
    return merged


def _validate(serializer: serializers.Serializer, root: list[str | int]) -> dict:
    if not serializer.is_valid():
        raise Invalid(validation_items(serializer.errors, root))
    return dict(serializer.validated_data)
