"""Meetings, motions, candidates, attachments, the estate's settings and the meeting's event log.

One module (just over ~400 lines) because these admins link to each other's pages and share
the meeting form's scope fields; each is thin over ``voting.services``."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from community.admin_services import ReadOnlyAdminMixin, ReadOnlyInlineMixin, ServiceAdminMixin
from community.residents.models import Unit

from .. import exports, selectors, services
from ..models import (
    Candidate,
    Meeting,
    MeetingEvent,
    MeetingStatus,
    Motion,
    MotionAttachment,
    VotingSettings,
)
from .common import (
    AddOnlyServiceAdmin,
    MeetingFilter,
    MeetingFromQueryMixin,
    VotingAdmin,
    meeting_action,
    run_per_object,
)


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


MEETING_FIELDS = ["estate", *services.meetings.MEETING_FIELDS]
ENTRANCE_CHOICES_MAX = 2000


def _entrance_value(building_id: int, entrance: str) -> str:
    return f"{building_id}:{entrance}"


class MeetingForm(forms.ModelForm):
    """The scope by entrance (单元) is chosen from the entrances that have units, since an
    entrance is not a row of its own."""

    scope_entrances = forms.MultipleChoiceField(
        label=_("entrances in scope"),
        required=False,
        help_text=_("With the buildings above: leave both empty for the whole estate."),
    )

    class Meta:
        model = Meeting
        fields = [f for f in MEETING_FIELDS if f != "scope_entrances"]

    def clean_scope_entrances(self):
        pairs = []
        for value in self.cleaned_data.get("scope_entrances") or []:
            building_id, _sep, entrance = value.partition(":")
            pairs.append((int(building_id), entrance))
        return pairs


@admin.register(Meeting)
class MeetingAdmin(ServiceAdminMixin, VotingAdmin):
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

    form = MeetingForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "scope_entrances" in form.base_fields:
            estates = selectors.staff_estates(request.user, "voting.change_meeting")
            units = Unit.objects.exclude(entrance="")
            if estates is not None:
                units = units.filter(building__estate_id__in=estates)
            if obj is not None:
                units = units.filter(building__estate_id=obj.estate_id)
            pairs = (
                units.order_by("building__estate__name", "building__name", "entrance")
                .values_list("building_id", "building__estate__name", "building__name", "entrance")
                .distinct()[:ENTRANCE_CHOICES_MAX]
            )
            # A new field per form class: the declared one is shared by every request's class.
            field = form.base_fields["scope_entrances"] = forms.MultipleChoiceField(
                label=MeetingForm.base_fields["scope_entrances"].label,
                help_text=MeetingForm.base_fields["scope_entrances"].help_text,
                required=False,
                choices=[
                    (_entrance_value(b, e), f"{estate} · {name}-{e}单元") for b, estate, name, e in pairs
                ],
            )
            if obj is not None:
                field.initial = [
                    _entrance_value(b, e)
                    for b, e in obj.scope_entrances.values_list("building_id", "entrance")
                ]
        return form

    def get_readonly_fields(self, request, obj=None):
        ro = list(self.readonly_fields)
        if obj is not None and obj.status != MeetingStatus.DRAFT:
            ro += [f for f in MEETING_FIELDS if f != "scope_entrances"] + ["entrances_in_scope"]
        return ro

    def get_fields(self, request, obj=None):
        fields = list(self.fields)
        if obj is not None and obj.status != MeetingStatus.DRAFT:
            fields = [("entrances_in_scope" if f == "scope_entrances" else f) for f in fields]
        return fields

    @admin.display(description=_("entrances in scope"))
    def entrances_in_scope(self, obj):
        return "、".join(str(e) for e in obj.scope_entrances.select_related("building")) or "—"

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

    publish_notice = meeting_action(
        "publish_notice",
        services.meeting_publish_notice,
        _("Publish the notice (freezes the roll)"),
        _("Notice published for %(n)d meeting(s)."),
    )
    open_voting = meeting_action(
        "open_voting", services.meeting_open, _("Open voting"), _("Voting opened for %(n)d meeting(s).")
    )
    close_voting = meeting_action(
        "close_voting",
        services.meeting_close,
        _("Close voting and count"),
        _("Voting closed for %(n)d meeting(s)."),
    )
    start_counting = meeting_action(
        "start_counting",
        services.meeting_start_counting,
        _("Start counting paper ballots"),
        _("Counting started for %(n)d meeting(s)."),
    )
    publish_results = meeting_action(
        "publish_results",
        services.meeting_publish_results,
        _("Publish the results"),
        _("Results published for %(n)d meeting(s)."),
    )
    cancel_meeting = meeting_action(
        "cancel_meeting", services.meeting_cancel, _("Cancel the meeting"), _("%(n)d meeting(s) cancelled.")
    )

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
        meeting = get_object_or_404(selectors.meetings_for_staff(request.user), pk=pk)
        if meeting.status not in (MeetingStatus.CLOSED, MeetingStatus.COUNTING, MeetingStatus.PUBLISHED):
            raise PermissionDenied
        return exports.export_response(meeting, fmt)


@admin.register(Motion)
class MotionAdmin(MeetingFromQueryMixin, ServiceAdminMixin, VotingAdmin):
    fields = ["meeting", "position", "title", "matter", "seats", "justification", "text", "candidate_links"]
    readonly_fields = ["candidate_links"]
    list_display = ["title", "meeting", "matter", "seats", "raised_to_special"]
    list_filter = [MeetingFilter]
    list_select_related = ["meeting"]
    actions = ["raise_to_special"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return (
                ["meeting", "candidate_links"] if obj.meeting.status == MeetingStatus.DRAFT else self.fields
            )
        return ["candidate_links"]

    @admin.display(description=_("candidates"))
    def candidate_links(self, obj):
        if not obj or not obj.pk or not obj.is_election:
            return "—"
        names = "、".join(c.name for c in obj.candidates.all()) or gettext("none yet")
        add = reverse("admin:voting_candidate_add") + f"?motion={obj.pk}"
        return format_html('{} · <a href="{}">{}</a>', names, add, gettext("Add a candidate"))

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
        data = {
            f: form.cleaned_data[f] for f in ["position", "title", "matter", "seats", "justification", "text"]
        }
        if change:
            return services.motion_update(motion=form.instance, by=request.user, **data)
        return services.motion_create(meeting=form.cleaned_data["meeting"], by=request.user, **data)

    def delete_model(self, request, obj):
        services.motion_delete(motion=obj, by=request.user)

    @admin.action(description=_("Raise to the special majority (three quarters)"), permissions=["change"])
    def raise_to_special(self, request, queryset):
        run_per_object(
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
class VotingSettingsAdmin(ServiceAdminMixin, VotingAdmin):
    form = VotingSettingsForm
    list_display = ["estate", "parking_spaces_count", "blank_is_abstention", "non_voters_follow_majority"]
    list_select_related = ["estate"]

    def service_save(self, request, form, change):
        data = dict(form.cleaned_data)
        estate = data.pop("estate")
        return services.voting_settings_save(estate=estate, by=request.user, **data)


@admin.register(Candidate)
class CandidateAdmin(AddOnlyServiceAdmin):
    """Candidates of an election, put on the list before the notice (through the service)."""

    add_fields = ["motion", "name", "statement", "position"]
    detail_fields = ["motion", "name", "statement", "position"]
    list_display = ["name", "motion", "position"]
    list_select_related = ["motion"]
    raw_id_fields = ["motion"]

    def get_changeform_initial_data(self, request):
        return {**super().get_changeform_initial_data(request), "motion": request.GET.get("motion")}

    def service_save(self, request, form, change):
        data = form.cleaned_data
        return services.candidate_add(
            motion=data["motion"],
            name=data["name"],
            statement=data.get("statement", ""),
            position=data.get("position"),
            by=request.user,
        )


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
class MeetingEventAdmin(ReadOnlyAdminMixin, VotingAdmin):
    list_display = ["at", "meeting", "type", "actor", "system_actor"]
    list_filter = [MeetingFilter, "type"]
    list_select_related = ["meeting", "actor"]
