from django.db import migrations, models

# SQLite would rebuild the audio table to add a NOT NULL column with a default, and the rebuild
# breaks the annotation triggers that name the table; a plain ADD COLUMN keeps them.
ADD_COLUMN = {
    "sqlite": "ALTER TABLE datasets_audiofile ADD COLUMN processing_warnings text NOT NULL "
    "DEFAULT '[]' CHECK (JSON_VALID(processing_warnings))",
    "postgresql": "ALTER TABLE datasets_audiofile ADD COLUMN processing_warnings jsonb NOT NULL "
    "DEFAULT '[]'::jsonb",
}
DROP_COLUMN = "ALTER TABLE datasets_audiofile DROP COLUMN processing_warnings"


def add_column(apps, schema_editor):
    schema_editor.execute(ADD_COLUMN[schema_editor.connection.vendor])


def drop_column(apps, schema_editor):
    schema_editor.execute(DROP_COLUMN)


class Migration(migrations.Migration):
    dependencies = [
        ("datasets", "0002_audio_files"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="audiofile",
                    name="processing_warnings",
                    field=models.JSONField(blank=True, default=list),
                ),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        )
    ]
