"""Writes `relay_client/schema.py`, the API's request and response types as TypedDicts, from the
OpenAPI schema the server generates (`docs/openapi.yaml`, written by `make schema`).

    python client/tools/generate_types.py docs/openapi.yaml client/src/relay_client/schema.py

`make client-types` runs it (and ruff format). `tests/client/test_schema_agreement.py`
regenerates the types from the server's live schema and fails when they differ from the committed
file, so the client cannot drift from the server. Needs PyYAML, at development time only.
"""

import keyword
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HEADER = '''"""The Relay API's types, generated from its OpenAPI schema.

Do not edit: client/tools/generate_types.py writes this file; run `make client-types` after
`make schema`. Request bodies are the `*Request` types, responses the others; keys the schema
marks optional are NotRequired.
"""

import sys
from typing import Any, Literal, TypedDict

if sys.version_info >= (3, 11):
    from typing import NotRequired
else:
    from typing_extensions import NotRequired

__all__ = [
{names}
]
'''


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        if "$ref" in node:
            yield _ref_name(node["$ref"])
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _ordered(schemas: dict[str, Any]) -> list[str]:
    """Component names with every referenced component before its users (TypedDicts are
    evaluated at import time, so forward references would need quotes)."""
    done: list[str] = []
    seen: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in seen or name in path:
            return
        for dependency in sorted(set(_refs(schemas[name]))):
            if dependency in schemas:
                visit(dependency, (*path, name))
        seen.add(name)
        done.append(name)

    for name in sorted(schemas):
        visit(name, ())
    return done


def type_expression(schema: Any) -> str:
    """The Python type of one schema object."""
    if not isinstance(schema, dict) or not schema:
        return "Any"
    if "$ref" in schema:
        expression = _ref_name(schema["$ref"])
    elif "allOf" in schema and len(schema["allOf"]) == 1:
        expression = type_expression(schema["allOf"][0])
    elif "oneOf" in schema or "anyOf" in schema:
        options = [type_expression(option) for option in schema.get("oneOf", schema.get("anyOf"))]
        expression = " | ".join(dict.fromkeys(options))
    elif "enum" in schema:
        values = [value for value in schema["enum"] if value is not None]
        expression = f"Literal[{', '.join(repr(value) for value in values)}]"
        if None in schema["enum"]:
            expression += " | None"
    else:
        expression = _plain_type(schema)
    if schema.get("nullable") and not expression.endswith("| None") and expression != "Any":
        expression += " | None"
    return expression


def _plain_type(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if kind == "string":
        return "str"
    if kind == "integer":
        return "int"
    if kind == "number":
        return "float"
    if kind == "boolean":
        return "bool"
    if kind == "array":
        return f"list[{type_expression(schema.get('items', {}))}]"
    if kind == "object" or "properties" in schema or "additionalProperties" in schema:
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return f"dict[str, {type_expression(extra)}]"
        return "dict[str, Any]"
    return "Any"


def _docstring(schema: dict[str, Any]) -> str:
    description = (schema.get("description") or "").strip().splitlines()
    first = description[0].strip() if description else ""
    return first.replace('"""', "'''").replace("\\", "\\\\")


def _typed_dict(name: str, schema: dict[str, Any]) -> str:
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    fields = []
    for key, field in properties.items():
        expression = type_expression(field)
        if key not in required:
            expression = f"NotRequired[{expression}]"
        fields.append((key, expression))
    if any(not key.isidentifier() or keyword.iskeyword(key) for key, _ in fields):
        body = ", ".join(f"{key!r}: {expression}" for key, expression in fields)
        return f"{name} = TypedDict({name!r}, {{{body}}})\n"
    lines = [f"class {name}(TypedDict):"]
    if docstring := _docstring(schema):
        lines.append(f'    """{docstring}"""')
        if fields:
            lines.append("")
    lines += [f"    {key}: {expression}" for key, expression in fields]
    if not fields and not docstring:
        lines.append("    pass")
    return "\n".join(lines) + "\n"


def generate(openapi: dict[str, Any]) -> str:
    """The module's source (before ruff format) for an OpenAPI 3 document."""
    schemas: dict[str, Any] = openapi.get("components", {}).get("schemas", {})
    blocks = []
    for name in _ordered(schemas):
        schema = schemas[name]
        if "enum" in schema and schema.get("type") != "object":
            blocks.append(f"{name} = {type_expression({**schema, 'nullable': False})}\n")
        elif schema.get("type") == "object" or "properties" in schema:
            blocks.append(_typed_dict(name, schema))
        else:
            blocks.append(f"{name} = {type_expression(schema)}\n")
    names = "\n".join(f"    {name!r}," for name in sorted(schemas))
    return HEADER.format(names=names) + "\n\n" + "\n\n".join(blocks)


def main(argv: list[str]) -> int:
    import yaml  # development-time only; the client itself never needs it

    if len(argv) != 2:
        sys.stderr.write("usage: generate_types.py OPENAPI.yaml OUTPUT.py\n")
        return 2
    openapi = yaml.safe_load(Path(argv[0]).read_text(encoding="utf-8"))
    Path(argv[1]).write_text(generate(openapi), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
