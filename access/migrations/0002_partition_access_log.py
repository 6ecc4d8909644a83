"""On PostgreSQL, recreate the access log as a table range-partitioned by month on occurred_at.

SQLite keeps the plain table Django made. The model is unchanged: Django keeps ``id`` as the
primary key while the database's primary key is (id, occurred_at); see access/partitions.py.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from access.partitions import convert_to_partitioned

    convert_to_partitioned(schema_editor)


class Migration(migrations.Migration):
    # The conversion creates and attaches partitions in its own transactions.
    atomic = True

    dependencies = [("access", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
