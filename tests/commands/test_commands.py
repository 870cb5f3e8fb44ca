import io
import re

import pytest
from django.core.management import CommandError, call_command

from tenants.models import ApiKey, Membership, Tenant
from tests.conftest import client_with_key


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_tenant_prints_a_password_and_ends_with_the_key(db):
    output = run("create_tenant", "Voice Lab", "--email", "Lead@VoiceLab.test")

    lines = output.strip().splitlines()
    assert re.fullmatch(r"RELAY_API_KEY=rly_\w+", lines[-1])
    assert any(line.startswith("Password: ") for line in lines)
    membership = Membership.objects.get(user__username="lead@voicelab.test")
    assert (membership.tenant.name, membership.role) == ("Voice Lab", "admin")
    key = lines[-1].removeprefix("RELAY_API_KEY=")
    assert client_with_key(key).get("/api/v1/api-keys").status_code == 200


def test_create_tenant_refuses_a_taken_name(db):
    run("create_tenant", "Voice Lab", "--email", "a@voicelab.test")

    with pytest.raises(CommandError, match="already exists"):
        run("create_tenant", "Voice Lab", "--email", "b@voicelab.test")

    assert Tenant.objects.count() == 1


def test_bootstrap_creates_the_demo_once_and_prints_it_again(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path

    first = run("bootstrap_demo")
    second = run("bootstrap_demo")

    assert Tenant.objects.filter(name="Demo").count() == 1
    assert ApiKey.objects.count() == 1
    key_line = next(line for line in first.splitlines() if line.startswith("RELAY_API_KEY="))
    assert key_line in second
    assert "Password: " in second
    assert str(tmp_path / "demo-credentials.txt") in second
    assert (tmp_path / "demo-credentials.txt").stat().st_mode & 0o777 == 0o600


def test_migrations_match_the_models(db):
    run("makemigrations", "--check", "--dry-run")
