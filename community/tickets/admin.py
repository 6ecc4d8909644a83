"""Staff admin for tickets: queues by status, SLA filters, (bulk) assignment, internal notes,
spreadsheet export — all estate-scoped. Status never changes here except through services
(assignment); edits carry the version the staff member saw, so a second concurrent save is
refused with a message instead of overwriting the first."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from import_export.admin import ExportMixin
from import_export.formats import base_formats

from community.admin_services import ReadOnlyAdminMixin, ReadOnlyInlineMixin, ServiceAdminMixin
from community.scoping import EstateScopedAdminMixin, ScopedModelAdmin

from . import selectors, services
from .filing import TEXT_MAX
from .models import (
    Category,
    Channel,
    HoldReason,
    Rating,
    SLAPolicy,
    Ticket,
    TicketEvent,
    TicketPhoto,
    TicketSettings,
)
from .resources import TicketResource
from .sla import SLAState
from .transitions import TRANSITIONS, Action, Role, needs_reason

# Not a move of the table: a manager stops the clock of a wait for parts (ticket_hold_approve).
APPROVE_HOLD = "approve_hold"


class SLAFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue")), ("at_risk", _("At risk")), ("on_hold", _("On hold"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.overdue(now)
        if self.value() == "at_risk":
            return queryset.at_risk(now)
        if self.value() == "on_hold":
            return queryset.filter(status="on_hold")
        return queryset


class AssignActionForm(ActionForm):
    assignee = forms.ModelChoiceField(
        queryset=get_user_model()
        .objects.filter(staff_memberships__role__in=selectors.ASSIGNABLE_ROLES)
        .distinct(),
        required=False,
        label=_("Assign to"),
    )
    reason = forms.CharField(
        required=False,
        max_length=TEXT_MAX,
        label=_("Reason"),
        help_text=_("Needed to hand over work in progress or on hold."),
    )


class TicketEventInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = TicketEvent
    verbose_name_plural = _("timeline")
    fields = ["created_at", "kind", "to_status", "text_display", "is_internal", "actor"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("text"))
    def text_display(self, obj):
        return obj.text


class InternalNoteInline(admin.StackedInline):
    """An empty form to write a new internal note; saved through the comment service."""

    model = TicketEvent
    verbose_name = _("internal note")
    verbose_name_plural = _("new internal note")
    fields = ["body"]
    extra = 1
    max_num = 1
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_change_permission(self, request, obj=None):
        return True if obj is None else super().has_view_permission(request, obj)


class TicketPhotoInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = TicketPhoto
    fields = ["preview", "stage", "created_at"]

    @admin.display(description=_("photo"))
    def preview(self, obj):
        # Through the authorised view: /media/ is not served (photos show the inside of homes).
        url = reverse("portal-tickets:photo", args=[obj.pk])
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="" '
            'style="max-width:120px;max-height:120px"></a>',
            url,
            url,
        )


class TicketForm(forms.ModelForm):
    """Checks nothing itself: the filing and edit services run inside validation
    (ServiceAdminMixin) and their refusals land on these fields."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    change_reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when the priority or category changes (the deadlines move)."),
    )

    class Meta:
        model = Ticket
        fields = ["category", "priority", "channel", "reporter", "unit", "common_area", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.fields["seen_version"].initial = self.instance.version
        if not self.instance.pk and "channel" in self.fields:
            # Staff file what came by phone, in person or what they saw; residents use the portal.
            self.fields["channel"].choices = [c for c in Channel.choices if c[0] != Channel.PORTAL]
            self.fields["channel"].initial = Channel.PHONE

    def _post_clean(self):
        # The model's own full_clean would check a half-built ticket (no number, no deadlines);
        # the services validate and save it.
        pass


@admin.register(Ticket)
class TicketAdmin(ServiceAdminMixin, EstateScopedAdminMixin, ExportMixin, admin.ModelAdmin):
    form = TicketForm
    resource_classes = [TicketResource]
    export_formats = [base_formats.XLSX, base_formats.CSV]
    action_form = AssignActionForm
    actions = ["assign_selected"]
    list_display = [
        "number",
        "category",
        "status",
        "priority",
        "location_display",
        "assignee",
        "resolution_due_at",
        "sla_display",
        "created_at",
    ]
    list_filter = [
        "status",
        SLAFilter,
        "kind",
        "priority",
        "channel",
        ("category", admin.RelatedOnlyFieldListFilter),
        ("assignee", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["category", "assignee", "unit__building", "reporter", "rating"]
    search_fields = ["number", "description", "common_area", "reporter__name"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    inlines = [TicketPhotoInline, TicketEventInline, InternalNoteInline]

    def get_queryset(self, request):
        # By role, not membership (issue #15 item 3): technicians their own, others none.
        from .selectors import staff_ticket_q

        staff_q = staff_ticket_q(request.user)
        queryset = super().get_queryset(request)
        return queryset if staff_q is None else queryset.filter(staff_q)

    readonly_fields = [
        "number",
        "estate",
        "status",
        "assignee",
        "accepted_at",
        "resolution_note",
        "response_due_at",
        "resolution_due_at",
        "responded_at",
        "resolved_at",
        "closed_at",
        "arrival_due_at",
        "arrived_at",
        "hold_reason",
        "on_hold_since",
        "paused_seconds",
        "escalation_level",
        "breached",
        "created_at",
        "version",
    ]
    autocomplete_fields = []
    raw_id_fields = ["reporter", "unit"]

    @admin.display(description=_("location"))
    def location_display(self, obj):
        return obj.location

    @admin.display(description=_("deadline"))
    def sla_display(self, obj):
        state = obj.sla_state(timezone.now())
        if state is None:
            return "—"
        return {SLAState.OVERDUE: _("Overdue"), SLAState.AT_RISK: _("At risk"), SLAState.OK: _("On time")}[
            state
        ]

    def get_fields(self, request, obj=None):
        editable = [
            "category",
            "priority",
            "description",
            "common_area",
            "unit",
            "change_reason",
            "seen_version",
        ]
        if obj is None:
            return ["category", "priority", "channel", "reporter", "unit", "common_area", "description"]
        return [
            "number",
            "estate",
            "status",
            "assignee",
            *editable,
            "channel",
            "reporter",
            "resolution_note",
            "response_due_at",
            "resolution_due_at",
            "responded_at",
            "resolved_at",
            "closed_at",
            "arrival_due_at",
            "arrived_at",
            "hold_reason",
            "on_hold_since",
            "paused_seconds",
            "escalation_level",
            "breached",
            "created_at",
            "version",
        ]

    # --- Workflow from the ticket's page: what the staff member may do now, each a small form
    # below the ticket (templates/admin/tickets/ticket/change_form.html) posting to ``act_view``.

    def get_urls(self):
        return [
            path(
                "<path:object_id>/act/<slug:action>/",
                self.admin_site.admin_view(require_POST(self.act_view)),
                name="tickets_ticket_act",
            ),
            *super().get_urls(),
        ]

    def _workflow(self, request, ticket: Ticket) -> list[dict]:
        roles = selectors.roles_for(request.user, ticket)
        staff_roles = roles & {Role.STAFF}
        forms_ = [
            {
                "action": action,
                "label": Action(action).label,
                "reason": needs_reason(action, staff_roles),
                "assignee": action in (Action.ASSIGN, Action.REASSIGN),
                "hold": action == Action.HOLD,
            }
            for action in selectors.actions_for(request.user, ticket)
            # The staff moves; the technician's own (accept, 退单) are on the worker pages.
            if Role.STAFF in TRANSITIONS[(action, ticket.status)][1] and Role.STAFF in roles
        ]
        if selectors.hold_approval_pending(ticket) and selectors.may_approve_hold(request.user, ticket):
            forms_.append({"action": APPROVE_HOLD, "label": _("Stop the clock for this wait for parts")})
        return forms_

    def change_view(self, request, object_id, form_url="", extra_context=None):
        ticket = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if ticket is not None:
            extra_context.update(
                workflow=self._workflow(request, ticket),
                workflow_assignees=selectors.assignable_staff(request.user, estate_id=ticket.estate_id),
                hold_reasons=HoldReason.choices,
                text_max=TEXT_MAX,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def act_view(self, request, object_id, action):
        ticket = self.get_object(request, object_id)
        if ticket is None or not self.has_view_permission(request, ticket):
            raise Http404
        post = request.POST
        try:
            if action == APPROVE_HOLD:
                services.ticket_hold_approve(ticket=ticket, by=request.user)
            else:
                user_id = post.get("assignee")
                # A tampered or empty choice is "nobody", which the service refuses with a message.
                assignee = (
                    get_user_model().objects.filter(pk=user_id).first() if (user_id or "").isdigit() else None
                )
                version = post.get("version")
                services.ticket_act(
                    ticket=ticket,
                    action=action,
                    by=request.user,
                    expected_version=int(version) if (version or "").isdigit() else -1,
                    reason=post.get("reason", ""),
                    assignee=assignee,
                    hold_reason=post.get("hold_reason", ""),
                )
        except (ValidationError, PermissionDenied) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            self.message_user(request, text or gettext("You may not do that."), messages.ERROR)
        else:
            self.message_user(request, gettext("Done."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:tickets_ticket_change", args=[ticket.pk]))

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.is_final:
            # A finished ticket is the service record: nothing to edit (the service refuses too).
            return [*self.readonly_fields, "channel", "reporter", *services.EDITABLE_FIELDS]
        return [*self.readonly_fields, "channel", "reporter"]

    def has_delete_permission(self, request, obj=None):
        # Tickets are declined or cancelled, never deleted: their history is the service record.
        return request.user.is_superuser

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        form = (
            getattr(response, "context_data", {}).get("action_form")
            if hasattr(response, "context_data")
            else None
        )
        if form is not None and "assignee" in form.fields:
            form.fields["assignee"].queryset = selectors.assignable_staff(request.user)
        return response

    @admin.action(description=_("Assign or hand over selected tickets"), permissions=["change"])
    def assign_selected(self, request, queryset):
        user_id = request.POST.get("assignee")
        technician = get_user_model().objects.filter(pk=user_id).first() if user_id else None
        if technician is None:
            self.message_user(request, _("Choose whom to assign the tickets to."), messages.ERROR)
            return
        done, problems = services.tickets_bulk_assign(
            tickets=list(queryset),
            technician=technician,
            by=request.user,
            reason=request.POST.get("reason", ""),
        )
        if done:
            self.message_user(
                request,
                ngettext("%(n)d ticket assigned.", "%(n)d tickets assigned.", done) % {"n": done},
                messages.SUCCESS,
            )
        for problem in problems:
            self.message_user(request, problem, messages.WARNING)

    def service_save(self, request, form, change):
        data = form.cleaned_data
        if not change:
            return services.ticket_create(
                by=request.user,
                category=data.get("category"),
                description=data.get("description", ""),
                unit=data.get("unit"),
                common_area=data.get("common_area", ""),
                priority=data.get("priority"),
                channel=data.get("channel") or Channel.STAFF,
                reporter=data.get("reporter"),
            )
        ticket = Ticket.objects.get(pk=form.instance.pk)
        changes = {f: data[f] for f in form.changed_data if f in services.EDITABLE_FIELDS}
        if not changes:
            return ticket
        # A form without the version it was loaded at is treated as stale, never as "anything goes".
        seen = data.get("seen_version")
        return services.ticket_update(
            ticket=ticket,
            by=request.user,
            expected_version=-1 if seen is None else seen,
            changes=changes,
            reason=data.get("change_reason", ""),
        )

    def save_formset(self, request, form, formset, change):
        if formset.model is TicketEvent:
            # The admin's change message reads these; notes are written by the service instead.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            for note_form in formset.forms:
                body = (note_form.cleaned_data or {}).get("body") if note_form.has_changed() else ""
                if body:
                    formset.new_objects.append(
                        services.ticket_comment(
                            ticket=form.instance, by=request.user, body=body, internal=True
                        )
                    )
            return
        super().save_formset(request, form, formset, change)


class SLAPolicyInline(admin.TabularInline):
    model = SLAPolicy
    extra = 0


@admin.register(Category)
class CategoryAdmin(ScopedModelAdmin):
    list_display = ["name", "kind", "default_priority", "estate", "is_active", "sort_order"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["estate"]
    search_fields = ["name"]
    inlines = [SLAPolicyInline]


@admin.register(TicketSettings)
class TicketSettingsAdmin(ScopedModelAdmin):
    list_display = ["estate", "auto_close_days", "reopen_days"]
    list_select_related = ["estate"]


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    """Written only by the resident through ``ticket_rate``."""

    list_display = ["ticket", "score", "comment", "created_at"]
    list_filter = ["score"]
    list_select_related = ["ticket"]
