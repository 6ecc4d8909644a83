"""Portal pages of the owners' assembly (mobile, server-rendered): thin views over selectors and
services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import exports, selectors, services
from .models import OWNER_CHOICES, Choice, MeetingStatus, MotionAttachment, PaperBallot, RollEntry

ROLL_PAGE_SIZE = 50


@login_required
def index(request):
    meetings = (
        selectors.meetings_for_resident(request.user)
        .annotate(
            on_roll=Exists(
                RollEntry.objects.filter(meeting=OuterRef("pk"), excluded=False, members__user=request.user)
            ),
            motion_count=Count("motions", distinct=True),
        )
        .order_by("-voting_opens_at", "-id")
    )
    groups = {"open": [], "upcoming": [], "past": []}
    for meeting in meetings:
        if meeting.status == MeetingStatus.OPEN:
            groups["open"].append(meeting)
        elif meeting.status == MeetingStatus.NOTICED:
            groups["upcoming"].append(meeting)
        else:
            groups["past"].append(meeting)
    return render(request, "portal/voting/index.html", {"groups": groups, "any": any(groups.values())})


def _chosen_entry(entries, raw):
    """The entry the page is for: the one named in the request, else the first."""
    if raw and str(raw).isdigit():
        return next((e for e in entries if e.pk == int(raw)), None)
    return entries[0] if entries else None


@login_required
def detail(request, pk: int):
    meeting = get_object_or_404(selectors.meetings_for_resident(request.user), pk=pk)
    entries = selectors.my_roll_entries(meeting, request.user)
    entry = _chosen_entry(entries, request.GET.get("entry"))
    motions = list(selectors.motions_with_attachments(meeting))
    current = {b.motion_id: b for b in selectors.entry_current_ballots(entry)} if entry else {}
    for motion in motions:
        motion.my_ballot = current.get(motion.pk)
    estate_settings = services.voting_settings_for(meeting.estate_id)
    context = {
        "meeting": meeting,
        "entries": entries,
        "entry": entry,
        "motions": motions,
        "choices": [(c.value, c.label) for c in OWNER_CHOICES],
        "voting_open": selectors.voting_is_open(meeting),
        "settings": estate_settings,
        "blank_is_abstention": estate_settings.blank_is_abstention,
        "scope_buildings": list(meeting.scope_buildings.order_by("name")),
        "scope_entrances": list(meeting.scope_entrances.select_related("building")),
        "not_on_roll_message": services.not_on_roll_message(),
        "tallies": selectors.published_tally(meeting)
        if selectors.results_visible_to_residents(meeting)
        else None,
        "follows_majority": selectors.follows_majority(meeting),
        "is_scrutineer": services.is_scrutineer(meeting, request.user),
        "events": selectors.meeting_events(meeting),
    }
    return render(request, "portal/voting/detail.html", context)


def _refused(request, meeting, message: str):
    return render(request, "portal/voting/refused.html", {"meeting": meeting, "message": message}, status=403)


def _answer(motion, values: list[str]):
    """A motion's answer as posted: one choice, or for an election the ticked candidates
    ("abstain" ticked wins: the owner abstains on the whole list)."""
    if not motion.seats:
        return values[0] if values else ""
    if "abstain" in values:
        return "abstain"
    return [int(v) for v in values if v.isdigit()]


def _confirm_row(motion, answer):
    """(motion, label shown, values to post again) for the confirmation page."""
    if isinstance(answer, list):
        if not answer:
            return motion, None, []
        names = {c.pk: c.name for c in motion.candidates.all()}
        if not set(answer) <= set(names):
            raise ValidationError(_("Choose candidates listed for “%(t)s”.") % {"t": motion.title})
        if len(answer) > motion.seats:
            raise ValidationError(
                _("Choose at most %(n)d candidate(s) for “%(t)s”.") % {"n": motion.seats, "t": motion.title}
            )
        return motion, "、".join(names[pk] for pk in answer), [str(pk) for pk in answer]
    if answer and answer not in OWNER_CHOICES:
        raise ValidationError(_("Choose agree, oppose or abstain."))
    return motion, Choice(answer).label if answer else None, [answer] if answer else []


@login_required
@require_POST
def submit(request, pk: int):
    """The whole ballot: first a confirmation page (unanswered motions shown as they will count),
    then the submission of every motion at once."""
    meeting = get_object_or_404(selectors.meetings_for_resident(request.user), pk=pk)
    entries = selectors.my_roll_entries(meeting, request.user)
    entry = _chosen_entry(entries, request.POST.get("entry"))
    if entry is None:
        return _refused(request, meeting, services.not_on_roll_message())
    motions = list(selectors.motions_with_attachments(meeting))
    choices = {m.pk: _answer(m, request.POST.getlist(f"motion-{m.pk}")) for m in motions}
    if request.POST.get("confirm") != "1":
        try:
            rows = [_confirm_row(m, choices[m.pk]) for m in motions]
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("portal-voting:detail", meeting.pk)
        return render(
            request,
            "portal/voting/confirm.html",
            {
                "meeting": meeting,
                "entry": entry,
                "rows": rows,
                "blank_is_abstention": selectors.blank_is_abstention(meeting),
            },
        )
    try:
        ballots = services.ballot_submit_by_owner(
            user=request.user, meeting=meeting, choices=choices, entry_id=entry.pk
        )
    except PermissionDenied as exc:
        return _refused(request, meeting, str(exc) or services.not_on_roll_message())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("portal-voting:detail", meeting.pk)
    messages.success(
        request,
        _("Your ballot is recorded for every motion (%(n)d). Receipt codes are shown with each motion.")
        % {"n": len(ballots)},
    )
    return redirect(reverse("portal-voting:detail", args=[meeting.pk]) + f"?entry={entry.pk}")


@login_required
def receipt(request):
    code = request.GET.get("code", "").strip()
    ballot = selectors.receipt_lookup(request.user, code) if code else None
    chain_ok = services.ballot_hash(ballot) == ballot.hash if ballot else None
    return render(
        request,
        "portal/voting/receipt.html",
        {"code": code, "ballot": ballot, "chain_ok": chain_ok, "searched": bool(code)},
    )


@login_required
def my_ballots(request, pk: int):
    meeting = get_object_or_404(selectors.meetings_for_resident(request.user), pk=pk)
    history = selectors.my_ballot_history(request.user, meeting=meeting)
    return render(request, "portal/voting/ballots.html", {"meeting": meeting, "ballots": history})


@login_required
def roll(request, pk: int):
    """The roll published for objection (公示): entries, units and areas; names shortened."""
    meeting = get_object_or_404(selectors.meetings_for_resident(request.user), pk=pk)
    total_area, total_owners = selectors.roll_totals(meeting)
    page = Paginator(selectors.roll_for_display(meeting), ROLL_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/voting/roll.html",
        {
            "meeting": meeting,
            "page": page,
            "total_area": total_area,
            "total_owners": total_owners,
            "corrections": selectors.roll_corrections(meeting),
            "parking_counts": services.voting_settings_for(meeting.estate_id).parking_spaces_count,
        },
    )


@login_required
def attachment(request, pk: int):
    item = get_object_or_404(
        MotionAttachment.objects.filter(motion__meeting__in=selectors.meetings_visible_to(request.user)),
        pk=pk,
    )
    return FileResponse(item.file.open("rb"), as_attachment=False, filename=item.file.name.rsplit("/", 1)[-1])


@login_required
def export(request, pk: int, fmt: str):
    meeting = get_object_or_404(selectors.meetings_for_resident(request.user), pk=pk)
    if not selectors.results_visible_to_residents(meeting):
        raise Http404(_("The results are not published yet."))
    return exports.export_response(meeting, fmt)


@login_required
def scrutiny(request, pk: int):
    """A scrutineer's page: returned ballots keyed in by the office, waiting for confirmation."""
    meeting = get_object_or_404(selectors.meetings_for_resident(request.user), pk=pk)
    if not services.is_scrutineer(meeting, request.user):
        raise Http404(_("You are not a scrutineer of this meeting."))
    motions = list(meeting.motions.order_by("position", "id"))
    pending = list(selectors.paper_ballots_pending(meeting))
    for paper in pending:
        paper.rows = [(m, Choice(paper.choices.get(str(m.pk), Choice.BLANK)).label) for m in motions]
    return render(request, "portal/voting/scrutiny.html", {"meeting": meeting, "pending": pending})


@login_required
@require_POST
def scrutinise(request, pk: int):
    """Confirm or reject one keyed ballot (the scrutineer compares it with the scan)."""
    paper = get_object_or_404(
        PaperBallot.objects.select_related("meeting").filter(
            meeting__in=selectors.meetings_for_resident(request.user)
        ),
        pk=pk,
    )
    try:
        if request.POST.get("decision") == "reject":
            services.paper_ballot_reject(paper=paper, reason=request.POST.get("reason", ""), by=request.user)
            messages.success(request, _("The ballot is rejected and stays on record, uncounted."))
        else:
            services.paper_ballot_confirm(paper=paper, by=request.user)
            messages.success(request, _("The ballot is confirmed and counted."))
    except PermissionDenied as exc:
        return _refused(request, paper.meeting, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("portal-voting:scrutiny", paper.meeting_id)


@login_required
def scan(request, pk: int):
    """The scan of a returned ballot, for the meeting's scrutineers."""
    paper = get_object_or_404(PaperBallot.objects.select_related("meeting"), pk=pk)
    if not services.is_scrutineer(paper.meeting, request.user):
        raise Http404
    return FileResponse(paper.scan.open("rb"), filename=paper.scan.name.rsplit("/", 1)[-1])
