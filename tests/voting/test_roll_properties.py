"""Property tests of the roll (hypothesis): heads are the distinct owner sets plus one for the
developer; no correction except "not an exclusive part" changes the total area."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from community.voting import services
from community.voting.heads import Part, Person, group_heads, owner_identity
from community.voting.models import RollCorrectionKind as K
from community.voting.models import RollEntry
from community.voting.selectors import roll_totals
from tests.factories import EstateFactory, OccupancyFactory, StaffFactory
from tests.voting.conftest import EstateBuilder, pdf
from tests.voting.helpers import meeting_announced

PEOPLE = [
    Person(pk=i, name=f"P{i}", id_number=f"ID{i % 7}" if i % 3 else "", user_id=i if i % 2 else None)
    for i in range(12)
]

units_strategy = st.lists(
    st.tuples(
        st.booleans(),  # developer-held
        st.booleans(),  # parking
        st.sets(st.sampled_from(range(len(PEOPLE))), max_size=3),  # owners
        st.integers(min_value=0, max_value=20000),  # area in cents
    ),
    min_size=0,
    max_size=25,
)


@given(units_strategy, st.booleans())
def test_heads_are_the_distinct_owner_sets_plus_one_for_the_developer(units, parking_counts):
    parts, owners_of = [], {}
    for pk, (developer, parking, owners, cents) in enumerate(units):
        parts.append(
            Part(
                pk,
                f"U{pk}",
                "parking" if parking else "residential",
                Decimal(cents) / 100,
                "register",
                developer,
                parking,
            )
        )
        owners_of[pk] = [PEOPLE[i] for i in sorted(owners)]
    heads = group_heads(parts, owners_of, parking_counts=parking_counts)

    counted = [p for p in parts if parking_counts or not p.is_parking]
    developer = any(p.developer_held for p in counted)
    owner_sets = {
        frozenset(owner_identity(o) for o in owners_of[p.pk])
        for p in counted
        if not p.developer_held and owners_of[p.pk]
    }
    unknown = [p for p in counted if not p.developer_held and not owners_of[p.pk]]
    assert len(heads) == len(owner_sets) + int(developer) + len(unknown)
    # Every counted part is in exactly one head, and the area is conserved.
    assert sorted(p.pk for h in heads for p in h.parts) == sorted(p.pk for p in counted)
    assert sum((h.area for h in heads), Decimal(0)) == sum((p.area for p in counted), Decimal(0))
    # A head's members are exactly its owner set: nobody is pulled in through a shared member.
    for head in heads:
        if not head.is_developer and head.members:
            identities = {owner_identity(m) for m in head.members.values()}
            assert all({owner_identity(o) for o in owners_of[p.pk]} == identities for p in head.parts)


corrections_strategy = st.lists(
    st.sampled_from([K.MERGE, K.ADD_MEMBER, K.REMOVE_MEMBER, K.NOT_EXCLUSIVE_PART]), min_size=1, max_size=5
)


@pytest.mark.django_db
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(corrections_strategy)
def test_no_correction_but_not_an_exclusive_part_changes_the_total_area(media, corrections):
    estate = EstateFactory()
    staff = StaffFactory(estate=estate, role="manager")
    build = EstateBuilder(estate)
    people = []
    for area in ("100.00", "80.00", "60.00", "40.00"):
        person, unit = build.owner(area)
        people.append((person, unit))
    meeting = meeting_announced(estate=estate, by=staff)
    area_before, _ = roll_totals(meeting)
    removed = Decimal(0)
    for kind in corrections:
        entries = list(RollEntry.objects.filter(meeting=meeting, excluded=False).order_by("pk"))
        entry = entries[0]
        kwargs = {}
        if kind == K.MERGE and len(entries) > 1:
            kwargs["other_entry"] = entries[-1]
        elif kind == K.REMOVE_MEMBER and entry.members.exists():
            kwargs["resident"] = entry.members.first()
        elif kind == K.ADD_MEMBER:
            unit = entry.units.first().unit
            newcomer = build.person()
            OccupancyFactory(unit=unit, resident=newcomer, role="co_owner")
            kwargs["resident"] = newcomer
        elif kind == K.NOT_EXCLUSIVE_PART:
            unit = entry.units.filter(not_exclusive_part=False).first()
            kwargs["roll_unit"] = unit
            removed += unit.area
        else:
            continue
        services.roll_correct(roll_entry=entry, kind=kind, reason="核实", by=staff, document=pdf(), **kwargs)
        assert roll_totals(meeting)[0] == area_before - removed
