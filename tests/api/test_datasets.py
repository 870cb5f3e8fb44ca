import pytest

from datasets.models import ArtifactType, Dataset
from datasets.palette import PALETTE
from tests.factories import make_dataset

DATASETS_URL = "/api/v1/datasets"

# The body of step 2 of the reference quickstart: real clients send exactly this.
QUICKSTART_BODY = {
    "name": "TTS Glitch Detection",
    "description": "Detect glitches and pauses in TTS output",
    "artifact_types": [
        {"name": "glitch", "description": "Audio pop or click", "color": "#FF4444"},
        {"name": "long_pause", "description": "Unnatural pause > 500ms", "color": "#4444FF"},
    ],
}


def detail_url(dataset_id) -> str:
    return f"{DATASETS_URL}/{dataset_id}"


def test_creating_the_quickstart_dataset_returns_the_documented_body(api_client):
    response = api_client.post(DATASETS_URL, QUICKSTART_BODY, format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "name",
        "description",
        "artifact_types",
        "created_at",
        "updated_at",
        "audio_count",
        "total_duration_ms",
    }
    assert body["name"] == QUICKSTART_BODY["name"]
    assert body["description"] == QUICKSTART_BODY["description"]
    assert body["artifact_types"] == QUICKSTART_BODY["artifact_types"]
    assert body["audio_count"] == 0
    assert body["total_duration_ms"] == 0
    assert body["created_at"].endswith("Z")


def test_artifact_types_without_a_colour_get_distinct_palette_colours(api_client):
    body = {
        "name": "Pops",
        "artifact_types": [
            {"name": "click"},
            {"name": "pop", "color": "#e69f00"},
            {"name": "dropout"},
        ],
    }

    response = api_client.post(DATASETS_URL, body, format="json")

    colors = [item["color"] for item in response.json()["artifact_types"]]
    assert colors[1] == "#E69F00"
    assert len(set(colors)) == 3
    assert all(color in PALETTE for color in colors)


def test_names_may_use_any_language_and_emoji(api_client):
    body = {"name": "Ärger mit Stimmen 🎙 音声", "artifact_types": [{"name": "click"}]}

    response = api_client.post(DATASETS_URL, body, format="json")

    assert response.status_code == 201
    assert response.json()["name"] == "Ärger mit Stimmen 🎙 音声"


@pytest.mark.parametrize(
    ("body", "loc", "error_type"),
    [
        ({"artifact_types": [{"name": "click"}]}, ["body", "name"], "value_error.missing"),
        (
            {"name": "", "artifact_types": [{"name": "click"}]},
            ["body", "name"],
            "value_error.blank",
        ),
        (
            {"name": "x" * 201, "artifact_types": [{"name": "a"}]},
            ["body", "name"],
            "value_error.max_length",
        ),
        (
            {"name": "bell\x07", "artifact_types": [{"name": "a"}]},
            ["body", "name"],
            "value_error.control_character",
        ),
        (
            {"name": "nul\x00", "artifact_types": [{"name": "a"}]},
            ["body", "name"],
            "value_error.control_character",
        ),
        ({"name": "d"}, ["body", "artifact_types"], "value_error.missing"),
        ({"name": "d", "artifact_types": []}, ["body", "artifact_types"], "value_error.empty"),
        (
            {"name": "d", "artifact_types": "click"},
            ["body", "artifact_types"],
            "value_error.not_a_list",
        ),
        (
            {"name": "d", "artifact_types": [{"name": "ok"}, {"name": "has space"}]},
            ["body", "artifact_types", 1, "name"],
            "value_error.invalid",
        ),
        (
            {"name": "d", "artifact_types": [{"name": "x" * 65}]},
            ["body", "artifact_types", 0, "name"],
            "value_error.max_length",
        ),
        (
            {"name": "d", "artifact_types": [{"name": "a", "color": "red"}]},
            ["body", "artifact_types", 0, "color"],
            "value_error.invalid",
        ),
        (
            {"name": "d", "artifact_types": [{"name": "a", "color": "#12345"}]},
            ["body", "artifact_types", 0, "color"],
            "value_error.invalid",
        ),
        (
            {"name": "d", "artifact_types": [{"description": "no name"}]},
            ["body", "artifact_types", 0, "name"],
            "value_error.missing",
        ),
    ],
    ids=[
        "missing-name",
        "blank-name",
        "long-name",
        "control-character",
        "nul-character",
        "missing-types",
        "empty-types",
        "types-not-a-list",
        "bad-type-name",
        "long-type-name",
        "colour-word",
        "colour-short",
        "type-without-name",
    ],
)
def test_invalid_dataset_bodies_are_422_with_the_failing_location(
    api_client, body, loc, error_type
):
    response = api_client.post(DATASETS_URL, body, format="json")

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": loc, "msg": response.json()["detail"][0]["msg"], "type": error_type}
    ]
    assert Dataset.objects.count() == 0


def test_every_failing_field_is_reported(api_client):
    body = {"name": "", "artifact_types": [{"name": "ok"}, {"name": "bad name", "color": "blue"}]}

    response = api_client.post(DATASETS_URL, body, format="json")

    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [
        ["body", "name"],
        ["body", "artifact_types", 1, "name"],
        ["body", "artifact_types", 1, "color"],
    ]


def test_duplicate_artifact_type_names_are_422_at_the_second_one(api_client):
    body = {"name": "d", "artifact_types": [{"name": "click"}, {"name": "pop"}, {"name": "Click"}]}

    response = api_client.post(DATASETS_URL, body, format="json")

    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "loc": ["body", "artifact_types", 2, "name"],
                "msg": "Artifact type 'Click' is listed twice.",
                "type": "value_error.unique",
            }
        ]
    }


def test_duplicate_dataset_names_are_422(api_client, tenant):
    make_dataset(tenant=tenant, name="TTS glitches")

    response = api_client.post(
        DATASETS_URL, {"name": "tts Glitches", "artifact_types": [{"name": "a"}]}, format="json"
    )

    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "loc": ["body", "name"],
                "msg": "A dataset named 'tts Glitches' already exists; choose another name",
                "type": "value_error.unique",
            }
        ]
    }
    assert Dataset.objects.count() == 1


def test_another_tenant_may_reuse_a_dataset_name(api_client, other_tenant):
    make_dataset(tenant=other_tenant, name="TTS glitches")

    response = api_client.post(
        DATASETS_URL, {"name": "TTS glitches", "artifact_types": [{"name": "a"}]}, format="json"
    )

    assert response.status_code == 201


def test_list_is_newest_first_and_searchable(api_client, tenant):
    make_dataset(tenant=tenant, name="Anna voice clicks")
    make_dataset(tenant=tenant, name="Ben voice pauses")
    make_dataset(tenant=tenant, name="Anna v2")

    everything = api_client.get(DATASETS_URL).json()
    found = api_client.get(DATASETS_URL, {"search": "anna"}).json()

    assert [item["name"] for item in everything["items"]] == [
        "Anna v2",
        "Ben voice pauses",
        "Anna voice clicks",
    ]
    assert [item["name"] for item in found["items"]] == ["Anna v2", "Anna voice clicks"]
    assert found["total"] == 2


def test_listing_datasets_takes_a_fixed_number_of_queries(
    api_client, tenant, django_assert_max_num_queries
):
    for index in range(5):
        make_dataset(tenant=tenant, name=f"set {index}", artifact_types=["a", "b"])

    # key lookup, last-used update, count, page, artifact types
    with django_assert_max_num_queries(5):
        response = api_client.get(DATASETS_URL)

    assert len(response.json()["items"]) == 5


def test_detail_returns_the_dataset(api_client, tenant):
    dataset = make_dataset(tenant=tenant, artifact_types=["click", "dropout"])

    response = api_client.get(detail_url(dataset.pk))

    assert response.status_code == 200
    assert response.json()["id"] == str(dataset.pk)
    assert [item["name"] for item in response.json()["artifact_types"]] == ["click", "dropout"]


def test_unknown_dataset_is_404_naming_the_resource(api_client):
    response = api_client.get(detail_url("3f1c7a52-0000-4000-8000-000000000000"))

    assert response.status_code == 404
    assert response.json() == {"detail": "Dataset not found"}


def test_patch_renames_and_redescribes(api_client, tenant):
    dataset = make_dataset(tenant=tenant)

    response = api_client.patch(
        detail_url(dataset.pk), {"name": "Renamed", "description": "new\nlines ok"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    assert response.json()["description"] == "new\nlines ok"
    assert response.json()["artifact_types"][0]["name"] == "click"


def test_patch_artifact_types_adds_updates_and_removes_by_name(api_client, tenant):
    dataset = make_dataset(tenant=tenant, artifact_types=["click", "pop", "hum"])
    click_color = dataset.artifact_types.get(name="click").color

    response = api_client.patch(
        detail_url(dataset.pk),
        {
            "artifact_types": [
                {"name": "pop", "color": "#123456"},
                {"name": "click", "description": "Short broadband transient"},
                {"name": "dropout"},
            ]
        },
        format="json",
    )

    assert response.status_code == 200
    types = response.json()["artifact_types"]
    assert [item["name"] for item in types] == ["pop", "click", "dropout"]
    assert types[0]["color"] == "#123456"
    assert types[1] == {
        "name": "click",
        "description": "Short broadband transient",
        "color": click_color,
    }
    assert types[2]["color"] not in {types[0]["color"], types[1]["color"]}
    assert not ArtifactType.objects.filter(dataset=dataset, name="hum").exists()


def test_patch_to_a_taken_name_is_422_and_changes_nothing(api_client, tenant):
    make_dataset(tenant=tenant, name="Taken")
    dataset = make_dataset(tenant=tenant, name="Mine")

    response = api_client.patch(
        detail_url(dataset.pk), {"name": "Taken", "description": "x"}, format="json"
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]
    dataset.refresh_from_db()
    assert (dataset.name, dataset.description) == ("Mine", "")


def test_patch_keeping_its_own_name_is_fine(api_client, tenant):
    dataset = make_dataset(tenant=tenant, name="Mine")

    response = api_client.patch(detail_url(dataset.pk), {"name": "Mine"}, format="json")

    assert response.status_code == 200


def test_patch_with_duplicate_types_is_422(api_client, tenant):
    dataset = make_dataset(tenant=tenant)

    response = api_client.patch(
        detail_url(dataset.pk),
        {"artifact_types": [{"name": "click"}, {"name": "click"}]},
        format="json",
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "artifact_types", 1, "name"]
    assert dataset.artifact_types.count() == 1


def test_delete_removes_the_dataset_and_its_types(api_client, tenant):
    dataset = make_dataset(tenant=tenant)

    response = api_client.delete(detail_url(dataset.pk))

    assert response.status_code == 204
    assert response.content == b""
    assert not Dataset.objects.filter(pk=dataset.pk).exists()
    assert not ArtifactType.objects.filter(dataset_id=dataset.pk).exists()
    assert api_client.get(detail_url(dataset.pk)).status_code == 404
