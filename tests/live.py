"""A real Relay for tests and benchmarks that go over HTTP: `make run`'s path (migrate,
bootstrap_demo, `serve` on 127.0.0.1 with its in-process workers) in a subprocess, and a small
client that speaks the REST API the way reference/002's quickstart does."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.log_watch import KEY_MATERIAL

ROOT = Path(__file__).resolve().parents[1]
START_DEADLINE_S = 60
REQUEST_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(*args: str, env: Mapping[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout


def embedded_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    """This process's environment without any Relay setting: the embedded default, exactly as
    `make run` uses it, in `data_dir`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAY_")}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env["RELAY_DATA_DIR"] = str(data_dir)
    env.update(overrides)
    return env


@dataclass(frozen=True)
class LiveRelay:
    base_url: str
    api_key: str
    process: subprocess.Popen
    login: str = ""
    password: str = ""
    env: Mapping[str, str] = field(default_factory=dict)  # for manage() against this Relay
    bootstrap_output: str = ""

    def client(self) -> "RelayClient":
        return RelayClient(self.base_url, self.api_key)


@contextlib.contextmanager
def running_relay(
    env: Mapping[str, str], *, bootstrap_args: Sequence[str] = (), pin_public_url: bool = True
) -> Iterator[LiveRelay]:
    """Migrates, bootstraps the demo tenant (with `bootstrap_args`) and serves on a free
    127.0.0.1 port until exit. The server's output goes to RELAY_DATA_DIR/serve.log.
    `pin_public_url=False` leaves RELAY_PUBLIC_URL unset, so links follow each request."""
    port = free_port()
    if pin_public_url:
        env = {**env, "RELAY_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    manage("migrate", "--noinput", env=env)
    credentials = manage("bootstrap_demo", *bootstrap_args, env=env)
    printed = _printed_credentials(credentials)
    log_path = Path(env["RELAY_DATA_DIR"]) / "serve.log"
    server = start_serve(env, port, log_path)
    try:
        yield LiveRelay(
            f"http://127.0.0.1:{port}",
            printed["RELAY_API_KEY"],
            server,
            login=printed["Login"],
            password=printed["Password"],
            env=env,
            bootstrap_output=credentials,
        )
    finally:
        stop_serve(server)
    # The server's whole log, like every log line of the suite, holds no key or secret.
    leaked = KEY_MATERIAL.findall(log_path.read_text(errors="replace"))
    assert leaked == [], f"{log_path} holds key material: {leaked}"


def start_serve(env: Mapping[str, str], port: int, log_path: Path) -> subprocess.Popen:
    """`manage.py serve` on 127.0.0.1:`port`, logging to `log_path`; returns once it listens."""
    with log_path.open("ab") as log:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_listening(port, server, log_path)
    except BaseException:
        stop_serve(server)
        raise
    return server


def stop_serve(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def _printed_credentials(output: str) -> dict[str, str]:
    """bootstrap_demo's `Login: …`, `Password: …` and `RELAY_API_KEY=…` lines, by name."""
    printed = {}
    for line in output.splitlines():
        name, separator, value = line.partition("=" if line.startswith("RELAY_") else ": ")
        if separator:
            printed[name] = value
    return printed


def _wait_until_listening(port: int, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"serve exited early:\n{log_path.read_text()[-4000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"serve did not listen on {port} within {START_DEADLINE_S} s")


RATE_LIMIT_RETRIES = 5


class RelayError(RuntimeError):
    pass


class RelayClient:
    """JSON over HTTP with the API key; any status but the expected one raises RelayError with
    the response body. Arranging data is not what a test measures: a 429 (the key's rate limit,
    full after a test that spent it) is waited out, as its Retry-After says, a few times."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.api = f"{base_url}/api/v1"
        self.session = requests.Session()
        self.session.headers["X-API-Key"] = api_key

    def _send(self, method: str, path: str, *, expect: int, **kwargs: Any) -> requests.Response:
        for _ in range(RATE_LIMIT_RETRIES):
            response = self.session.request(
                method, f"{self.api}{path}", timeout=REQUEST_TIMEOUT_S, **kwargs
            )
            if response.status_code != 429 or expect == 429:
                return response
            time.sleep(float(response.headers.get("Retry-After", "1")))
        return response

    def call(self, method: str, path: str, *, expect: int = 200, **kwargs: Any) -> Any:
        response = self._send(method, path, expect=expect, **kwargs)
        if response.status_code != expect:
            raise RelayError(
                f"{method} {path}: {response.status_code}, expected {expect}: "
                f"{response.text[:2000]}"
            )
        return response.json() if response.content else None

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params=params)

    def post(self, path: str, body: Any = None, *, expect: int = 200) -> Any:
        return self.call("POST", path, json=body, expect=expect)

    def upload_audio(self, dataset_id: str, path: Path, *, content_type: str) -> str:
        """The three-step upload: upload-url, POST the bytes to it, confirm. Returns the id."""
        target = self.post(
            f"/datasets/{dataset_id}/audio/upload-url",
            {"filename": path.name, "content_type": content_type, "file_size": path.stat().st_size},
            expect=201,
        )
        with path.open("rb") as data:
            stored = requests.post(
                target["upload_url"],
                data=target["fields"],
                files={"file": (path.name, data, content_type)},
                timeout=REQUEST_TIMEOUT_S,
            )
        if stored.status_code not in (201, 204):
            raise RelayError(f"upload of {path.name}: {stored.status_code} {stored.text[:500]}")
        self.post(f"/datasets/{dataset_id}/audio/confirm", {"audio_id": target["audio_id"]})
        return target["audio_id"]

    def upload_for_inference(self, job_id: str, path: Path, *, content_type: str) -> str:
        """reference/002 step 6: the job's upload-url, POST the fields and the file, confirm
        with file_id. Returns the file id."""
        target = self.post(
            f"/inference-jobs/{job_id}/files/upload-url",
            {
                "filename": path.name,
                "content_type": content_type,
                "file_size_bytes": path.stat().st_size,
            },
            expect=201,
        )
        with path.open("rb") as data:
            stored = requests.post(
                target["upload_url"],
                data=target["upload_fields"],
                files={"file": (path.name, data, content_type)},
                timeout=REQUEST_TIMEOUT_S,
            )
        if stored.status_code not in (201, 204):
            raise RelayError(f"upload of {path.name}: {stored.status_code} {stored.text[:500]}")
        self.post(f"/inference-jobs/{job_id}/files/confirm", {"file_id": target["file_id"]})
        return target["file_id"]

    def all_pages(self, path: str, **params: Any) -> list[dict[str, Any]]:
        items, page = [], 1
        while True:
            body = self.get(path, page=page, page_size=500, **params)
            items += body["items"]
            if not body["has_more"]:
                return items
            page += 1

    def wait_until(
        self, path: str, field: str, finished: set[str], *, timeout_s: float, poll_s: float = 1.0
    ) -> dict[str, Any]:
        """GET `path` until its `field` is one of `finished`; RelayError after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while True:
            body = self.get(path)
            if body[field] in finished:
                return body
            if time.monotonic() > deadline:
                raise RelayError(f"{path} still {field}={body[field]!r} after {timeout_s} s")
            time.sleep(poll_s)
