"""/api/v1/voting/: scoped lists, casting, results after publication, secret vs named ballots."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from community.accounts.roles import StaffRole
from community.voting import services
from tests.factories import StaffFactory, meeting_closed, meeting_open

API = "/api/v1/voting"


@pytest.fixture
def api(client_for):
    return client_for


def test_owner_lists_meetings_and_casts_through_the_api(build, staff_a, api):
    owner, _ = build.owner("100.00")
    meeting = meeting_open(estate=build.estate, by=staff_a)
    client = api(owner.user)
    listed = client.get(f"{API}/meetings/").json()
    assert [m["id"] for m in listed["results"]] == [meeting.pk]
    detail = client.get(f"{API}/meetings/{meeting.pk}/").json()
    motion_id = detail["motions"][0]["id"]
    assert detail["motions"][0]["kind"] == "ordinary"
    response = client.post(
        f"{API}/motions/{motion_id}/cast/", {"choice": "agree"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    receipt = response.json()["receipt_code"]
    mine = client.get(f"{API}/my-ballots/").json()["results"]
    assert [(b["motion"], b["choice"], b["counted"]) for b in mine] == [(motion_id, "agree", True)]
    check = client.get(f"{API}/receipts/{receipt}/").json()
    assert check["ballot"]["choice"] == "agree" and check["chain_intact"] is True


def test_bad_choice_is_a_400_with_the_field(build, staff_a, api):
    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    response = api(owner.user).post(
        f"{API}/motions/{meeting.motions.first().pk}/cast/",
        {"choice": "yes"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "choice" in response.json()["error"]["fields"]


@pytest.mark.parametrize("role", ["tenant", "family"])
def test_tenant_and_family_get_403_with_a_clear_message(build, staff_a, api, role):
    _, unit = build.owner()
    occupant = build.live_in(unit, role)
    meeting = meeting_open(estate=build.estate, by=staff_a)
    response = api(occupant.user).post(
        f"{API}/motions/{meeting.motions.first().pk}/cast/",
        {"choice": "agree"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "tenants and family members cannot vote" in response.json()["error"]["message"]


def test_resident_of_another_estate_cannot_see_or_vote(build, staff_a, api, household_b):
    build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    client = api(household_b[0])
    assert client.get(f"{API}/meetings/").json()["results"] == []
    assert client.get(f"{API}/meetings/{meeting.pk}/").status_code == 404
    response = client.post(
        f"{API}/motions/{meeting.motions.first().pk}/cast/",
        {"choice": "agree"},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_estate_b_staff_cannot_see_estate_a_meetings(build, staff_a, api, manager_b):
    build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    client = api(manager_b)
    assert client.get(f"{API}/meetings/").json()["results"] == []
    assert client.get(f"{API}/meetings/{meeting.pk}/").status_code == 404
    assert client.get(f"{API}/meetings/{meeting.pk}/ballots/").status_code == 404


def test_voting_after_close_is_a_409(build, staff_a, api):
    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    meeting_closed(meeting, by=staff_a, publish=False)
    response = api(owner.user).post(
        f"{API}/motions/{meeting.motions.first().pk}/cast/",
        {"choice": "agree"},
        content_type="application/json",
    )
    assert response.status_code == 409


def test_results_only_after_publication_for_residents(build, staff_a, api):
    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    services.ballot_cast_by_owner(user=owner.user, motion=meeting.motions.first(), choice="agree")
    client = api(owner.user)
    assert client.get(f"{API}/meetings/{meeting.pk}/results/").status_code == 409
    meeting_closed(meeting, by=staff_a, publish=False)
    assert client.get(f"{API}/meetings/{meeting.pk}/results/").status_code == 409
    assert api(staff_a).get(f"{API}/meetings/{meeting.pk}/results/").status_code == 200
    services.meeting_publish_results(meeting=meeting, by=staff_a)
    results = api(owner.user).get(f"{API}/meetings/{meeting.pk}/results/").json()
    assert results[0]["figures"]["agree_owners"] == 1 and results[0]["figures"]["agree_area"] == "100.00"
    assert results[0]["quorum_met"] is True and results[0]["passed"] is True


@pytest.mark.parametrize("mode,shows_choice", [("named", True), ("secret", False)])
def test_staff_see_choices_only_in_named_meetings(build, staff_a, api, mode, shows_choice):
    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a, ballot_mode=mode)
    services.ballot_cast_by_owner(user=owner.user, motion=meeting.motions.first(), choice="oppose")
    before = api(staff_a).get(f"{API}/meetings/{meeting.pk}/ballots/").json()["results"]
    assert "choice" not in before[0] and "oppose" not in str(before)  # not before publication
    meeting_closed(meeting, by=staff_a)
    rows = api(staff_a).get(f"{API}/meetings/{meeting.pk}/ballots/").json()["results"]
    assert len(rows) == 1 and rows[0]["roll_entry_name"]  # who took part: always
    assert ("choice" in rows[0]) is shows_choice
    assert ("oppose" in str(rows)) is shows_choice


def test_residents_cannot_list_staff_ballots(build, staff_a, api):
    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    assert api(owner.user).get(f"{API}/meetings/{meeting.pk}/ballots/").status_code in (403, 404)


def test_front_desk_staff_see_their_estates_meetings_drafts_included(build, staff_a, api):
    from tests.factories import MeetingFactory

    MeetingFactory(estate=build.estate)
    desk = StaffFactory(estate=build.estate, role=StaffRole.FRONT_DESK)
    assert len(api(desk).get(f"{API}/meetings/").json()["results"]) == 1


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_list_endpoints_run_a_constant_number_of_queries(build, staff_a, api):
    owner, _ = build.owner()
    client = api(owner.user)
    meetings = [meeting_open(estate=build.estate, by=staff_a, title=f"M{i}") for i in range(2)]
    for motion in meetings[0].motions.all():
        services.ballot_cast_by_owner(user=owner.user, motion=motion, choice="agree")
    small = [
        _count(client, f"{API}/meetings/"),
        _count(client, f"{API}/my-ballots/"),
        _count(client, f"{API}/meetings/{meetings[0].pk}/motions/"),
        _count(api(staff_a), f"{API}/meetings/{meetings[0].pk}/ballots/"),
    ]
    client = api(owner.user)
    meetings += [meeting_open(estate=build.estate, by=staff_a, title=f"N{i}") for i in range(6)]
    for meeting in meetings[1:]:
        for motion in meeting.motions.all():
            services.ballot_cast_by_owner(user=owner.user, motion=motion, choice="oppose")
    large = [
        _count(client, f"{API}/meetings/"),
        _count(client, f"{API}/my-ballots/"),
        _count(client, f"{API}/meetings/{meetings[0].pk}/motions/"),
        _count(api(staff_a), f"{API}/meetings/{meetings[1].pk}/ballots/"),
    ]
    assert small == large


def test_schema_documents_the_voting_endpoints(admin_client):
    response = admin_client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/voting/motions/{id}/cast/" in response.content


def test_attachment_urls_in_the_api_go_through_the_scoped_download(
    build, staff_a, api, household_b, settings, tmp_path
):
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile

    from community.voting.models import Meeting

    settings.MEDIA_ROOT = tmp_path
    owner, _ = build.owner()
    meeting = Meeting.objects.create(
        estate=build.estate,
        title="M",
        voting_opens_at=dt.datetime(2030, 1, 20, tzinfo=dt.UTC),
        voting_closes_at=dt.datetime(2030, 1, 27, tzinfo=dt.UTC),
    )
    motion = services.motion_create(meeting=meeting, title="续聘", text="…", matter=4, by=staff_a)
    services.motion_attachment_add(
        motion=motion, file=SimpleUploadedFile("合同.pdf", b"%PDF-1.4"), by=staff_a
    )
    services.meeting_publish_notice(meeting=meeting, by=staff_a, now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    url = api(owner.user).get(f"{API}/meetings/{meeting.pk}/").json()["motions"][0]["attachments"][0]["url"]
    # Before: /media/voting/attachments/… — not served here (404), and unscoped wherever it is.
    response = api(owner.user).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert api(household_b[0]).get(url).status_code == 404
