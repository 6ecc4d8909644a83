"""Tasks that could not be handed to the broker after their transaction committed.

A web request commits, then enqueues its follow-up task (``delay_on_commit``). When Redis is
down at that moment the data is already stored; the task must neither turn the answer into a
500 nor vanish. It is kept here instead and sent again once the broker answers (the beat job
``ops.held_tasks_send``, or ``manage.py held_tasks_send``). Tasks are idempotent by rule
(settings: acks_late), so a task sent again after a crash between send and delete is harmless.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class HeldTask(models.Model):
    task = models.CharField(pgettext_lazy("held task", "task"), max_length=200)
    args = models.JSONField(pgettext_lazy("held task", "arguments"), default=list)
    kwargs = models.JSONField(pgettext_lazy("held task", "keyword arguments"), default=dict)
    # queue, priority; eta and expires as absolute ISO times (a countdown would restart on resend).
    options = models.JSONField(pgettext_lazy("held task", "options"), default=dict)
    request_id = models.CharField(pgettext_lazy("held task", "request id"), max_length=64, blank=True)
    held_by = models.CharField(
        pgettext_lazy("held task", "held by"),
        max_length=200,
        help_text=_("The process that could not send it."),
    )
    reason = models.TextField(pgettext_lazy("held task", "last error"), blank=True)
    attempts = models.PositiveIntegerField(pgettext_lazy("held task", "attempts to send"), default=1)
    created_at = models.DateTimeField(
        pgettext_lazy("held task", "held at"), default=timezone.now, db_index=True
    )

    class Meta:
        verbose_name = _("held task")
        verbose_name_plural = _("held tasks")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"
