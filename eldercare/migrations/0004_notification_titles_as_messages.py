"""Eldercare notifications stored as translated titles become type + parameters.

Titles that are a known eldercare message in either language (the writer's, at the time) are
converted, so each reader sees them in their own language; anything else stays legacy text,
shown as written. This migration imports the live message registry on purpose: the msgids it
matches are the ones the catalogue translated when the rows were written. The reverse leaves
the rows as they are (still readable).
"""

from django.db import migrations

BATCH = 1000


def forwards(apps, schema_editor):
    from eldercare.messages import match_legacy_title

    Notification = apps.get_model("notifications", "Notification")
    rows = Notification.objects.filter(message="", verb__startswith="care.").exclude(title="")
    converted = []
    for row in rows.iterator(chunk_size=BATCH):
        found = match_legacy_title(row.title)
        if found:
            row.message, row.params = found
            row.title = ""
            converted.append(row)
    Notification.objects.bulk_update(converted, ["message", "params", "title"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("eldercare", "0003_duty_roster_worker_positions_audit"),
        ("notifications", "0002_message_type_and_params"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
