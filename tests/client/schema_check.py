"""Checks recorded API exchanges against the committed OpenAPI schema (docs/openapi.yaml, which
`tests/test_docs.py` keeps equal to what the server generates).

Request bodies are checked strictly: a field the schema does not declare is an error, because
the server ignores unknown fields and a client that misspells one would otherwise never learn.
"""

import json
import re
from functools import cache
from typing import Any

import jsonschema
import yaml

from tests.live import ROOT

_PARAMETER = re.compile(r"\{[^/]+\}")


@cache
def openapi() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text(encoding="utf-8"))


def _resolve(node: Any, *, strict: bool) -> Any:
    """`node` with every $ref inlined, OpenAPI 3.0's `nullable` as JSON Schema's null type, and
    with `strict`, objects closed to undeclared properties."""
    if isinstance(node, list):
        return [_resolve(item, strict=strict) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _resolve(openapi()["components"]["schemas"][name], strict=strict)
    resolved = {key: _resolve(value, strict=strict) for key, value in node.items()}
    if strict and "properties" in resolved and "additionalProperties" not in resolved:
        resolved["additionalProperties"] = False
    if resolved.pop("nullable", False):
        return {"anyOf": [resolved, {"type": "null"}]}
    return resolved


def operation(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """(path template, operation) of the schema that a concrete request path matches."""
    for template, operations in openapi()["paths"].items():
        pattern = "^" + "[^/]+".join(map(re.escape, _PARAMETER.split(template))) + "/?$"
        if re.match(pattern, path) and method.lower() in operations:
            return template, operations[method.lower()]
    return None


def problems(exchange: Any) -> list[str]:
    """What is wrong with one exchange, as sentences; empty when it keeps to the schema."""
    where = f"{exchange.method} {exchange.path}"
    found = operation(exchange.method, exchange.path)
    if found is None:
        return [f"{where}: not in the schema"]
    template, spec = found
    errors = []
    request_content = spec.get("requestBody", {}).get("content", {})
    request_type = exchange.request_content_type.split(";")[0].strip()
    if exchange.request_body:
        if request_type not in request_content:
            errors.append(
                f"{where}: sends {request_type}, the schema takes {list(request_content)}"
            )
        elif request_type == "application/json":
            schema = _resolve(request_content[request_type]["schema"], strict=True)
            body = json.loads(exchange.request_body)
            for error in jsonschema.Draft4Validator(schema).iter_errors(body):
                errors.append(f"{where} request {list(error.absolute_path)}: {error.message}")
    responses = spec.get("responses", {})
    declared = responses.get(str(exchange.status))
    if declared is None:
        errors.append(f"{where}: status {exchange.status} is not declared ({template})")
        return errors
    response_type = exchange.response_content_type.split(";")[0].strip()
    content = declared.get("content", {})
    if response_type == "application/json" and response_type in content and exchange.response_body:
        schema = _resolve(content[response_type]["schema"], strict=False)
        body = json.loads(exchange.response_body)
        for error in jsonschema.Draft4Validator(schema).iter_errors(body):
            errors.append(f"{where} response {list(error.absolute_path)}: {error.message}")
    return errors
