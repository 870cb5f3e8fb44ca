"""Agreement between two labelers' sets of one dataset, scored like model evaluation."""

import pytest

from tests.api.test_annotations import bulk, label, make_set, sets_url
from tests.factories import make_dataset, make_ready_audio


@pytest.fixture
def dataset(tenant):
    return make_dataset(tenant=tenant, artifact_types=["click", "dropout"])


@pytest.fixture
def first_audio(dataset, tmp_path):
    return make_ready_audio(dataset=dataset, folder=tmp_path, seconds=4.0)


@pytest.fixture
def second_audio(dataset, tmp_path):
    return make_ready_audio(dataset=dataset, folder=tmp_path, seconds=4.0, name="b.wav")


def set_with(api_client, dataset, rows):
    set_id = make_set(api_client, dataset)["id"]
    if rows:
        assert bulk(api_client, dataset, set_id, rows).status_code == 201
    return set_id


def agreement(api_client, dataset, set_id, other_id, **query):
    return api_client.get(sets_url(dataset, f"/{set_id}/agreement"), {"other": other_id, **query})


def test_a_set_agrees_with_itself_completely(api_client, dataset, first_audio):
    rows = [label(first_audio, "click", 100, 120), label(first_audio, "dropout", 1000, 1200)]
    set_id = set_with(api_client, dataset, rows)

    response = agreement(api_client, dataset, set_id, set_id)

    assert response.status_code == 200
    body = response.json()
    assert body["macro"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "segment_f1": 1.0}
    assert body["per_type"]["click"] == {
        "count": 1,
        "other_count": 1,
        "matched": 1,
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "segment_f1": 1.0,
    }
    assert (body["audio_scope"], body["audio_file_count"]) == ("shared", 1)
    assert body["collar_ms"] == 200.0


def test_a_set_agrees_not_at_all_with_an_empty_one(api_client, dataset, first_audio):
    set_id = set_with(api_client, dataset, [label(first_audio, "click", 100, 120)])
    empty_id = set_with(api_client, dataset, [])

    body = agreement(api_client, dataset, set_id, empty_id).json()

    assert body["macro"]["f1"] == 0.0
    assert body["per_type"]["click"]["f1"] == 0.0
    assert body["per_type"]["dropout"]["f1"] is None
    assert body["audio_scope"] == "all"


def test_onsets_within_the_collar_agree_and_beyond_it_do_not(api_client, dataset, first_audio):
    mine = set_with(
        api_client,
        dataset,
        [label(first_audio, "click", 100, 120), label(first_audio, "click", 2000, 2020)],
    )
    theirs = set_with(
        api_client,
        dataset,
        [label(first_audio, "click", 250, 270), label(first_audio, "click", 2300, 2320)],
    )

    click = agreement(api_client, dataset, mine, theirs).json()["per_type"]["click"]
    tight = agreement(api_client, dataset, mine, theirs, collar_ms=50).json()["per_type"]["click"]

    assert (click["matched"], click["precision"], click["recall"]) == (1, 0.5, 0.5)
    assert tight["matched"] == 0


def test_only_audio_both_sets_label_is_compared(api_client, dataset, first_audio, second_audio):
    shared_row = label(first_audio, "dropout", 1000, 1200)
    mine = set_with(api_client, dataset, [shared_row, label(second_audio, "click", 100, 120)])
    theirs = set_with(api_client, dataset, [shared_row])

    body = agreement(api_client, dataset, mine, theirs).json()

    assert (body["audio_scope"], body["audio_file_count"]) == ("shared", 1)
    assert body["per_type"]["dropout"]["f1"] == 1.0
    assert body["per_type"]["click"]["f1"] is None  # the click lies on audio they did not label


def test_the_other_set_must_belong_to_the_same_dataset(api_client, tenant, dataset, first_audio):
    set_id = set_with(api_client, dataset, [label(first_audio)])
    elsewhere = make_dataset(tenant=tenant, name="Elsewhere", artifact_types=["click"])
    foreign_id = make_set(api_client, elsewhere)["id"]

    response = agreement(api_client, dataset, set_id, foreign_id)

    assert response.status_code == 422
    (item,) = response.json()["detail"]
    assert (item["loc"], item["type"]) == (["query", "other"], "value_error.not_found")


@pytest.mark.parametrize(
    ("query", "loc"),
    [({}, ["query", "other"]), ({"other": "nope"}, ["query", "other"])],
)
def test_a_missing_or_malformed_other_is_422(api_client, dataset, query, loc):
    set_id = set_with(api_client, dataset, [])

    response = api_client.get(sets_url(dataset, f"/{set_id}/agreement"), query)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_agreement_needs_only_read_scope_and_hides_other_tenants(
    read_client, other_client, dataset, first_audio, api_client
):
    set_id = set_with(api_client, dataset, [label(first_audio)])

    assert agreement(read_client, dataset, set_id, set_id).status_code == 200
    assert agreement(other_client, dataset, set_id, set_id).status_code == 404
