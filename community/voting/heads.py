"""Who is one head on the roll (SPC interpretation on building ownership, Arts. 8–9), as pure code.

* One exclusive part (专有部分) is one head, with its area.
* Two exceptions count several parts as one: the developer's parts (unsold, or sold but not
  yet delivered) together; and the *same buyer* holding several parts. "Same buyer" is the
  same owner set: one person, or exactly the same group of co-owners. Different owner sets are
  different heads even when they share a member; nothing merges transitively.
* A person is identified by the normalised ID number first, then the login, then the phone,
  then the resident record (``owner_identity``).
* A part with no known owner still counts (its own head, "owner unknown").
* Parking spaces are exclusive parts only where the estate says so (off by default).

No database here: the roll service fetches rows, this module groups them, so the grouping can
be checked by property tests against the rule as the SPC states it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from community.residents.models import normalise_id_number

DEVELOPER_KEY = "developer"
VOTER_KEY_MAX = 64


@dataclass(frozen=True, slots=True)
class Person:
    """One resident record as the roll sees it."""

    pk: int
    name: str
    id_number: str = ""
    user_id: int | None = None
    phone: str = ""


def owner_identity(
    person: Person, *, same_as: Mapping[int, str] | None = None, apart: frozenset = frozenset()
) -> str:
    """The key that makes two resident records one person on the roll.

    ``apart``: records staff decided are different people (never merged by ID number);
    ``same_as``: records staff decided are one person (resident id -> group key).
    """
    if person.pk in apart:
        return f"resident:{person.pk}"
    id_number = normalise_id_number(person.id_number)
    if id_number:
        return f"id:{id_number}"
    if same_as and person.pk in same_as:
        return f"same:{same_as[person.pk]}"
    if person.user_id:
        return f"user:{person.user_id}"
    if person.phone:
        return f"phone:{person.phone}"
    return f"resident:{person.pk}"


@dataclass(frozen=True, slots=True)
class Part:
    """One unit in the meeting's scope."""

    pk: int
    label: str
    usage: str
    area: Decimal
    area_source: str
    developer_held: bool
    is_parking: bool = False


@dataclass
class Head:
    key: str
    is_developer: bool
    parts: list[Part] = field(default_factory=list)
    members: dict[int, Person] = field(default_factory=dict)

    @property
    def area(self) -> Decimal:
        return sum((p.area for p in self.parts), Decimal(0))


def owner_set_key(identities: Iterable[str]) -> str:
    """One key per owner set, short enough for the roll's voter_key column."""
    joined = "|".join(sorted(set(identities)))
    key = f"owners:{joined}"
    if len(key) <= VOTER_KEY_MAX:
        return key
    return "owners#" + hashlib.sha256(joined.encode()).hexdigest()[: VOTER_KEY_MAX - len("owners#")]


def group_heads(
    parts: Iterable[Part],
    owners_of: Mapping[int, list[Person]],
    *,
    parking_counts: bool,
    identity=owner_identity,
) -> list[Head]:
    """The roll's heads, in the order their first part appears."""
    heads: dict[str, Head] = {}
    for part in parts:
        if part.is_parking and not parking_counts:
            continue
        owners = owners_of.get(part.pk, [])
        if part.developer_held:
            key = DEVELOPER_KEY
        elif owners:
            key = owner_set_key(identity(p) for p in owners)
        else:
            key = f"unit:{part.pk}"
        head = heads.get(key)
        if head is None:
            head = heads[key] = Head(key=key, is_developer=key == DEVELOPER_KEY)
        head.parts.append(part)
        if not part.developer_held:
            for person in owners:
                head.members.setdefault(person.pk, person)
    return list(heads.values())
