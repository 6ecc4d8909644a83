"""The roll (投票权数), rule by rule: frozen at the notice, one head per exclusive part except
the developer's parts and the same owner set (SPC interpretation Art. 9)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from community.voting import services
from community.voting.models import RollEntry
from community.voting.selectors import roll_totals
from tests.factories import (
    BuildingFactory,
    MeetingFactory,
    OccupancyFactory,
    UnitFactory,
    VotingSettingsFactory,
    meeting_noticed,
    meeting_open,
)


def _entries(meeting):
    return {
        e.voter_key: e for e in RollEntry.objects.filter(meeting=meeting).prefetch_related("units", "members")
    }


def test_an_owner_of_several_units_counts_once_with_all_their_area(build, staff_a):
    owner, _ = build.owner("89.50")
    build.owner("120.25", resident=owner)
    build.owner("60.00")
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    entries = _entries(meeting)
    mine = entries[f"owners:id:{owner.id_number}"]
    assert mine.area == D("209.75")
    assert mine.units.count() == 2
    assert roll_totals(meeting) == (D("269.75"), 2)


def test_owner_without_id_number_or_login_is_identified_by_phone_else_by_record(build, staff_a):
    by_phone = build.person(login=False, phone="+8613900001111")
    by_phone.id_number = ""
    by_phone.save()
    build.owner("50", resident=by_phone)
    build.owner("50", resident=by_phone)
    nameless = build.person(login=False)
    nameless.phone = nameless.id_number = ""
    nameless.save()
    build.owner("70", resident=nameless)
    entries = _entries(meeting_noticed(estate=build.estate, by=staff_a))
    assert entries["owners:phone:+8613900001111"].area == D("100.00")
    assert entries[f"owners:resident:{nameless.pk}"].area == D("70.00")


def test_co_owners_of_a_unit_count_once_and_share_one_entry(build, staff_a):
    owner, unit = build.owner("100.00")
    co_owner = build.live_in(unit, "co_owner")
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    [entry] = RollEntry.objects.filter(meeting=meeting)
    assert set(entry.members.all()) == {owner, co_owner}
    assert entry.area == D("100.00")
    assert roll_totals(meeting) == (D("100.00"), 1)


def test_a_co_owner_who_also_owns_a_flat_alone_is_a_different_owner_set(build, staff_a):
    # Counter-example from the review: the union-find merged these into one head of 160 m².
    a, unit = build.owner("60")
    b = build.live_in(unit, "co_owner")
    build.owner("120", resident=b)
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    assert roll_totals(meeting) == (D("180.00"), 2)
    shared = RollEntry.objects.get(meeting=meeting, members=a)
    assert shared.area == D("60.00") and set(shared.members.all()) == {a, b}
    alone = RollEntry.objects.get(meeting=meeting, area=D("120.00"))
    assert list(alone.members.all()) == [b]


def test_chained_co_ownership_never_merges_transitively(build, staff_a):
    # A+B own 101, B+C own 102, C+D own 103, E owns 104: four owner sets, four heads (was 2).
    a, b, c, d, e = (build.person() for _ in range(5))
    for pair in ((a, b), (b, c), (c, d), (e,)):
        unit = build.unit("100")
        for i, person in enumerate(pair):
            OccupancyFactory(unit=unit, resident=person, role="owner" if i == 0 else "co_owner")
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    assert roll_totals(meeting) == (D("400.00"), 4)


def test_the_same_co_owners_of_two_flats_count_once(build, staff_a):
    a, b = build.person(), build.person()
    for area in ("70", "30"):
        unit = build.unit(area)
        OccupancyFactory(unit=unit, resident=a, role="owner")
        OccupancyFactory(unit=unit, resident=b, role="co_owner")
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    assert roll_totals(meeting) == (D("100.00"), 1)


def test_two_records_with_one_id_number_are_one_owner_once_staff_decided(build, staff_a):
    first = build.person(login=False, phone="+8613900002222")
    first.id_number = "11010119900101123x"
    first.save()
    second = build.person()
    second.id_number = "１１０１０１１９９００１０１１２３Ｘ"  # full-width, as some imports store it
    second.save()
    build.owner("80", resident=first)
    build.owner("40", resident=second)
    meeting = MeetingFactory(estate=build.estate, created_by=staff_a)
    services.motion_create(meeting=meeting, title="续聘", text="…", matter=4, by=staff_a)
    notice_at = meeting.voting_opens_at - dt.timedelta(days=16)
    with pytest.raises(ValidationError, match="may be the same person"):
        services.meeting_publish_notice(meeting=meeting, by=staff_a, now=notice_at)
    groups = services.duplicate_groups(meeting, timezone.localdate())
    assert groups == {"id:11010119900101123X": sorted([first.pk, second.pk])}
    services.identity_decide(
        meeting=meeting, key="id:11010119900101123X", same_person=True, reason="核对身份证原件", by=staff_a
    )
    services.meeting_publish_notice(meeting=meeting, by=staff_a, now=notice_at)
    assert roll_totals(meeting) == (D("120.00"), 1)
    assert meeting.events.filter(type="identity_decision", actor=staff_a).exists()


def test_records_staff_decide_are_different_people_stay_apart(build, staff_a):
    first, second = build.person(), build.person()
    for person in (first, second):
        person.id_number = "110101199001011234"  # a typo in one of them, found by staff
        person.save()
        build.owner("50", resident=person)
    meeting = MeetingFactory(estate=build.estate, created_by=staff_a)
    services.motion_create(meeting=meeting, title="续聘", text="…", matter=4, by=staff_a)
    services.identity_decide(
        meeting=meeting,
        key="id:110101199001011234",
        same_person=False,
        reason="两人，证号录入错误",
        by=staff_a,
    )
    services.meeting_publish_notice(
        meeting=meeting, by=staff_a, now=meeting.voting_opens_at - dt.timedelta(days=16)
    )
    assert roll_totals(meeting) == (D("100.00"), 2)


def test_the_developers_unsold_units_together_count_once(build, staff_a):
    for area in ("90", "95", "100"):
        build.unit(area, developer_owned=True)
    build.owner("80")
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    developer = _entries(meeting)["developer"]
    assert developer.name == "Held by the developer (unsold or not yet delivered)"
    assert developer.is_developer and developer.area == D("285.00") and developer.units.count() == 3
    assert roll_totals(meeting) == (D("365.00"), 2)


def test_parking_spaces_are_no_exclusive_parts_by_default(build, staff_a):
    owner, _ = build.owner("100.00")
    build.owner("12.50", resident=owner, usage="parking")
    build.owner("13.00", usage="parking")  # owns only a parking space: no voting right
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    entry = _entries(meeting)[f"owners:id:{owner.id_number}"]
    assert entry.area == D("100.00") and entry.units.count() == 1
    assert roll_totals(meeting) == (D("100.00"), 1)


def test_an_estate_may_count_parking_spaces_as_exclusive_parts(build, staff_a):
    VotingSettingsFactory(estate=build.estate, parking_spaces_count=True)
    owner, _ = build.owner("100.00")
    build.owner("12.50", resident=owner, usage="parking")
    build.owner("13.00", usage="parking")
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    assert roll_totals(meeting) == (D("125.50"), 2)


def test_a_meeting_for_one_building_has_only_its_owners_on_the_roll(build, staff_a):
    build.owner("100.00")  # 1栋
    other = BuildingFactory(estate=build.estate, name="2栋")
    lift_owner = build.person()
    OccupancyFactory(
        unit=UnitFactory(building=other, exclusive_area=D("90.00")), resident=lift_owner, role="owner"
    )
    meeting = MeetingFactory(estate=build.estate, created_by=staff_a)
    meeting.scope_buildings.set([other])
    services.motion_create(meeting=meeting, title="使用维修资金更换2栋电梯", text="…", matter=5, by=staff_a)
    services.meeting_publish_notice(
        meeting=meeting, by=staff_a, now=meeting.voting_opens_at - dt.timedelta(days=16)
    )
    assert roll_totals(meeting) == (D("90.00"), 1)
    assert RollEntry.objects.get(meeting=meeting).members.get() == lift_owner


def test_a_seller_and_a_buyer_are_not_both_on_the_roll_on_the_transfer_day(build, staff_a):
    unit = build.unit("100")
    seller, buyer = build.person(), build.person()
    transfer = timezone.localdate() - dt.timedelta(days=20)  # the notice day of meeting_noticed
    OccupancyFactory(
        unit=unit,
        resident=seller,
        role="owner",
        start_date=transfer - dt.timedelta(days=900),
        end_date=transfer,
    )
    OccupancyFactory(unit=unit, resident=buyer, role="owner", start_date=transfer)
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    [entry] = RollEntry.objects.filter(meeting=meeting)
    assert list(entry.members.all()) == [buyer]


def test_area_source_is_recorded_per_unit(build, staff_a):
    owner, _ = build.owner("100.00", area_source="survey")
    entry = _entries(meeting_noticed(estate=build.estate, by=staff_a))[f"owners:id:{owner.id_number}"]
    assert entry.units.get().area_source == "survey"


def test_tenants_and_family_are_not_on_the_roll(build, staff_a):
    owner, unit = build.owner("100")
    tenant = build.live_in(unit, "tenant")
    family = build.live_in(unit, "family")
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    members = set(RollEntry.objects.get(meeting=meeting).members.all())
    assert members == {owner}
    assert tenant not in members and family not in members


def test_a_unit_without_a_known_owner_still_counts(build, staff_a):
    build.unit("77.00")
    build.owner("100")
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    assert roll_totals(meeting) == (D("177.00"), 2)


def test_the_roll_is_frozen_at_the_notice_date(build, staff_a):
    _owner, _unit = build.owner("100")
    sold = build.unit("50")
    meeting = meeting_noticed(estate=build.estate, by=staff_a)  # notice 20 days ago
    # A purchase registered after the notice does not change the roll.
    OccupancyFactory(unit=sold, resident=build.person(), role="owner", start_date=timezone.localdate())
    assert roll_totals(meeting) == (D("150.00"), 2)
    assert not RollEntry.objects.filter(meeting=meeting, members__occupancies__unit=sold).exists()


def test_an_owner_who_moved_in_after_the_notice_date_is_not_on_it(build, staff_a):
    unit = build.unit("100")
    OccupancyFactory(
        unit=unit,
        resident=build.person(),
        role="owner",
        start_date=timezone.localdate() - dt.timedelta(days=5),
    )
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    [entry] = RollEntry.objects.filter(meeting=meeting)
    assert entry.members.count() == 0  # the unit counts, its new owner is not known at the notice date


def test_roll_is_per_estate(build, staff_a, household_b):
    build.owner("100")
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    assert roll_totals(meeting) == (D("100.00"), 1)


def test_open_meeting_uses_the_frozen_roll(build, staff_a):
    build.owner("100.00")
    meeting = meeting_open(estate=build.estate, by=staff_a)
    assert meeting.status == "open" and meeting.roll.count() == 1
