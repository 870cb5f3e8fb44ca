import functools
import threading
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import IntegrityError, connection, transaction
from rest_framework import serializers

from annotations import services
from annotations.models import Annotation, AnnotationSet
from relay.api import throttling
from relay.api.fields import datetime_from_sql_text, utc_datetime_text
from relay.ids import uuid7, uuid7_batch
from tests.conftest import client_with_key, skip_unless_postgresql
from tests.factories import make_api_key, make_dataset, make_ready_audio


@pytest.fixture
def dataset(tenant):
    return make_dataset(tenant=tenant, artifact_types=["click", "dropout"])


@pytest.fixture
def audio(dataset, tmp_path):
    return make_ready_audio(dataset=dataset, folder=tmp_path, seconds=2.0)


def sets_url(dataset, suffix=""):
    return f"/api/v1/datasets/{dataset.pk}/annotation-sets{suffix}"


def make_set(api_client, dataset, **body):
    return api_client.post(sets_url(dataset), body or None, format="json").json()


def label(audio, artifact_type="click", start_ms=100, end_ms=200, **extra):
    return {
        "audio_file_id": str(audio.pk),
        "artifact_type": artifact_type,
        "start_ms": start_ms,
        "end_ms": end_ms,
        **extra,
    }


def bulk(api_client, dataset, set_id, rows):
    return api_client.post(
        sets_url(dataset, f"/{set_id}/annotations/bulk"), {"annotations": rows}, format="json"
    )


def test_a_set_is_created_as_an_empty_draft_even_without_a_body(api_client, dataset):
    response = api_client.post(sets_url(dataset))

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert (body["annotation_count"], body["counts_by_type"]) == (0, {})
    assert body["content_hash"] is None
    assert body["published_at"] is None
    assert body["dataset_id"] == str(dataset.pk)


def test_bulk_adds_every_row_and_counts_them_by_type(api_client, dataset, audio):
    set_id = make_set(api_client, dataset)["id"]
    rows = [
        label(audio),
        label(audio, "dropout", 500, 900),
        label(audio, start_ms=1000, end_ms=1010),
    ]

    response = bulk(api_client, dataset, set_id, rows)

    assert response.status_code == 201
    assert response.json()["created"] == 3
    assert [item["artifact_type"] for item in response.json()["items"]] == [
        "click",
        "dropout",
        "click",
    ]
    detail = api_client.get(sets_url(dataset, f"/{set_id}")).json()
    assert (detail["annotation_count"], detail["counts_by_type"]) == (3, {"click": 2, "dropout": 1})


def test_a_failing_bulk_item_reports_every_failing_field_and_adds_nothing(
    api_client, dataset, audio
):
    set_id = make_set(api_client, dataset)["id"]
    rows = [label(audio)] * 3 + [
        {"audio_file_id": str(audio.pk), "artifact_type": "hum", "start_ms": 300, "end_ms": 200},
        label(audio, end_ms=99_999, confidence=1.5),
    ]

    response = bulk(api_client, dataset, set_id, rows)

    assert response.status_code == 422
    assert [(item["loc"], item["type"]) for item in response.json()["detail"]] == [
        (["body", "annotations", 3, "artifact_type"], "value_error.invalid_choice"),
        (["body", "annotations", 3, "end_ms"], "value_error.order"),
        (["body", "annotations", 4, "end_ms"], "value_error.max_value"),
        (["body", "annotations", 4, "confidence"], "value_error.range"),
    ]
    assert not Annotation.objects.exists()


@pytest.mark.parametrize(
    ("row", "field", "error_type"),
    [
        ({"start_ms": 1.5}, "start_ms", "type_error.integer"),
        ({"start_ms": -1}, "start_ms", "value_error.min_value"),
        ({"start_ms": True}, "start_ms", "type_error.integer"),
        ({"audio_file_id": "nope"}, "audio_file_id", "value_error.uuid"),
        (
            {"audio_file_id": "3f1c7a52-0000-4000-8000-000000000000"},
            "audio_file_id",
            "value_error.not_found",
        ),
        ({"confidence": "high"}, "confidence", "type_error.number"),
        ({"end_ms": None}, "end_ms", "value_error.missing"),
    ],
    ids=[
        "fraction",
        "negative",
        "boolean",
        "bad-uuid",
        "unknown-audio",
        "word-confidence",
        "null-end",
    ],
)
def test_one_invalid_annotation_is_422_at_its_field(
    api_client, dataset, audio, row, field, error_type
):
    set_id = make_set(api_client, dataset)["id"]

    response = api_client.post(
        sets_url(dataset, f"/{set_id}/annotations"), {**label(audio), **row}, format="json"
    )

    assert response.status_code == 422
    assert [(item["loc"], item["type"]) for item in response.json()["detail"]] == [
        (["body", field], error_type)
    ]


def test_audio_that_is_not_ready_cannot_be_labelled(api_client, dataset, audio):
    audio.processing_status = "processing"
    audio.save()
    set_id = make_set(api_client, dataset)["id"]

    response = api_client.post(
        sets_url(dataset, f"/{set_id}/annotations"), label(audio), format="json"
    )

    assert response.json()["detail"][0]["type"] == "value_error.not_ready"


def test_audio_of_another_dataset_cannot_be_labelled(api_client, tenant, dataset, tmp_path):
    other = make_dataset(tenant=tenant, name="Other", artifact_types=["click"])
    foreign_audio = make_ready_audio(dataset=other, folder=tmp_path)
    set_id = make_set(api_client, dataset)["id"]

    response = api_client.post(
        sets_url(dataset, f"/{set_id}/annotations"), label(foreign_audio), format="json"
    )

    assert response.json()["detail"][0]["type"] == "value_error.not_found"


def publish(api_client, dataset, set_id):
    return api_client.post(sets_url(dataset, f"/{set_id}/publish"))


def test_publishing_freezes_the_set_and_records_its_content_hash(api_client, dataset, audio):
    set_id = make_set(api_client, dataset, name="Round 1")["id"]
    bulk(api_client, dataset, set_id, [label(audio), label(audio, "dropout", 300, 400)])

    response = publish(api_client, dataset, set_id)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "published"
    assert len(body["content_hash"]) == 64
    assert body["published_at"].endswith("Z")


def test_the_same_labels_give_the_same_hash(api_client, dataset, audio):
    first, second = make_set(api_client, dataset)["id"], make_set(api_client, dataset)["id"]
    rows = [label(audio), label(audio, "dropout", 300, 400)]
    bulk(api_client, dataset, first, rows)
    bulk(api_client, dataset, second, list(reversed(rows)))

    assert (
        publish(api_client, dataset, first).json()["content_hash"]
        == publish(api_client, dataset, second).json()["content_hash"]
    )


def test_publishing_an_empty_set_is_a_conflict(api_client, dataset):
    set_id = make_set(api_client, dataset)["id"]

    response = publish(api_client, dataset, set_id)

    assert response.status_code == 409
    assert response.json() == {"detail": "An empty annotation set cannot be published"}


def test_publishing_twice_is_a_conflict(api_client, dataset, audio):
    set_id = make_set(api_client, dataset)["id"]
    bulk(api_client, dataset, set_id, [label(audio)])
    publish(api_client, dataset, set_id)

    response = publish(api_client, dataset, set_id)

    assert response.status_code == 409
    assert response.json() == {"detail": "Annotation set is already published"}


@pytest.fixture
def published(api_client, dataset, audio):
    set_id = make_set(api_client, dataset)["id"]
    bulk(api_client, dataset, set_id, [label(audio)])
    publish(api_client, dataset, set_id)
    annotation_id = Annotation.objects.get(annotation_set_id=set_id).pk
    return set_id, annotation_id


def test_every_change_to_a_published_set_is_a_conflict(api_client, dataset, audio, published):
    set_id, annotation_id = published
    one = sets_url(dataset, f"/{set_id}/annotations/{annotation_id}")
    attempts = [
        api_client.patch(sets_url(dataset, f"/{set_id}"), {"name": "x"}, format="json"),
        api_client.delete(sets_url(dataset, f"/{set_id}")),
        api_client.post(sets_url(dataset, f"/{set_id}/annotations"), label(audio), format="json"),
        bulk(api_client, dataset, set_id, [label(audio)]),
        api_client.patch(one, {"end_ms": 150}, format="json"),
        api_client.delete(one),
    ]

    assert [response.status_code for response in attempts] == [409] * 6
    assert attempts[0].json() == {"detail": "Annotation set is published; copy it to change it"}
    assert Annotation.objects.filter(annotation_set_id=set_id).count() == 1


def test_the_database_refuses_to_change_a_published_set(published):
    set_id, annotation_id = published

    with pytest.raises(IntegrityError), transaction.atomic():
        AnnotationSet.objects.filter(pk=set_id).update(name="sneaky")
    with pytest.raises(IntegrityError), transaction.atomic():
        Annotation.objects.filter(pk=annotation_id).update(end_ms=150)


def test_the_database_refuses_rows_added_to_a_published_set_by_any_insert(published):
    set_id, annotation_id = published
    original = Annotation.objects.get(pk=annotation_id)
    now = original.created_at
    row = (
        uuid7(), set_id, original.audio_file_id, original.artifact_type_id, 300, 400, 1.0, "",
        "human", None, None, now, now,
    )  # fmt: skip

    with pytest.raises(IntegrityError), transaction.atomic():
        services._insert([row])  # COPY on PostgreSQL, one statement for many rows
    with pytest.raises(IntegrityError), transaction.atomic():
        Annotation.objects.create(**dict(zip(services.INSERT_COLUMNS, row, strict=True)))
    assert Annotation.objects.filter(annotation_set_id=set_id).count() == 1


def test_copying_a_published_set_gives_an_editable_draft(api_client, dataset, audio, published):
    set_id, _ = published

    response = api_client.post(sets_url(dataset, f"/{set_id}/copy"))
    copy_id = response.json()["id"]
    added = bulk(api_client, dataset, copy_id, [label(audio, "dropout", 600, 700)])

    assert response.status_code == 201
    assert response.json()["status"] == "draft"
    assert response.json()["annotation_count"] == 1
    assert added.status_code == 201
    assert Annotation.objects.filter(annotation_set_id=copy_id).count() == 2
    assert Annotation.objects.filter(annotation_set_id=set_id).count() == 1


def test_audio_that_a_published_set_labels_cannot_be_deleted(api_client, dataset, audio, published):
    response = api_client.delete(f"/api/v1/datasets/{dataset.pk}/audio/{audio.pk}")

    assert response.status_code == 409


def test_deleting_audio_takes_its_labels_out_of_draft_sets_and_their_counts(
    api_client, dataset, audio, tmp_path
):
    kept = make_ready_audio(dataset=dataset, folder=tmp_path, name="kept.wav")
    set_id = make_set(api_client, dataset)["id"]
    bulk(api_client, dataset, set_id, [label(audio), label(audio, "dropout"), label(kept)])

    response = api_client.delete(f"/api/v1/datasets/{dataset.pk}/audio/{audio.pk}")

    assert response.status_code == 204
    detail = api_client.get(sets_url(dataset, f"/{set_id}")).json()
    assert (detail["annotation_count"], detail["counts_by_type"]) == (1, {"click": 1})
    listed = api_client.get(sets_url(dataset, f"/{set_id}/annotations")).json()
    assert (listed["total"], len(listed["items"])) == (1, 1)


def test_an_artifact_type_in_use_cannot_be_removed(api_client, dataset, audio):
    set_id = make_set(api_client, dataset)["id"]
    bulk(api_client, dataset, set_id, [label(audio, "dropout", 300, 400)])

    response = api_client.patch(
        f"/api/v1/datasets/{dataset.pk}", {"artifact_types": [{"name": "click"}]}, format="json"
    )

    assert response.status_code == 409
    assert "dropout" in response.json()["detail"]


def test_deleting_a_dataset_takes_its_published_sets_along(api_client, dataset, published):
    response = api_client.delete(f"/api/v1/datasets/{dataset.pk}")

    assert response.status_code == 204
    assert not AnnotationSet.objects.exists()


def test_annotations_are_listed_and_filtered(api_client, dataset, audio, tmp_path):
    other_audio = make_ready_audio(dataset=dataset, folder=tmp_path, name="b.wav")
    set_id = make_set(api_client, dataset)["id"]
    bulk(
        api_client,
        dataset,
        set_id,
        [label(audio), label(audio, "dropout", 300, 400), label(other_audio)],
    )
    url = sets_url(dataset, f"/{set_id}/annotations")

    everything = api_client.get(url).json()
    by_audio = api_client.get(url, {"audio_file_id": str(other_audio.pk)}).json()
    by_type = api_client.get(url, {"artifact_type": "dropout"}).json()

    assert everything["total"] == 3
    assert by_audio["total"] == 1
    assert [item["artifact_type"] for item in by_type["items"]] == ["dropout"]


def test_an_annotation_can_be_changed_and_deleted_in_a_draft(api_client, dataset, audio):
    set_id = make_set(api_client, dataset)["id"]
    created = api_client.post(
        sets_url(dataset, f"/{set_id}/annotations"), label(audio), format="json"
    ).json()
    one = sets_url(dataset, f"/{set_id}/annotations/{created['id']}")

    changed = api_client.patch(one, {"artifact_type": "dropout", "end_ms": 250}, format="json")
    invalid = api_client.patch(one, {"end_ms": 50}, format="json")
    counts = api_client.get(sets_url(dataset, f"/{set_id}")).json()["counts_by_type"]
    deleted = api_client.delete(one)

    assert (changed.json()["artifact_type"], changed.json()["end_ms"]) == ("dropout", 250)
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"] == ["body", "end_ms"]
    assert counts == {"dropout": 1}
    assert deleted.status_code == 204
    assert api_client.get(sets_url(dataset, f"/{set_id}")).json()["annotation_count"] == 0


def test_another_tenants_sets_are_404(api_client, other_client, dataset, published):
    set_id, annotation_id = published

    for url in [
        sets_url(dataset),
        sets_url(dataset, f"/{set_id}"),
        sets_url(dataset, f"/{set_id}/annotations"),
        sets_url(dataset, f"/{set_id}/annotations/{annotation_id}"),
    ]:
        assert other_client.get(url).status_code == 404, url
    assert other_client.post(sets_url(dataset, f"/{set_id}/copy")).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_concurrent_bulk_adds_and_a_publish_never_lose_or_split_work(tenant, tmp_path):
    skip_unless_postgresql("the race test")
    dataset = make_dataset(tenant=tenant, artifact_types=["click"])
    audio = make_ready_audio(dataset=dataset, folder=tmp_path, seconds=5.0)
    key = make_api_key(tenant=tenant, scopes=["read", "write"]).key
    annotation_set = AnnotationSet.objects.create(tenant=tenant, dataset=dataset)
    rows = [label(audio, start_ms=index, end_ms=index + 10) for index in range(200)]
    statuses = []

    def add():
        try:
            statuses.append(
                bulk(client_with_key(key), dataset, annotation_set.pk, rows).status_code
            )
        finally:
            connection.close()

    def publish_midway():
        try:
            statuses.append(publish(client_with_key(key), dataset, annotation_set.pk).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=add) for _ in range(4)] + [
        threading.Thread(target=publish_midway)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    annotation_set.refresh_from_db()
    stored = Annotation.objects.filter(annotation_set=annotation_set).count()
    assert len(statuses) == 5
    assert set(statuses) <= {200, 201, 409}  # every call finished whole, none failed midway
    assert stored == annotation_set.annotation_count == 200 * statuses.count(201)
    assert annotation_set.is_published == (200 in statuses)


def test_notes_keep_tabs_newlines_and_backslashes(api_client, dataset, audio):
    set_id = make_set(api_client, dataset)["id"]
    note = "first\tsecond\nthird \\ fourth — ünïcode"

    bulk(api_client, dataset, set_id, [label(audio, note=note)])

    listed = api_client.get(sets_url(dataset, f"/{set_id}/annotations")).json()["items"]
    assert listed[0]["note"] == note


def test_the_fast_payload_matches_the_documented_serializer(api_client, dataset, audio):
    from annotations.serializers import AnnotationSerializer

    set_id = make_set(api_client, dataset)["id"]
    created = api_client.post(
        sets_url(dataset, f"/{set_id}/annotations"), label(audio, note="n"), format="json"
    ).json()

    stored = Annotation.objects.select_related("artifact_type").get(pk=created["id"])
    assert created == AnnotationSerializer(stored).data


def test_listed_pages_match_the_documented_serializer(api_client, dataset, audio):
    from annotations.serializers import AnnotationSerializer

    set_id = make_set(api_client, dataset)["id"]
    bulk(api_client, dataset, set_id, [label(audio, note="n"), label(audio, "dropout", 10, 20)])
    on_the_second = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)  # no fraction to show
    Annotation.objects.filter(artifact_type__name="dropout").update(created_at=on_the_second)

    listed = api_client.get(sets_url(dataset, f"/{set_id}/annotations")).json()["items"]

    stored = Annotation.objects.select_related("artifact_type").order_by("-id")
    assert listed == AnnotationSerializer(stored, many=True).data


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 23, 20, 22, 58, 922512, tzinfo=UTC),
        datetime(2026, 11, 23, 20, 22, 58, tzinfo=UTC),  # no microseconds: none shown
        datetime(2026, 11, 23, 21, 22, 58, 5, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_fast_datetime_text_is_what_the_serializer_field_shows(moment):
    assert utc_datetime_text(moment) == serializers.DateTimeField().to_representation(moment)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("2026-11-23 20:22:58.92251+00", "2026-11-23T20:22:58.922510Z"),  # PostgreSQL
        ("2026-11-23 20:22:58+00", "2026-11-23T20:22:58Z"),
        ("2026-11-23 20:22:58.922512", "2026-11-23T20:22:58.922512Z"),  # SQLite, naive UTC
    ],
)
def test_datetimes_read_as_database_text_show_as_the_serializer_shows_them(text, shown):
    assert utc_datetime_text(datetime_from_sql_text(text)) == shown


def newest_first(set_id) -> list[str]:
    ids = Annotation.objects.filter(annotation_set_id=set_id).order_by("-id")
    return [str(pk) for pk in ids.values_list("id", flat=True)]


def every_page(api_client, dataset, set_id, page_size) -> list[str]:
    # A quick loop over pages must not hit the rate limit.
    throttling.window_store().clear()
    listed, page = [], 1
    while True:
        body = api_client.get(
            sets_url(dataset, f"/{set_id}/annotations"), {"page": page, "page_size": page_size}
        ).json()
        listed += [item["id"] for item in body["items"]]
        if not body["has_more"]:
            return listed
        page += 1


def assert_anchors_true(set_id):
    """Every anchor names the row at its position (oldest first)."""
    oldest_first = newest_first(set_id)[::-1]
    anchors = AnnotationSet.objects.get(pk=set_id).page_anchors
    assert anchors, "the set has no anchors to page from"
    for position, anchor_id in anchors:
        assert oldest_first[position] == anchor_id


@pytest.mark.parametrize("page_size", [1, 3, 5, 7, 50])
def test_pages_read_from_anchors_match_the_plain_order_as_a_draft_and_once_published(
    api_client, dataset, audio, monkeypatch, page_size
):
    monkeypatch.setattr(services, "PAGE_ANCHOR_STRIDE", 5)
    set_id = make_set(api_client, dataset)["id"]
    for start in range(0, 1150, 50):  # 23 annotations in 23 calls: 23 ids in creation order
        bulk(api_client, dataset, set_id, [label(audio, start_ms=start, end_ms=start + 10)])

    positions = [position for position, _ in AnnotationSet.objects.get(pk=set_id).page_anchors]
    assert positions == [0, 5, 10, 15, 20]
    assert_anchors_true(set_id)
    assert every_page(api_client, dataset, set_id, page_size) == newest_first(set_id)
    publish(api_client, dataset, set_id)
    assert_anchors_true(set_id)
    assert every_page(api_client, dataset, set_id, page_size) == newest_first(set_id)


def test_a_drafts_anchors_stay_true_through_deletes_audio_removal_and_more_adds(
    api_client, dataset, audio, tmp_path, monkeypatch
):
    monkeypatch.setattr(services, "PAGE_ANCHOR_STRIDE", 4)
    other = make_ready_audio(dataset=dataset, folder=tmp_path, name="other.wav")
    set_id = make_set(api_client, dataset)["id"]
    for call in range(6):
        rows = [
            label((audio, other)[row % 2], start_ms=call * 100 + row, end_ms=call * 100 + 50)
            for row in range(5)
        ]
        bulk(api_client, dataset, set_id, rows)
    oldest_first = newest_first(set_id)[::-1]
    anchor_rows = [anchor_id for _, anchor_id in AnnotationSet.objects.get(pk=set_id).page_anchors]
    for annotation_id in {oldest_first[0], oldest_first[13], anchor_rows[2], oldest_first[-1]}:
        one = sets_url(dataset, f"/{set_id}/annotations/{annotation_id}")
        assert api_client.delete(one).status_code == 204
    assert_anchors_true(set_id)

    assert api_client.delete(f"/api/v1/datasets/{dataset.pk}/audio/{other.pk}").status_code == 204
    assert_anchors_true(set_id)
    for call in range(2):
        bulk(
            api_client,
            dataset,
            set_id,
            [label(audio, start_ms=900 + call * 10 + row) for row in range(7)],
        )

    assert_anchors_true(set_id)
    for page_size in (1, 2, 3, 5, 8):
        assert every_page(api_client, dataset, set_id, page_size) == newest_first(set_id)


def test_rows_added_while_the_clock_is_behind_the_newest_row_continue_after_it(
    api_client, dataset, audio, monkeypatch
):
    monkeypatch.setattr(services, "PAGE_ANCHOR_STRIDE", 3)
    set_id = make_set(api_client, dataset)["id"]
    bulk(api_client, dataset, set_id, [label(audio, start_ms=row) for row in range(10)])
    newest = max(Annotation.objects.filter(annotation_set_id=set_id).values_list("id", flat=True))
    behind = functools.partial(uuid7_batch, now_ms=1)  # a clock far behind: the oldest ids
    monkeypatch.setattr(services, "uuid7_batch", behind)
    read_afresh = []
    monkeypatch.setattr(services, "read_page_anchors", lambda s: read_afresh.append(s) or [])

    rows = [label(audio, start_ms=400 + row, end_ms=500) for row in range(4)]
    added = bulk(api_client, dataset, set_id, rows)

    assert added.status_code == 201
    assert sorted(item["id"] for item in added.json()["items"]) == [
        str(uuid.UUID(int=newest.int + offset)) for offset in range(1, 5)
    ]
    assert read_afresh == []  # an append: the anchors follow from the old ones
    assert_anchors_true(set_id)
    assert every_page(api_client, dataset, set_id, 4) == newest_first(set_id)


def test_rows_that_cannot_follow_the_newest_get_anchors_read_afresh(
    api_client, dataset, audio, monkeypatch
):
    monkeypatch.setattr(services, "PAGE_ANCHOR_STRIDE", 3)
    set_id = make_set(api_client, dataset)["id"]
    bulk(api_client, dataset, set_id, [label(audio, start_ms=row) for row in range(10)])
    monkeypatch.setattr(services, "uuid7_batch", functools.partial(uuid7_batch, now_ms=1))
    monkeypatch.setattr(services, "uuid7_batch_after", lambda newest, count: None)  # run out

    rows = [label(audio, start_ms=400 + row, end_ms=500) for row in range(4)]
    added = bulk(api_client, dataset, set_id, rows)

    assert added.status_code == 201
    assert_anchors_true(set_id)
    assert every_page(api_client, dataset, set_id, 4) == newest_first(set_id)
