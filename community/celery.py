"""Celery app. Eager (in-process) in the embedded mode, Redis broker in production."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")

# Every task's delay_on_commit keeps the task (HeldTask) when the broker is down after the commit.
app = Celery("community", task_cls="community.ops.held:OnCommitTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
