"""Ticket history and ticket notifications written as translated text become type + parameters.

Rows whose text is a known message in either language (the writer's, at the time) are
converted; the rest (free text, messages since changed) stay legacy text, shown as written.
This migration imports the live message registry on purpose: the msgids it matches are the
ones the catalogue translated when the rows were written. Not reversible into text (the
reverse leaves the rows as they are, still readable).
"""

from django.db import migrations

BATCH = 1000


def forwards(apps, schema_editor):
    from community.notifications.messages import match_legacy
    from community.tickets import messages

    TicketEvent = apps.get_model("tickets", "TicketEvent")
    Notification = apps.get_model("notifications", "Notification")

    events = []
    for row in TicketEvent.objects.filter(message="").exclude(body="").iterator(chunk_size=BATCH):
        found = match_legacy(row.body, messages.LEGACY_EVENT_KEYS)
        if found:
            row.message, row.params = found
            row.body = ""
            events.append(row)
    TicketEvent.objects.bulk_update(events, ["message", "params", "body"], batch_size=BATCH)

    notifications = []
    rows = Notification.objects.filter(message="", verb__startswith="ticket.").exclude(title="")
    for row in rows.iterator(chunk_size=BATCH):
        found = match_legacy(row.title, messages.LEGACY_NOTIFICATION_KEYS)
        if found:
            row.message, row.params = found
            row.title = ""
            notifications.append(row)
    Notification.objects.bulk_update(notifications, ["message", "params", "title"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0002_deadlines_holds_and_message_types"),
        ("notifications", "0002_message_type_and_params"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
