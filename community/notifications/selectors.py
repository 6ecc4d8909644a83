"""Reads of the inbox; a user only ever sees their own notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Notification


def inbox_for(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
