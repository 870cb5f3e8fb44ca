"""The committed docs stay true to the code."""

import io
import re
from pathlib import Path

from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_openapi_schema_is_current(db):
    generated = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=generated)

    committed = (ROOT / "docs" / "openapi.yaml").read_text()

    assert generated.getvalue() == committed, "run `make schema` and commit docs/openapi.yaml"


def test_the_readme_documents_every_environment_variable():
    settings_source = (ROOT / "relay" / "settings.py").read_text()
    readme = (ROOT / "README.md").read_text()
    variables = set(re.findall(r'env_\w+\("([A-Z_]+)"', settings_source))
    variables |= set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', settings_source))

    undocumented = {name for name in variables if f"| `{name}` |" not in readme}

    assert variables >= {"RELAY_DATA_DIR", "DATABASE_URL", "REDIS_URL"}
    assert undocumented == set()


def test_every_picture_and_local_link_of_the_readme_exists():
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(((?:docs|tests|static)/[^)#\s]+)", readme)

    missing = [target for target in targets if not (ROOT / target).exists()]

    assert "docs/screenshots/datasets.png" in targets
    assert missing == []
