"""Open websockets follow the account's rights (issue #15 item 10).

A logout closes that session's sockets; a staff role added or removed, or an account
deactivated, makes the user's sockets re-check every group they joined at once (the consumer
also re-checks on its own every ``WEBSOCKET_RECHECK_SECONDS``).
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save

from community.realtime import sockets_end_on_commit, sockets_recheck_on_commit


def _on_logout(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if user is not None and session is not None and session.session_key:
        sockets_end_on_commit(user.pk, session_key=session.session_key)


def _on_membership_change(sender, instance, **kwargs) -> None:
    sockets_recheck_on_commit(instance.user_id)


def _on_user_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    if created or instance.is_active:
        return
    if update_fields is None or "is_active" in update_fields:
        sockets_end_on_commit(instance.pk)


def connect() -> None:
    from community.accounts.models import User
    from community.residents.models import StaffMembership

    user_logged_out.connect(_on_logout, dispatch_uid="accounts.sockets_on_logout")
    post_save.connect(
        _on_membership_change, sender=StaffMembership, dispatch_uid="accounts.sockets_role_added"
    )
    post_delete.connect(
        _on_membership_change, sender=StaffMembership, dispatch_uid="accounts.sockets_role_removed"
    )
    post_save.connect(_on_user_saved, sender=User, dispatch_uid="accounts.sockets_user_deactivated")
