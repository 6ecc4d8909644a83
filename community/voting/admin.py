"""Staff side of the owners' assembly, scoped to the staff member's estates.

Every write goes through community.voting.services. Add forms for ballots, proxies, roll
corrections and attachments call the service in ``clean()``, so a refusal (closed meeting, proxy
cap, …) shows as a form error instead of a 500; the admin view's transaction keeps it atomic.
In a secret meeting staff see who took part, never what they chose.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from community.scoping import ScopedModelAdmin, staff_scope

from . import exports, selectors, services
from .models import (
    Ballot,
    Channel,
    Meeting,
    MeetingStatus,
    Motion,
    MotionAttachment,
    MotionResult,
    ProxyAuthorisation,
    RollCorrection,
    RollEntry,
    RollUnit,
    VotingSettings,
)


class MeetingFilter(admin.SimpleListFilter):
    """Filter by meeting, offering only the staff member's estates' meetings (the default
    related-field filter would list every estate's meetings)."""

    title = _("meeting")
    parameter_name = "meeting"

    def lookups(self, request, model_admin):
        meetings = staff_scope(Meeting.objects.all(), request.user).order_by("-voting_opens_at")[:200]
        return [(m.pk, m.title) for m in meetings]

    def queryset(self, request, queryset):
        if self.value():
            try:
                return queryset.filter(meeting_id=int(self.value()))
            except ValueError:
                return queryset.none()
        return queryset


class _ServiceForm(forms.ModelForm):
    """A ModelForm whose clean() performs the write through a service (``perform``)."""

    current_user = None

    def perform(self, data):  # pragma: no cover - overridden
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.instance = self.perform(data)
        except ValidationError as exc:
            raise forms.ValidationError(
                exc.messages
                if not hasattr(exc, "error_dict")
                else [m for msgs in exc.message_dict.values() for m in msgs]
            ) from exc
        except PermissionDenied as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data

    def save(self, commit=True):
        return self.instance

    def save_m2m(self):
        pass  # the service wrote the relations too


class _ServiceAdmin(ScopedModelAdmin):
    """Add-only through a _ServiceForm; existing rows are read-only records."""

    add_form: type[_ServiceForm]
    detail_fields: list[str] = []

    def get_fields(self, request, obj=None):
        return list(self.add_form.Meta.fields) if obj is None else list(self.detail_fields)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = type(self.add_form.__name__, (self.add_form,), {"current_user": request.user})
            kwargs["fields"] = self.add_form.Meta.fields
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": self.add_form.Meta.fields})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        pass  # the service already wrote it in form.clean()

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Meetings ---------------------------------------------------------------------------------------


class MotionInline(admin.StackedInline):
    model = Motion
    extra = 0
    fields = ["position", "title", "matter", "kind_display", "text"]
    readonly_fields = ["kind_display"]

    @admin.display(description=_("kind"))
    def kind_display(self, obj):
        return obj.get_kind_display() if obj and obj.pk else "—"

    def _editable(self, obj):
        return obj is None or obj.status == MeetingStatus.DRAFT

    def get_readonly_fields(self, request, obj=None):
        if self._editable(obj):
            return self.readonly_fields
        return self.fields

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class MeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = [
            "estate",
            "title",
            "description",
            "convenor",
            "ballot_mode",
            "voting_opens_at",
            "voting_closes_at",
            "proxy_principal_limit",
        ]

    def clean(self):
        data = super().clean()
        if self.instance.pk and self.instance.status != MeetingStatus.DRAFT:
            raise forms.ValidationError(
                gettext("The meeting cannot be changed after the notice is published.")
            )
        if data.get("voting_opens_at") and data.get("voting_closes_at"):
            errors = services.meeting_schedule_errors(
                voting_opens_at=data["voting_opens_at"],
                voting_closes_at=data["voting_closes_at"],
                notice_at=None,
            )
            for name, msgs in errors.items():
                self.add_error(name, msgs)
        return data


@admin.register(Meeting)
class MeetingAdmin(ScopedModelAdmin):
    form = MeetingForm
    list_display = [
        "title",
        "estate",
        "status",
        "ballot_mode",
        "notice_published_at",
        "voting_opens_at",
        "voting_closes_at",
        "results_published_at",
    ]
    list_filter = ["status", "ballot_mode", "convenor"]
    list_select_related = ["estate"]
    search_fields = ["title"]
    inlines = [MotionInline]
    readonly_fields = ["status", "notice_published_at", "results_published_at", "links", "results"]
    actions = ["publish_notice", "open_voting", "close_voting", "publish_results", "cancel_meeting"]

    def get_readonly_fields(self, request, obj=None):
        ro = list(self.readonly_fields)
        if obj is not None and obj.status != MeetingStatus.DRAFT:
            ro += MeetingForm.Meta.fields
        return ro

    @admin.display(description=_("roll, ballots and exports"))
    def links(self, obj):
        if not obj or not obj.pk:
            return "—"
        roll = reverse("admin:voting_rollentry_changelist") + f"?meeting={obj.pk}"
        ballots = reverse("admin:voting_ballot_changelist") + f"?meeting={obj.pk}"
        html = format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>', roll, gettext("Roll"), ballots, gettext("Ballots")
        )
        if obj.status in (MeetingStatus.CLOSED, MeetingStatus.PUBLISHED):
            html += format_html(
                ' · <a href="{}">Excel</a> · <a href="{}">PDF</a>',
                reverse("admin:voting_meeting_export", args=[obj.pk, "xlsx"]),
                reverse("admin:voting_meeting_export", args=[obj.pk, "pdf"]),
            )
        return html

    @admin.display(description=_("results"))
    def results(self, obj):
        if not obj or obj.status not in (MeetingStatus.CLOSED, MeetingStatus.PUBLISHED):
            return gettext("Results are computed when voting closes.")
        return render_to_string(
            "portal/voting/_results.html", {"tallies": selectors.published_tally(obj), "meeting": obj}
        )

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in MeetingForm.Meta.fields if f in form.cleaned_data}
        if change:
            data.pop("estate", None)
            services.meeting_update(meeting=obj, **data)
        else:
            created = services.meeting_create(by=request.user, **data)
            obj.pk = obj.id = created.pk
            obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        if formset.model is not Motion:
            return super().save_formset(request, form, formset, change)
        meeting = form.instance
        instances = formset.save(commit=False)
        for motion in formset.deleted_objects:
            services.motion_delete(motion=motion)
        for motion in instances:
            fields = {
                "title": motion.title,
                "text": motion.text,
                "matter": motion.matter,
                "position": motion.position,
            }
            if motion.pk:
                services.motion_update(motion=motion, **fields)
            else:
                services.motion_create(meeting=meeting, **fields)

    def _run(self, request, queryset, func, done: str):
        ok = 0
        # Roles are per estate: only meetings of estates where the user may change meetings.
        for meeting in self.scope_for_action(request, queryset):
            try:
                func(meeting=meeting, by=request.user)
                ok += 1
            except ValidationError as exc:
                self.message_user(request, f"{meeting}: {' '.join(exc.messages)}", messages.ERROR)
        if ok:
            self.message_user(request, done % {"n": ok}, messages.SUCCESS)

    @admin.action(description=_("Publish the notice (freezes the roll)"), permissions=["change"])
    def publish_notice(self, request, queryset):
        self._run(
            request,
            queryset,
            services.meeting_publish_notice,
            gettext("Notice published for %(n)d meeting(s)."),
        )

    @admin.action(description=_("Open voting"), permissions=["change"])
    def open_voting(self, request, queryset):
        self._run(request, queryset, services.meeting_open, gettext("Voting opened for %(n)d meeting(s)."))

    @admin.action(description=_("Close voting and count"), permissions=["change"])
    def close_voting(self, request, queryset):
        self._run(request, queryset, services.meeting_close, gettext("Voting closed for %(n)d meeting(s)."))

    @admin.action(description=_("Publish the results"), permissions=["change"])
    def publish_results(self, request, queryset):
        self._run(
            request,
            queryset,
            services.meeting_publish_results,
            gettext("Results published for %(n)d meeting(s)."),
        )

    @admin.action(description=_("Cancel the meeting"), permissions=["change"])
    def cancel_meeting(self, request, queryset):
        self._run(request, queryset, services.meeting_cancel, gettext("%(n)d meeting(s) cancelled."))

    def get_urls(self):
        return [
            path(
                "<int:pk>/export.<str:fmt>",
                self.admin_site.admin_view(self.export_view),
                name="voting_meeting_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request, pk: int, fmt: str):
        if not self.has_view_permission(request):
            raise PermissionDenied
        meeting = get_object_or_404(staff_scope(Meeting.objects.all(), request.user), pk=pk)
        if meeting.status not in (MeetingStatus.CLOSED, MeetingStatus.PUBLISHED):
            raise PermissionDenied
        return exports.export_response(meeting, fmt)


@admin.register(VotingSettings)
class VotingSettingsAdmin(ScopedModelAdmin):
    list_display = ["estate", "non_voters_follow_majority", "proxy_principal_limit"]
    list_select_related = ["estate"]


class MotionAttachmentForm(_ServiceForm):
    class Meta:
        model = MotionAttachment
        fields = ["motion", "file", "name"]

    def perform(self, data):
        return services.motion_attachment_add(
            motion=data["motion"], file=data["file"], name=data.get("name", "")
        )


@admin.register(MotionAttachment)
class MotionAttachmentAdmin(_ServiceAdmin):
    add_form = MotionAttachmentForm
    detail_fields = ["motion", "file", "name", "uploaded_at"]
    list_display = ["__str__", "motion", "uploaded_at"]
    list_select_related = ["motion"]
    raw_id_fields = ["motion"]


# --- The roll ----------------------------------------------------------------------------------------


class RollUnitInline(admin.TabularInline):
    model = RollUnit
    extra = 0
    fields = ["label", "usage", "area", "area_source"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RollEntry)
class RollEntryAdmin(ScopedModelAdmin):
    list_display = ["name", "meeting", "area", "is_developer", "excluded"]
    list_filter = [MeetingFilter, "excluded", "is_developer"]
    list_select_related = ["meeting"]
    search_fields = ["name", "voter_key"]
    fields = ["meeting", "name", "voter_key", "area", "is_developer", "excluded", "members"]
    readonly_fields = fields
    inlines = [RollUnitInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RollCorrectionForm(_ServiceForm):
    roll_unit = forms.ModelChoiceField(
        queryset=RollUnit.objects.all(),
        required=False,
        label=_("unit"),
        widget=forms.NumberInput,
        help_text=_("Roll unit id (area corrections)."),
    )
    area = forms.DecimalField(required=False, min_value=0, decimal_places=2, label=_("corrected area (m²)"))
    resident = forms.IntegerField(
        required=False, label=_("resident id"), help_text=_("For adding or removing an owner.")
    )

    class Meta:
        model = RollCorrection
        fields = ["roll_entry", "kind", "reason", "roll_unit", "area", "resident"]

    def perform(self, data):
        from community.residents.models import Resident

        resident = None
        if data.get("resident"):
            resident = (
                staff_scope(Resident.objects.all(), self.current_user).filter(pk=data["resident"]).first()
            )
            if resident is None:
                raise ValidationError(gettext("No such resident in your estates."))
        entry = data["roll_entry"]
        return services.roll_correct(
            roll_entry=entry,
            kind=data["kind"],
            reason=data["reason"],
            by=self.current_user,
            roll_unit=data.get("roll_unit"),
            area=data.get("area"),
            resident=resident,
        )


@admin.register(RollCorrection)
class RollCorrectionAdmin(_ServiceAdmin):
    add_form = RollCorrectionForm
    detail_fields = ["meeting", "roll_entry", "kind", "reason", "before", "after", "by", "at"]
    list_display = ["meeting", "roll_entry", "kind", "reason", "by", "at"]
    list_select_related = ["meeting", "roll_entry", "by"]
    list_filter = ["kind"]
    raw_id_fields = ["roll_entry"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            form.base_fields["roll_unit"].queryset = staff_scope(RollUnit.objects.all(), request.user)
        return form


# --- Proxies and ballots ---------------------------------------------------------------------------


class ProxyAuthorisationForm(_ServiceForm):
    class Meta:
        model = ProxyAuthorisation
        fields = ["meeting", "principal", "proxy_name", "proxy_key", "document"]

    def perform(self, data):
        return services.proxy_authorise(
            meeting=data["meeting"],
            principal=data["principal"],
            proxy_name=data["proxy_name"],
            proxy_key=data["proxy_key"],
            document=data["document"],
            by=self.current_user,
        )


@admin.register(ProxyAuthorisation)
class ProxyAuthorisationAdmin(_ServiceAdmin):
    add_form = ProxyAuthorisationForm
    detail_fields = [
        "meeting",
        "principal",
        "proxy_name",
        "proxy_key",
        "document",
        "created_by",
        "created_at",
    ]
    list_display = ["proxy_name", "proxy_key", "principal", "meeting", "created_at"]
    list_select_related = ["principal", "meeting"]
    raw_id_fields = ["principal"]
    search_fields = ["proxy_name", "proxy_key"]


class BallotForm(_ServiceForm):
    """Paper and proxy ballots entered at the office."""

    class Meta:
        model = Ballot
        fields = ["motion", "roll_entry", "choice", "channel", "proxy"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [
            (Channel.PAPER, Channel.PAPER.label),
            (Channel.PROXY, Channel.PROXY.label),
        ]

    def perform(self, data):
        return services.ballot_cast(
            motion=data["motion"],
            roll_entry=data["roll_entry"],
            choice=data["choice"],
            channel=data["channel"],
            proxy=data.get("proxy"),
            by=self.current_user,
        )


@admin.register(Ballot)
class BallotAdmin(_ServiceAdmin):
    add_form = BallotForm
    list_display = [
        "seq",
        "meeting",
        "motion",
        "roll_entry",
        "choice_shown",
        "channel",
        "cast_at",
        "superseded",
    ]
    list_filter = [MeetingFilter, "channel", "superseded"]
    list_select_related = ["meeting", "motion", "roll_entry"]
    raw_id_fields = ["motion", "roll_entry", "proxy"]
    search_fields = ["roll_entry__name"]

    @admin.display(description=_("choice"))
    def choice_shown(self, obj):
        if obj.meeting.is_secret:
            return gettext("(secret)")
        return obj.get_choice_display()

    def get_fields(self, request, obj=None):
        if obj is None:
            return list(BallotForm.Meta.fields)
        fields = [
            "meeting",
            "seq",
            "motion",
            "roll_entry",
            "channel",
            "proxy",
            "cast_by",
            "cast_at",
            "superseded",
            "prev_hash",
            "hash",
        ]
        if not obj.meeting.is_secret:
            fields.insert(4, "choice")
        return fields

    def lookup_allowed(self, lookup, value, request=None):
        # Django admits any filter on a model's own field from the query string
        # (?choice=agree), which would list who chose what in a secret meeting. Choices and
        # the chain's secrets are never filters.
        if lookup.split("__", 1)[0] in {"choice", "nonce", "receipt_code"}:
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_search_fields(self, request):
        return self.search_fields

    def get_list_display(self, request):
        return self.list_display


@admin.register(MotionResult)
class MotionResultAdmin(ScopedModelAdmin):
    list_display = ["motion", "quorum_met", "passed", "participating_owners", "total_owners", "computed_at"]
    list_select_related = ["motion"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
