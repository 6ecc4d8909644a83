"""Staff side of the owners' assembly, scoped to the staff member's estates.

Every write goes through ``community.voting.services`` with ``ServiceAdminMixin`` (the service
runs inside the form's validation; a refusal shows on the form, never beside "added
successfully"). Records the platform writes (roll, ballots, results, events) are read-only.
In a secret meeting staff see who took part, never what they chose. Staff key in returned
paper ballots; only a scrutineer (a resident, in the portal) confirms them.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from community.admin_services import ReadOnlyAdminMixin, ReadOnlyInlineMixin, ServiceAdminMixin
from community.residents.models import Resident
from community.scoping import ScopedModelAdmin, staff_scope

from . import exports, selectors, services
from .models import (
    Ballot,
    Choice,
    IdentityDecision,
    Meeting,
    MeetingEvent,
    MeetingStatus,
    Motion,
    MotionAttachment,
    MotionResult,
    PaperBallot,
    ProxyAuthorisation,
    RollCorrection,
    RollEntry,
    RollUnit,
    Scrutineer,
    VotingSettings,
)

MEETING_FILTER_LIMIT = 200


class MeetingFilter(admin.SimpleListFilter):
    """Filter by meeting, offering only the staff member's estates' meetings (the default
    related-field filter would list every estate's meetings)."""

    title = _("meeting")
    parameter_name = "meeting"

    def lookups(self, request, model_admin):
        meetings = staff_scope(Meeting.objects.all(), request.user).order_by("-voting_opens_at")
        return [(m.pk, m.title) for m in meetings[:MEETING_FILTER_LIMIT]]

    def queryset(self, request, queryset):
        if self.value():
            try:
                return queryset.filter(meeting_id=int(self.value()))
            except ValueError:
                return queryset.none()
        return queryset


class AddOnlyServiceAdmin(ServiceAdminMixin, ScopedModelAdmin):
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


# --- Meetings ---------------------------------------------------------------------------------------


class MotionInline(ReadOnlyInlineMixin, admin.TabularInline):
    """Motions are added and edited on their own page (through the services)."""

    model = Motion
    fields = ["position", "title", "matter", "kind_display", "raised_to_special"]

    @admin.display(description=_("kind"))
    def kind_display(self, obj):
        return obj.get_kind_display() if obj and obj.pk else "—"


class MeetingEventInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = MeetingEvent
    fields = ["at", "type", "actor_display", "params"]

    @admin.display(description=_("by"))
    def actor_display(self, obj):
        return obj.actor_display


MEETING_FIELDS = [
    "estate",
    "title",
    "description",
    "convenor",
    "ballot_mode",
    "voting_opens_at",
    "voting_closes_at",
    "proxy_principal_limit",
    "scope_buildings",
]


def _run_per_object(model_admin, request, objects, func, done: str, **kwargs) -> None:
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


@admin.register(Meeting)
class MeetingAdmin(ServiceAdminMixin, ScopedModelAdmin):
    fields = [
        *MEETING_FIELDS,
        "status",
        "notice_published_at",
        "results_published_at",
        "links",
        "duplicates",
        "results",
    ]
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
    inlines = [MotionInline, MeetingEventInline]
    readonly_fields = [
        "status",
        "notice_published_at",
        "results_published_at",
        "links",
        "duplicates",
        "results",
    ]
    actions = [
        "publish_notice",
        "open_voting",
        "close_voting",
        "start_counting",
        "publish_results",
        "cancel_meeting",
    ]

    def get_readonly_fields(self, request, obj=None):
        ro = list(self.readonly_fields)
        if obj is not None and obj.status != MeetingStatus.DRAFT:
            ro += MEETING_FIELDS
        return ro

    def service_save(self, request, form, change):
        data = {f: form.cleaned_data[f] for f in MEETING_FIELDS if f in form.cleaned_data}
        if change:
            data.pop("estate", None)
            return services.meeting_update(meeting=form.instance, by=request.user, **data)
        return services.meeting_create(by=request.user, **data)

    @admin.display(description=_("roll, ballots and exports"))
    def links(self, obj):
        if not obj or not obj.pk:
            return "—"
        q = f"?meeting={obj.pk}"
        items = [
            (reverse("admin:voting_motion_add") + q, gettext("Add a motion")),
            (reverse("admin:voting_rollentry_changelist") + q, gettext("Roll")),
            (reverse("admin:voting_ballot_changelist") + q, gettext("Ballots")),
            (reverse("admin:voting_paperballot_add") + q, gettext("Key in a returned ballot")),
            (reverse("admin:voting_scrutineer_add") + q, gettext("Appoint a scrutineer")),
        ]
        if obj.status in (MeetingStatus.CLOSED, MeetingStatus.COUNTING, MeetingStatus.PUBLISHED):
            items += [
                (reverse("admin:voting_meeting_export", args=[obj.pk, "xlsx"]), "Excel"),
                (reverse("admin:voting_meeting_export", args=[obj.pk, "pdf"]), "PDF"),
            ]
        return format_html_join(" · ", '<a href="{}">{}</a>', items)

    @admin.display(description=_("possible duplicate owners"))
    def duplicates(self, obj):
        if not obj or not obj.pk or obj.status != MeetingStatus.DRAFT:
            return "—"
        groups = services.duplicates_undecided(obj, timezone.localdate())
        if not groups:
            return gettext("None undecided.")
        add = reverse("admin:voting_identitydecision_add")
        return format_html_join(
            format_html("<br>"),
            '<a href="{}?meeting={}&key={}">{}</a> ({})',
            ((add, obj.pk, key, key, ", ".join(map(str, ids))) for key, ids in groups.items()),
        )

    @admin.display(description=_("results"))
    def results(self, obj):
        if not obj or obj.status not in (
            MeetingStatus.CLOSED,
            MeetingStatus.COUNTING,
            MeetingStatus.PUBLISHED,
        ):
            return gettext("Results are computed when voting closes.")
        return render_to_string(
            "portal/voting/_results.html", {"tallies": selectors.published_tally(obj), "meeting": obj}
        )

    def _act(self, request, queryset, func, done: str):
        # Roles are per estate: only meetings of estates where the user may change meetings.
        _run_per_object(self, request, self.scope_for_action(request, queryset), func, done)

    @admin.action(description=_("Publish the notice (freezes the roll)"), permissions=["change"])
    def publish_notice(self, request, queryset):
        self._act(
            request,
            queryset,
            services.meeting_publish_notice,
            gettext("Notice published for %(n)d meeting(s)."),
        )

    @admin.action(description=_("Open voting"), permissions=["change"])
    def open_voting(self, request, queryset):
        self._act(request, queryset, services.meeting_open, gettext("Voting opened for %(n)d meeting(s)."))

    @admin.action(description=_("Close voting and count"), permissions=["change"])
    def close_voting(self, request, queryset):
        self._act(request, queryset, services.meeting_close, gettext("Voting closed for %(n)d meeting(s)."))

    @admin.action(description=_("Start counting paper ballots"), permissions=["change"])
    def start_counting(self, request, queryset):
        self._act(
            request,
            queryset,
            services.meeting_start_counting,
            gettext("Counting started for %(n)d meeting(s)."),
        )

    @admin.action(description=_("Publish the results"), permissions=["change"])
    def publish_results(self, request, queryset):
        self._act(
            request,
            queryset,
            services.meeting_publish_results,
            gettext("Results published for %(n)d meeting(s)."),
        )

    @admin.action(description=_("Cancel the meeting"), permissions=["change"])
    def cancel_meeting(self, request, queryset):
        self._act(request, queryset, services.meeting_cancel, gettext("%(n)d meeting(s) cancelled."))

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
        if meeting.status not in (MeetingStatus.CLOSED, MeetingStatus.COUNTING, MeetingStatus.PUBLISHED):
            raise PermissionDenied
        return exports.export_response(meeting, fmt)


@admin.register(Motion)
class MotionAdmin(ServiceAdminMixin, ScopedModelAdmin):
    fields = ["meeting", "position", "title", "matter", "justification", "text"]
    list_display = ["title", "meeting", "matter", "raised_to_special"]
    list_filter = [MeetingFilter]
    list_select_related = ["meeting"]
    actions = ["raise_to_special"]

    def get_changeform_initial_data(self, request):
        return {"meeting": request.GET.get("meeting")}

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ["meeting"] if obj.meeting.status == MeetingStatus.DRAFT else self.fields
        return []

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "justification" in form.base_fields:
            form.base_fields["justification"].help_text = gettext(
                "Required for matter 9: why the matter is major, and why it is none of matters 6–8 "
                "(raising maintenance funds; rebuilding or altering buildings; changing the use of "
                "common parts or running a business on them), which need three quarters."
            )
        return form

    def service_save(self, request, form, change):
        data = {f: form.cleaned_data[f] for f in ["position", "title", "matter", "justification", "text"]}
        if change:
            return services.motion_update(motion=form.instance, by=request.user, **data)
        return services.motion_create(meeting=form.cleaned_data["meeting"], by=request.user, **data)

    def delete_model(self, request, obj):
        services.motion_delete(motion=obj, by=request.user)

    @admin.action(description=_("Raise to the special majority (three quarters)"), permissions=["change"])
    def raise_to_special(self, request, queryset):
        _run_per_object(
            self,
            request,
            self.scope_for_action(request, queryset),
            services.motion_raise_to_special,
            gettext("%(n)d motion(s) raised."),
            as_="motion",
            reason=gettext("Raised by staff from the admin"),
        )


class VotingSettingsForm(forms.ModelForm):
    class Meta:
        model = VotingSettings
        fields = [
            "estate",
            "parking_spaces_count",
            "blank_is_abstention",
            "non_voters_follow_majority",
            "follow_majority_clause",
            "proxy_principal_limit",
        ]


@admin.register(VotingSettings)
class VotingSettingsAdmin(ServiceAdminMixin, ScopedModelAdmin):
    form = VotingSettingsForm
    list_display = ["estate", "parking_spaces_count", "blank_is_abstention", "non_voters_follow_majority"]
    list_select_related = ["estate"]

    def service_save(self, request, form, change):
        data = dict(form.cleaned_data)
        estate = data.pop("estate")
        return services.voting_settings_save(estate=estate, by=request.user, **data)


@admin.register(MotionAttachment)
class MotionAttachmentAdmin(AddOnlyServiceAdmin):
    add_fields = ["motion", "file", "name"]
    detail_fields = ["motion", "file", "name", "uploaded_at"]
    list_display = ["__str__", "motion", "uploaded_at"]
    list_select_related = ["motion"]
    raw_id_fields = ["motion"]

    def service_save(self, request, form, change):
        data = form.cleaned_data
        return services.motion_attachment_add(
            motion=data["motion"], file=data["file"], name=data.get("name", ""), by=request.user
        )


@admin.register(MeetingEvent)
class MeetingEventAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["at", "meeting", "type", "actor", "system_actor"]
    list_filter = [MeetingFilter, "type"]
    list_select_related = ["meeting", "actor"]


# --- The roll ----------------------------------------------------------------------------------------


class RollUnitInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = RollUnit
    fields = ["label", "usage", "area", "area_source", "not_exclusive_part"]


@admin.register(RollEntry)
class RollEntryAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["name", "meeting", "area", "is_developer", "excluded"]
    list_filter = [MeetingFilter, "excluded", "is_developer"]
    list_select_related = ["meeting"]
    search_fields = ["name", "voter_key"]
    fields = ["meeting", "name", "voter_key", "area", "is_developer", "excluded", "members"]
    inlines = [RollUnitInline]


class RollCorrectionForm(forms.ModelForm):
    roll_unit = forms.ModelChoiceField(
        queryset=RollUnit.objects.none(),
        required=False,
        label=_("unit"),
        widget=forms.NumberInput,
        help_text=_("Roll unit id (area corrections and units that are not exclusive parts)."),
    )
    area = forms.DecimalField(required=False, min_value=0, decimal_places=2, label=_("corrected area (m²)"))
    resident = forms.ModelChoiceField(
        queryset=Resident.objects.none(),
        required=False,
        label=_("resident"),
        widget=forms.NumberInput,
        help_text=_("Resident id, for adding or removing an owner."),
    )
    other_entry = forms.ModelChoiceField(
        queryset=RollEntry.objects.none(),
        required=False,
        label=_("other entry"),
        widget=forms.NumberInput,
        help_text=_("Roll entry id of the same owner set, for a merge."),
    )

    class Meta:
        model = RollCorrection
        fields = ["roll_entry", "kind", "reason", "document", "roll_unit", "area", "resident", "other_entry"]


@admin.register(RollCorrection)
class RollCorrectionAdmin(AddOnlyServiceAdmin):
    form = RollCorrectionForm
    add_fields = RollCorrectionForm.Meta.fields
    detail_fields = ["meeting", "roll_entry", "kind", "reason", "document", "before", "after", "by", "at"]
    list_display = ["meeting", "roll_entry", "kind", "reason", "by", "at"]
    list_select_related = ["meeting", "roll_entry", "by"]
    list_filter = ["kind"]
    raw_id_fields = ["roll_entry"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["fields"] = self.add_fields
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            form.base_fields["roll_unit"].queryset = staff_scope(RollUnit.objects.all(), request.user)
            form.base_fields["resident"].queryset = staff_scope(Resident.objects.all(), request.user)
            form.base_fields["other_entry"].queryset = staff_scope(RollEntry.objects.all(), request.user)
        return form

    def service_save(self, request, form, change):
        data = form.cleaned_data
        return services.roll_correct(
            roll_entry=data["roll_entry"],
            kind=data["kind"],
            reason=data["reason"],
            document=data.get("document"),
            by=request.user,
            roll_unit=data.get("roll_unit"),
            area=data.get("area"),
            resident=data.get("resident"),
            other_entry=data.get("other_entry"),
        )


@admin.register(IdentityDecision)
class IdentityDecisionAdmin(AddOnlyServiceAdmin):
    add_fields = ["meeting", "key", "same_person", "reason"]
    detail_fields = ["meeting", "key", "residents", "same_person", "reason", "by", "at"]
    list_display = ["meeting", "key", "same_person", "by", "at"]
    list_select_related = ["meeting", "by"]

    def get_changeform_initial_data(self, request):
        return {"meeting": request.GET.get("meeting"), "key": request.GET.get("key")}

    def service_save(self, request, form, change):
        data = form.cleaned_data
        return services.identity_decide(
            meeting=data["meeting"],
            key=data["key"],
            same_person=data["same_person"],
            reason=data["reason"],
            by=request.user,
        )


@admin.register(Scrutineer)
class ScrutineerAdmin(AddOnlyServiceAdmin):
    add_fields = ["meeting", "resident"]
    detail_fields = ["meeting", "resident", "appointed_by", "appointed_at"]
    list_display = ["resident", "meeting", "appointed_at"]
    list_select_related = ["resident", "meeting"]
    raw_id_fields = ["resident"]

    def get_changeform_initial_data(self, request):
        return {"meeting": request.GET.get("meeting")}

    def service_save(self, request, form, change):
        data = form.cleaned_data
        return services.scrutineer_appoint(
            meeting=data["meeting"], resident=data["resident"], by=request.user
        )


# --- Proxies and ballots ---------------------------------------------------------------------------


@admin.register(ProxyAuthorisation)
class ProxyAuthorisationAdmin(AddOnlyServiceAdmin):
    add_fields = ["meeting", "principal", "proxy_name", "proxy_key", "document"]
    detail_fields = [
        "meeting",
        "principal",
        "proxy_name",
        "proxy_key",
        "document",
        "created_by",
        "created_at",
        "revoked_at",
        "revoked_by",
    ]
    list_display = ["proxy_name", "proxy_key", "principal", "meeting", "created_at", "revoked_at"]
    list_select_related = ["principal", "meeting"]
    raw_id_fields = ["principal"]
    search_fields = ["proxy_name", "proxy_key"]
    actions = ["revoke"]

    def service_save(self, request, form, change):
        data = form.cleaned_data
        return services.proxy_authorise(
            meeting=data["meeting"],
            principal=data["principal"],
            proxy_name=data["proxy_name"],
            proxy_key=data["proxy_key"],
            document=data["document"],
            by=request.user,
        )

    @admin.action(
        description=_("Revoke the authorisation (the owner's written revocation)"), permissions=["add"]
    )
    def revoke(self, request, queryset):
        _run_per_object(
            self,
            request,
            queryset,
            services.proxy_revoke,
            gettext("%(n)d authorisation(s) revoked."),
            as_="proxy",
        )


def _paper_meeting(request) -> Meeting | None:
    raw = request.POST.get("meeting") or request.GET.get("meeting")
    if not raw or not str(raw).isdigit():
        return None
    return staff_scope(Meeting.objects.all(), request.user).filter(pk=int(raw)).first()


@admin.register(PaperBallot)
class PaperBallotAdmin(AddOnlyServiceAdmin):
    """The front desk keys in a returned ballot: one choice per motion (blank where unmarked)."""

    add_fields = ["meeting", "roll_entry", "proxy", "signer_name", "received_at", "scan"]
    detail_fields = [
        "meeting",
        "roll_entry",
        "proxy",
        "signer_name",
        "received_at",
        "scan",
        "choices",
        "status",
        "entered_by",
        "entered_at",
        "confirmed_by",
        "confirmed_at",
        "rejection_reason",
    ]
    list_display = [
        "signer_name",
        "roll_entry",
        "meeting",
        "received_at",
        "status",
        "entered_by",
        "confirmed_by",
    ]
    list_filter = [MeetingFilter, "status"]
    list_select_related = ["roll_entry", "meeting", "entered_by", "confirmed_by"]
    raw_id_fields = ["roll_entry", "proxy"]

    def get_changeform_initial_data(self, request):
        return {"meeting": request.GET.get("meeting")}

    def get_form(self, request, obj=None, change=False, **kwargs):
        meeting = _paper_meeting(request) if obj is None else None
        if meeting is not None:
            # One field per motion of the meeting, declared on the form so the admin accepts them.
            choices = [("", gettext("Blank (nothing marked)")), *Choice.choices]
            extra = {
                f"motion_{m.pk}": forms.ChoiceField(
                    label=f"{m.position}. {m.title}", choices=choices, required=False
                )
                for m in meeting.motions.order_by("position", "id")
            }
            kwargs["form"] = type("PaperBallotForm", (forms.ModelForm,), extra)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        meeting = _paper_meeting(request) if obj is None else None
        if meeting is not None:
            fields += [
                f"motion_{pk}"
                for pk in meeting.motions.order_by("position", "id").values_list("pk", flat=True)
            ]
        return fields

    def service_save(self, request, form, change):
        data = form.cleaned_data
        choices = {k.removeprefix("motion_"): v for k, v in data.items() if k.startswith("motion_")}
        if not choices:
            raise ValidationError(
                gettext("Open this form from the meeting's page so its motions are listed.")
            )
        return services.paper_ballot_enter(
            meeting=data["meeting"],
            roll_entry=data["roll_entry"],
            proxy=data.get("proxy"),
            signer_name=data["signer_name"],
            received_at=data["received_at"],
            scan=data["scan"],
            choices=choices,
            by=request.user,
        )


@admin.register(Ballot)
class BallotAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
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
    search_fields = ["roll_entry__name"]

    @admin.display(description=_("choice"))
    def choice_shown(self, obj):
        if obj.meeting.is_secret:
            return gettext("(secret)")
        return obj.get_choice_display()

    def get_fields(self, request, obj=None):
        fields = [
            "meeting",
            "seq",
            "motion",
            "roll_entry",
            "channel",
            "proxy",
            "paper",
            "cast_by",
            "cast_at",
            "superseded",
            "prev_hash",
            "hash",
        ]
        if obj is not None and not obj.meeting.is_secret:
            fields.insert(4, "choice")
        return fields

    def lookup_allowed(self, lookup, value, request=None):
        # Django admits any filter on a model's own field from the query string
        # (?choice=agree), which would list who chose what in a secret meeting. Choices and
        # the chain's secrets are never filters.
        if lookup.split("__", 1)[0] in {"choice", "nonce", "receipt_code"}:
            return False
        return super().lookup_allowed(lookup, value, request)


@admin.register(MotionResult)
class MotionResultAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["motion", "quorum_met", "passed", "participating_owners", "total_owners", "computed_at"]
    list_select_related = ["motion"]
