"""The labeling page's audio endpoints: spectrogram tiles (PNG, ETag, immutable caching, the
two sources) and cues (the next and previous suspicious times)."""

import pytest

from tests.api.test_audio import audio_url, upload, upload_and_process
from tests.audio import write_wav
from tests.factories import make_dataset
from tests.pure.test_audio_tiles_and_cues import decode_png


@pytest.fixture
def dataset(tenant):
    return make_dataset(tenant=tenant, artifact_types=["click", "dropout"])


@pytest.fixture
def clicked(api_client, client, dataset, tmp_path, django_capture_on_commit_callbacks):
    path = write_wav(tmp_path / "clicks.wav", seconds=3.0, clicks_at_ms=[1000, 2200])
    return upload_and_process(api_client, client, dataset, path, django_capture_on_commit_callbacks)


def tile(api_client, dataset, audio, **query):
    return api_client.get(audio_url(dataset, f"/{audio['id']}/spectrogram"), query)


def test_a_tile_is_a_png_of_the_asked_size_cached_for_good(api_client, dataset, clicked):
    response = tile(api_client, dataset, clicked, start_ms=0, end_ms=3000, width=300, height=64)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    assert response["X-Relay-Tile-Source"] == "log-mels"
    assert decode_png(response.content).shape == (64, 300, 3)

    again = api_client.get(
        audio_url(dataset, f"/{clicked['id']}/spectrogram"),
        {"start_ms": 0, "end_ms": 3000, "width": 300, "height": 64},
        HTTP_IF_NONE_MATCH=response["ETag"],
    )
    assert again.status_code == 304
    assert again["ETag"] == response["ETag"]
    other = tile(api_client, dataset, clicked, start_ms=0, end_ms=1500, width=300, height=64)
    assert other["ETag"] != response["ETag"]


def test_zoomed_in_tiles_come_from_the_audio(api_client, dataset, clicked):
    response = tile(api_client, dataset, clicked, start_ms=990, end_ms=1010, width=200, height=32)

    assert response.status_code == 200
    assert response["X-Relay-Tile-Source"] == "stft"
    assert decode_png(response.content).shape == (32, 200, 3)


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ({"start_ms": 10, "end_ms": 10, "width": 10, "height": 10}, ["query", "end_ms"]),
        ({"start_ms": 0, "end_ms": 10, "width": 0, "height": 10}, ["query", "width"]),
        ({"start_ms": 0, "end_ms": 10, "width": 10, "height": 5000}, ["query", "height"]),
        ({"end_ms": 10, "width": 10, "height": 10}, ["query", "start_ms"]),
        ({"start_ms": 5000, "end_ms": 6000, "width": 10, "height": 10}, ["query", "start_ms"]),
    ],
)
def test_bad_tile_queries_are_422(api_client, dataset, clicked, query, loc):
    response = tile(api_client, dataset, clicked, **query)

    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [loc]


def test_a_file_still_processing_has_no_tiles_or_cues(api_client, client, dataset, tmp_path):
    audio_id = upload(api_client, client, dataset, write_wav(tmp_path / "a.wav", seconds=0.5))

    spectrogram = api_client.get(
        audio_url(dataset, f"/{audio_id}/spectrogram"),
        {"start_ms": 0, "end_ms": 100, "width": 10, "height": 10},
    )
    cues = api_client.get(audio_url(dataset, f"/{audio_id}/cues"), {"after_ms": 0})

    assert spectrogram.status_code == cues.status_code == 409


def test_cues_walk_forwards_and_backwards(api_client, dataset, clicked):
    url = audio_url(dataset, f"/{clicked['id']}/cues")

    forwards = api_client.get(url, {"after_ms": 0}).json()["items"]
    next_after_first = api_client.get(url, {"after_ms": 1000, "limit": 1}).json()["items"]
    backwards = api_client.get(url, {"before_ms": 3000}).json()["items"]

    assert [(cue["kind"], cue["time_ms"]) for cue in forwards] == [("jump", 1000), ("jump", 2200)]
    assert forwards[0]["strength"] > 0.5
    assert [cue["time_ms"] for cue in next_after_first] == [2200]
    assert [cue["time_ms"] for cue in backwards] == [2200, 1000]


@pytest.mark.parametrize(
    "query", [{}, {"after_ms": 0, "before_ms": 10}, {"after_ms": 0, "limit": 0}]
)
def test_cues_take_one_position_and_a_sane_limit(api_client, dataset, clicked, query):
    response = api_client.get(audio_url(dataset, f"/{clicked['id']}/cues"), query)

    assert response.status_code == 422
