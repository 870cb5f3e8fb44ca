"""Page anchors become [position, id] pairs and drafts keep them too.

Published sets stored the ids at positions 0, 10 000, 20 000, …; each becomes [position, id].
Drafts had none; they get them here, from one pass over their ids. Published sets refuse every
update (0002's trigger), so it is set aside for this one change and put back.
"""

import importlib

from django.db import migrations

guard = importlib.import_module("annotations.migrations.0002_published_set_guard")

STRIDE = 10_000  # annotations.models.PAGE_ANCHOR_STRIDE when this was written
SET_TRIGGER = "annotation_set_published_update"


def _without_set_guard(apps, schema_editor, change) -> None:
    vendor = schema_editor.connection.vendor
    table = "annotations_annotationset"
    if vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {SET_TRIGGER}")
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {SET_TRIGGER}")
    change(apps)
    if vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {SET_TRIGGER}")
    elif vendor == "sqlite":
        [create_set_trigger] = [sql for sql in guard.SQLITE_CREATE if SET_TRIGGER in sql]
        schema_editor.execute(create_set_trigger)


def _to_positions(apps) -> None:
    AnnotationSet = apps.get_model("annotations", "AnnotationSet")
    Annotation = apps.get_model("annotations", "Annotation")
    for annotation_set in AnnotationSet.objects.all():
        if annotation_set.status == "published":
            anchors = [
                [index * STRIDE, anchor] for index, anchor in enumerate(annotation_set.page_anchors)
            ]
        else:
            ids = (
                Annotation.objects.filter(annotation_set=annotation_set)
                .order_by("id")
                .values_list("id", flat=True)
                .iterator(chunk_size=STRIDE)
            )
            anchors = [
                [position, str(anchor_id)]
                for position, anchor_id in enumerate(ids)
                if position % STRIDE == 0
            ]
        AnnotationSet.objects.filter(pk=annotation_set.pk).update(page_anchors=anchors)


def _to_ids(apps) -> None:
    AnnotationSet = apps.get_model("annotations", "AnnotationSet")
    for annotation_set in AnnotationSet.objects.all():
        ids = (
            [anchor_id for _, anchor_id in annotation_set.page_anchors]
            if annotation_set.status == "published"
            else []
        )
        AnnotationSet.objects.filter(pk=annotation_set.pk).update(page_anchors=ids)


class Migration(migrations.Migration):
    dependencies = [("annotations", "0004_reference_triggers")]

    operations = [
        migrations.RunPython(
            lambda apps, editor: _without_set_guard(apps, editor, _to_positions),
            lambda apps, editor: _without_set_guard(apps, editor, _to_ids),
        ),
    ]
