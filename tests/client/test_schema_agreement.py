"""The client's types are generated from the server's OpenAPI schema; these tests fail when the
server's schema and the client disagree."""

import importlib.util
import io
import subprocess
import sys

import yaml
from django.core.management import call_command

from tests.live import ROOT

CLIENT = ROOT / "client"
GENERATED = CLIENT / "src" / "relay_client" / "schema.py"


def _generator():
    spec = importlib.util.spec_from_file_location(
        "generate_types", CLIENT / "tools" / "generate_types.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ruff_format(source: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(GENERATED), "-"],
        input=source,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return result.stdout


def _servers_schema() -> dict:
    generated = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=generated)
    return yaml.safe_load(generated.getvalue())


def test_the_client_types_are_generated_from_the_servers_schema(db):
    expected = _ruff_format(_generator().generate(_servers_schema()))

    assert GENERATED.read_text() == expected, (
        "the client's types differ from the server's schema: run `make schema client-types` "
        "and commit docs/openapi.yaml and client/src/relay_client/schema.py"
    )


def test_a_field_the_server_adds_changes_the_generated_types(db):
    schema = _servers_schema()
    schema["components"]["schemas"]["Dataset"]["properties"]["owner"] = {"type": "string"}

    source = _generator().generate(schema)

    assert "owner: NotRequired[str]" in source
    assert _ruff_format(source) != GENERATED.read_text()


def test_the_generated_types_mark_required_and_nullable_fields():
    from relay_client import schema

    assert schema.AudioUploadUrlRequest.__required_keys__ == {
        "filename",
        "content_type",
        "file_size",
    }
    assert "metadata" in schema.AudioUploadUrlRequest.__optional_keys__
    assert schema.TrainingJob.__annotations__["model_id"] == str | None
