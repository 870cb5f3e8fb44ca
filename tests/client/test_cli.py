"""The `relay` command line itself: help, configuration, error messages, and what the package
needs to install."""

import json
import os
import stat
import subprocess
import sys
import tomllib

import click
from click.testing import CliRunner
from relay_client.cli import main

from tests.client.conftest import relay_script
from tests.live import ROOT


def _commands(
    group: click.Group, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    found = [(path, group)]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, (*path, name))
        else:
            found.append(((*path, name), command))
    return found


def test_every_command_has_help_for_itself_and_each_option():
    for path, command in _commands(main):
        result = CliRunner().invoke(main, [*path, "--help"])

        assert result.exit_code == 0, (path, result.output)
        assert (command.help or "").strip(), f"relay {' '.join(path)} has no description"
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "help":
                assert param.help, f"relay {' '.join(path)} {param.opts[0]} has no help"
                assert param.opts[0] in result.output


def test_the_installed_relay_command_prints_its_help():
    result = subprocess.run([relay_script(), "--help"], capture_output=True, text=True, check=False)

    assert result.returncode == 0
    for command in (
        "datasets",
        "upload",
        "labels",
        "sets",
        "train",
        "detect",
        "jobs",
        "models",
        "keys",
        "login",
    ):
        assert command in result.stdout


def test_login_writes_a_config_file_only_its_owner_can_read(cli, tmp_path):
    config_file = tmp_path / "relay" / "config.json"
    env = {"RELAY_CONFIG": str(config_file), "RELAY_URL": "", "RELAY_API_KEY": ""}

    cli("login", "--url", cli.relay.base_url + "/api/v1/", "--api-key", cli.relay.api_key, env=env)

    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    assert json.loads(config_file.read_text()) == {
        "url": cli.relay.base_url,
        "api_key": cli.relay.api_key,
    }
    listed = cli("datasets", "list", "--json", env=env)
    assert isinstance(json.loads(listed.stdout), list)


def test_login_refuses_a_key_the_server_does_not_know(cli, tmp_path):
    config_file = tmp_path / "config.json"
    env = {"RELAY_CONFIG": str(config_file), "RELAY_URL": "", "RELAY_API_KEY": ""}

    result = cli(
        "login", "--url", cli.relay.base_url, "--api-key", "rly_unknown_key", env=env, expect=1
    )

    assert result.stderr.startswith("error: 401 ")
    assert not config_file.exists()


def test_without_a_key_the_command_says_how_to_configure_one(cli, tmp_path):
    env = {"RELAY_CONFIG": str(tmp_path / "none.json"), "RELAY_URL": "", "RELAY_API_KEY": ""}

    result = cli("datasets", "list", env=env, expect=1)

    assert "no API key: set RELAY_API_KEY" in result.stderr


def test_a_422_prints_one_line_per_failing_field_with_its_loc(cli):
    result = cli("datasets", "create", " ", "--type", "bad type!", "--type", "ok", expect=1)

    lines = result.stderr.splitlines()
    assert lines[0] == "error: 422 validation failed (POST /datasets)"
    assert {line.split(":")[0].strip() for line in lines[1:]} == {
        "body.name",
        "body.artifact_types.0.name",
    }


def test_an_unknown_dataset_name_is_a_clear_error(cli):
    result = cli("sets", "list", "no such dataset", expect=1)

    assert result.stderr == "error: no dataset named 'no such dataset'\n"


def test_the_client_imports_neither_django_nor_torch():
    code = (
        "import sys, relay_client.cli; "
        "print(sorted({'django', 'torch', 'numpy'} & set(sys.modules)))"
    )
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )

    assert result.stdout.strip() == "[]"


def test_the_client_package_depends_on_light_libraries_only():
    project = tomllib.loads((ROOT / "client" / "pyproject.toml").read_text())["project"]
    names = {
        requirement.split(">")[0].split("=")[0].split(";")[0].strip()
        for requirement in project["dependencies"]
    }

    assert names == {"httpx", "click", "rich", "typing_extensions"}
    assert project["scripts"] == {"relay": "relay_client.cli:main"}
