"""Portal pages: my meetings, voting on the phone, receipts, the roll, published results."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community.voting import services
from community.voting.models import Ballot
from tests.factories import meeting_closed, meeting_noticed, meeting_open


def test_owner_sees_open_meeting_and_votes(build, staff_a, client_for):
    owner, _ = build.owner("100.00")
    meeting = meeting_open(estate=build.estate, by=staff_a)
    client = client_for(owner.user)
    index = client.get(reverse("portal-voting:index"))
    assert meeting.title in index.content.decode()
    page = client.get(reverse("portal-voting:detail", args=[meeting.pk])).content.decode()
    assert "data-on-roll" in page and 'data-choice="agree"' in page
    first, *others = meeting.motions.order_by("position")
    submit = reverse("portal-voting:submit", args=[meeting.pk])
    # The whole ballot is reviewed first: unanswered motions are shown as they will count.
    review = client.post(submit, {f"motion-{first.pk}": "agree"}).content.decode()
    assert f'data-confirm-motion="{others[0].pk}"' in review and 'data-shown="abstain"' in review
    assert not Ballot.objects.exists()
    response = client.post(submit, {f"motion-{first.pk}": "agree", "confirm": "1"}, follow=True)
    assert Ballot.objects.count() == 1 + len(others)  # one ballot takes part in every motion
    ballot = Ballot.objects.get(motion=first)
    html = response.content.decode()
    assert (
        ballot.receipt_code in html and 'data-my-choice="agree"' in html and 'data-my-choice="blank"' in html
    )


def test_tenant_sees_why_and_is_refused_with_403(build, staff_a, client_for):
    _, unit = build.owner("100.00")
    tenant = build.live_in(unit, "tenant")
    meeting = meeting_open(estate=build.estate, by=staff_a)
    client = client_for(tenant.user)
    page = client.get(reverse("portal-voting:detail", args=[meeting.pk])).content.decode()
    assert "data-not-on-roll" in page and 'data-choice="agree"' not in page
    response = client.post(
        reverse("portal-voting:submit", args=[meeting.pk]),
        {f"motion-{meeting.motions.first().pk}": "agree", "confirm": "1"},
    )
    assert response.status_code == 403
    assert "tenants and family members cannot vote" in response.content.decode()
    assert not Ballot.objects.exists()


def test_other_estates_meetings_are_not_found(build, staff_a, client_for, household_b):
    build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    client = client_for(household_b[0])
    assert client.get(reverse("portal-voting:detail", args=[meeting.pk])).status_code == 404
    assert (
        client.post(reverse("portal-voting:submit", args=[meeting.pk]), {"confirm": "1"}).status_code == 404
    )
    assert meeting.title not in client.get(reverse("portal-voting:index")).content.decode()


def test_drafts_are_not_shown_to_residents(build, staff_a, client_for):
    from tests.factories import MeetingFactory

    owner, _ = build.owner()
    draft = MeetingFactory(estate=build.estate, title="草稿会议")
    client = client_for(owner.user)
    assert "草稿会议" not in client.get(reverse("portal-voting:index")).content.decode()
    assert client.get(reverse("portal-voting:detail", args=[draft.pk])).status_code == 404


def test_receipt_check(build, staff_a, client_for):
    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    motion = meeting.motions.first()
    first = services.ballot_cast_by_owner(user=owner.user, motion=motion, choice="agree")
    second = services.ballot_cast_by_owner(user=owner.user, motion=motion, choice="oppose")
    client = client_for(owner.user)
    url = reverse("portal-voting:receipt")
    assert 'data-receipt-result="counted"' in client.get(url, {"code": second.receipt_code}).content.decode()
    assert (
        'data-receipt-result="superseded"' in client.get(url, {"code": first.receipt_code}).content.decode()
    )
    assert 'data-receipt-result="none"' in client.get(url, {"code": "AAAA-BBBB-CCCC-DDDD"}).content.decode()
    history = client.get(reverse("portal-voting:ballots", args=[meeting.pk])).content.decode()
    assert first.receipt_code in history and second.receipt_code in history


def test_roll_is_published_for_objection_with_short_names(build, staff_a, client_for):
    owner = build.person(name="张三丰")
    build.owner("100.00", resident=owner)
    build.owner("12.00", resident=owner, usage="parking")
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    page = client_for(owner.user).get(reverse("portal-voting:roll", args=[meeting.pk])).content.decode()
    assert "张**" in page and "张三丰" not in page and "100.00" in page


def test_results_published_with_the_date_and_exports(build, staff_a, client_for):
    from openpyxl import load_workbook

    owners = [build.owner("100.00")[0] for _ in range(3)]
    meeting = meeting_open(estate=build.estate, by=staff_a)
    for owner in owners:
        for motion in meeting.motions.all():
            services.ballot_cast_by_owner(user=owner.user, motion=motion, choice="agree")
    client = client_for(owners[0].user)
    meeting_closed(meeting, by=staff_a, publish=False)
    page = client.get(reverse("portal-voting:detail", args=[meeting.pk])).content.decode()
    assert "data-awaiting-results" in page and "data-results" not in page
    assert client.get(reverse("portal-voting:export", args=[meeting.pk, "pdf"])).status_code == 404
    services.meeting_publish_results(meeting=meeting, by=staff_a)
    meeting.refresh_from_db()
    page = client.get(reverse("portal-voting:detail", args=[meeting.pk])).content.decode()
    assert "data-results" in page and 'data-outcome="passed"' in page
    assert meeting.results_published_at.astimezone().strftime("%Y-%m-%d")[:4] in page
    xlsx = client.get(reverse("portal-voting:export", args=[meeting.pk, "xlsx"]))
    sheet = load_workbook(
        io.BytesIO(b"".join(xlsx.streaming_content) if xlsx.streaming else xlsx.content)
    ).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert meeting.title in values[0] and "续聘物业服务企业" in values
    pdf = client.get(reverse("portal-voting:export", args=[meeting.pk, "pdf"]))
    assert pdf.content.startswith(b"%PDF") and b"STSong-Light" in pdf.content


def test_attachments_are_served_to_those_who_see_the_meeting(
    build, staff_a, client_for, household_b, settings, tmp_path
):
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
    attachment = services.motion_attachment_add(
        motion=motion, file=SimpleUploadedFile("合同.pdf", b"%PDF-1.4"), by=staff_a
    )
    url = reverse("portal-voting:attachment", args=[attachment.pk])
    assert client_for(owner.user).get(url).status_code == 404  # draft: not yet public
    services.meeting_publish_notice(meeting=meeting, by=staff_a, now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    response = client_for(owner.user).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert client_for(household_b[0]).get(url).status_code == 404


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_portal_pages_run_a_constant_number_of_queries(build, staff_a, client_for):
    owner, _ = build.owner()
    for _ in range(3):
        build.owner("50.00")
    first = meeting_open(estate=build.estate, by=staff_a)
    client = client_for(owner.user)
    urls = [
        reverse("portal-voting:index"),
        reverse("portal-voting:detail", args=[first.pk]),
        reverse("portal-voting:roll", args=[first.pk]),
        reverse("portal-voting:ballots", args=[first.pk]),
    ]
    small = [_count(client, u) for u in urls]
    for _ in range(20):
        build.owner("60.00")
    more = [meeting_open(estate=build.estate, by=staff_a, title=f"M{i}") for i in range(5)]
    for motion in first.motions.all():
        services.ballot_cast_by_owner(user=owner.user, motion=motion, choice="agree")
        services.ballot_cast_by_owner(user=owner.user, motion=motion, choice="oppose")
    assert more
    client = client_for(owner.user)
    assert [_count(client, u) for u in urls] == small


@pytest.mark.parametrize("url_name", ["portal-voting:index", "portal-voting:receipt"])
def test_pages_need_a_login(client, url_name):
    assert client.get(reverse(url_name)).status_code == 302


def test_the_meetings_record_is_stored_as_types_and_rendered_in_the_readers_language(
    build, staff_a, client_for
):
    from django.utils import translation

    from community.voting.models import MeetingEvent

    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    notice = MeetingEvent.objects.get(meeting=meeting, type="notice")
    assert notice.params == {"entries": 1}  # parameters, no text
    page = client_for(owner.user).get(reverse("portal-voting:detail", args=[meeting.pk])).content.decode()
    assert 'data-event="notice"' in page and "Notice published; roll frozen" in page
    with translation.override("zh-hans"):
        assert notice.get_type_display() == "公告已发布，名册已冻结"
