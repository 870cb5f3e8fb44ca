"""OpenAPI schema pieces: the API-key security scheme and the error responses of API.md."""

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers

from relay.api.auth import API_KEY_HEADER
from relay.api.operations import OPERATION_DOCS

ERROR_DESCRIPTIONS = {
    400: "Malformed JSON, or JSON nested deeper than the parser allows.",
    401: "Missing, unknown, revoked or expired API key.",
    403: "The key's scopes do not allow this action.",
    404: "No such resource in your tenant.",
    409: "The resource's state does not allow this action.",
    413: "The request body or declared upload is over the limit.",
    415: "A body whose Content-Type is not application/json.",
    422: "Validation failed; one item per failing field.",
    429: "Too many requests for this key; see the Retry-After header.",
    500: "Internal server error.",
}


class RelayAutoSchema(AutoSchema):
    """Summaries and descriptions come from `relay.api.operations`, never from docstrings: an
    inherited base-view docstring would otherwise describe dozens of operations. An explicit
    `extend_schema(summary=..., description=...)` still wins."""

    def get_summary(self) -> str | None:
        doc = OPERATION_DOCS.get(self.get_operation_id())
        return doc.summary if doc else None

    def get_description(self) -> str:
        doc = OPERATION_DOCS.get(self.get_operation_id())
        return doc.description if doc else ""

    def _map_serializer_field(
        self, field: Any, direction: str, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.ListSerializer) and schema.get("type") == "array":
            # drf-spectacular leaves out a nested list's bounds, which the server checks.
            if not field.allow_empty or field.min_length:
                schema["minItems"] = max(field.min_length or 0, 1 if not field.allow_empty else 0)
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
        return schema

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and getattr(serializer, "rejects_unknown_fields", False):
            schema["additionalProperties"] = False
        return schema

    def _get_request_for_media_type(self, serializer: Any, direction: str = "request") -> Any:
        # drf-spectacular makes every field of a PATCH body optional, as DRF's partial updates
        # are; Relay validates PATCH bodies as declared, so the schema shows them that way.
        if self.method != "PATCH":
            return super()._get_request_for_media_type(serializer, direction)
        self.method = "POST"
        try:
            return super()._get_request_for_media_type(serializer, direction)
        finally:
            self.method = "PATCH"


# Text fields refuse control characters (multiline ones allow tab, line feed and carriage
# return); lone surrogates, which JSON can spell as escapes, are refused too.
SINGLE_LINE_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
MULTILINE_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"


class TextFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "relay.api.fields.TextField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        has_own_pattern = any(isinstance(v, RegexValidator) for v in self.target.validators)
        if not has_own_pattern and "pattern" not in schema and "enum" not in schema:
            schema["pattern"] = MULTILINE_PATTERN if self.target.multiline else SINGLE_LINE_PATTERN
        return schema


class FileSizeFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "relay.api.fields.FileSizeField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        schema["maximum"] = settings.RELAY_MAX_UPLOAD_BYTES
        return schema


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


@extend_schema_field(
    {"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}
)
class LocationField(serializers.ListField):
    pass


class ValidationErrorItemSerializer(serializers.Serializer):
    loc = LocationField(help_text='Path to the failing value, e.g. ["body", "artifact_types", 1].')
    msg = serializers.CharField()
    type = serializers.CharField()


class ValidationErrorSerializer(serializers.Serializer):
    detail = ValidationErrorItemSerializer(many=True)


def error_responses(*status_codes: int) -> dict[int, OpenApiResponse]:
    """Schema entries for the errors an operation documents beyond the common ones."""
    return {
        code: OpenApiResponse(
            ValidationErrorSerializer if code == 422 else ErrorSerializer,
            description=ERROR_DESCRIPTIONS[code],
        )
        for code in status_codes
    }


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "relay.api.auth.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": API_KEY_HEADER}


class DashboardSessionScheme(OpenApiAuthenticationExtension):
    target_class = "relay.api.auth.DashboardSessionAuthentication"
    name = "DashboardSession"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        # The browser dashboard's session cookie; unsafe methods also need the X-CSRFToken header.
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


def _component(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error_content(component: str) -> dict[str, Any]:
    return {"application/json": {"schema": _component(component)}}


ERROR_COMPONENTS = {
    "Error": {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "ValidationErrorItem": {
        "type": "object",
        "properties": {
            "loc": {"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "integer"}]}},
            "msg": {"type": "string"},
            "type": {"type": "string"},
        },
        "required": ["loc", "msg", "type"],
    },
    "ValidationError": {
        "type": "object",
        "properties": {
            "detail": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ValidationErrorItem"},
            }
        },
        "required": ["detail"],
    },
}


RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": "Requests this key may make per period (RELAY_THROTTLE_RATE).",
    "RateLimit-Remaining": "Requests left in the current sliding window.",
    "RateLimit-Reset": "Seconds until the oldest request of the window leaves it.",
}


HEADER_COMPONENTS = {
    name: {"description": description, "schema": {"type": "integer", "minimum": 0}}
    for name, description in {
        **RATE_LIMIT_HEADERS,
        "Retry-After": "Seconds to wait before retrying.",
    }.items()
}


def _add_rate_limit_headers(code: str, response: dict[str, Any]) -> None:
    names = [*RATE_LIMIT_HEADERS, "Retry-After"] if code == "429" else list(RATE_LIMIT_HEADERS)
    headers = response.setdefault("headers", {})
    for name in names:
        headers.setdefault(name, {"$ref": f"#/components/headers/{name}"})


def _common_error_codes(operation: dict[str, Any]) -> list[int]:
    parameters = operation.get("parameters", [])
    codes = [401, 403, 429, 500]
    if any(parameter["in"] == "path" for parameter in parameters):
        codes.append(404)
    if "requestBody" in operation:
        codes += [400, 413, 415, 422]
    elif any(parameter["in"] == "query" for parameter in parameters):
        codes.append(422)
    return codes


def add_common_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Document on every operation the errors any operation of its kind can return."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in ERROR_COMPONENTS.items():
        schemas.setdefault(name, schema)
    result["components"].setdefault("headers", {}).update(HEADER_COMPONENTS)
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for code in _common_error_codes(operation):
                responses.setdefault(
                    str(code),
                    {
                        "description": ERROR_DESCRIPTIONS[code],
                        "content": _error_content("ValidationError" if code == 422 else "Error"),
                    },
                )
            for code, response in responses.items():
                _add_rate_limit_headers(code, response)
    return result
