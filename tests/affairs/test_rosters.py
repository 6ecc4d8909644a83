"""Rosters with purpose: only the roles a roster names open it, always with a reason that is
recorded, and only masked values are shown or exported."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from community.accounts.roles import StaffRole
from community.affairs import rosters
from community.affairs.models import Roster, RosterAccess
from community.errors import NotAllowed, ServiceError
from community.residents.models import Occupancy
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def roster(estate_a, household_a):
    _owner, unit = household_a
    office = StaffFactory(estate=estate_a, role=StaffRole.COMMUNITY_OFFICE, username="office")
    r = Roster.objects.create(
        estate=estate_a,
        name="低保户名单",
        kind="low_income",
        purpose="节日慰问与政策告知",
        legal_basis="legal_duty",
        basis_reference="《社会救助暂行办法》",
        visible_roles=["community_office"],
    )
    family = Occupancy.objects.get(unit=unit, role="family").resident
    family.id_number = "110101199003071234"
    family.save()
    rosters.roster_entry_add(roster=r, resident=family, note="2026年认定", by=office)
    return r, office, family


def test_opening_needs_a_reason_is_recorded_and_masks(roster):
    r, office, family = roster
    with pytest.raises(ServiceError):
        rosters.roster_view(roster=r, reason="", by=office)
    [row] = rosters.roster_view(roster=r, reason="春节慰问走访", by=office)
    assert row.name == family.name[0] + "*" * (len(family.name) - 1)
    assert row.id_number == "110***********1234"
    access = RosterAccess.objects.get()
    assert (access.user, access.action, access.reason, access.people) == (office, "view", "春节慰问走访", 1)


def test_roles_not_named_and_other_estates_cannot_open(roster, manager_a, estate_b):
    r, _office, _family = roster
    with pytest.raises(NotAllowed):
        rosters.roster_view(roster=r, reason="想看看名单", by=manager_a)
    office_b = StaffFactory(estate=estate_b, role=StaffRole.COMMUNITY_OFFICE, username="office_b")
    with pytest.raises(NotAllowed):
        rosters.roster_export(roster=r, reason="想看看名单", by=office_b)
    assert not RosterAccess.objects.exists()


def test_export_is_masked_and_recorded(client, roster):
    r, office, family = roster
    client.force_login(office)
    response = client.post(
        reverse("staff-affairs:roster", args=[r.pk]), {"reason": "报送民政统计", "export": "1"}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in sheet.values for c in row if c]
    assert "110***********1234" in cells and family.id_number not in cells and family.name not in cells
    assert RosterAccess.objects.get().action == "export"


def test_a_provider_fills_a_roster_without_the_core_importing_its_app(estate_a, household_a):
    _owner, unit = household_a
    office = StaffFactory(estate=estate_a, role=StaffRole.COMMUNITY_OFFICE, username="office2")
    owner_resident = Occupancy.objects.get(unit=unit, role="owner").resident
    r = Roster.objects.create(
        estate=estate_a,
        name="独居老人",
        kind="elders_alone",
        purpose="应急联络",
        legal_basis="emergency",
        visible_roles=["community_office"],
    )
    before = rosters._PROVIDERS.get("elders_alone")
    rosters.register_roster_provider("elders_alone", lambda roster: [(owner_resident, "独居")])
    try:
        [row] = rosters.roster_view(roster=r, reason="寒潮预警逐户联系", by=office)
        assert row.note == "独居" and row.home.endswith(unit.number)
        with pytest.raises(ServiceError):
            rosters.roster_entry_add(roster=r, resident=owner_resident, by=office)
    finally:
        rosters._PROVIDERS.pop("elders_alone", None)
        if before is not None:
            rosters.register_roster_provider("elders_alone", before)


def test_eldercare_keeps_the_elders_living_alone_roster(estate_a):
    from tests.factories import ElderFactory

    office = StaffFactory(estate=estate_a, role=StaffRole.COMMUNITY_OFFICE, username="office3")
    alone = ElderFactory(estate=estate_a, lives_alone=True)
    ElderFactory(
        estate=estate_a, lives_alone=False, resident__name="李大爷", resident__phone="+8613800007001"
    )
    r = Roster.objects.create(
        estate=estate_a,
        name="独居老人",
        kind="elders_alone",
        purpose="寒潮预警逐户联系",
        legal_basis="emergency",
        visible_roles=["community_office"],
    )
    rows = rosters.roster_view(roster=r, reason="寒潮预警逐户联系", by=office)
    assert [row.name for row in rows] == [alone.resident.name[0] + "*" * (len(alone.resident.name) - 1)]
