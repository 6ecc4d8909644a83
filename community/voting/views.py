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
from .models import Choice, MeetingStatus, Motion, MotionAttachment, RollEntry


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


@login_required
def detail(request, pk: int):
    meeting = get_object_or_404(selectors.meetings_for_resident(request.user), pk=pk)
    entry = selectors.my_roll_entry(meeting, request.user)
    motions = list(selectors.motions_with_attachments(meeting))
    current = (
        {b.motion_id: b for b in selectors.my_current_ballots(request.user, meeting=meeting)} if entry else {}
    )
    for motion in motions:
        motion.my_ballot = current.get(motion.pk)
    context = {
        "meeting": meeting,
        "entry": entry,
        "motions": motions,
        "choices": Choice.choices,
        "voting_open": selectors.voting_is_open(meeting),
        "not_on_roll_message": services.not_on_roll_message(),
        "tallies": selectors.published_tally(meeting)
        if selectors.results_visible_to_residents(meeting)
        else None,
    }
    return render(request, "portal/voting/detail.html", context)


@login_required
@require_POST
def vote(request, pk: int):
    motion = get_object_or_404(
        Motion.objects.select_related("meeting").filter(
            meeting__in=selectors.meetings_for_resident(request.user)
        ),
        pk=pk,
    )
    try:
        ballot = services.ballot_cast_by_owner(
            user=request.user, motion=motion, choice=request.POST.get("choice", "")
        )
    except PermissionDenied as exc:
        return render(
            request,
            "portal/voting/refused.html",
            {"meeting": motion.meeting, "message": str(exc) or services.not_on_roll_message()},
            status=403,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("portal-voting:detail", motion.meeting_id)
    messages.success(
        request,
        _("Your vote on “%(motion)s” is recorded. Receipt code: %(code)s")
        % {"motion": motion.title, "code": ballot.receipt_code},
    )
    return redirect(reverse("portal-voting:detail", args=[motion.meeting_id]) + f"#motion-{motion.pk}")


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
    page = Paginator(selectors.roll_for_display(meeting), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/voting/roll.html",
        {"meeting": meeting, "page": page, "total_area": total_area, "total_owners": total_owners},
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
