"""The stack tests run against `make stack`'s production shape (scripts/stack.py) on free ports:
PostgreSQL, Redis, moto's S3, gunicorn with 2 workers and a worker process per queue.

They run once, in `make test-stack` (RELAY_STACK_TESTS=1), which CI runs after its PostgreSQL
pass; `make test` skips them, saying so. Without PostgreSQL's or Redis's programs they are
skipped with the reason, except in CI (CI or RELAY_REQUIRE_INTEGRATION set), where they fail.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.stack import Ports, Stack, missing_programs
from tests.live import RelayClient, _printed_credentials, free_port

HERE = Path(__file__).resolve().parent
NOT_REQUESTED = (
    "stack tests run in `make test-stack` (RELAY_STACK_TESTS=1); CI runs them once, after its "
    "PostgreSQL pass"
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.stack)
            if not os.environ.get("RELAY_STACK_TESTS"):
                item.add_marker(pytest.mark.skip(reason=NOT_REQUESTED))


class StackUnderTest:
    """A started stack and a client of its demo tenant's API key."""

    def __init__(self, stack: Stack, credentials: str) -> None:
        self.stack = stack
        printed = _printed_credentials(credentials)
        self.api_key = printed["RELAY_API_KEY"]
        self.client = RelayClient(stack.base_url, self.api_key)

    def sql(self, query: str, *params: object) -> list[tuple]:
        """Rows of a query on the stack's database, on a connection of its own."""
        with self.stack._pg_connect() as connection:
            return connection.execute(query, params).fetchall()

    def log(self, name: str) -> str:
        return (self.stack.logs / f"{name}.log").read_text(errors="replace")


@pytest.fixture(scope="session")
def relay_stack(tmp_path_factory) -> Iterator[StackUnderTest]:
    missing = missing_programs()
    if missing:
        packages = " ".join(missing)
        reason = f"the stack needs Debian's {packages} (apt-get install {packages})"
        if os.environ.get("CI") or os.environ.get("RELAY_REQUIRE_INTEGRATION"):
            pytest.fail(reason)
        pytest.skip(reason)
    ports = Ports(postgres=free_port(), redis=free_port(), s3=free_port(), web=free_port())
    stack = Stack.create(ports)
    with pytest.MonkeyPatch.context() as environment:
        # The webhook tests' receivers run here, on 127.0.0.1, and retry after 1 s, 2 s, …
        environment.setenv("RELAY_STACK_ENV_RELAY_WEBHOOKS_ALLOW_PRIVATE_URLS", "true")
        environment.setenv("RELAY_STACK_ENV_RELAY_WEBHOOK_RETRY_BASE_S", "1")
        try:
            credentials = stack.start()
            yield StackUnderTest(stack, credentials)
        finally:
            stack.stop()
            stack.remove()
