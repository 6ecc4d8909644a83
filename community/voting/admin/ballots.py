"""Proxies, returned paper ballots keyed in by the desk, the ballot chain and results (read-only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from community.admin_services import ReadOnlyAdminMixin

from .. import selectors, services
from ..models import (
    Ballot,
    Choice,
    Meeting,
    MotionResult,
    PaperBallot,
    ProxyAuthorisation,
)
from .common import AddOnlyServiceAdmin, MeetingFilter, MeetingFromQueryMixin, VotingAdmin, run_per_object


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
        run_per_object(
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
    return selectors.meetings_for_staff(request.user, selectors.KEY_PAPER).filter(pk=int(raw)).first()


@admin.register(PaperBallot)
class PaperBallotAdmin(MeetingFromQueryMixin, AddOnlyServiceAdmin):
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

    @admin.display(description=_("choices"))
    def choices_hidden(self, obj):
        return gettext("(shown to the person who keyed it until the results are published)")

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
        if obj is not None and not selectors.paper_choices_visible(obj, request.user):
            # Before publication only the person who keyed the sheet reads it here (#15); the
            # scrutineers compare it with the scan in the portal.
            fields = ["choices_hidden" if f == "choices" else f for f in fields]
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
class BallotAdmin(ReadOnlyAdminMixin, VotingAdmin):
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
        if not selectors.choice_visible_to_staff(obj.meeting):
            return gettext("(shown after the results are published)")
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
        if obj is not None and selectors.choice_visible_to_staff(obj.meeting):
            fields.insert(4, "choice")
        return fields

    def lookup_allowed(self, lookup, value, request=None):
        # Django admits any filter on a model's own field from the query string
        # (?choice=agree), which would list who chose what in a secret meeting. Choices and
        # the chain's secrets are never filters.
        if lookup.split("__", 1)[0] in {"choice", "candidates", "nonce", "receipt_code"}:
            return False
        return super().lookup_allowed(lookup, value, request)


@admin.register(MotionResult)
class MotionResultAdmin(ReadOnlyAdminMixin, VotingAdmin):
    list_display = ["motion", "quorum_met", "passed", "participating_owners", "total_owners", "computed_at"]
    list_select_related = ["motion"]
