"""`manage.py seed_demo`: the demo estate a visitor logs into, built quickly and only once."""

from __future__ import annotations

import hashlib
import io
import re
import time

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count

from community.accounts.roles import StaffRole
from community.demo import DEMO_LOGINS, DEMO_PASSWORD
from community.residents.demo import id_number_checksum
from community.residents.models import (
    Announcement,
    AreaSource,
    Estate,
    Occupancy,
    OccupancyRole,
    Resident,
    StaffMembership,
    Unit,
    UnitUsage,
)

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--no-progress", stdout=out)
    return out.getvalue()


def snapshot() -> tuple[dict[str, int], str]:
    """Row counts and a checksum of every row of every model (all apps' seeders included)."""
    counts, digest = {}, hashlib.sha256()
    for model in apps.get_models():
        rows = list(model.objects.order_by("pk").values_list())
        counts[model._meta.label] = len(rows)
        digest.update(f"{model._meta.label}:{rows!r}".encode())
    return counts, digest.hexdigest()


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    """Seed once for the module, inside a transaction rolled back at the end; each test runs in
    a savepoint inside it. Seeding takes seconds, so doing it per test would dominate CI."""
    with django_db_blocker.unblock(), transaction.atomic():
        started = time.perf_counter()
        out = seed()
        yield out, time.perf_counter() - started
        transaction.set_rollback(True)


@pytest.fixture
def seeded(seeded_once, db):
    return seeded_once[0]


def test_second_run_changes_nothing_and_is_fast(seeded):
    counts, checksum = snapshot()
    started = time.perf_counter()
    out = seed()
    elapsed = time.perf_counter() - started
    assert snapshot() == (counts, checksum)
    assert counts["residents.Unit"] > 900
    assert elapsed < 10, f"second seed_demo took {elapsed:.1f}s"
    assert "13800000001" in out


def test_prints_every_demo_login_with_the_password(seeded):
    assert f"password {DEMO_PASSWORD}" in seeded
    for login, _role in DEMO_LOGINS:
        assert re.search(rf"^\s+{login}\s", seeded, re.M), login


@pytest.mark.parametrize(
    ("login", "role"),
    [
        ("13800000001", None),
        ("13800000002", None),
        ("13900000001", StaffRole.MANAGER),
        ("13900000002", StaffRole.TECHNICIAN),
        ("13700000001", StaffRole.ELDERCARE_WORKER),
        ("admin", None),
    ],
)
def test_demo_logins_authenticate_with_the_demo_password(seeded, login, role):
    user = authenticate(username=login if login == "admin" else f"u86{login}", password=DEMO_PASSWORD)
    assert user is not None, login
    if login == "admin":
        assert user.is_superuser and user.is_staff
    if role:
        assert StaffMembership.objects.filter(user=user, estate__code="sunshine", role=role).exists()
        assert user.is_staff and user.groups.filter(name=f"role:{role}").exists()
    if login != "admin":
        assert str(user.phone) == f"+86{login}"


def test_the_estate_is_shiyan_sunshine_garden(seeded):
    estate = Estate.objects.get(code="sunshine")
    assert estate.name == "阳光花园"
    assert "十堰市茅箭区" in estate.address
    assert 32.5 < float(estate.latitude) < 32.8 and 110.6 < float(estate.longitude) < 111.0
    assert estate.time_zone == "Asia/Shanghai"
    flats = Unit.objects.filter(building__estate=estate, usage=UnitUsage.RESIDENTIAL)
    assert flats.values("building").distinct().count() == 6
    assert set(flats.values_list("entrance", flat=True)) == {"1", "2"}
    assert flats.order_by("-floor").first().floor == 18
    assert Unit.objects.filter(building__estate=estate, usage=UnitUsage.COMMERCIAL, floor=1).count() >= 4
    assert Unit.objects.filter(building__estate=estate, usage=UnitUsage.PARKING).count() == 60
    sources = dict(Unit.objects.values_list("area_source").annotate(n=Count("id")))
    assert sources[AreaSource.REGISTER] > sources.get(AreaSource.SURVEY, 0) > 0
    assert sources.get(AreaSource.CONTRACT, 0) > 0


def test_households_are_varied(seeded):
    units = Unit.objects.filter(building__estate__code="sunshine")
    assert units.filter(developer_owned=True, occupancies__isnull=True).exists()  # unsold and vacant
    roles = dict(Occupancy.objects.active().values_list("role").annotate(n=Count("id")))
    assert roles[OccupancyRole.OWNER] > 500
    assert roles[OccupancyRole.CO_OWNER] > 50
    assert roles[OccupancyRole.FAMILY] > 300
    assert roles[OccupancyRole.TENANT] > 30
    assert Occupancy.objects.filter(end_date__isnull=False).exists()  # a tenant who moved out
    # One primary contact per sold unit.
    sold = units.filter(developer_owned=False).count()
    assert (
        Occupancy.objects.filter(is_primary_contact=True, end_date__isnull=True)
        .values("unit")
        .distinct()
        .count()
        == sold
    )


def test_owner_and_tenant_demo_accounts_have_their_homes(seeded):
    owner = Resident.objects.get(phone="+8613800000001")
    assert owner.user and str(owner.user.phone) == "+8613800000001"
    home = owner.occupancies.get(role=OccupancyRole.OWNER).unit
    assert Occupancy.objects.active().filter(unit=home, role=OccupancyRole.FAMILY).count() >= 2
    tenant = Resident.objects.get(phone="+8613800000002")
    rented = tenant.occupancies.get(role=OccupancyRole.TENANT, end_date__isnull=True).unit
    assert rented != home
    assert Occupancy.objects.filter(unit=rented, role=OccupancyRole.OWNER).exists()


def test_id_numbers_are_valid_and_shown_masked(seeded):
    for resident in Resident.objects.order_by("?")[:200]:
        number = resident.id_number
        assert re.fullmatch(r"\d{17}[\dX]", number), number
        assert number[-1] == id_number_checksum(number[:17])
        assert resident.masked_id_number == number[:3] + "*" * 11 + number[-4:]


def test_every_staff_role_is_staffed(seeded):
    staffed = set(StaffMembership.objects.filter(estate__code="sunshine").values_list("role", flat=True))
    assert staffed == set(StaffRole.values)


def test_announcements_current_pinned_and_expired(seeded):
    estate = Estate.objects.get(code="sunshine")
    current = Announcement.objects.filter(estate=estate).current()
    assert current.filter(pinned=True).exists()
    assert current.count() >= 2
    assert Announcement.objects.filter(estate=estate).exclude(pk__in=current).exists()
