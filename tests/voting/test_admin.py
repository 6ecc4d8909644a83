"""Admin: scoped to the staff member's estates; actions call services; paper/proxy entry; secret
meetings hide choices."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community.accounts.roles import StaffRole
from community.voting import services
from community.voting.models import Ballot, Meeting, ProxyAuthorisation, RollCorrection, RollEntry
from tests.factories import MeetingFactory, StaffFactory, meeting_closed, meeting_open
from tests.voting.helpers import meeting_announced


def test_estate_b_staff_cannot_see_estate_a_meetings(build, staff_a, manager_b, client_for):
    build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    client = client_for(manager_b)
    page = client.get(reverse("admin:voting_meeting_changelist")).content.decode()
    assert meeting.title not in page
    assert client.get(reverse("admin:voting_meeting_change", args=[meeting.pk])).status_code in (
        302,
        403,
        404,
    )
    assert (
        RollEntry.objects.get(meeting=meeting).name
        not in client.get(reverse("admin:voting_rollentry_changelist")).content.decode()
    )
    assert client.get(reverse("admin:voting_meeting_export", args=[meeting.pk, "pdf"])).status_code in (
        403,
        404,
    )
    # Nor in the meeting filter of the ballot list.
    assert meeting.title not in client.get(reverse("admin:voting_ballot_changelist")).content.decode()
    assert (
        client_for(staff_a)
        .get(reverse("admin:voting_ballot_changelist"))
        .content.decode()
        .count(meeting.title)
    )


def test_manager_creates_a_meeting_and_runs_it_through_the_actions(build, staff_a, client_for):
    build.owner()
    client = client_for(staff_a)
    opens = timezone.localtime() + dt.timedelta(days=20)
    data = {
        "estate": build.estate.pk,
        "title": "2027年业主大会",
        "description": "",
        "convenor": "owners_committee",
        "ballot_mode": "named",
        "voting_opens_at_0": opens.strftime("%Y-%m-%d"),
        "voting_opens_at_1": opens.strftime("%H:%M:%S"),
        "voting_closes_at_0": (opens + dt.timedelta(days=3)).strftime("%Y-%m-%d"),
        "voting_closes_at_1": opens.strftime("%H:%M:%S"),
        "proxy_principal_limit": "",
    }
    inlines = {
        f"{prefix}-{k}": v
        for prefix in ("motions", "events")
        for k, v in {
            "TOTAL_FORMS": "0",
            "INITIAL_FORMS": "0",
            "MIN_NUM_FORMS": "0",
            "MAX_NUM_FORMS": "1000",
        }.items()
    }
    response = client.post(reverse("admin:voting_meeting_add"), {**data, **inlines})
    html = response.content.decode()
    assert response.status_code == 200 and "between 5 and 60 days" in html and "successfully" not in html
    assert not Meeting.objects.exists()
    data["voting_closes_at_0"] = (opens + dt.timedelta(days=7)).strftime("%Y-%m-%d")
    response = client.post(reverse("admin:voting_meeting_add"), {**data, **inlines})
    assert response.status_code == 302, response.content.decode()[:3000]
    meeting = Meeting.objects.get(title="2027年业主大会")
    motion = {"meeting": meeting.pk, "position": "1", "title": "小区更名", "matter": "9", "text": "…"}
    response = client.post(reverse("admin:voting_motion_add"), motion)
    assert response.status_code == 200 and "needs a written justification" in response.content.decode()
    response = client.post(reverse("admin:voting_motion_add"), {**motion, "justification": "涉及全体业主"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert meeting.created_by == staff_a and meeting.motions.get().matter == 9
    changelist = reverse("admin:voting_meeting_changelist")
    client.post(changelist, {"action": "publish_notice", "_selected_action": [meeting.pk]})
    meeting.refresh_from_db()
    assert meeting.status == "noticed" and meeting.roll.count() == 1
    assert meeting.events.get(type="notice").actor == staff_a
    response = client.post(
        changelist, {"action": "open_voting", "_selected_action": [meeting.pk]}, follow=True
    )
    assert "not before" in response.content.decode()  # opening early is refused with the reason
    meeting.refresh_from_db()
    assert meeting.status == "noticed"


def test_the_desk_keys_in_a_returned_ballot_through_the_admin(build, staff_a, client_for, media):
    from community.voting.models import PaperBallot
    from tests.voting.conftest import pdf

    build.unit("300.00", developer_owned=True)
    meeting = meeting_open(estate=build.estate, by=staff_a)
    entry = RollEntry.objects.get(meeting=meeting)
    first, second, third = meeting.motions.order_by("position")
    client = client_for(staff_a)
    url = reverse("admin:voting_paperballot_add") + f"?meeting={meeting.pk}"
    form = client.get(url).content.decode()
    assert f'name="motion_{third.pk}"' in form
    received = timezone.localtime(meeting.voting_opens_at + dt.timedelta(hours=1))
    response = client.post(
        url,
        {
            "meeting": meeting.pk,
            "roll_entry": entry.pk,
            "signer_name": "开发商代表",
            "received_at_0": received.strftime("%Y-%m-%d"),
            "received_at_1": received.strftime("%H:%M:%S"),
            "scan": pdf("ballot.pdf"),
            f"motion_{first.pk}": "agree",
            f"motion_{second.pk}": "invalid",
            f"motion_{third.pk}": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    paper = PaperBallot.objects.get()
    assert paper.entered_by == staff_a and paper.status == "pending"
    assert paper.choices == {str(first.pk): "agree", str(second.pk): "invalid", str(third.pk): "blank"}
    assert not Ballot.objects.exists()  # counted only once a scrutineer confirms


def test_proxy_cap_shows_as_a_form_error(build, staff_a, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    for _ in range(4):
        build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    entries = list(RollEntry.objects.filter(meeting=meeting).order_by("pk"))
    client = client_for(staff_a)
    for i, entry in enumerate(entries):
        response = client.post(
            reverse("admin:voting_proxyauthorisation_add"),
            {
                "meeting": meeting.pk,
                "principal": entry.pk,
                "proxy_name": "李四",
                "proxy_key": "420300199001011234",
                "document": SimpleUploadedFile("委托书.pdf", b"%PDF-1.4"),
            },
        )
        if i < 3:
            assert response.status_code == 302
        else:
            assert response.status_code == 200 and "at most 3" in response.content.decode()
    assert ProxyAuthorisation.objects.count() == 3


def test_roll_correction_through_the_admin(build, staff_a, client_for, media):
    from tests.voting.conftest import pdf

    build.owner("100.00")
    meeting = meeting_announced(estate=build.estate, by=staff_a)
    entry = meeting.roll.get()
    client = client_for(staff_a)
    response = client.post(
        reverse("admin:voting_rollcorrection_add"),
        {
            "roll_entry": entry.pk,
            "kind": "area",
            "reason": "按登记簿更正",
            "roll_unit": entry.units.get().pk,
            "area": "95.50",
        },
    )
    assert response.status_code == 200 and "Upload the evidence" in response.content.decode()
    response = client.post(
        reverse("admin:voting_rollcorrection_add"),
        {
            "roll_entry": entry.pk,
            "kind": "area",
            "reason": "按登记簿更正",
            "roll_unit": entry.units.get().pk,
            "area": "95.50",
            "document": pdf("登记簿.pdf"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry.refresh_from_db()
    assert str(entry.area) == "95.50" and RollCorrection.objects.get().by == staff_a


@pytest.mark.parametrize("mode,shown", [("named", True), ("secret", False)])
def test_secret_meeting_hides_choices_from_staff(build, staff_a, client_for, mode, shown):
    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a, ballot_mode=mode)
    ballot = services.ballot_cast_by_owner(user=owner.user, motion=meeting.motions.first(), choice="oppose")
    client = client_for(staff_a)
    # Before publication no staff member sees a named choice either (#15).
    assert "Oppose" not in client.get(reverse("admin:voting_ballot_changelist")).content.decode()
    meeting_closed(meeting, by=staff_a)
    listing = client.get(reverse("admin:voting_ballot_changelist")).content.decode()
    assert owner.name in listing or RollEntry.objects.get(meeting=meeting).name in listing
    assert ("Oppose" in listing) is shown
    detail = client.get(reverse("admin:voting_ballot_change", args=[ballot.pk])).content.decode()
    assert ("Oppose" in detail) is shown


def test_secret_choices_cannot_be_filtered_from_the_query_string(build, staff_a, client_for):
    owner, _ = build.owner()
    other, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a, ballot_mode="secret")
    motion = meeting.motions.first()
    services.ballot_cast_by_owner(user=owner.user, motion=motion, choice="oppose")
    services.ballot_cast_by_owner(user=other.user, motion=motion, choice="agree")
    client = client_for(staff_a)
    url = reverse("admin:voting_ballot_changelist")
    for query in ("choice=oppose", "choice__exact=oppose", "choice__in=oppose", "nonce__startswith=a"):
        response = client.get(f"{url}?meeting={meeting.pk}&{query}")
        # Before: 200 listing only the owner who opposed. Now refused (admin answers 400).
        assert response.status_code == 400, query


def test_a_role_in_another_estate_does_not_allow_running_its_meetings(build, staff_a, client_for, estate_b):
    from community.residents.models import StaffMembership

    # Manager in A, only front desk in B: may see B's meeting, may not publish its notice.
    StaffMembership.objects.create(user=staff_a, estate=estate_b, role=StaffRole.FRONT_DESK)
    other = MeetingFactory(estate=estate_b)
    with pytest.raises(PermissionDenied):  # the service refuses too, not only the admin
        services.motion_create(meeting=other, title="议题", text="…", matter=4, by=staff_a)
    manager_b = StaffFactory(estate=estate_b, role=StaffRole.MANAGER)
    services.motion_create(meeting=other, title="议题", text="…", matter=4, by=manager_b)
    client = client_for(staff_a)
    client.post(
        reverse("admin:voting_meeting_changelist"),
        {"action": "publish_notice", "_selected_action": [other.pk]},
    )
    other.refresh_from_db()
    assert other.status == "draft"


def test_meeting_page_shows_results_and_exports_after_close(build, staff_a, client_for):
    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    services.ballot_cast_by_owner(user=owner.user, motion=meeting.motions.first(), choice="agree")
    meeting_closed(meeting, by=staff_a, publish=False)
    client = client_for(staff_a)
    page = client.get(reverse("admin:voting_meeting_change", args=[meeting.pk])).content.decode()
    assert "data-results" in page
    xlsx = client.get(reverse("admin:voting_meeting_export", args=[meeting.pk, "xlsx"]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_admin_changelists_run_a_constant_number_of_queries(build, staff_a, client_for):
    owner, _ = build.owner()
    meeting_open(estate=build.estate, by=staff_a)
    client = client_for(staff_a)
    urls = [
        reverse("admin:voting_meeting_changelist"),
        reverse("admin:voting_ballot_changelist"),
        reverse("admin:voting_rollentry_changelist"),
        reverse("admin:voting_meetingevent_changelist"),
        reverse("admin:voting_paperballot_changelist"),
    ]

    def counts():
        out = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            out.append(len(ctx))
        return out

    small = counts()
    for _ in range(5):
        build.owner()
    for i in range(4):
        meeting = meeting_open(estate=build.estate, by=staff_a, title=f"M{i}")
        for motion in meeting.motions.all():
            services.ballot_cast_by_owner(user=owner.user, motion=motion, choice="agree")
    MeetingFactory(estate=build.estate)
    assert counts() == small
