"""Over-long text a person typed is refused whole, naming the field and both lengths, never cut
short (``community.errors.text_within``): application notes and rating comments, grid reports,
roster reasons and notes. The portal shows the refusal on the page; nothing is written."""

import pytest
from django.urls import reverse

from community.accounts.roles import StaffRole
from community.affairs import grids, rosters, services
from community.affairs.models import Grid, GridEvent, Roster, RosterAccess, RosterEntry
from community.affairs.transitions import Action
from community.errors import ServiceError
from community.residents.models import Occupancy
from tests.factories import AffairsItemFactory, StaffFactory, pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def office_a(estate_a):
    return StaffFactory(estate=estate_a, role=StaffRole.COMMUNITY_OFFICE, username="office_a")


def _family(unit):
    return Occupancy.objects.get(unit=unit, role="family").resident


def _decided_application(household, estate, office):
    user, unit = household
    application = services.application_submit(
        item=AffairsItemFactory(estate=estate),
        unit=unit,
        beneficiary=_family(unit),
        files={"id_card": pdf_upload()},
        by=user,
    )
    services.application_move(application=application, action=Action.REFUSE, reason="不符合条件", by=office)
    return application


def test_an_over_long_rating_comment_is_refused_on_the_portal_naming_both_lengths(
    client, household_a, estate_a, office_a
):
    owner, _unit = household_a
    application = _decided_application(household_a, estate_a, office_a)
    client.force_login(owner)
    url = reverse("portal-affairs:rate", args=[application.pk])
    page = client.post(url, {"rating": 4, "comment": "好" * 501}, follow=True)
    assert "最多 500 个字符（当前 501 个）。" in page.content.decode()
    application.refresh_from_db()
    assert application.rating is None and application.rating_comment == ""
    client.post(url, {"rating": 4, "comment": "好" * 500})
    application.refresh_from_db()
    assert application.rating == 4 and application.rating_comment == "好" * 500


def test_an_over_long_application_note_is_refused(household_a, estate_a):
    user, unit = household_a
    with pytest.raises(ServiceError) as refused:
        services.application_submit(
            item=AffairsItemFactory(estate=estate_a),
            unit=unit,
            beneficiary=_family(unit),
            files={"id_card": pdf_upload()},
            note="注" * 1001,
            by=user,
        )
    assert refused.value.message_dict == {"note": ["最多 1000 个字符（当前 1001 个）。"]}


def test_an_over_long_grid_report_is_refused_on_the_portal_and_nothing_is_filed(
    client, household_a, estate_a
):
    owner, unit = household_a
    worker = StaffFactory(estate=estate_a, role=StaffRole.COMMUNITY_OFFICE, username="grid_worker")
    Grid.objects.create(estate=estate_a, name="第一网格", worker=worker).buildings.add(unit.building)
    client.force_login(owner)
    page = client.post(
        reverse("portal-affairs:grid-report"),
        {
            "type": "people",
            "urgency": "normal",
            "building": unit.building_id,
            "location": "楼" * 121,
            "description": "独居老人两天没出门",
        },
    )
    assert "最多 120 个字符（当前 121 个）。" in page.content.decode()
    assert not GridEvent.objects.exists()
    with pytest.raises(ServiceError) as refused:
        grids.grid_event_report(
            estate=estate_a,
            building_id=unit.building_id,
            type="safety",
            location="3栋楼道",
            description="楼道堆放杂物",
            people_involved="人" * 201,
            by=owner,
        )
    assert refused.value.message_dict == {"people_involved": ["最多 200 个字符（当前 201 个）。"]}


def test_roster_reasons_and_entry_notes_are_refused_not_cut(estate_a, household_a, office_a):
    _owner, unit = household_a
    roster = Roster.objects.create(
        estate=estate_a,
        name="低保户名单",
        kind="low_income",
        purpose="节日慰问与政策告知",
        legal_basis="legal_duty",
        basis_reference="《社会救助暂行办法》",
        visible_roles=["community_office"],
    )
    with pytest.raises(ServiceError) as refused:
        rosters.roster_entry_add(roster=roster, resident=_family(unit), note="注" * 201, by=office_a)
    assert refused.value.message_dict == {"note": ["最多 200 个字符（当前 201 个）。"]}
    assert not RosterEntry.objects.exists()
    with pytest.raises(ServiceError) as refused:
        rosters.roster_view(roster=roster, reason="因" * 201, by=office_a)
    assert refused.value.message_dict == {"reason": ["最多 200 个字符（当前 201 个）。"]}
    assert not RosterAccess.objects.exists()
