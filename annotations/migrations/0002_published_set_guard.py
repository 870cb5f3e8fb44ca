"""Database triggers that refuse to change a published annotation set or its annotations.

The services refuse with 409 first; these catch every other path (the admin, a shell, a bug).
Deletion stays possible, so a dataset can still be deleted with everything in it.
"""

from django.db import migrations

MESSAGE = "annotation set is published and cannot change"

SQLITE_CREATE = [
    f"""
    CREATE TRIGGER annotation_set_published_update BEFORE UPDATE ON annotations_annotationset
    WHEN OLD.status = 'published'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """,
    f"""
    CREATE TRIGGER annotation_published_insert BEFORE INSERT ON annotations_annotation
    WHEN (SELECT status FROM annotations_annotationset WHERE id = NEW.annotation_set_id)
         = 'published'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """,
    f"""
    CREATE TRIGGER annotation_published_update BEFORE UPDATE ON annotations_annotation
    WHEN (SELECT status FROM annotations_annotationset WHERE id = OLD.annotation_set_id)
         = 'published'
      OR (SELECT status FROM annotations_annotationset WHERE id = NEW.annotation_set_id)
         = 'published'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS annotation_set_published_update;",
    "DROP TRIGGER IF EXISTS annotation_published_insert;",
    "DROP TRIGGER IF EXISTS annotation_published_update;",
]

POSTGRESQL_CREATE = [
    f"""
    CREATE FUNCTION relay_refuse_published_set_change() RETURNS trigger AS $$
    BEGIN
        IF OLD.status = 'published' THEN
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER annotation_set_published_update BEFORE UPDATE ON annotations_annotationset
    FOR EACH ROW EXECUTE FUNCTION relay_refuse_published_set_change();
    """,
    f"""
    CREATE FUNCTION relay_refuse_published_annotation_change() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (
            SELECT 1 FROM annotations_annotationset
            WHERE status = 'published' AND id IN (NEW.annotation_set_id,
                CASE WHEN TG_OP = 'UPDATE' THEN OLD.annotation_set_id END)
        ) THEN
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER annotation_published_write BEFORE INSERT OR UPDATE ON annotations_annotation
    FOR EACH ROW EXECUTE FUNCTION relay_refuse_published_annotation_change();
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS annotation_published_write ON annotations_annotation;",
    "DROP FUNCTION IF EXISTS relay_refuse_published_annotation_change();",
    "DROP TRIGGER IF EXISTS annotation_set_published_update ON annotations_annotationset;",
    "DROP FUNCTION IF EXISTS relay_refuse_published_set_change();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("annotations", "0001_annotation_sets")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRESQL_CREATE}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}),
        )
    ]
