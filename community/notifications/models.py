"""The in-app inbox: one row per recipient per notification."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .messages import render, render_for


class Notification(models.Model):
    # Nullable: a notification about no estate in particular (e.g. an account message) is seen by
    # its recipient only, never through staff scoping.
    estate_path = "estate"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    estate = models.ForeignKey(
        "residents.Estate",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("estate"),
    )
    verb = models.CharField(
        _("verb"), max_length=64, help_text=_("Machine-readable kind, e.g. ticket.assigned")
    )
    # A registered message (community.notifications.messages) and its parameters, rendered in
    # the reader's language; ``title`` holds only legacy or free text (other apps' plain titles).
    message = models.CharField(_("message type"), max_length=64, blank=True, default="")
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True, default="")
    body = models.TextField(_("body"), blank=True, default="")
    url = models.CharField(_("link"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox_idx")
        ]

    def __str__(self) -> str:
        return self.title_text

    @property
    def title_text(self) -> str:
        """The title in the active language (the reader's)."""
        return render(self.message, self.params, fallback=self.title)

    def title_for(self, user) -> str:
        """The title in ``user``'s language (SMS, email, websocket pushes)."""
        return render_for(user, self.message, self.params, fallback=self.title)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
