"""/api/v1/voting/: whole ballots, paper ballots keyed by the desk, scrutineers' confirmation —
each scoped, and each tried across the line (another estate, another role, the wrong person)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from community.accounts.roles import StaffRole
from community.voting import services
from community.voting.models import Ballot, PaperBallot, PaperBallotStatus, RollEntry
from tests.factories import StaffFactory, meeting_closed, meeting_open

API = "/api/v1/voting"


@pytest.fixture
def desk(estate_a):
    return StaffFactory(estate=estate_a, role=StaffRole.FRONT_DESK, username="api_desk_a")


def _sheet(meeting, entry, choices, *, hours=2, signer="业主"):
    return {
        "roll_entry": entry.pk,
        "signer_name": signer,
        "received_at": (meeting.voting_opens_at + dt.timedelta(hours=hours)).isoformat(),
        "scan": SimpleUploadedFile("ballot.pdf", b"%PDF-1.4 sheet"),
        "choices": json.dumps({str(k): v for k, v in choices.items()}),
    }


def test_an_owner_submits_the_whole_ballot_and_unanswered_motions_are_blank(build, staff_a, client_for):
    owner, _ = build.owner("100.00")
    meeting = meeting_open(estate=build.estate, by=staff_a)
    first, second, third = meeting.motions.order_by("position")
    response = client_for(owner.user).post(
        f"{API}/meetings/{meeting.pk}/ballot/",
        {"choices": {str(first.pk): "agree", str(second.pk): "oppose"}},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    got = {b["motion"]: b["choice"] for b in response.json()}
    assert got == {first.pk: "agree", second.pk: "oppose", third.pk: "blank"}
    assert all(b["receipt_code"] for b in response.json())


@pytest.mark.parametrize(
    "body,field",
    [
        ({"choices": {"x": "agree"}}, "choices"),
        ({"choices": {"1": 5}}, "choices"),
        ({"choices": "agree"}, "choices"),
        ({}, "choices"),
    ],
)
def test_malformed_whole_ballots_are_400_with_the_field(build, staff_a, client_for, body, field):
    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    response = client_for(owner.user).post(
        f"{API}/meetings/{meeting.pk}/ballot/", body, content_type="application/json"
    )
    assert response.status_code == 400 and field in response.json()["error"]["fields"]
    assert not Ballot.objects.exists()


def test_a_bad_choice_refuses_the_whole_ballot(build, staff_a, client_for):
    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    first, second, _third = meeting.motions.order_by("position")
    response = client_for(owner.user).post(
        f"{API}/meetings/{meeting.pk}/ballot/",
        {"choices": {str(first.pk): "agree", str(second.pk): "yes"}},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not Ballot.objects.exists()  # nothing half-written


def test_whole_ballots_cannot_cross_estates_or_come_from_tenants(build, staff_a, client_for, household_b):
    _, unit = build.owner()
    tenant = build.live_in(unit, "tenant")
    meeting = meeting_open(estate=build.estate, by=staff_a)
    url = f"{API}/meetings/{meeting.pk}/ballot/"
    body = {"choices": {str(meeting.motions.first().pk): "agree"}}
    assert client_for(household_b[0]).post(url, body, content_type="application/json").status_code == 404
    response = client_for(tenant.user).post(url, body, content_type="application/json")
    assert response.status_code == 403
    assert not Ballot.objects.exists()


def test_the_desk_keys_a_sheet_and_a_scrutineer_confirms_it_through_the_api(
    build, staff_a, desk, client_for, media
):
    owner, _ = build.owner("100.00")
    scrutineer, _ = build.owner("10.00")
    meeting = meeting_open(estate=build.estate, by=staff_a)
    services.scrutineer_appoint(meeting=meeting, resident=scrutineer, by=staff_a)
    entry = RollEntry.objects.get(meeting=meeting, members=owner)
    first = meeting.motions.order_by("position").first()
    response = client_for(desk).post(
        f"{API}/meetings/{meeting.pk}/paper-ballots/", _sheet(meeting, entry, {first.pk: "oppose"})
    )
    assert response.status_code == 201, response.content
    paper_id = response.json()["id"]
    assert response.json()["choices"][str(first.pk)] == "oppose"  # the person keying it sees it

    # The scrutineer lists what waits, with the choices, and confirms.
    pending = client_for(scrutineer.user).get(f"{API}/meetings/{meeting.pk}/scrutiny/").json()["results"]
    assert [p["id"] for p in pending] == [paper_id] and pending[0]["choices"][str(first.pk)] == "oppose"
    response = client_for(scrutineer.user).post(f"{API}/paper-ballots/{paper_id}/confirm/")
    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    assert Ballot.objects.get(motion=first, superseded=False).choice == "oppose"
    # Confirming twice is a 409.
    assert client_for(scrutineer.user).post(f"{API}/paper-ballots/{paper_id}/confirm/").status_code == 409


def test_only_scrutineers_confirm_never_the_desk_nor_a_manager_nor_another_owner(
    build, staff_a, desk, client_for, media
):
    owner, _ = build.owner()
    other_owner, _ = build.owner()
    scrutineer, _ = build.owner("10.00")
    meeting = meeting_open(estate=build.estate, by=staff_a)
    services.scrutineer_appoint(meeting=meeting, resident=scrutineer, by=staff_a)
    entry = RollEntry.objects.get(meeting=meeting, members=owner)
    paper = (
        client_for(desk)
        .post(
            f"{API}/meetings/{meeting.pk}/paper-ballots/",
            _sheet(meeting, entry, {meeting.motions.first().pk: "agree"}),
        )
        .json()
    )
    for user in (desk, staff_a, other_owner.user):
        assert client_for(user).post(f"{API}/paper-ballots/{paper['id']}/confirm/").status_code in (403, 404)
        assert client_for(user).get(f"{API}/meetings/{meeting.pk}/scrutiny/").status_code == 404
    assert PaperBallot.objects.get().status == PaperBallotStatus.PENDING
    # A reject needs a reason.
    client = client_for(scrutineer.user)
    assert client.post(f"{API}/paper-ballots/{paper['id']}/reject/", {}).status_code == 400
    response = client.post(f"{API}/paper-ballots/{paper['id']}/reject/", {"reason": "签名不符"})
    assert response.status_code == 200 and response.json()["status"] == "rejected"


def test_paper_entry_is_scoped_to_the_estates_where_the_role_keys_ballots(
    build, staff_a, desk, client_for, manager_b, estate_a, media
):
    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    entry = RollEntry.objects.get(meeting=meeting, members=owner)
    url = f"{API}/meetings/{meeting.pk}/paper-ballots/"
    sheet = _sheet(meeting, entry, {meeting.motions.first().pk: "agree"})
    technician = StaffFactory(estate=estate_a, role=StaffRole.TECHNICIAN)
    carer = StaffFactory(estate=estate_a, role=StaffRole.ELDERCARE_WORKER)
    for user in (manager_b, technician, carer, owner.user):
        assert client_for(user).get(url).status_code == 404
        assert client_for(user).post(url, sheet).status_code == 404
    assert not PaperBallot.objects.exists()


def test_paper_entry_rejects_another_meetings_entry_and_bad_sheets(build, staff_a, desk, client_for, media):
    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    other = meeting_open(estate=build.estate, by=staff_a, title="另一次")
    foreign = RollEntry.objects.get(meeting=other, members=owner)
    entry = RollEntry.objects.get(meeting=meeting, members=owner)
    url = f"{API}/meetings/{meeting.pk}/paper-ballots/"
    client = client_for(desk)
    response = client.post(url, _sheet(meeting, foreign, {}))
    assert response.status_code == 400 and "roll_entry" in response.json()["error"]["fields"]
    response = client.post(url, {**_sheet(meeting, entry, {}), "choices": "not json"})
    assert response.status_code == 400 and "choices" in response.json()["error"]["fields"]
    response = client.post(url, _sheet(meeting, entry, {meeting.motions.first().pk: "maybe"}))
    assert response.status_code == 400
    late = _sheet(meeting, entry, {}, hours=24 * 30)
    assert client.post(url, late).status_code == 400
    assert not PaperBallot.objects.exists()


def test_a_sheets_choices_show_only_to_who_keyed_it_until_publication(
    build, staff_a, desk, client_for, estate_a, media
):
    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    entry = RollEntry.objects.get(meeting=meeting, members=owner)
    url = f"{API}/meetings/{meeting.pk}/paper-ballots/"
    client_for(desk).post(url, _sheet(meeting, entry, {meeting.motions.first().pk: "oppose"}))
    other_desk = StaffFactory(estate=estate_a, role=StaffRole.FRONT_DESK)
    assert client_for(desk).get(url).json()["results"][0]["choices"] is not None
    assert client_for(other_desk).get(url).json()["results"][0]["choices"] is None
    assert client_for(staff_a).get(url).json()["results"][0]["choices"] is None


def test_paper_list_runs_a_constant_number_of_queries(build, staff_a, desk, client_for, media):
    owners = [build.owner()[0] for _ in range(6)]
    meeting = meeting_open(estate=build.estate, by=staff_a)
    url = f"{API}/meetings/{meeting.pk}/paper-ballots/"

    def key(owner, hours):
        entry = RollEntry.objects.get(meeting=meeting, members=owner)
        assert client_for(desk).post(url, _sheet(meeting, entry, {}, hours=hours)).status_code == 201

    def count():
        client = client_for(desk)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    key(owners[0], 1)
    small = count()
    for i, owner in enumerate(owners[1:], start=2):
        key(owner, i)
    assert count() == small


def test_the_api_publishes_election_results_per_candidate(build, staff_a, client_for):
    from tests.voting.test_elections import _election_meeting

    owners = [build.owner()[0] for _ in range(3)]
    meeting, election, (zhang, li, wang) = _election_meeting(build.estate, staff_a)
    for owner in owners:
        response = client_for(owner.user).post(
            f"{API}/meetings/{meeting.pk}/ballot/",
            {"choices": {str(election.pk): [zhang.pk, li.pk]}},
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
    too_many = client_for(owners[0].user).post(
        f"{API}/meetings/{meeting.pk}/ballot/",
        {"choices": {str(election.pk): [zhang.pk, li.pk, wang.pk]}},
        content_type="application/json",
    )
    assert too_many.status_code == 400
    detail = client_for(owners[0].user).get(f"{API}/meetings/{meeting.pk}/").json()
    listed = next(m for m in detail["motions"] if m["id"] == election.pk)
    assert listed["seats"] == 2 and [c["name"] for c in listed["candidates"]] == ["张三", "李四", "王五"]
    meeting_closed(meeting, by=staff_a)
    results = client_for(owners[0].user).get(f"{API}/meetings/{meeting.pk}/results/").json()
    row = next(r for r in results if r["motion"] == election.pk)
    assert [(c["name"], c["elected"]) for c in row["candidates"]] == [
        ("张三", True),
        ("李四", True),
        ("王五", False),
    ]
