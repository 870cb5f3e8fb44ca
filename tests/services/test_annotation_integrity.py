"""The database keeps every annotation pointing at a set, an audio file and a type of one dataset,
whatever writes it (annotations migration 0004's triggers, which stand in for foreign keys)."""

import threading
import uuid

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from annotations import services
from annotations.models import Annotation, AnnotationSet
from datasets.models import ArtifactType, AudioFile
from relay.ids import uuid7
from tests.conftest import skip_unless_postgresql
from tests.factories import make_dataset, make_ready_audio


@pytest.fixture
def dataset(tenant):
    return make_dataset(tenant=tenant, name="Main", artifact_types=["click"])


@pytest.fixture
def audio(dataset, tmp_path):
    return make_ready_audio(dataset=dataset, folder=tmp_path, seconds=1.0)


@pytest.fixture
def draft(dataset):
    return AnnotationSet.objects.create(tenant=dataset.tenant, dataset=dataset)


@pytest.fixture
def elsewhere(tenant, tmp_path):
    """Audio and a type of another dataset of the same tenant."""
    other = make_dataset(tenant=tenant, name="Other", artifact_types=["click"])
    folder = tmp_path / "other"
    folder.mkdir()
    return make_ready_audio(dataset=other, folder=folder), other.artifact_types.get()


def row(annotation_set_id, audio_id, type_id) -> tuple:
    now = timezone.now()
    return (
        uuid7(), annotation_set_id, audio_id, type_id, 100, 200, 1.0, "", "human", None, None,
        now, now,
    )  # fmt: skip


def insert_both_ways(record: tuple) -> list[str]:
    """Tries `record` as a bulk add writes it (COPY on PostgreSQL) and as the ORM does; names
    each way the database accepted."""
    accepted = []
    for way, write in (
        ("bulk", lambda fresh: services._insert([fresh])),
        (
            "orm",
            lambda fresh: Annotation.objects.create(
                **dict(zip(services.INSERT_COLUMNS, fresh, strict=True))
            ),
        ),
    ):
        try:
            with transaction.atomic():
                write((uuid7(), *record[1:]))
            accepted.append(way)
        except IntegrityError:
            pass
    return accepted


def test_an_annotation_of_a_set_audio_and_type_of_one_dataset_is_stored(draft, audio):
    click = draft.dataset.artifact_types.get()

    assert insert_both_ways(row(draft.pk, audio.pk, click.pk)) == ["bulk", "orm"]


def test_audio_or_a_type_of_another_dataset_is_refused(draft, audio, elsewhere):
    other_audio, other_type = elsewhere
    click = draft.dataset.artifact_types.get()

    assert insert_both_ways(row(draft.pk, other_audio.pk, click.pk)) == []
    assert insert_both_ways(row(draft.pk, audio.pk, other_type.pk)) == []
    assert not Annotation.objects.exists()


def test_a_set_audio_or_type_that_does_not_exist_is_refused(draft, audio):
    click = draft.dataset.artifact_types.get()

    assert insert_both_ways(row(uuid.uuid4(), audio.pk, click.pk)) == []
    assert insert_both_ways(row(draft.pk, uuid.uuid4(), click.pk)) == []
    assert insert_both_ways(row(draft.pk, audio.pk, uuid.uuid4())) == []
    assert not Annotation.objects.exists()


def test_an_annotation_cannot_be_moved_to_audio_of_another_dataset(draft, audio, elsewhere):
    click = draft.dataset.artifact_types.get()
    services._insert([row(draft.pk, audio.pk, click.pk)])

    with pytest.raises(IntegrityError), transaction.atomic():
        Annotation.objects.update(audio_file_id=elsewhere[0].pk)
    assert Annotation.objects.get().audio_file_id == audio.pk


def test_rows_annotations_refer_to_cannot_be_deleted_from_under_them(draft, audio):
    click = draft.dataset.artifact_types.get()
    services._insert([row(draft.pk, audio.pk, click.pk)])

    for model, pk in ((AudioFile, audio.pk), (ArtifactType, click.pk), (AnnotationSet, draft.pk)):
        rows = model.objects.filter(pk=pk)
        with pytest.raises(IntegrityError), transaction.atomic():
            rows._raw_delete(rows.db)  # plain SQL, without Django's cascade
    assert Annotation.objects.count() == 1


def test_deleting_audio_through_django_still_takes_its_draft_annotations(draft, audio):
    click = draft.dataset.artifact_types.get()
    services._insert([row(draft.pk, audio.pk, click.pk)])

    audio.delete()

    assert not Annotation.objects.exists()


def delete_within(audio: AudioFile, *, lock_timeout: str) -> None:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{lock_timeout}'")
        audio.delete()


@pytest.mark.django_db(transaction=True)
def test_deleting_audio_waits_for_a_bulk_add_in_flight_and_leaves_no_orphan(tenant, tmp_path):
    skip_unless_postgresql("the lock test")
    dataset = make_dataset(tenant=tenant, artifact_types=["click"])
    audio = make_ready_audio(dataset=dataset, folder=tmp_path)
    draft = AnnotationSet.objects.create(tenant=tenant, dataset=dataset)
    record = row(draft.pk, audio.pk, dataset.artifact_types.get().pk)
    inserted, may_commit = threading.Event(), threading.Event()

    def bulk_add_in_flight():
        try:
            with transaction.atomic():
                services._insert([record])
                inserted.set()
                may_commit.wait(timeout=30)
        finally:
            connection.close()

    adder = threading.Thread(target=bulk_add_in_flight)
    adder.start()
    assert inserted.wait(timeout=30)
    try:
        with pytest.raises(OperationalError, match="lock timeout"):
            delete_within(audio, lock_timeout="300ms")  # blocks on the adder's lock
    finally:
        may_commit.set()
        adder.join(timeout=30)

    rows = AudioFile.objects.filter(pk=audio.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        rows._raw_delete(rows.db)  # the committed annotation now refers to it
    audio.delete()  # Django's cascade sees the committed annotation and takes it along
    assert not Annotation.objects.exists()
    assert not AudioFile.objects.filter(pk=audio.pk).exists()
