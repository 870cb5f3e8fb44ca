"""Annotations' set, audio and type are checked by triggers instead of foreign-key constraints.

PostgreSQL checks a foreign key with one query per row and key, at commit: 30 000 queries, a
third of a 10 000-row bulk add. Here one statement-level trigger checks all the rows a statement
writes in a few joins, and checks more than the keys did: the audio and the type must belong to
the set's dataset. It locks what the rows refer to (FOR KEY SHARE, as a foreign key check does),
and deleting a set, audio file or type that annotations still refer to is refused, so a delete
racing a bulk add can never leave an annotation pointing at nothing.

SQLite has no statement-level triggers; row-level ones do the same checks there. It also rebuilds
the table for these changes, which its existing triggers would not survive: they are dropped
first and created again after.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

guard = importlib.import_module("annotations.migrations.0002_published_set_guard")
bulk_guard = importlib.import_module("annotations.migrations.0003_annotation_indexes_for_bulk")

MISSING_REFERENCE = "annotation refers to a set, audio file or artifact type not in its dataset"
STILL_REFERENCED = "annotations still refer to this row"
# (table, annotation column) of what annotations refer to.
REFERENCED = (
    ("annotations_annotationset", "annotation_set_id"),
    ("datasets_audiofile", "audio_file_id"),
    ("datasets_artifacttype", "artifact_type_id"),
)

POSTGRESQL_CREATE = [
    "DROP TRIGGER IF EXISTS annotation_published_insert ON annotations_annotation;",
    "DROP FUNCTION IF EXISTS relay_refuse_insert_into_published_set();",
    f"""
    CREATE FUNCTION relay_check_written_annotations() RETURNS trigger AS $$
    BEGIN
        PERFORM 1 FROM annotations_annotationset
            WHERE id IN (SELECT DISTINCT annotation_set_id FROM written) FOR KEY SHARE;
        PERFORM 1 FROM datasets_audiofile
            WHERE id IN (SELECT DISTINCT audio_file_id FROM written) FOR KEY SHARE;
        PERFORM 1 FROM datasets_artifacttype
            WHERE id IN (SELECT DISTINCT artifact_type_id FROM written) FOR KEY SHARE;
        IF TG_OP = 'INSERT' AND EXISTS (
            SELECT 1 FROM written JOIN annotations_annotationset AS s
                ON s.id = written.annotation_set_id
            WHERE s.status = 'published'
        ) THEN
            RAISE EXCEPTION '{guard.MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF EXISTS (
            SELECT 1 FROM written
            LEFT JOIN annotations_annotationset AS s ON s.id = written.annotation_set_id
            LEFT JOIN datasets_audiofile AS f
                ON f.id = written.audio_file_id AND f.dataset_id = s.dataset_id
            LEFT JOIN datasets_artifacttype AS t
                ON t.id = written.artifact_type_id AND t.dataset_id = s.dataset_id
            WHERE s.id IS NULL OR f.id IS NULL OR t.id IS NULL
        ) THEN
            RAISE EXCEPTION '{MISSING_REFERENCE}' USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER annotation_inserted_check AFTER INSERT ON annotations_annotation
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION relay_check_written_annotations();
    """,
    """
    CREATE TRIGGER annotation_updated_check AFTER UPDATE ON annotations_annotation
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION relay_check_written_annotations();
    """,
    # TG_ARGV[0]: the annotation column that refers to the deleted table's rows.
    f"""
    CREATE FUNCTION relay_refuse_deleting_referenced_rows() RETURNS trigger AS $$
    DECLARE
        referenced boolean;
    BEGIN
        EXECUTE format(
            'SELECT EXISTS (SELECT 1 FROM removed JOIN annotations_annotation AS a'
            ' ON a.%%I = removed.id)', TG_ARGV[0]
        ) INTO referenced;
        IF referenced THEN
            RAISE EXCEPTION '{STILL_REFERENCED}' USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql;
    """,
    *(
        f"""
        CREATE TRIGGER {table}_delete_check AFTER DELETE ON {table}
        REFERENCING OLD TABLE AS removed
        FOR EACH STATEMENT EXECUTE FUNCTION relay_refuse_deleting_referenced_rows('{column}');
        """
        for table, column in REFERENCED
    ),
]
POSTGRESQL_DROP = [
    *(f"DROP TRIGGER IF EXISTS {table}_delete_check ON {table};" for table, _ in REFERENCED),
    "DROP FUNCTION IF EXISTS relay_refuse_deleting_referenced_rows();",
    "DROP TRIGGER IF EXISTS annotation_inserted_check ON annotations_annotation;",
    "DROP TRIGGER IF EXISTS annotation_updated_check ON annotations_annotation;",
    "DROP FUNCTION IF EXISTS relay_check_written_annotations();",
    # 0003's insert guard again; its update guard was left in place.
    bulk_guard.POSTGRESQL_STATEMENT_GUARD[1],
    bulk_guard.POSTGRESQL_STATEMENT_GUARD[2],
]

SQLITE_REFERENCES_EXIST = """
    NOT EXISTS (
        SELECT 1 FROM annotations_annotationset AS s
        JOIN datasets_audiofile AS f ON f.dataset_id = s.dataset_id
        JOIN datasets_artifacttype AS t ON t.dataset_id = s.dataset_id
        WHERE s.id = NEW.annotation_set_id AND f.id = NEW.audio_file_id
          AND t.id = NEW.artifact_type_id
    )
"""
SQLITE_CREATE = [
    f"""
    CREATE TRIGGER annotation_inserted_check BEFORE INSERT ON annotations_annotation
    WHEN {SQLITE_REFERENCES_EXIST}
    BEGIN SELECT RAISE(ABORT, '{MISSING_REFERENCE}'); END;
    """,
    f"""
    CREATE TRIGGER annotation_updated_check
    BEFORE UPDATE OF annotation_set_id, audio_file_id, artifact_type_id ON annotations_annotation
    WHEN {SQLITE_REFERENCES_EXIST}
    BEGIN SELECT RAISE(ABORT, '{MISSING_REFERENCE}'); END;
    """,
    *(
        f"""
        CREATE TRIGGER {table}_delete_check BEFORE DELETE ON {table}
        WHEN EXISTS (SELECT 1 FROM annotations_annotation WHERE {column} = OLD.id)
        BEGIN SELECT RAISE(ABORT, '{STILL_REFERENCED}'); END;
        """
        for table, column in REFERENCED
    ),
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS annotation_inserted_check;",
    "DROP TRIGGER IF EXISTS annotation_updated_check;",
    *(f"DROP TRIGGER IF EXISTS {table}_delete_check;" for table, _ in REFERENCED),
]


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0003_annotation_indexes_for_bulk"),
        ("datasets", "0002_audio_files"),
    ]

    operations = [
        migrations.RunPython(
            guard._run({"sqlite": guard.SQLITE_DROP}), guard._run({"sqlite": guard.SQLITE_CREATE})
        ),
        migrations.AlterField(
            model_name="annotation",
            name="annotation_set",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="annotations",
                to="annotations.annotationset",
            ),
        ),
        migrations.AlterField(
            model_name="annotation",
            name="artifact_type",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="annotations",
                to="datasets.artifacttype",
            ),
        ),
        migrations.AlterField(
            model_name="annotation",
            name="audio_file",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="annotations",
                to="datasets.audiofile",
            ),
        ),
        migrations.RunPython(
            guard._run(
                {
                    "sqlite": guard.SQLITE_CREATE + SQLITE_CREATE,
                    "postgresql": POSTGRESQL_CREATE,
                }
            ),
            guard._run({"sqlite": guard.SQLITE_DROP + SQLITE_DROP, "postgresql": POSTGRESQL_DROP}),
        ),
    ]
