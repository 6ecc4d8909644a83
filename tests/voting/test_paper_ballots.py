"""Returned paper and proxy ballots: keyed by the front desk, confirmed by a scrutineer (a
resident appointed per meeting), precedence by the time the intention was expressed, whole
ballots, proxies revoked by the owner's own ballot, co-owners told who cast their ballot."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from community.accounts.roles import StaffRole
from community.notifications.models import Notification
from community.voting import services
from community.voting.models import Ballot, RollEntry
from community.voting.selectors import meeting_tally
from tests.factories import StaffFactory, meeting_open
from tests.voting.conftest import pdf


@pytest.fixture
def desk(estate_a):
    return StaffFactory(estate=estate_a, role=StaffRole.FRONT_DESK, username="voting_desk_a")


@pytest.fixture
def scrutineer(build, staff_a):
    return build.owner("10.00")[0]


def _open(build, staff_a, scrutineer, **kwargs):
    meeting = meeting_open(estate=build.estate, by=staff_a, **kwargs)
    services.scrutineer_appoint(meeting=meeting, resident=scrutineer, by=staff_a)
    return meeting


def _key_in(meeting, entry, by, *, at, choices=None, proxy=None, signer="业主"):
    motions = list(meeting.motions.order_by("position"))
    return services.paper_ballot_enter(
        meeting=meeting,
        roll_entry=entry,
        signer_name=signer,
        received_at=at,
        scan=pdf("ballot.pdf"),
        choices=choices if choices is not None else {m.pk: "agree" for m in motions},
        proxy=proxy,
        by=by,
        now=at + dt.timedelta(hours=1),  # keyed in an hour after it was received
    )


def test_the_desk_keys_in_the_developer_ballot_and_a_scrutineer_confirms_it(
    build, staff_a, desk, scrutineer, media
):
    build.unit("300.00", developer_owned=True)
    meeting = _open(build, staff_a, scrutineer)
    developer = RollEntry.objects.get(meeting=meeting, is_developer=True)
    first = meeting.motions.order_by("position").first()
    paper = _key_in(
        meeting,
        developer,
        desk,
        at=meeting.voting_opens_at + dt.timedelta(hours=2),
        choices={first.pk: "oppose"},
    )
    assert not Ballot.objects.exists()  # not counted before confirmation
    services.paper_ballot_confirm(paper=paper, by=scrutineer.user)
    figures = meeting_tally(meeting)[0].figures
    assert (figures.oppose_area, figures.oppose_owners) == (D("300.00"), 1)
    # A returned ballot takes part in every motion: the unmarked ones are blank (abstentions).
    others = meeting_tally(meeting)[1:]
    assert all((t.figures.abstain_owners, t.figures.participating_owners) == (1, 1) for t in others)
    assert set(Ballot.objects.values_list("channel", "cast_by", "cast_at").distinct()) == {
        ("paper", desk.pk, paper.received_at)
    }


def test_staff_may_key_in_but_never_confirm(build, staff_a, desk, scrutineer, media):
    owner, _ = build.owner("100.00")
    meeting = _open(build, staff_a, scrutineer)
    paper = _key_in(
        meeting, RollEntry.objects.get(meeting=meeting, members=owner), desk, at=meeting.voting_opens_at
    )
    for not_a_scrutineer in (staff_a, desk, owner.user):
        with pytest.raises(PermissionDenied, match="Only a scrutineer"):
            services.paper_ballot_confirm(paper=paper, by=not_a_scrutineer)
    assert not Ballot.objects.exists()


def test_a_scrutineer_cannot_key_in_the_ballot_they_would_confirm(build, staff_a, scrutineer, media):
    # Keying needs a desk role in the estate, confirming a scrutineer's appointment (never
    # staff): one person cannot do both.
    owner, _ = build.owner("100.00")
    meeting = _open(build, staff_a, scrutineer)
    entry = RollEntry.objects.get(meeting=meeting, members=owner)
    with pytest.raises(PermissionDenied, match="role"):
        _key_in(meeting, entry, scrutineer.user, at=meeting.voting_opens_at)
    paper = _key_in(meeting, entry, staff_a, at=meeting.voting_opens_at)
    with pytest.raises(PermissionDenied, match="scrutineer"):
        services.paper_ballot_confirm(paper=paper, by=staff_a)


def test_only_ballots_received_before_the_close_are_entered_during_counting(
    build, staff_a, desk, scrutineer, media
):
    owner, _ = build.owner("100.00")
    meeting = _open(build, staff_a, scrutineer)
    entry = RollEntry.objects.get(meeting=meeting, members=owner)
    services.meeting_close(meeting=meeting, by=staff_a, now=meeting.voting_closes_at)
    with pytest.raises(ValidationError, match="while voting is open or during counting"):
        _key_in(meeting, entry, desk, at=meeting.voting_closes_at - dt.timedelta(hours=1))
    services.meeting_start_counting(meeting=meeting, by=staff_a)
    with pytest.raises(ValidationError, match="received while voting was open"):
        _key_in(meeting, entry, desk, at=meeting.voting_closes_at)
    paper = _key_in(meeting, entry, desk, at=meeting.voting_closes_at - dt.timedelta(hours=1))
    services.paper_ballot_confirm(paper=paper, by=scrutineer.user)
    services.meeting_publish_results(meeting=meeting, by=staff_a)
    meeting.refresh_from_db()
    assert meeting.motions.first().result.agree_owners == 1  # the published result includes it


def test_precedence_is_by_the_time_the_intention_was_expressed_not_key_in_order(
    build, staff_a, desk, scrutineer, media
):
    owner, _ = build.owner("100.00")
    meeting = _open(build, staff_a, scrutineer, motions=(("续聘物业", 4),))
    motion = meeting.motions.get()
    entry = RollEntry.objects.get(meeting=meeting, members=owner)
    online_at = meeting.voting_opens_at + dt.timedelta(days=2)
    services.ballot_cast_by_owner(user=owner.user, motion=motion, choice="oppose", now=online_at)
    # A paper ballot the owner handed in a day *before* voting online, keyed in afterwards:
    earlier = _key_in(meeting, entry, desk, at=online_at - dt.timedelta(days=1), choices={motion.pk: "agree"})
    services.paper_ballot_confirm(paper=earlier, by=scrutineer.user)
    assert Ballot.objects.get(superseded=False).choice == "oppose"
    later = _key_in(
        meeting, entry, desk, at=online_at + dt.timedelta(hours=1), choices={motion.pk: "abstain"}
    )
    services.paper_ballot_confirm(paper=later, by=scrutineer.user)
    assert Ballot.objects.get(superseded=False).choice == "abstain"
    from community.voting.audit import meeting_verify

    assert meeting_verify(meeting).ok


def test_the_owners_own_ballot_revokes_the_proxy(build, staff_a, desk, scrutineer, media):
    owner, _ = build.owner("100.00")
    meeting = _open(build, staff_a, scrutineer, motions=(("续聘物业", 4),))
    motion = meeting.motions.get()
    entry = RollEntry.objects.get(meeting=meeting, members=owner)
    proxy = services.proxy_authorise(
        meeting=meeting,
        principal=entry,
        proxy_name="李四",
        proxy_key="420300199001011234",
        document=pdf(),
        by=desk,
    )
    start = meeting.voting_opens_at
    by_proxy = _key_in(
        meeting,
        entry,
        desk,
        at=start + dt.timedelta(hours=1),
        proxy=proxy,
        choices={motion.pk: "agree"},
        signer="李四",
    )
    services.ballot_cast_by_owner(
        user=owner.user, motion=motion, choice="oppose", now=start + dt.timedelta(minutes=30)
    )
    proxy.refresh_from_db()
    assert proxy.revoked_at is not None
    # The proxy's ballot, even expressed later, neither counts nor can be confirmed any more.
    with pytest.raises(ValidationError, match="revoked"):
        services.paper_ballot_confirm(paper=by_proxy, by=scrutineer.user)
    assert Ballot.objects.get(superseded=False).choice == "oppose"


def test_a_revoked_authorisation_frees_the_proxys_slot_and_can_be_replaced(build, staff_a, media):
    owners = [build.owner("100.00")[0] for _ in range(2)]
    from tests.factories import VotingSettingsFactory

    VotingSettingsFactory(estate=build.estate, proxy_principal_limit=1)
    meeting = meeting_open(estate=build.estate, by=staff_a)
    first, second = (RollEntry.objects.get(meeting=meeting, members=o) for o in owners)
    proxy = services.proxy_authorise(
        meeting=meeting,
        principal=first,
        proxy_name="李四",
        proxy_key="420300199001011234",
        document=pdf(),
        by=staff_a,
    )
    with pytest.raises(ValidationError, match="at most 1"):
        services.proxy_authorise(
            meeting=meeting,
            principal=second,
            proxy_name="李四",
            proxy_key="420300199001011234",
            document=pdf(),
            by=staff_a,
        )
    services.proxy_revoke(proxy=proxy, by=staff_a)
    services.proxy_authorise(
        meeting=meeting,
        principal=second,
        proxy_name="李四",
        proxy_key="420300199001011234",
        document=pdf(),
        by=staff_a,
    )
    replacement = services.proxy_authorise(
        meeting=meeting,
        principal=second,
        proxy_name="王五",
        proxy_key="420300199202021111",
        document=pdf(),
        by=staff_a,
        replace=True,
    )
    assert list(second.proxies.filter(revoked_at__isnull=True)) == [replacement]


def test_co_owners_are_told_when_their_ballot_changes_and_by_whom(build, staff_a):
    owner, unit = build.owner("100.00")
    co_owner = build.live_in(unit, "co_owner")
    meeting = meeting_open(estate=build.estate, by=staff_a)
    services.ballot_submit_by_owner(user=owner.user, meeting=meeting, choices={})
    [note] = Notification.objects.filter(recipient=co_owner.user, verb="voting.ballot_changed")
    assert owner.name in note.title_text and note.params["who"] == owner.name
    assert not Notification.objects.filter(recipient=owner.user, verb="voting.ballot_changed").exists()


def test_a_person_in_two_owner_sets_chooses_the_entry_for_each_ballot(build, staff_a):
    person, unit = build.owner("60.00")
    build.live_in(unit, "co_owner")
    build.owner("120.00", resident=person)
    meeting = meeting_open(estate=build.estate, by=staff_a, motions=(("续聘物业", 4),))
    motion = meeting.motions.get()
    with pytest.raises(ValidationError, match="several entries"):
        services.ballot_cast_by_owner(user=person.user, motion=motion, choice="agree")
    entries = services.roll_entries_for_user(meeting, person.user)
    for entry, choice in zip(entries, ["agree", "oppose"], strict=True):
        services.ballot_cast_by_owner(user=person.user, motion=motion, choice=choice, entry_id=entry.pk)
    t = meeting_tally(meeting)[0].figures
    assert (t.agree_owners, t.oppose_owners, t.agree_area + t.oppose_area) == (1, 1, D("180.00"))


@pytest.mark.django_db
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.sampled_from(["portal", "paper", "proxy"]), st.integers(min_value=0, max_value=5)),
        min_size=1,
        max_size=6,
    )
)
def test_whatever_the_key_in_order_the_owners_latest_own_ballot_counts(build, staff_a, media, ballots):
    """Property: the current ballot is the latest-expressed own ballot, else the latest proxy's."""
    from community.voting.audit import meeting_verify
    from community.voting.models import Meeting
    from community.voting.services.ballots import append

    owner, _ = build.owner("100.00")
    meeting = meeting_open(
        estate=build.estate, by=staff_a, motions=(("续聘物业", 4),), title=f"P{len(ballots)}"
    )
    motion = meeting.motions.get()
    entry = RollEntry.objects.get(meeting=meeting, members=owner)
    locked = Meeting.objects.get(pk=meeting.pk)
    made = []
    for i, (channel, hours) in enumerate(ballots):
        made.append(
            append(
                meeting=locked,
                motion=motion,
                entry=entry,
                choice=["agree", "oppose", "abstain"][i % 3],
                channel=channel,
                by=staff_a,
                cast_at=meeting.voting_opens_at + dt.timedelta(hours=hours),
            )
        )
    expected = max(made, key=lambda b: services.precedence(b.channel, b.cast_at, b.seq))
    assert Ballot.objects.get(motion=motion, roll_entry=entry, superseded=False).pk == expected.pk
    assert meeting_verify(meeting).ok
