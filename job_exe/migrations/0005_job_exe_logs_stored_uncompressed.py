"""stdout/stderr stored uncompressed out of line (STORAGE EXTERNAL): ``substring`` of a slice
then reads only the TOAST chunks of that slice, so streaming a large log is linear in its
size (``job_exe.selectors.execution_logs``). Values already written keep their storage
until rewritten."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("job_exe", "0004_node_state_and_recent_executions"),
    ]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE job_exe ALTER COLUMN stdout SET STORAGE EXTERNAL, "
            "ALTER COLUMN stderr SET STORAGE EXTERNAL;",
            "ALTER TABLE job_exe ALTER COLUMN stdout SET STORAGE EXTENDED, "
            "ALTER COLUMN stderr SET STORAGE EXTENDED;",
        ),
    ]
