"""Concurrent POSTs to one signed upload URL (issue 16, item 11b): exactly one is stored, the
others get 409, and nothing of theirs is kept. Real requests, in threads, against `serve`."""

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from relay.storage import LocalObjectStore
from tests.live import embedded_env, running_relay

TRIALS = 3
RACERS = 4
SIZE = 2 * 1024 * 1024


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with running_relay(embedded_env(tmp_path_factory.mktemp("race"))) as relay:
        yield relay


def race(target: dict, contents: list[bytes]) -> list[int]:
    start = threading.Barrier(len(contents))

    def post(content: bytes) -> int:
        start.wait()
        response = requests.post(
            target["upload_url"], data=target["fields"], files={"file": content}, timeout=60
        )
        return response.status_code

    with ThreadPoolExecutor(len(contents)) as pool:
        return list(pool.map(post, contents))


def test_one_of_several_concurrent_uploads_wins_and_the_rest_are_409(served):
    client = served.client()
    dataset = client.post(
        "/datasets", {"name": "Race", "artifact_types": [{"name": "click"}]}, expect=201
    )
    files = Path(served.env["RELAY_DATA_DIR"]) / "files"
    for trial in range(TRIALS):
        target = client.post(
            f"/datasets/{dataset['id']}/audio/upload-url",
            {"filename": f"t{trial}.wav", "content_type": "audio/wav", "file_size": SIZE},
            expect=201,
        )
        contents = [bytes([trial * RACERS + index]) * SIZE for index in range(RACERS)]

        statuses = race(target, contents)

        assert sorted(statuses) == [204] + [409] * (RACERS - 1)
        stored = (files / target["fields"]["key"]).read_bytes()
        assert stored == contents[statuses.index(204)]
    assert list(files.rglob("*.partial")) == []


def test_save_new_file_stores_only_the_first(tmp_path):
    store = LocalObjectStore(tmp_path / "files")
    first, second = tmp_path / "1", tmp_path / "2"
    first.write_bytes(b"first")
    second.write_bytes(b"second")

    assert store.save_new_file("a/original", first) is True
    assert store.save_new_file("a/original", second) is False
    assert store.path("a/original").read_bytes() == b"first"
    assert sorted(path.name for path in store.path("a").iterdir()) == ["original"]
