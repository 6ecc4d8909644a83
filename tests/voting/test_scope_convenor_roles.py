"""Meeting scope by entrance (单元); who convenes; co-owner notices rendered in the reader's
language; and the role lines of #15 — eldercare sees no ballots, nobody on the staff lists named
choices before publication, only managers run meetings — each tried across the line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from community.accounts.roles import StaffRole
from community.notifications.models import Notification
from community.voting import services
from community.voting.models import Convenor, Meeting, MotionResult, RollEntry
from community.voting.selectors import roll_totals
from tests.factories import (
    BuildingFactory,
    MeetingFactory,
    OccupancyFactory,
    StaffFactory,
    UnitFactory,
    meeting_closed,
    meeting_open,
)
from tests.factories.residents import StaffMembershipFactory

API = "/api/v1/voting"


# --- Scope by entrance -------------------------------------------------------------------------


def _owner_in(build, building, entrance, area):
    person = build.person()
    unit = UnitFactory(building=building, entrance=entrance, exclusive_area=D(area))
    OccupancyFactory(unit=unit, resident=person, role="owner")
    return person


def test_an_entrance_meeting_rolls_only_that_entrances_exclusive_parts(build, staff_a):
    tower = BuildingFactory(estate=build.estate, name="3栋")
    one = _owner_in(build, tower, "1", "80.00")
    _owner_in(build, tower, "1", "70.00")
    _owner_in(build, tower, "2", "95.00")  # the same building, another entrance
    build.owner("60.00")  # another building
    meeting = services.meeting_create(
        estate=build.estate,
        title="3栋1单元电梯更新",
        voting_opens_at=dt.datetime(2030, 1, 20, tzinfo=dt.UTC),
        voting_closes_at=dt.datetime(2030, 1, 27, tzinfo=dt.UTC),
        scope_entrances=[(tower, "1")],
        by=staff_a,
    )
    services.motion_create(meeting=meeting, title="使用维修资金", text="…", matter=5, by=staff_a)
    services.meeting_publish_notice(meeting=meeting, by=staff_a, now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    assert roll_totals(meeting) == (D("150.00"), 2)
    assert RollEntry.objects.filter(meeting=meeting, members=one).exists()


def test_buildings_and_entrances_add_up_and_never_leave_the_estate(build, staff_a, estate_b):
    tower = BuildingFactory(estate=build.estate, name="3栋")
    _owner_in(build, tower, "2", "95.00")
    build.owner("60.00")  # in build.building
    meeting = services.meeting_create(
        estate=build.estate,
        title="M",
        voting_opens_at=dt.datetime(2030, 1, 20, tzinfo=dt.UTC),
        voting_closes_at=dt.datetime(2030, 1, 27, tzinfo=dt.UTC),
        scope_buildings=[build.building],
        scope_entrances=[(tower, "2")],
        by=staff_a,
    )
    services.motion_create(meeting=meeting, title="T", text="…", matter=5, by=staff_a)
    services.meeting_publish_notice(meeting=meeting, by=staff_a, now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    assert roll_totals(meeting) == (D("155.00"), 2)

    foreign = BuildingFactory(estate=estate_b)
    UnitFactory(building=foreign, entrance="1")
    draft = MeetingFactory(estate=build.estate)
    with pytest.raises(ValidationError, match="entrances of the meeting's estate"):
        services.meeting_update(meeting=draft, scope_entrances=[(foreign, "1")], by=staff_a)
    with pytest.raises(ValidationError, match="entrances of the meeting's estate"):
        services.meeting_update(meeting=draft, scope_entrances=[(tower, "9")], by=staff_a)
    services.meeting_update(meeting=draft, scope_entrances=[(tower, "2")], by=staff_a)
    assert list(draft.scope_entrances.values_list("entrance", flat=True)) == ["2"]


def test_the_admin_offers_the_estates_entrances_and_saves_them(build, staff_a, client_for, estate_b):
    tower = BuildingFactory(estate=build.estate, name="3栋")
    UnitFactory(building=tower, entrance="1")
    UnitFactory(building=BuildingFactory(estate=estate_b, name="外栋"), entrance="7")
    client = client_for(staff_a)
    page = client.get("/admin/voting/meeting/add/").content.decode()
    assert "3栋-1单元" in page and "外栋" not in page
    response = client.post(
        "/admin/voting/meeting/add/",
        {
            "estate": build.estate.pk,
            "title": "单元会议",
            "description": "",
            "convenor": "owners_committee",
            "ballot_mode": "named",
            "voting_opens_at_0": "2030-01-20",
            "voting_opens_at_1": "09:00:00",
            "voting_closes_at_0": "2030-01-27",
            "voting_closes_at_1": "09:00:00",
            "proxy_principal_limit": "",
            "scope_entrances": [f"{tower.pk}:1"],
            "motions-TOTAL_FORMS": "0",
            "motions-INITIAL_FORMS": "0",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    meeting = Meeting.objects.get(title="单元会议")
    assert list(meeting.scope_entrances.values_list("building", "entrance")) == [(tower.pk, "1")]


# --- Who convenes -------------------------------------------------------------------------------


def test_the_street_office_is_no_convenor():
    assert "subdistrict_office" not in Convenor.values
    assert set(Convenor.values) == {"owners_committee", "preparatory_group"}


def _draft(estate, by, convenor):
    return services.meeting_create(
        estate=estate,
        title="M",
        voting_opens_at=dt.datetime(2030, 1, 20, tzinfo=dt.UTC),
        voting_closes_at=dt.datetime(2030, 1, 27, tzinfo=dt.UTC),
        convenor=convenor,
        by=by,
    )


def test_the_preparatory_group_convenes_only_until_a_committee_is_elected(build, staff_a):
    owner, _ = build.owner()
    _draft(build.estate, staff_a, Convenor.PREPARATORY_GROUP)  # first assembly: fine
    with pytest.raises(ValidationError, match="not a valid choice"):
        _draft(build.estate, staff_a, "subdistrict_office")
    first = meeting_open(
        estate=build.estate, by=staff_a, motions=(("选举业主委员会", 3),), convenor=Convenor.PREPARATORY_GROUP
    )
    services.ballot_cast_by_owner(user=owner.user, motion=first.motions.get(), choice="agree")
    meeting_closed(first, by=staff_a)
    assert MotionResult.objects.get(motion__meeting=first).passed
    with pytest.raises(ValidationError, match="the committee convenes"):
        _draft(build.estate, staff_a, Convenor.PREPARATORY_GROUP)
    _draft(build.estate, staff_a, Convenor.OWNERS_COMMITTEE)


# --- Co-owners' notice in the reader's language --------------------------------------------------


def test_the_co_owner_notice_is_stored_as_type_and_parameters_and_read_in_each_language(build, staff_a):
    owner, unit = build.owner()
    co_owner = build.live_in(unit, "co_owner")
    meeting = meeting_open(estate=build.estate, by=staff_a)
    with translation.override("zh-hans"):  # the caster's page language must not leak into the row
        services.ballot_submit_by_owner(
            user=owner.user, meeting=meeting, choices={meeting.motions.first().pk: "agree"}
        )
    note = Notification.objects.get(recipient=co_owner.user, verb="voting.ballot_changed")
    assert note.title == "" and note.message == "voting.ballot_changed"
    assert note.params["t"] == meeting.title and note.params["n"] == 3
    with translation.override("en"):
        assert note.title_text.startswith(f"Your ballot in “{meeting.title}” was cast by")
    with translation.override("zh-hans"):
        assert note.title_text.startswith(f"您在“{meeting.title}”中的表决票由")
    co_owner.user.language = "en"
    assert "was cast by" in note.title_for(co_owner.user)
    assert note.url == f"/portal/voting/{meeting.pk}/my-ballots/"


def test_notice_and_results_notifications_are_types_too(build, staff_a):
    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    services.meeting_notify_roll(meeting_id=meeting.pk, kind="notice")
    note = Notification.objects.get(recipient=owner.user, verb="voting.notice")
    assert note.title == "" and note.params == {"t": meeting.title}
    with translation.override("zh-hans"):
        assert "业主大会" in note.title_text


# --- Roles (#15 item 3) --------------------------------------------------------------------------

NO_VOTING_ROLES = [
    StaffRole.TECHNICIAN,
    StaffRole.SECURITY,
    StaffRole.ELDERCARE_WORKER,
    StaffRole.ELDERCARE_COORDINATOR,
    StaffRole.COMMUNITY_OFFICE,
]


@pytest.mark.parametrize("role", NO_VOTING_ROLES)
def test_roles_without_a_part_in_the_assembly_see_no_meeting_and_no_ballot(
    build, staff_a, client_for, estate_a, role
):
    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    MeetingFactory(estate=estate_a)  # a draft too
    services.ballot_cast_by_owner(user=owner.user, motion=meeting.motions.first(), choice="oppose")
    user = StaffFactory(estate=estate_a, role=role)
    client = client_for(user)
    assert client.get(f"{API}/meetings/").json()["results"] == []
    assert client.get(f"{API}/meetings/{meeting.pk}/").status_code == 404
    assert client.get(f"{API}/meetings/{meeting.pk}/ballots/").status_code == 404
    assert client.get(f"{API}/meetings/{meeting.pk}/results/").status_code == 404
    assert client.get(f"{API}/meetings/{meeting.pk}/paper-ballots/").status_code == 404
    for path in ("ballot", "meeting", "paperballot", "motionresult"):
        assert client.get(f"/admin/voting/{path}/").status_code in (302, 403)


@pytest.mark.parametrize("role", [*NO_VOTING_ROLES, StaffRole.FRONT_DESK])
def test_only_managers_run_meetings(build, staff_a, estate_a, role):
    build.owner()
    user = StaffFactory(estate=estate_a, role=role)
    with pytest.raises(PermissionDenied):
        _draft(estate_a, user, Convenor.OWNERS_COMMITTEE)
    draft = MeetingFactory(estate=estate_a)
    with pytest.raises(PermissionDenied):
        services.motion_create(meeting=draft, title="T", text="…", matter=4, by=user)
    meeting = meeting_open(estate=build.estate, by=staff_a)
    with pytest.raises(PermissionDenied):
        services.meeting_cancel(meeting=meeting, by=user)
    meeting.refresh_from_db()
    assert meeting.status == "open"


def test_a_manager_elsewhere_runs_nothing_here(build, staff_a, manager_b):
    meeting = meeting_open(estate=build.estate, by=staff_a)
    with pytest.raises(PermissionDenied):
        services.meeting_cancel(meeting=meeting, by=manager_b)


def test_a_manager_of_a_who_is_a_technician_in_b_sees_none_of_bs_assembly(
    build, staff_a, client_for, estate_b, manager_b, household_b
):
    meeting_b = meeting_open(estate=estate_b, by=manager_b)

    StaffMembershipFactory(user=staff_a, estate=estate_b, role=StaffRole.TECHNICIAN)
    client = client_for(staff_a)
    assert client.get(f"{API}/meetings/{meeting_b.pk}/").status_code == 404
    assert client.get(f"{API}/meetings/{meeting_b.pk}/ballots/").status_code == 404
    listed = client.get("/admin/voting/meeting/").content.decode()
    assert meeting_b.title not in listed or f"/admin/voting/meeting/{meeting_b.pk}/" not in listed
    with pytest.raises(PermissionDenied):
        services.meeting_cancel(meeting=meeting_b, by=staff_a)


@pytest.mark.parametrize("who", ["manager", "front_desk"])
def test_no_staff_member_lists_named_choices_before_publication(build, staff_a, client_for, estate_a, who):
    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    services.ballot_cast_by_owner(user=owner.user, motion=meeting.motions.first(), choice="oppose")
    user = staff_a if who == "manager" else StaffFactory(estate=estate_a, role=StaffRole.FRONT_DESK)
    client = client_for(user)

    def api_rows():
        return client.get(f"{API}/meetings/{meeting.pk}/ballots/").json()["results"]

    def admin_list():
        return client.get(f"/admin/voting/ballot/?meeting={meeting.pk}").content.decode()

    rows = api_rows()
    assert rows and all("choice" not in r for r in rows) and "oppose" not in str(rows)
    assert "Oppose" not in admin_list()
    # Filtering or searching by choice is refused, not answered.
    filtered = client.get("/admin/voting/ballot/?choice=oppose")
    assert filtered.status_code in (302, 400) or "Oppose" not in filtered.content.decode()
    ballot_id = meeting.ballots.first().pk
    detail = client.get(f"/admin/voting/ballot/{ballot_id}/change/").content.decode()
    assert "Oppose" not in detail and "oppose" not in detail

    meeting_closed(meeting, by=staff_a)  # published
    rows = api_rows()
    assert [r["choice"] for r in rows] == ["oppose"]
    assert "Oppose" in admin_list()


def test_meetings_recorded_as_convened_by_the_street_office_become_the_preparatory_groups(estate_a):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("community.voting.migrations.0004_candidate_lists_entrance_scope_convenors")
    old = MeetingFactory(estate=estate_a, convenor="subdistrict_office")
    kept = MeetingFactory(estate=estate_a, convenor=Convenor.OWNERS_COMMITTEE)
    migration.street_office_to_preparatory_group(apps, None)
    old.refresh_from_db()
    kept.refresh_from_db()
    assert (old.convenor, kept.convenor) == (Convenor.PREPARATORY_GROUP, Convenor.OWNERS_COMMITTEE)


def test_in_the_admin_a_keyed_sheet_shows_its_choices_only_to_who_keyed_it(
    build, staff_a, client_for, estate_a, media
):
    from tests.voting.conftest import pdf

    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    desk = StaffFactory(estate=estate_a, role=StaffRole.FRONT_DESK)
    other_desk = StaffFactory(estate=estate_a, role=StaffRole.FRONT_DESK)
    entry = RollEntry.objects.get(meeting=meeting, members=owner)
    at = meeting.voting_opens_at + dt.timedelta(hours=1)
    paper = services.paper_ballot_enter(
        meeting=meeting,
        roll_entry=entry,
        signer_name="业主",
        received_at=at,
        scan=pdf(),
        choices={meeting.motions.first().pk: "oppose"},
        by=desk,
        now=at,
    )
    url = f"/admin/voting/paperballot/{paper.pk}/change/"
    assert "oppose" in client_for(desk).get(url).content.decode()
    for user in (other_desk, staff_a):
        page = client_for(user).get(url).content.decode()
        assert "oppose" not in page and "shown to the person who keyed it" in page
