"""A live Relay (`make run`'s path in a subprocess) shared by the client tests, and a way to run
the `relay` command line against it in this process with every API exchange recorded."""

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from relay_client.cli import main

from tests.live import LiveRelay, embedded_env, running_relay


@dataclass
class Exchange:
    method: str
    path: str
    request_content_type: str
    request_body: bytes
    status: int
    response_content_type: str
    response_body: bytes


class RecordingTransport(httpx.BaseTransport):
    """httpx's own network transport, keeping a copy of every request that carries the API
    key (the API's) and its response. Storage uploads, which never carry it, are not kept."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.exchanges: list[Exchange] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if "X-API-Key" in request.headers:
            body = response.read()
            self.exchanges.append(
                Exchange(
                    request.method,
                    request.url.path,
                    request.headers.get("Content-Type", ""),
                    request.read(),
                    response.status_code,
                    response.headers.get("Content-Type", ""),
                    body,
                )
            )
        return response

    def close(self) -> None:
        self.inner.close()


@dataclass
class Cli:
    """Runs `relay ARGS…` in this process, configured by RELAY_URL / RELAY_API_KEY as a user
    would configure it, with the API traffic recorded in `transport`."""

    relay: LiveRelay
    config_dir: Path
    transport: RecordingTransport = field(default_factory=RecordingTransport)

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "RELAY_URL": self.relay.base_url,
            "RELAY_API_KEY": self.relay.api_key,
            "RELAY_CONFIG": str(self.config_dir / "config.json"),
            **extra,
        }

    def __call__(self, *args: str, expect: int = 0, env: dict[str, str] | None = None) -> Result:
        result = CliRunner().invoke(
            main,
            list(args),
            obj={"transport": self.transport},
            env=env if env is not None else self.env(),
            catch_exceptions=False,
        )
        assert result.exit_code == expect, (
            f"relay {' '.join(args)} exited {result.exit_code}, expected {expect}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
        return result


@pytest.fixture(scope="session")
def live_relay(tmp_path_factory) -> Iterator[LiveRelay]:
    data_dir = tmp_path_factory.mktemp("client-relay")
    with running_relay(embedded_env(data_dir)) as relay:
        yield relay


@pytest.fixture
def cli(live_relay, tmp_path) -> Cli:
    return Cli(live_relay, tmp_path)


def relay_script() -> str:
    """The installed `relay` command beside this interpreter (what `pip install ./client` puts
    on PATH)."""
    return str(Path(sys.executable).parent / "relay")
