"""Typed corrections of the frozen roll: none shrinks the quorum base except "this unit is not an
exclusive part" (with evidence); identity corrections last until the end of counting."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from community.voting import services
from community.voting.models import RollCorrectionKind as K
from community.voting.models import RollEntry
from community.voting.selectors import meeting_tally, roll_totals
from tests.factories import OccupancyFactory, meeting_noticed, meeting_open
from tests.voting.conftest import pdf
from tests.voting.helpers import meeting_announced


def test_unreachable_owners_cannot_be_taken_off_the_roll(build, staff_a, media):
    # Counter-example: "exclude entry, 联系不上" turned 5 of 9 (no quorum) into 5 of 7 (passed).
    owners = [build.owner("100.00")[0] for _ in range(9)]
    meeting = meeting_open(estate=build.estate, by=staff_a, motions=(("续聘物业", 4),))
    for owner in owners[:5]:
        services.ballot_cast_by_owner(user=owner.user, motion=meeting.motions.get(), choice="agree")
    assert "exclude" not in K.values
    unreachable = RollEntry.objects.get(meeting=meeting, members=owners[8])
    with pytest.raises(ValidationError):
        services.roll_correct(
            roll_entry=unreachable, kind="exclude", reason="联系不上", by=staff_a, document=pdf()
        )
    [tally] = meeting_tally(meeting)
    assert (tally.figures.total_owners, tally.decision.quorum_met, tally.decision.passed) == (9, False, False)
    assert tally.quorum_shortfall == (D("100.00"), 1)


def test_only_not_an_exclusive_part_lowers_the_base_and_it_needs_evidence(build, staff_a, media):
    owner, _ = build.owner("100.00")
    build.owner("8.00", resident=owner)  # a storeroom wrongly registered as a flat
    meeting = meeting_announced(estate=build.estate, by=staff_a)
    entry = meeting.roll.get()
    storeroom = entry.units.get(area=D("8.00"))
    with pytest.raises(ValidationError) as exc:
        services.roll_correct(
            roll_entry=entry, kind=K.NOT_EXCLUSIVE_PART, roll_unit=storeroom, reason="储藏室", by=staff_a
        )
    assert "document" in exc.value.message_dict
    services.roll_correct(
        roll_entry=entry,
        kind=K.NOT_EXCLUSIVE_PART,
        roll_unit=storeroom,
        reason="规划为储藏室",
        by=staff_a,
        document=pdf(),
    )
    assert roll_totals(meeting) == (D("100.00"), 1)
    storeroom.refresh_from_db()
    assert storeroom.not_exclusive_part  # still listed, struck through on the published roll


def test_removing_a_person_who_is_not_an_owner_keeps_the_unit(build, staff_a, media):
    owner, _ = build.owner("100.00")
    meeting = meeting_announced(estate=build.estate, by=staff_a)
    entry = meeting.roll.get()
    services.roll_correct(
        roll_entry=entry,
        kind=K.REMOVE_MEMBER,
        resident=owner,
        reason="已过户，非业主",
        by=staff_a,
        document=pdf(),
    )
    assert roll_totals(meeting) == (D("100.00"), 1)
    assert entry.members.count() == 0
    # Without a verified owner the entry takes no ballot until its identity is corrected.
    services.meeting_open(meeting=meeting, by=staff_a, now=meeting.voting_opens_at)
    with pytest.raises(ValidationError, match="no verified owner"):
        services.paper_ballot_enter(
            meeting=meeting,
            roll_entry=entry,
            signer_name=owner.name,
            received_at=meeting.voting_opens_at,
            scan=pdf("ballot.pdf"),
            choices={},
            by=staff_a,
            now=meeting.voting_opens_at,
        )


def test_merging_two_entries_of_one_owner_keeps_the_area(build, staff_a, media):
    a, _ = build.owner("100.00")
    b, _ = build.owner("50.00")
    meeting = meeting_announced(estate=build.estate, by=staff_a)
    first = RollEntry.objects.get(meeting=meeting, members=a)
    second = RollEntry.objects.get(meeting=meeting, members=b)
    services.roll_correct(
        roll_entry=first,
        kind=K.MERGE,
        other_entry=second,
        reason="同一人两条记录",
        by=staff_a,
        document=pdf(),
    )
    assert roll_totals(meeting) == (D("150.00"), 1)


def test_adding_a_member_checks_they_own_a_unit_of_the_entry(build, staff_a, media):
    _, unit = build.owner("100.00")
    stranger = build.person()
    heir = build.person()
    meeting = meeting_announced(estate=build.estate, by=staff_a)
    entry = meeting.roll.get()
    with pytest.raises(ValidationError, match="not recorded as an owner"):
        services.roll_correct(
            roll_entry=entry, kind=K.ADD_MEMBER, resident=stranger, reason="继承", by=staff_a, document=pdf()
        )
    OccupancyFactory(unit=unit, resident=heir, role="co_owner", start_date=timezone.localdate())
    services.roll_correct(
        roll_entry=entry, kind=K.ADD_MEMBER, resident=heir, reason="继承，公证书", by=staff_a, document=pdf()
    )
    assert heir in entry.members.all()


def test_identity_corrections_last_until_counting_ends_area_ones_end_at_opening(build, staff_a, media):
    _owner, unit = build.owner("100.00")
    meeting = meeting_open(estate=build.estate, by=staff_a)
    entry = meeting.roll.get()
    with pytest.raises(ValidationError, match="before voting opens"):
        services.roll_correct(
            roll_entry=entry,
            kind=K.AREA,
            roll_unit=entry.units.get(),
            area=D("99"),
            reason="x",
            by=staff_a,
            document=pdf(),
        )
    services.meeting_close(meeting=meeting, by=staff_a, now=meeting.voting_closes_at)
    services.meeting_start_counting(meeting=meeting, by=staff_a)
    buyer = build.person()
    OccupancyFactory(unit=unit, resident=buyer, role="co_owner", start_date=timezone.localdate())
    services.roll_correct(
        roll_entry=entry, kind=K.ADD_MEMBER, resident=buyer, reason="核实签名人", by=staff_a, document=pdf()
    )
    services.meeting_publish_results(meeting=meeting, by=staff_a)
    with pytest.raises(ValidationError, match="end of counting"):
        services.roll_correct(
            roll_entry=entry, kind=K.REMOVE_MEMBER, resident=buyer, reason="x", by=staff_a, document=pdf()
        )


def test_area_corrections_keep_the_entry_area_right(build, staff_a, media):
    owner, _ = build.owner("100.00")
    build.owner("50.00", resident=owner)
    meeting = meeting_announced(estate=build.estate, by=staff_a)
    entry = meeting.roll.get()
    unit = entry.units.get(area=D("100.00"))  # the same (now stale) instance is used twice
    for area in ("98.00", "97.00"):
        correction = services.roll_correct(
            roll_entry=entry,
            kind=K.AREA,
            roll_unit=unit,
            area=D(area),
            reason="按登记簿更正",
            by=staff_a,
            document=pdf(),
        )
    assert correction.before == {"unit": unit.label, "area": "98.00"}
    assert roll_totals(meeting) == (D("147.00"), 1)


def test_no_correction_of_areas_once_the_scheduled_opening_has_passed(build, staff_a, media):
    # The status still says "noticed" (the clock job has not run yet), but voting has opened.
    build.owner("100.00")
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    entry = meeting.roll.get()
    assert meeting.status == "noticed" and meeting.voting_opens_at < timezone.now()
    with pytest.raises(ValidationError, match="before voting opens"):
        services.roll_correct(
            roll_entry=entry,
            kind=K.NOT_EXCLUSIVE_PART,
            roll_unit=entry.units.get(),
            reason="x",
            by=staff_a,
            document=pdf(),
        )
    assert roll_totals(meeting) == (D("100.00"), 1)


def test_a_correction_needs_a_reason(build, staff_a, media):
    build.owner("100.00")
    meeting = meeting_announced(estate=build.estate, by=staff_a)
    entry = meeting.roll.get()
    with pytest.raises(ValidationError) as exc:
        services.roll_correct(
            roll_entry=entry, kind=K.AREA, roll_unit=entry.units.get(), area=D(1), reason=" ", by=staff_a
        )
    assert "reason" in exc.value.message_dict


def test_corrections_and_removed_units_are_shown_on_the_published_roll(build, staff_a, client_for, media):
    owner, _ = build.owner("100.00")
    build.owner("8.00", resident=owner)
    meeting = meeting_announced(estate=build.estate, by=staff_a)
    entry = meeting.roll.get()
    services.roll_correct(
        roll_entry=entry,
        kind=K.NOT_EXCLUSIVE_PART,
        roll_unit=entry.units.get(area=D("8.00")),
        reason="规划为储藏室",
        by=staff_a,
        document=pdf(),
    )
    page = client_for(owner.user).get(f"/portal/voting/{meeting.pk}/roll/").content.decode()
    assert (
        "data-removed-unit" in page and 'data-correction="not_exclusive"' in page and "规划为储藏室" in page
    )
