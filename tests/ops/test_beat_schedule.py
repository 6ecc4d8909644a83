"""Every periodic job beat sends names a task a worker knows: a misspelt or unregistered name
is only an error in the worker's log, and the job silently never runs."""

from django.conf import settings


def test_every_scheduled_job_names_a_registered_task():
    from community.celery import app

    app.loader.import_default_modules()  # what a worker imports at start (autodiscovery)
    unknown = {
        name: entry["task"]
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if entry["task"] not in app.tasks
    }
    assert unknown == {}
    assert "calendar.gaps_remind" in {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
