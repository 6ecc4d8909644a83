"""Who may see and do what in the counting stage: other estates' staff see nothing, residents who
are not the meeting's scrutineers confirm nothing, and the scrutiny page's queries do not grow
with the number of ballots waiting."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community.errors import NotAllowed
from community.voting import services
from community.voting.models import Ballot, PaperBallot, RollEntry
from tests.factories import meeting_open
from tests.voting.conftest import pdf


@pytest.fixture
def counting(build, staff_a, media):
    owners = [build.owner("100.00")[0] for _ in range(3)]
    scrutineer = build.owner("10.00")[0]
    meeting = meeting_open(estate=build.estate, by=staff_a, motions=(("续聘物业", 4),))
    services.scrutineer_appoint(meeting=meeting, resident=scrutineer, by=staff_a)
    services.meeting_close(meeting=meeting, by=staff_a, now=meeting.voting_closes_at)
    services.meeting_start_counting(meeting=meeting, by=staff_a)
    return {"meeting": meeting, "owners": owners, "scrutineer": scrutineer}


def _key_in(meeting, owner, by):
    entry = RollEntry.objects.get(meeting=meeting, members=owner)
    at = meeting.voting_opens_at + dt.timedelta(hours=1)
    return services.paper_ballot_enter(
        meeting=meeting,
        roll_entry=entry,
        signer_name=owner.name,
        received_at=at,
        scan=pdf("ballot.pdf"),
        choices={meeting.motions.get().pk: "agree"},
        by=by,
    )


def test_other_estates_staff_see_no_counting_records(counting, staff_a, manager_b, client_for):
    paper = _key_in(counting["meeting"], counting["owners"][0], staff_a)
    client = client_for(manager_b)
    for name in ("paperballot", "scrutineer", "meetingevent", "identitydecision"):
        page = client.get(reverse(f"admin:voting_{name}_changelist"))
        assert page.status_code in (200, 403)
        assert counting["meeting"].title not in page.content.decode()
    assert client.get(reverse("admin:voting_paperballot_change", args=[paper.pk])).status_code in (
        302,
        403,
        404,
    )
    # Nor can they key in a ballot for estate A's meeting by posting its ids.
    response = client.post(
        reverse("admin:voting_paperballot_add") + f"?meeting={counting['meeting'].pk}",
        {"meeting": counting["meeting"].pk, "roll_entry": paper.roll_entry_id, "signer_name": "x"},
    )
    assert response.status_code in (200, 403)
    assert PaperBallot.objects.count() == 1


def test_only_this_meetings_scrutineers_confirm_and_see_the_scans(counting, staff_a, client_for, household_b):
    meeting = counting["meeting"]
    paper = _key_in(meeting, counting["owners"][0], staff_a)
    not_scrutineer = counting["owners"][1]
    client = client_for(not_scrutineer.user)
    assert client.get(reverse("portal-voting:scrutiny", args=[meeting.pk])).status_code == 404
    assert client.get(reverse("portal-voting:scan", args=[paper.pk])).status_code == 404
    assert client.post(reverse("portal-voting:scrutinise", args=[paper.pk])).status_code == 403
    other_estate = client_for(household_b[0])
    assert other_estate.post(reverse("portal-voting:scrutinise", args=[paper.pk])).status_code == 404
    assert not Ballot.objects.exists()
    # A scrutineer of another meeting of the same estate is no scrutineer here.
    second = meeting_open(estate=meeting.estate, by=staff_a, title="第二次会议", motions=(("选举", 3),))
    services.scrutineer_appoint(meeting=second, resident=not_scrutineer, by=staff_a)
    with pytest.raises(NotAllowed, match="Only a scrutineer"):
        services.paper_ballot_confirm(paper=paper, by=not_scrutineer.user)
    scrutineer = client_for(counting["scrutineer"].user)
    assert scrutineer.get(reverse("portal-voting:scan", args=[paper.pk])).status_code == 200
    scrutineer.post(reverse("portal-voting:scrutinise", args=[paper.pk]), {"decision": "confirm"})
    paper.refresh_from_db()
    assert paper.status == "confirmed" and paper.confirmed_by == counting["scrutineer"].user


def test_a_rejected_ballot_stays_on_record_uncounted(counting, staff_a, client_for):
    paper = _key_in(counting["meeting"], counting["owners"][0], staff_a)
    client = client_for(counting["scrutineer"].user)
    response = client.post(
        reverse("portal-voting:scrutinise", args=[paper.pk]),
        {"decision": "reject", "reason": ""},
        follow=True,
    )
    assert "Give the reason" in response.content.decode()
    client.post(
        reverse("portal-voting:scrutinise", args=[paper.pk]), {"decision": "reject", "reason": "签名不符"}
    )
    paper.refresh_from_db()
    assert (paper.status, paper.rejection_reason) == ("rejected", "签名不符")
    assert not Ballot.objects.exists()


def test_the_scrutiny_page_runs_a_constant_number_of_queries(counting, staff_a, client_for, build):
    meeting = counting["meeting"]
    client = client_for(counting["scrutineer"].user)
    url = reverse("portal-voting:scrutiny", args=[meeting.pk])
    _key_in(meeting, counting["owners"][0], staff_a)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    few = count()
    for owner in counting["owners"][1:]:
        _key_in(meeting, owner, staff_a)
    assert count() == few
