"""The roll (投票权数), rule by rule: frozen at the notice, one count per owner person."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from community.voting import services
from community.voting.models import RollCorrectionKind, RollEntry
from community.voting.selectors import roll_totals
from tests.factories import OccupancyFactory, meeting_noticed, meeting_open
from tests.voting.helpers import meeting_announced


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
    mine = entries[f"user:{owner.user_id}"]
    assert mine.area == D("209.75")
    assert mine.units.count() == 2
    assert roll_totals(meeting) == (D("269.75"), 2)


def test_owner_without_login_is_identified_by_phone_else_by_record(build, staff_a):
    by_phone = build.person(login=False, phone="+8613900001111")
    build.owner("50", resident=by_phone)
    build.owner("50", resident=by_phone)
    nameless = build.person(login=False)
    nameless.phone = ""
    nameless.save()
    build.owner("70", resident=nameless)
    entries = _entries(meeting_noticed(estate=build.estate, by=staff_a))
    assert entries["phone:+8613900001111"].area == D("100.00")
    assert entries[f"resident:{nameless.pk}"].area == D("70.00")


def test_co_owners_of_a_unit_count_once_and_share_one_entry(build, staff_a):
    owner, unit = build.owner("100.00")
    co_owner = build.live_in(unit, "co_owner")
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    [entry] = RollEntry.objects.filter(meeting=meeting)
    assert set(entry.members.all()) == {owner, co_owner}
    assert entry.area == D("100.00")
    assert roll_totals(meeting) == (D("100.00"), 1)


def test_co_ownership_links_a_co_owners_other_units_into_the_same_entry(build, staff_a):
    _a, unit = build.owner("100")
    b = build.live_in(unit, "co_owner")
    build.owner("40", resident=b)  # b also owns a flat alone: still one person, one count
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    assert roll_totals(meeting) == (D("140.00"), 1)


def test_the_developers_unsold_units_together_count_once(build, staff_a):
    for area in ("90", "95", "100"):
        build.unit(area, developer_owned=True)
    build.owner("80")
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    developer = _entries(meeting)["developer"]
    assert developer.is_developer and developer.area == D("285.00") and developer.units.count() == 3
    assert roll_totals(meeting) == (D("365.00"), 2)


def test_parking_spaces_carry_no_voting_area(build, staff_a):
    owner, _ = build.owner("100.00")
    build.owner("12.50", resident=owner, usage="parking")
    build.owner("13.00", usage="parking")  # owns only a parking space: no voting right
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    entry = _entries(meeting)[f"user:{owner.user_id}"]
    assert entry.area == D("100.00")
    assert sorted(u.area for u in entry.units.all()) == [D("0.00"), D("100.00")]
    assert roll_totals(meeting) == (D("100.00"), 1)


def test_area_source_is_recorded_per_unit(build, staff_a):
    owner, _ = build.owner("100.00", area_source="survey")
    entry = _entries(meeting_noticed(estate=build.estate, by=staff_a))[f"user:{owner.user_id}"]
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


# --- Corrections ---------------------------------------------------------------------------------


def test_staff_correct_an_area_with_a_reason_until_opening(build, staff_a):
    _owner, _ = build.owner("100.00")
    meeting = meeting_announced(estate=build.estate, by=staff_a)
    entry = RollEntry.objects.get(meeting=meeting)
    unit = entry.units.get()
    correction = services.roll_correct(
        roll_entry=entry,
        kind=RollCorrectionKind.AREA,
        roll_unit=unit,
        area=D("98.76"),
        reason="不动产登记簿面积为98.76",
        by=staff_a,
    )
    assert correction.before == {"unit": unit.label, "area": "100.00"}
    assert roll_totals(meeting) == (D("98.76"), 1)
    services.meeting_open(meeting=meeting, by=staff_a, now=meeting.voting_opens_at)
    with pytest.raises(ValidationError, match="before voting opens"):
        services.roll_correct(roll_entry=entry, kind=RollCorrectionKind.EXCLUDE, reason="x", by=staff_a)


def test_no_correction_once_the_scheduled_opening_has_passed(build, staff_a):
    # The status still says "noticed" (the clock job has not run yet), but voting has opened.
    build.owner("100.00")
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    assert meeting.status == "noticed" and meeting.voting_opens_at < timezone.now()
    with pytest.raises(ValidationError, match="before voting opens"):
        services.roll_correct(
            roll_entry=meeting.roll.get(), kind=RollCorrectionKind.EXCLUDE, reason="重复", by=staff_a
        )
    assert roll_totals(meeting) == (D("100.00"), 1)


def test_two_area_corrections_of_one_unit_keep_the_entry_area_right(build, staff_a):
    owner, _ = build.owner("100.00")
    build.owner("50.00", resident=owner)
    meeting = meeting_announced(estate=build.estate, by=staff_a)
    entry = meeting.roll.get()
    unit = entry.units.get(area=D("100.00"))  # the same (now stale) instance is used twice
    for area in ("98.00", "97.00"):
        services.roll_correct(
            roll_entry=entry,
            kind=RollCorrectionKind.AREA,
            roll_unit=unit,
            area=D(area),
            reason="按登记簿更正",
            by=staff_a,
        )
    assert roll_totals(meeting) == (D("147.00"), 1)


def test_sharing_a_parking_space_does_not_merge_two_owners(build, staff_a):
    a, _ = build.owner("100.00")
    b, _ = build.owner("80.00")
    space = build.unit("12.00", usage="parking")
    OccupancyFactory(unit=space, resident=a, role="owner")
    OccupancyFactory(unit=space, resident=b, role="co_owner")
    only_space = build.person()
    OccupancyFactory(unit=build.unit("12.00", usage="parking"), resident=only_space, role="owner")
    meeting = meeting_announced(estate=build.estate, by=staff_a)
    assert roll_totals(meeting) == (D("180.00"), 2)
    assert not RollEntry.objects.filter(meeting=meeting, members=only_space).exists()


def test_a_correction_needs_a_reason(build, staff_a):
    build.owner("100.00")
    meeting = meeting_announced(estate=build.estate, by=staff_a)
    with pytest.raises(ValidationError) as exc:
        services.roll_correct(
            roll_entry=meeting.roll.get(), kind=RollCorrectionKind.EXCLUDE, reason=" ", by=staff_a
        )
    assert "reason" in exc.value.message_dict


def test_excluding_and_adding_owners(build, staff_a):
    _, unit = build.owner("100.00")
    build.owner("50.00")
    heir = build.person()
    meeting = meeting_announced(estate=build.estate, by=staff_a)
    entry = RollEntry.objects.get(meeting=meeting, units__unit=unit)
    services.roll_correct(
        roll_entry=entry,
        kind=RollCorrectionKind.ADD_MEMBER,
        resident=heir,
        reason="继承，已提交公证书",
        by=staff_a,
    )
    assert heir in entry.members.all()
    other = RollEntry.objects.exclude(pk=entry.pk).get(meeting=meeting)
    services.roll_correct(roll_entry=other, kind=RollCorrectionKind.EXCLUDE, reason="重复登记", by=staff_a)
    assert roll_totals(meeting) == (D("100.00"), 1)


def test_parking_area_cannot_be_corrected_upward(build, staff_a):
    owner, _ = build.owner("100.00")
    build.owner("12.00", resident=owner, usage="parking")
    meeting = meeting_announced(estate=build.estate, by=staff_a)
    parking = meeting.roll.get().units.get(usage="parking")
    with pytest.raises(ValidationError):
        services.roll_correct(
            roll_entry=parking.roll_entry,
            kind=RollCorrectionKind.AREA,
            roll_unit=parking,
            area=D("12"),
            reason="x",
            by=staff_a,
        )


def test_open_meeting_uses_the_frozen_roll(build, staff_a):
    build.owner("100.00")
    meeting = meeting_open(estate=build.estate, by=staff_a)
    assert meeting.status == "open" and meeting.roll.count() == 1
