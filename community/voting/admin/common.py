"""What the voting admins share: the meeting filter, the add-only service admin, the per-object action runner."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from community.admin_services import ServiceAdminMixin
from community.scoping import ScopedModelAdmin, estate_path_of

from .. import selectors

MEETING_FILTER_LIMIT = 200


class MeetingFilter(admin.SimpleListFilter):
    """Filter by meeting, offering only the staff member's estates' meetings (the default
    related-field filter would list every estate's meetings)."""

    title = _("meeting")
    parameter_name = "meeting"

    def lookups(self, request, model_admin):
        meetings = selectors.meetings_for_staff(request.user).order_by("-voting_opens_at")
        return [(m.pk, m.title) for m in meetings[:MEETING_FILTER_LIMIT]]

    def queryset(self, request, queryset):
        if self.value():
            try:
                return queryset.filter(meeting_id=int(self.value()))
            except ValueError:
                return queryset.none()
        return queryset


class VotingAdmin(ScopedModelAdmin):
    """Lists only rows of estates where one of the user's roles may view this model: a manager
    of A who is a technician in B sees none of B's assembly (roles, not membership: #15)."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        ids = self.estate_ids_for(request, "view", "change")
        if ids is None:
            return qs
        path = estate_path_of(qs.model)
        return qs.filter(**{("pk__in" if path == "id" else f"{path}__in"): ids})


class AddOnlyServiceAdmin(ServiceAdminMixin, VotingAdmin):
    """Records added through a service and never edited afterwards (an audit trail)."""

    add_fields: list[str] = []
    detail_fields: list[str] = []

    def get_fields(self, request, obj=None):
        return list(self.add_fields) if obj is None else list(self.detail_fields)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def run_per_object(model_admin, request, objects, func, done: str, **kwargs) -> None:
    """Call one service per object; report each refusal with its reason."""
    ok = 0
    as_ = kwargs.pop("as_", "meeting")
    for obj in objects:
        try:
            func(by=request.user, **{as_: obj}, **kwargs)
            ok += 1
        except (ValidationError, PermissionDenied) as exc:
            reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            model_admin.message_user(request, f"{obj}: {reason}", messages.ERROR)
    if ok:
        model_admin.message_user(request, done % {"n": ok}, messages.SUCCESS)


def meeting_action(name: str, service, description, done):
    """An admin action that runs one meeting transition per selected meeting (scoped by role)."""

    @admin.action(description=description, permissions=["change"])
    def action(model_admin, request, queryset):
        # Roles are per estate: only meetings of estates where the user may change meetings.
        run_per_object(
            model_admin, request, model_admin.scope_for_action(request, queryset), service, str(done)
        )

    action.__name__ = name
    return action


class MeetingFromQueryMixin:
    """Add forms opened from a meeting's page (?meeting=<id>) start with that meeting chosen."""

    def get_changeform_initial_data(self, request):
        return {**super().get_changeform_initial_data(request), "meeting": request.GET.get("meeting")}
