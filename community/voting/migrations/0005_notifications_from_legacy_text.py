"""Voting notifications written as translated text become type + parameters.

Rows whose title is a known voting message in either language (the writer's, at the time) are
converted; the rest stay legacy text, shown as written. Imports the live message registry on
purpose: the msgids it matches are the ones the catalogue translated when the rows were written.
The reverse leaves the rows as they are (still readable).
"""

from django.db import migrations

BATCH = 1000


def forwards(apps, schema_editor):
    from community.notifications.messages import match_legacy
    from community.voting import messages

    Notification = apps.get_model("notifications", "Notification")
    converted = []
    rows = Notification.objects.filter(message="", verb__startswith="voting.").exclude(title="")
    for row in rows.iterator(chunk_size=BATCH):
        found = match_legacy(row.title, messages.LEGACY_KEYS)
        if found:
            row.message, row.params = found
            row.title = ""
            converted.append(row)
    Notification.objects.bulk_update(converted, ["message", "params", "title"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("voting", "0004_candidate_lists_entrance_scope_convenors"),
        ("notifications", "0002_message_type_and_params"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
