"""The tally: SQL aggregates over the roll and current ballots, exact Decimals, bounds through
the database, the "non-voters follow the majority" figures beside the raw ones."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from community.voting import services
from community.voting.models import MotionResult, RollEntry
from community.voting.selectors import meeting_tally, published_tally, roll_totals
from tests.factories import VotingSettingsFactory, meeting_closed, meeting_open
from tests.voting.conftest import pdf
from tests.voting.helpers import meeting_announced


def _estate(build, areas):
    return [build.owner(a)[0] for a in areas]


def _vote(owners, motion, choices):
    for owner, choice in zip(owners, choices, strict=False):
        if choice:
            services.ballot_cast_by_owner(user=owner.user, motion=motion, choice=choice)


def test_figures_are_exact_decimals(build, staff_a):
    owners = _estate(build, ["89.33", "120.17", "0.01", "100.10"])
    meeting = meeting_open(estate=build.estate, by=staff_a)
    motion = meeting.motions.first()
    _vote(owners, motion, ["agree", "oppose", "abstain", None])
    t = meeting_tally(meeting)[0]
    f = t.figures
    assert f.total_area == D("309.61") and f.total_owners == 4
    assert (f.agree_area, f.oppose_area, f.abstain_area) == (D("89.33"), D("120.17"), D("0.01"))
    assert f.participating_area == D("209.51") and f.participating_owners == 3
    assert all(isinstance(x, D) for x in (f.total_area, f.agree_area, f.participating_area))
    # 209.51 / 309.61 ≥ 2/3 and 3/4 owners: quorum; 1 of 3 agree: not passed.
    assert t.decision.quorum_met and not t.decision.passed


@pytest.mark.parametrize("voters,quorum", [(2, True), (1, False)])
def test_quorum_exactly_two_thirds_through_the_database(build, staff_a, voters, quorum):
    owners = _estate(build, ["100.00", "100.00", "100.00"])
    meeting = meeting_open(estate=build.estate, by=staff_a)
    _vote(owners[:voters], meeting.motions.first(), ["agree"] * voters)
    assert meeting_tally(meeting)[0].decision.quorum_met is quorum


@pytest.mark.parametrize("agree_area,passed", [("150.00", False), ("150.01", True), ("149.99", False)])
def test_ordinary_majority_by_area_through_the_database(build, staff_a, agree_area, passed):
    # Three owners take part; two (of three) agree, so the owner majority holds; area decides.
    other = D("300.00") - D(agree_area)
    a, b, c = _estate(build, ["50.00", str(D(agree_area) - 50), str(other)])
    meeting = meeting_open(estate=build.estate, by=staff_a, motions=(("续聘物业", 4),))
    _vote([a, b, c], meeting.motions.first(), ["agree", "agree", "oppose"])
    t = meeting_tally(meeting)[0]
    assert t.figures.agree_area == D(agree_area)
    assert t.decision.passed is passed


@pytest.mark.parametrize("agree,passed", [(2, False), (3, True)])
def test_special_matter_needs_three_quarters_of_owners(build, staff_a, agree, passed):
    owners = _estate(build, ["100.00"] * 4)
    meeting = meeting_open(estate=build.estate, by=staff_a, motions=(("筹集维修资金", 6),))
    _vote(owners, meeting.motions.first(), ["agree"] * agree + ["abstain"] * (4 - agree))
    t = meeting_tally(meeting)[0]
    assert t.kind == "special" and t.decision.passed is passed


def test_abstentions_take_part_but_do_not_count_as_yes(build, staff_a):
    owners = _estate(build, ["100.00"] * 4)
    meeting = meeting_open(estate=build.estate, by=staff_a, motions=(("续聘物业", 4),))
    _vote(owners, meeting.motions.first(), ["agree", "agree", "abstain", "abstain"])
    t = meeting_tally(meeting)[0]
    assert t.figures.participating_owners == 4 and t.decision.quorum_met
    assert not t.decision.passed  # 2 of 4 is not more than half


def test_a_unit_found_not_to_be_an_exclusive_part_leaves_the_totals(build, staff_a, media):
    from community.voting.models import RollCorrectionKind

    _estate(build, ["100.00", "50.00"])
    meeting = meeting_announced(estate=build.estate, by=staff_a)
    entry = RollEntry.objects.get(meeting=meeting, area=D("50.00"))
    services.roll_correct(
        roll_entry=entry,
        kind=RollCorrectionKind.NOT_EXCLUSIVE_PART,
        roll_unit=entry.units.get(),
        reason="规划为物业用房",
        document=pdf(),
        by=staff_a,
    )
    f = meeting_tally(meeting)[0].figures
    assert (f.total_area, f.total_owners) == (D("100.00"), 1)


def test_non_voters_follow_the_majority_is_off_by_default(build, staff_a):
    owners = _estate(build, ["100.00"] * 3)
    meeting = meeting_open(estate=build.estate, by=staff_a)
    _vote(owners, meeting.motions.first(), ["agree"])
    assert meeting_tally(meeting)[0].imputed is None


def _follows_majority(estate):
    return VotingSettingsFactory(
        estate=estate, non_voters_follow_majority=True, follow_majority_clause=pdf("议事规则.pdf")
    )


def test_non_voters_follow_the_majority_never_makes_the_quorum(build, staff_a, media):
    # Counter-example: 3 of 100 voting showed "would pass". The quorum comes from participants.
    _follows_majority(build.estate)
    owners = _estate(build, ["100.00"] * 10)
    meeting = meeting_open(estate=build.estate, by=staff_a, motions=(("续聘物业", 4),))
    _vote(owners, meeting.motions.first(), ["agree"] * 3)
    t = meeting_tally(meeting)[0]
    assert t.figures.agree_owners == 3 and not t.decision.quorum_met and not t.decision.passed  # raw
    assert t.imputed.agree_owners == 10 and t.imputed.agree_area == D("1000.00")
    assert t.imputed_side == "agree" and not t.imputed_decision.quorum_met and not t.imputed_decision.passed


def test_non_voters_follow_a_side_only_when_it_leads_on_area_and_heads(build, staff_a, media):
    _follows_majority(build.estate)
    owners = _estate(build, ["300.00", "50.00", "50.00", "100.00", "100.00", "100.00"])
    meeting = meeting_open(estate=build.estate, by=staff_a, motions=(("续聘物业", 4),))
    # Oppose leads on area (300 vs 100), agree on heads (2 vs 1): nobody's weight is imputed.
    _vote(owners, meeting.motions.first(), ["oppose", "agree", "agree", "abstain", "abstain"])
    t = meeting_tally(meeting)[0]
    assert t.decision.quorum_met and t.imputed is None


def test_non_voters_follow_the_majority_needs_the_uploaded_clause(build, staff_a):
    VotingSettingsFactory(estate=build.estate, non_voters_follow_majority=True)
    owners = _estate(build, ["100.00"] * 3)
    meeting = meeting_open(estate=build.estate, by=staff_a)
    _vote(owners, meeting.motions.first(), ["agree", "agree"])
    assert meeting_tally(meeting)[0].imputed is None
    with pytest.raises(ValidationError, match="clause"):
        services.voting_settings_save(estate=build.estate, non_voters_follow_majority=True, by=staff_a)


def test_the_imputed_side_is_shown_by_its_label(build, staff_a, client_for, media):
    _follows_majority(build.estate)
    owners = _estate(build, ["100.00"] * 4)
    meeting = meeting_open(estate=build.estate, by=staff_a, motions=(("续聘物业", 4),))
    _vote(owners, meeting.motions.first(), ["oppose"])
    meeting_closed(meeting, by=staff_a)
    page = client_for(owners[0].user).get(f"/portal/voting/{meeting.pk}/").content.decode()
    assert "counted as “Oppose”" in page  # before: the raw value “oppose”
    assert "data-official" in page  # which figure is official is said on the page


def test_results_are_frozen_at_close_and_published_with_the_date(build, staff_a):
    owners = _estate(build, ["100.00", "100.00", "100.00"])
    meeting = meeting_open(estate=build.estate, by=staff_a)
    motions = list(meeting.motions.all())
    for motion in motions:
        _vote(owners, motion, ["agree", "agree", "oppose"])
    meeting = meeting_closed(meeting, by=staff_a)
    assert meeting.status == "published" and meeting.results_published_at
    assert MotionResult.objects.filter(motion__meeting=meeting).count() == len(motions)
    tallies = published_tally(meeting)
    assert [t.decision.passed for t in tallies] == [True, True, False]  # matter 6 needs 3/4


def test_owners_on_the_roll_are_notified_of_the_notice_and_the_results(
    build, staff_a, django_capture_on_commit_callbacks
):
    from community.notifications.models import Notification

    owner, unit = build.owner()
    tenant = build.live_in(unit, "tenant")
    with django_capture_on_commit_callbacks() as callbacks:
        meeting = meeting_open(estate=build.estate, by=staff_a)
    # 20,000 inbox rows are not written inside the transaction that freezes the roll: after it.
    assert not Notification.objects.exists()
    for callback in callbacks:
        callback()
    with django_capture_on_commit_callbacks(execute=True):
        meeting_closed(meeting, by=staff_a)
    verbs = sorted(Notification.objects.filter(recipient=owner.user).values_list("verb", flat=True))
    assert verbs == ["voting.notice", "voting.results"]
    assert not Notification.objects.filter(recipient=tenant.user).exists()


def test_roll_totals_are_exact_beyond_fifteen_significant_digits(build, staff_a):
    # SQLite keeps numerics as binary floats; Django read their sum as a 15-digit Decimal, so a
    # total of 16+ digits lost its cents there (…999.90 instead of …999.89).
    owners = _estate(build, ["100.00"] * 11)
    meeting = meeting_open(estate=build.estate, by=staff_a, motions=(("续聘物业", 4),))
    RollEntry.objects.filter(meeting=meeting).update(area=D("999999999999.99"))
    assert roll_totals(meeting) == (D("10999999999999.89"), 11)
    _vote(owners, meeting.motions.first(), ["agree"] * 11)
    assert meeting_tally(meeting)[0].figures.agree_area == D("10999999999999.89")


@pytest.mark.parametrize("blank_is_abstention,abstain_owners,participants", [(True, 2, 3), (False, 1, 2)])
def test_blank_items_of_a_returned_ballot_count_as_abstentions_by_default(
    build, staff_a, blank_is_abstention, abstain_owners, participants
):
    VotingSettingsFactory(estate=build.estate, blank_is_abstention=blank_is_abstention)
    owners = _estate(build, ["100.00"] * 3)
    meeting = meeting_open(estate=build.estate, by=staff_a, motions=(("续聘物业", 4), ("选举业委会", 3)))
    first, second = meeting.motions.order_by("position")
    services.ballot_submit_by_owner(user=owners[0].user, meeting=meeting, choices={first.pk: "agree"})
    services.ballot_submit_by_owner(user=owners[1].user, meeting=meeting, choices={second.pk: "agree"})
    services.ballot_submit_by_owner(user=owners[2].user, meeting=meeting, choices={first.pk: "abstain"})
    t = meeting_tally(meeting)[0]
    assert (t.figures.abstain_owners, t.figures.participating_owners) == (abstain_owners, participants)


def test_percentages_are_rounded_down_and_the_shortfall_is_shown(build, staff_a, client_for):
    owners = _estate(build, ["100.00"] * 3)
    owners += _estate(build, ["100.01"])
    meeting = meeting_open(estate=build.estate, by=staff_a, motions=(("续聘物业", 4),))
    # 2 of 4 owners, 200 of 400.01 m²: no quorum.
    _vote(owners, meeting.motions.first(), ["agree", "agree"])
    meeting_closed(meeting, by=staff_a)
    [t] = published_tally(meeting)
    assert t.quorum_shortfall == (D("66.68"), 1)  # 2/3 of 400.01 = 266.673…: ≥ 266.68 needed
    page = client_for(owners[0].user).get(f"/portal/voting/{meeting.pk}/").content.decode()
    assert "49.99%" in page  # 200/400.01 m² = 49.998…%: rounded down, never up to 50.00%
    assert "≥ 66.68 m²" in page


def test_the_export_keeps_blank_and_invalid_apart(build, staff_a, client_for, media):
    from openpyxl import load_workbook

    owners = _estate(build, ["100.00"] * 3)
    meeting = meeting_open(estate=build.estate, by=staff_a, motions=(("续聘物业", 4), ("选举业委会", 3)))
    first, second = meeting.motions.order_by("position")
    services.ballot_submit_by_owner(user=owners[0].user, meeting=meeting, choices={first.pk: "agree"})
    services.ballot_submit_by_owner(
        user=owners[1].user, meeting=meeting, choices={first.pk: "abstain", second.pk: "abstain"}
    )
    meeting_closed(meeting, by=staff_a)
    xlsx = client_for(owners[0].user).get(f"/portal/voting/{meeting.pk}/results.xlsx")
    import io

    sheet = load_workbook(
        io.BytesIO(b"".join(xlsx.streaming_content) if xlsx.streaming else xlsx.content)
    ).active
    rows = {
        row[0]: row
        for row in sheet.iter_rows(values_only=True)
        if row and row[0] in ("续聘物业", "选举业委会")
    }
    # Counted: motion 2 has two abstentions (one blank); strictly: one blank item.
    assert rows["选举业委会"][11:13] == (200, 2) and rows["选举业委会"][-2:] == (1, 0)
    assert rows["续聘物业"][-2:] == (0, 0)
