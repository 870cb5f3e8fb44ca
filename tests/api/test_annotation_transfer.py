import io
import json
import zipfile
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotations import services
from annotations.models import Annotation, AnnotationSet
from tests.factories import make_dataset, make_ready_audio

FORMATS = ["json", "csv", "dcase", "audacity", "raven"]
# Formats that carry confidence and notes; the others import them as 1.0 and "".
FULL_FORMATS = {"json", "csv"}


@pytest.fixture
def dataset(tenant):
    return make_dataset(tenant=tenant, artifact_types=["click", "dropout"])


@pytest.fixture
def audio(dataset, tmp_path):
    """Three ready files, named with a space, with non-ASCII letters, and plainly."""
    return [
        make_ready_audio(dataset=dataset, folder=tmp_path, seconds=2.0, name=name)
        for name in ("take 1.wav", "ünïcode ß.wav", "b.wav")
    ]


def set_url(annotation_set, suffix=""):
    return (
        f"/api/v1/datasets/{annotation_set.dataset_id}/annotation-sets/{annotation_set.pk}{suffix}"
    )


def make_set(dataset, *, name="Gold labels", rows=()):
    annotation_set = services.create_annotation_set(dataset=dataset, name=name)
    if rows:
        services.add_annotations(annotation_set=annotation_set, rows=list(rows), loc=["body"])
    annotation_set.refresh_from_db()
    return annotation_set


def label(audio, artifact_type="click", start_ms=100, end_ms=200, **extra):
    return {
        "audio_file_id": str(audio.pk),
        "artifact_type": artifact_type,
        "start_ms": start_ms,
        "end_ms": end_ms,
        **extra,
    }


def sample_rows(audio):
    take, unicode_name, plain = audio
    return [
        label(take, "click", 100, 250, confidence=0.75, note='=cmd|"/c calc"!A1'),
        label(take, "dropout", 1005, 2000, note="a, b\nsecond line"),
        label(take, "click", 100, 250),  # a duplicate is kept as a duplicate
        label(unicode_name, "click", 0, 1, confidence=0.5),
        label(unicode_name, "dropout", 1999, 2000),
        label(plain, "dropout", 500, 1500, note="'quoted"),
    ]


def export(client, annotation_set, label_format):
    return client.get(set_url(annotation_set, "/export"), {"format": label_format})


def upload(client, annotation_set, data, *, label_format, name="labels", dry_run=False):
    url = set_url(annotation_set, "/import") + ("?dry_run=true" if dry_run else "")
    body = {"file": SimpleUploadedFile(name, data), "format": label_format}
    return client.post(url, body, format="multipart")


def contents(annotation_set, *, full=True):
    fields = ["audio_file_id", "artifact_type__name", "start_ms", "end_ms"]
    if full:
        fields += ["confidence", "note"]
    return Counter(Annotation.objects.filter(annotation_set=annotation_set).values_list(*fields))


@pytest.mark.parametrize("label_format", FORMATS)
def test_an_exported_set_imports_into_an_empty_draft_as_the_same_set(
    api_client, dataset, audio, label_format
):
    source = make_set(dataset, rows=sample_rows(audio))
    services.publish_annotation_set(annotation_set=source)
    target = make_set(dataset, name="Copy")

    exported = export(api_client, source, label_format)
    data = b"".join(exported.streaming_content)
    response = upload(api_client, target, data, label_format=label_format, name="gold.zip")

    assert exported.status_code == 200
    assert response.status_code == 201, response.json()
    assert response.json() == {"created": 6, "dry_run": False}
    full = label_format in FULL_FORMATS
    assert contents(target, full=full) == contents(source, full=full)
    target.refresh_from_db()
    assert (target.annotation_count, target.counts_by_type) == (6, {"click": 3, "dropout": 3})
    if not full:
        assert set(Annotation.objects.filter(annotation_set=target).values_list("confidence")) == {
            (1.0,)
        }


@pytest.mark.parametrize(
    ("label_format", "content_type", "extension"),
    [
        ("json", "application/json", "json"),
        ("csv", "text/csv; charset=utf-8", "csv"),
        ("dcase", "text/tab-separated-values; charset=utf-8", "tsv"),
        ("audacity", "application/zip", "zip"),
        ("raven", "text/tab-separated-values; charset=utf-8", "selections.txt"),
    ],
)
def test_an_export_is_an_attachment_of_the_formats_content_type(
    api_client, dataset, audio, label_format, content_type, extension
):
    annotation_set = make_set(dataset, name='Gold "v2" / ünï', rows=sample_rows(audio))

    response = export(api_client, annotation_set, label_format)

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    short_id = str(annotation_set.pk)[:8]
    assert response["Content-Disposition"] == (
        f'attachment; filename="gold-v2-uni-{short_id}.{extension}"'
    )


def test_json_is_the_default_export_and_carries_the_set(api_client, dataset, audio):
    annotation_set = make_set(dataset, rows=sample_rows(audio)[:1])

    response = api_client.get(set_url(annotation_set, "/export"))

    body = json.loads(b"".join(response.streaming_content))
    assert body["annotation_set"]["id"] == str(annotation_set.pk)
    assert body["annotation_set"]["counts_by_type"] == {"click": 1}
    assert body["annotations"] == [
        {
            "audio_file_id": str(audio[0].pk),
            "filename": "take 1.wav",
            "artifact_type": "click",
            "start_ms": 100,
            "end_ms": 250,
            "confidence": 0.75,
            "note": '=cmd|"/c calc"!A1',
        }
    ]


def test_exports_are_ordered_by_filename_then_start(api_client, dataset, audio):
    annotation_set = make_set(dataset, rows=sample_rows(audio))

    response = export(api_client, annotation_set, "dcase")

    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines == [
        "filename\tonset\toffset\tevent_label",
        "b.wav\t0.500\t1.500\tdropout",
        "take 1.wav\t0.100\t0.250\tclick",
        "take 1.wav\t0.100\t0.250\tclick",
        "take 1.wav\t1.005\t2.000\tdropout",
        "ünïcode ß.wav\t0.000\t0.001\tclick",
        "ünïcode ß.wav\t1.999\t2.000\tdropout",
    ]


def test_a_csv_export_defuses_formulas_in_notes(api_client, dataset, audio):
    annotation_set = make_set(dataset, rows=sample_rows(audio)[:1])

    response = export(api_client, annotation_set, "csv")

    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[1].endswith(',0.75,"\'=cmd|""/c calc""!A1"')


def test_a_large_export_streams_in_blocks(api_client, dataset, audio):
    rows = [label(audio[0], start_ms=ms % 1999, end_ms=ms % 1999 + 1) for ms in range(6000)]
    annotation_set = make_set(dataset, rows=rows)

    response = export(api_client, annotation_set, "csv")

    assert response.streaming
    blocks = list(response.streaming_content)
    assert len(blocks) > 1
    assert b"".join(blocks).count(b"\r\n") == 6001


def test_an_audacity_export_has_one_track_per_audio_file(api_client, dataset, audio):
    annotation_set = make_set(dataset, rows=sample_rows(audio))

    response = export(api_client, annotation_set, "audacity")

    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        members = {name: archive.read(name).decode() for name in archive.namelist()}
    assert members == {
        "b.txt": "0.500\t1.500\tdropout\n",
        "take 1.txt": "0.100\t0.250\tclick\n0.100\t0.250\tclick\n1.005\t2.000\tdropout\n",
        "ünïcode ß.txt": "0.000\t0.001\tclick\n1.999\t2.000\tdropout\n",
    }


def test_a_single_audacity_track_names_its_audio_by_file_name(api_client, dataset, audio):
    annotation_set = make_set(dataset)

    response = upload(
        api_client, annotation_set, b"0.5\t1.0\tClick\n", label_format="audacity", name="b.txt"
    )

    assert response.status_code == 201
    assert contents(annotation_set, full=False) == Counter([(audio[2].pk, "click", 500, 1000)])


BAD_CSV = (
    "filename,artifact_type,start_ms,end_ms,confidence\n"
    "take 1.wav,click,100,200,\n"  # fine
    "missing.wav,click,100,200,\n"  # no such audio
    "b.wav,pop,100,2500,1.5\n"  # unknown type, past the end, confidence out of range
    "b.wav,DROPOUT,x,200,\n"  # a bad number
    "\n"
    ",click,1,2,\n"  # no audio named at all
)


def test_a_dry_run_reports_every_bad_row_by_line_and_writes_nothing(api_client, dataset, audio):
    annotation_set = make_set(dataset)

    response = upload(
        api_client, annotation_set, BAD_CSV.encode(), label_format="csv", dry_run=True
    )

    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("dry_run", "valid", "rows", "would_create")} == {
        "dry_run": True,
        "valid": False,
        "rows": 5,
        "would_create": 0,
    }
    assert [(e["file"], e["line"], e["field"], e["type"]) for e in body["errors"]] == [
        (None, 3, "filename", "value_error.not_found"),
        (None, 4, "artifact_type", "value_error.invalid_choice"),
        (None, 4, "end_ms", "value_error.max_value"),
        (None, 4, "confidence", "value_error.range"),
        (None, 5, "start_ms", "type_error.integer"),
        (None, 7, "filename", "value_error.missing"),
    ]
    assert body["errors"][0]["message"] == "No audio file named 'missing.wav' in this dataset"
    assert Annotation.objects.filter(annotation_set=annotation_set).count() == 0


def test_a_dry_run_of_a_good_file_says_what_it_would_create_and_writes_nothing(
    api_client, dataset, audio
):
    annotation_set = make_set(dataset)
    data = b"b.wav\t0.5\t1.0\tclick\nb.wav\t1.0\t1.5\tDropout\n"

    response = upload(api_client, annotation_set, data, label_format="dcase", dry_run=True)

    assert response.json() == {
        "dry_run": True,
        "valid": True,
        "rows": 2,
        "would_create": 2,
        "errors": [],
    }
    annotation_set.refresh_from_db()
    assert annotation_set.annotation_count == 0
    assert not Annotation.objects.filter(annotation_set=annotation_set).exists()


def test_a_failing_import_lists_every_failing_field_by_line_and_adds_nothing(
    api_client, dataset, audio
):
    annotation_set = make_set(dataset)

    response = upload(api_client, annotation_set, BAD_CSV.encode(), label_format="csv")

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [item["loc"] for item in detail] == [
        ["body", "file", "line", 3, "filename"],
        ["body", "file", "line", 4, "artifact_type"],
        ["body", "file", "line", 4, "end_ms"],
        ["body", "file", "line", 4, "confidence"],
        ["body", "file", "line", 5, "start_ms"],
        ["body", "file", "line", 7, "filename"],
    ]
    assert detail[2] == {
        "loc": ["body", "file", "line", 4, "end_ms"],
        "msg": "Must be within the audio (2000 ms)",
        "type": "value_error.max_value",
    }
    assert not Annotation.objects.filter(annotation_set=annotation_set).exists()


def test_errors_inside_an_audacity_zip_name_the_member(api_client, dataset, audio):
    annotation_set = make_set(dataset)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("take 1.txt", "0.1\t0.2\tclick\n")
        archive.writestr("nobody.txt", "0.1\t0.2\tclick\n")
        archive.writestr("b.txt", "0.1\t0.2\tclick\n0.3\t9\tclick\n")

    response = upload(api_client, annotation_set, buffer.getvalue(), label_format="audacity")

    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [
        ["body", "file", "nobody.txt", "line", 1, "filename"],
        ["body", "file", "b.txt", "line", 2, "end_ms"],
    ]


def test_a_filename_shared_by_several_audio_files_is_a_row_error(
    api_client, dataset, audio, tmp_path
):
    (tmp_path / "other").mkdir()
    make_ready_audio(dataset=dataset, folder=tmp_path / "other", name="b.wav")
    annotation_set = make_set(dataset)

    response = upload(api_client, annotation_set, b"b.wav\t0.1\t0.2\tclick\n", label_format="dcase")

    assert response.json()["detail"] == [
        {
            "loc": ["body", "file", "line", 1, "filename"],
            "msg": "2 audio files are named 'b.wav'; give audio_file_id (CSV or JSON) or rename "
            "the files so that names are unique",
            "type": "value_error.ambiguous",
        }
    ]


def test_a_ghost_upload_of_the_same_name_does_not_make_a_filename_ambiguous(
    api_client, dataset, audio, tenant
):
    for status in ("pending", "failed"):
        dataset.audio_files.create(
            tenant=tenant,
            filename="b.wav",
            content_type="audio/wav",
            file_size=10,
            processing_status=status,
        )
    annotation_set = make_set(dataset)

    response = upload(api_client, annotation_set, b"b.wav\t0.1\t0.2\tclick\n", label_format="dcase")

    assert response.status_code == 201, response.json()


def test_a_filename_naming_only_audio_that_is_not_ready_says_so(api_client, dataset, tenant):
    dataset.audio_files.create(
        tenant=tenant, filename="late.wav", content_type="audio/wav", file_size=10
    )
    annotation_set = make_set(dataset)

    response = upload(
        api_client, annotation_set, b"late.wav\t0.1\t0.2\tclick\n", label_format="dcase"
    )

    assert response.json()["detail"] == [
        {
            "loc": ["body", "file", "line", 1, "filename"],
            "msg": "The audio file named 'late.wav' is pending; only ready audio can be labelled",
            "type": "value_error.not_ready",
        }
    ]


def test_an_audio_file_id_wins_over_the_filename(api_client, dataset, audio):
    annotation_set = make_set(dataset)
    data = f"filename,audio_file_id,artifact_type,start_ms,end_ms\nb.wav,{audio[0].pk},click,1,2\n"

    response = upload(api_client, annotation_set, data.encode(), label_format="csv")

    assert response.status_code == 201
    assert contents(annotation_set, full=False) == Counter([(audio[0].pk, "click", 1, 2)])


def test_imported_rows_record_the_key_that_imported_them(api_client, dataset, audio):
    annotation_set = make_set(dataset)

    upload(api_client, annotation_set, b"b.wav\t0.1\t0.2\tclick\n", label_format="dcase")

    annotation = Annotation.objects.get(annotation_set=annotation_set)
    assert annotation.created_by_key is not None
    assert annotation.source == "human"


@pytest.mark.parametrize("dry_run", [False, True])
def test_importing_into_a_published_set_is_a_conflict(api_client, dataset, audio, dry_run):
    annotation_set = make_set(dataset, rows=sample_rows(audio)[:1])
    services.publish_annotation_set(annotation_set=annotation_set)

    response = upload(
        api_client,
        annotation_set,
        b"b.wav\t0.1\t0.2\tclick\n",
        label_format="dcase",
        dry_run=dry_run,
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "Annotation set is published; copy it to change it"}
    assert AnnotationSet.objects.get(pk=annotation_set.pk).annotation_count == 1


def test_another_tenants_set_cannot_be_exported_or_imported(other_client, dataset, audio):
    annotation_set = make_set(dataset, rows=sample_rows(audio)[:1])

    exported = export(other_client, annotation_set, "csv")
    imported = upload(other_client, annotation_set, b"b.wav\t0\t1\tclick\n", label_format="dcase")

    assert (exported.status_code, exported.json()) == (404, {"detail": "Dataset not found"})
    assert (imported.status_code, imported.json()) == (404, {"detail": "Dataset not found"})
    assert Annotation.objects.filter(annotation_set=annotation_set).count() == 1


def test_a_read_key_can_export_but_not_import(read_client, dataset, audio):
    annotation_set = make_set(dataset, rows=sample_rows(audio)[:1])

    exported = export(read_client, annotation_set, "csv")
    imported = upload(read_client, annotation_set, b"b.wav\t0\t1\tclick\n", label_format="dcase")

    assert exported.status_code == 200
    assert imported.status_code == 403
    assert imported.json() == {
        "detail": "This action needs the 'write' scope, which this key does not have."
    }


def test_an_unknown_export_format_is_a_validation_error(api_client, dataset):
    annotation_set = make_set(dataset)

    response = export(api_client, annotation_set, "xlsx")

    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "loc": ["query", "format"],
                "msg": '"xlsx" is not a valid choice; '
                "use one of: json, csv, dcase, audacity, raven.",
                "type": "value_error.invalid_choice",
            }
        ]
    }


def test_an_import_needs_a_file_and_a_known_format(api_client, dataset):
    annotation_set = make_set(dataset)

    response = api_client.post(
        set_url(annotation_set, "/import"), {"format": "xlsx"}, format="multipart"
    )

    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [
        ["body", "file"],
        ["body", "format"],
    ]


@pytest.mark.parametrize(
    ("label_format", "data", "error_type"),
    [
        ("csv", "filename,start_ms\nkäse".encode("latin-1"), "value_error.encoding"),
        ("audacity", b"PK\x03\x04 broken", "value_error.zip"),
        ("csv", b"file,begin,end\n", "value_error.header"),
        ("json", b"[]", "value_error.json"),
    ],
)
def test_an_unreadable_file_is_a_validation_error_at_the_file(
    api_client, dataset, label_format, data, error_type
):
    annotation_set = make_set(dataset)

    response = upload(api_client, annotation_set, data, label_format=label_format, dry_run=True)

    assert response.status_code == 422
    [item] = response.json()["detail"]
    assert (item["loc"], item["type"]) == (["body", "file"], error_type)


def test_a_file_over_the_size_limit_is_too_large(api_client, dataset, settings):
    settings.RELAY_MAX_IMPORT_BYTES = 100
    annotation_set = make_set(dataset)

    response = upload(
        api_client, annotation_set, b"a.wav\t0\t1\tclick\n" * 10, label_format="dcase"
    )

    assert response.status_code == 413
    assert response.json() == {"detail": "The label file is over the limit of 100 bytes."}


def test_a_body_declared_over_the_limit_is_refused_before_it_is_read(api_client, dataset, settings):
    settings.RELAY_MAX_IMPORT_BYTES = 100
    annotation_set = make_set(dataset)

    response = upload(
        api_client, annotation_set, b"a.wav\t0\t1\tclick\n" * 10_000, label_format="dcase"
    )

    assert response.status_code == 413
    assert response.json()["detail"].startswith("Request body is ")


def test_a_file_over_the_row_limit_is_refused(api_client, dataset, audio, settings):
    settings.RELAY_MAX_IMPORT_ROWS = 3
    annotation_set = make_set(dataset)

    response = upload(api_client, annotation_set, b"b.wav\t0\t1\tclick\n" * 4, label_format="dcase")

    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "loc": ["body", "file"],
                "msg": "The file has more than 3 rows; split it into smaller files.",
                "type": "value_error.max_rows",
            }
        ]
    }
    assert not Annotation.objects.filter(annotation_set=annotation_set).exists()
