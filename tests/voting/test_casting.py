"""Casting: one current ballot per roll entry and motion, changeable until close; paper and
proxy ballots; tenants and family refused."""

from __future__ import annotations

import threading
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from community.voting import services
from community.voting.models import Ballot, Meeting, RollEntry
from community.voting.selectors import meeting_tally
from tests.factories import meeting_closed, meeting_open


def _pdf(name="委托书.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 signed")


def test_owner_votes_changes_their_mind_and_the_last_ballot_counts(build, staff_a):
    owner, _ = build.owner("100.00")
    meeting = meeting_open(estate=build.estate, by=staff_a)
    motion = meeting.motions.first()
    first = services.ballot_cast_by_owner(user=owner.user, motion=motion, choice="agree")
    second = services.ballot_cast_by_owner(user=owner.user, motion=motion, choice="oppose")
    first.refresh_from_db()
    assert first.superseded and not second.superseded
    assert first.receipt_code != second.receipt_code
    assert Ballot.objects.filter(motion=motion).count() == 2  # history kept
    tally = meeting_tally(meeting)[0].figures
    assert (tally.agree_owners, tally.oppose_owners, tally.oppose_area) == (0, 1, D("100.00"))


def test_co_owners_share_one_ballot(build, staff_a):
    owner, unit = build.owner("100.00")
    co_owner = build.live_in(unit, "co_owner")
    meeting = meeting_open(estate=build.estate, by=staff_a)
    motion = meeting.motions.first()
    services.ballot_cast_by_owner(user=owner.user, motion=motion, choice="agree")
    services.ballot_cast_by_owner(user=co_owner.user, motion=motion, choice="abstain")
    figures = meeting_tally(meeting)[0].figures
    assert figures.participating_owners == 1 and figures.abstain_owners == 1 and figures.agree_owners == 0


@pytest.mark.parametrize("role", ["tenant", "family"])
def test_tenants_and_family_members_cannot_vote(build, staff_a, role):
    _, unit = build.owner("100.00")
    occupant = build.live_in(unit, role)
    meeting = meeting_open(estate=build.estate, by=staff_a)
    with pytest.raises(PermissionDenied, match="tenants and family members cannot vote"):
        services.ballot_cast_by_owner(user=occupant.user, motion=meeting.motions.first(), choice="agree")
    assert not Ballot.objects.exists()


def test_an_owner_of_another_estate_cannot_vote(build, staff_a, household_b):
    build.owner("100.00")
    meeting = meeting_open(estate=build.estate, by=staff_a)
    with pytest.raises(PermissionDenied):
        services.ballot_cast_by_owner(user=household_b[0], motion=meeting.motions.first(), choice="agree")


def test_bad_choice_is_refused(build, staff_a):
    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    with pytest.raises(ValidationError):
        services.ballot_cast_by_owner(user=owner.user, motion=meeting.motions.first(), choice="maybe")
    assert not Ballot.objects.exists()


def test_ballots_are_immutable_after_close(build, staff_a):
    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    motion = meeting.motions.first()
    services.ballot_cast_by_owner(user=owner.user, motion=motion, choice="agree")
    meeting_closed(meeting, by=staff_a, publish=False)
    with pytest.raises(ValidationError, match="not open"):
        services.ballot_cast_by_owner(user=owner.user, motion=motion, choice="oppose")
    assert Ballot.objects.get().choice == "agree"


def test_no_voting_before_opening(build, staff_a):
    from tests.factories import meeting_noticed

    owner, _ = build.owner()
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    with pytest.raises(ValidationError, match="not open"):
        services.ballot_cast_by_owner(user=owner.user, motion=meeting.motions.first(), choice="agree")


def test_a_proxy_represents_at_most_three_owners_by_default(build, staff_a, media):
    for _ in range(4):
        build.owner("100.00")
    meeting = meeting_open(estate=build.estate, by=staff_a)
    entries = list(RollEntry.objects.filter(meeting=meeting).order_by("pk"))
    for entry in entries[:3]:
        services.proxy_authorise(
            meeting=meeting,
            principal=entry,
            proxy_name="李四",
            proxy_key="４２０３００1990 01011234",  # full-width and spaced: the same person
            document=_pdf(),
            by=staff_a,
        )
    with pytest.raises(ValidationError, match="at most 3"):
        services.proxy_authorise(
            meeting=meeting,
            principal=entries[3],
            proxy_name="李四",
            proxy_key="420300199001011234",
            document=_pdf(),
            by=staff_a,
        )
    # Another proxy may take the fourth owner.
    services.proxy_authorise(
        meeting=meeting,
        principal=entries[3],
        proxy_name="王五",
        proxy_key="13900000009",
        document=_pdf(),
        by=staff_a,
    )


def test_the_proxy_cap_is_configurable_per_meeting_and_estate(build, staff_a, media):
    from tests.factories import VotingSettingsFactory

    for _ in range(3):
        build.owner("100.00")
    VotingSettingsFactory(estate=build.estate, proxy_principal_limit=2)
    meeting = meeting_open(estate=build.estate, by=staff_a)
    entries = list(RollEntry.objects.filter(meeting=meeting))
    for entry in entries[:2]:
        services.proxy_authorise(
            meeting=meeting, principal=entry, proxy_name="李四", proxy_key="X1", document=_pdf(), by=staff_a
        )
    with pytest.raises(ValidationError, match="at most 2"):
        services.proxy_authorise(
            meeting=meeting,
            principal=entries[2],
            proxy_name="李四",
            proxy_key="x1",
            document=_pdf(),
            by=staff_a,
        )
    Meeting.objects.filter(pk=meeting.pk).update(proxy_principal_limit=5)
    meeting.refresh_from_db()
    services.proxy_authorise(
        meeting=meeting, principal=entries[2], proxy_name="李四", proxy_key="X1", document=_pdf(), by=staff_a
    )


def test_authorisation_document_type_is_checked(build, staff_a, media):
    build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    with pytest.raises(ValidationError):
        services.proxy_authorise(
            meeting=meeting,
            principal=meeting.roll.get(),
            proxy_name="李四",
            proxy_key="X",
            document=SimpleUploadedFile("a.html", b"<html>"),
            by=staff_a,
        )


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_leave_exactly_one_current_ballot(estate_a, staff_a):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers on one file; the row-lock race needs PostgreSQL.")
    from tests.voting.conftest import EstateBuilder

    build = EstateBuilder(estate_a)
    owner, unit = build.owner("100.00")
    co_owner = build.live_in(unit, "co_owner")
    meeting = meeting_open(estate=estate_a, by=staff_a)
    motion = meeting.motions.first()
    barrier = threading.Barrier(8)
    errors = []

    def cast(user, choice):
        try:
            barrier.wait()
            services.ballot_cast_by_owner(user=user, motion=motion, choice=choice)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    users = [owner.user, co_owner.user] * 4
    choices = ["agree", "oppose", "abstain", "agree"] * 2
    threads = [threading.Thread(target=cast, args=(u, c)) for u, c in zip(users, choices, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Ballot.objects.filter(motion=motion).count() == 8
    assert Ballot.objects.filter(motion=motion, superseded=False).count() == 1
    seqs = list(Ballot.objects.filter(meeting=meeting).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 9))
    from community.voting.audit import meeting_verify

    assert meeting_verify(meeting).ok
