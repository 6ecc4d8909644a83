"""Grid events: reported by residents, handled in the grid, reviewed by the office, disputed
or escalated to the street office — and delivered to the city through the exchange outbox."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from community.accounts.roles import StaffRole
from community.affairs import grids
from community.affairs.grid_transitions import (
    GRID_TRANSITIONS,
    GridAction,
    GridRole,
    GridStatus,
    grid_allowed_actions,
    grid_next_status,
)
from community.affairs.models import Grid, GridEvent
from community.errors import NotAllowed, ServiceError, TransitionRefused
from exchange.models import OutboxRecord
from tests.factories import DataGrantFactory, ExternalSystemFactory, StaffFactory


@given(
    st.sampled_from(GridStatus.values),
    st.sampled_from(GridAction.values),
    st.sets(st.sampled_from(GridRole.values)),
)
def test_every_grid_move_lands_or_is_refused(status, action, roles):
    try:
        target = grid_next_status(status, action, roles)
    except TransitionRefused:
        assert (action, status) not in GRID_TRANSITIONS
    except NotAllowed:
        assert not (GRID_TRANSITIONS[(action, status)][1] & roles)
    else:
        assert target in GridStatus.values and action in grid_allowed_actions(status, roles)


@pytest.fixture
def grid_a(estate_a, household_a):
    _owner, unit = household_a
    worker = StaffFactory(estate=estate_a, role=StaffRole.COMMUNITY_OFFICE, username="grid_worker")
    grid = Grid.objects.create(estate=estate_a, name="第一网格", worker=worker)
    grid.buildings.add(unit.building)
    return grid


def _report(household, **kwargs):
    owner, unit = household
    return grids.grid_event_report(
        estate=unit.building.estate,
        building_id=unit.building_id,
        type="safety",
        location="3栋楼道",
        description="楼道堆放杂物，堵塞消防通道",
        by=owner,
        **kwargs,
    )


@pytest.mark.django_db
def test_report_handle_review_close_and_dispute(household_a, grid_a):
    owner, _unit = household_a
    worker = grid_a.worker
    event = _report(household_a, urgency="urgent")
    assert event.grid == grid_a and event.due_at - event.sla_started_at == dt.timedelta(hours=4)
    for action, reason in (("accept", ""), ("start", ""), ("submit", "已清理杂物")):
        event = grids.grid_event_move(event=event, action=action, reason=reason, by=worker)
    event = grids.grid_event_move(event=event, action="approve", by=worker)
    assert event.status == GridStatus.CLOSED and event.closed_at is not None
    with pytest.raises(ServiceError):
        grids.grid_event_move(event=event, action="dispute", by=owner)  # a reason is needed
    event = grids.grid_event_move(event=event, action="dispute", reason="杂物又堆回来了", by=owner)
    assert event.status == GridStatus.DISPUTED


@pytest.mark.django_db
def test_the_street_office_time_does_not_count_against_the_community(household_a, grid_a):
    event = _report(household_a)
    worker = grid_a.worker
    grids.grid_event_move(event=event, action="accept", by=worker)
    event = grids.grid_event_move(event=event, action="escalate", reason="涉及违建，需街道执法", by=worker)
    assert event.status == GridStatus.ESCALATED and event.due_at is None
    later = timezone.now() + dt.timedelta(days=10)
    assert grids.grid_events_escalate(now=later) == 0


@pytest.mark.django_db
def test_outsiders_cannot_report_or_handle(household_a, household_b, grid_a, estate_b):
    owner_b, _unit_b = household_b
    with pytest.raises(NotAllowed):
        grids.grid_event_report(
            estate=grid_a.estate, type="safety", location="x", description="y", by=owner_b
        )
    event = _report(household_a)
    office_b = StaffFactory(estate=estate_b, role=StaffRole.COMMUNITY_OFFICE, username="office_b")
    with pytest.raises(NotAllowed):
        grids.grid_event_move(event=event, action="accept", by=office_b)
    owner_a, _unit = household_a
    with pytest.raises(NotAllowed):
        grids.grid_event_move(event=event, action="accept", by=owner_a)


@pytest.mark.django_db
def test_each_change_reaches_the_outbox_in_its_transaction(household_a, grid_a):
    system = ExternalSystemFactory(
        estate=grid_a.estate, kind="city_push", service_code="SQ1", credentials_ref="X"
    )
    DataGrantFactory(system=system, category="grid_event", legal_basis="public_interest")
    event = _report(household_a)
    grids.grid_event_move(event=event, action="accept", by=grid_a.worker)
    records = list(OutboxRecord.objects.filter(category="grid_event").order_by("id"))
    assert [r.payload["status"] for r in records] == ["reported", "accepted"]
    assert records[0].payload["number"] == event.number and "description" not in records[0].payload


@pytest.mark.django_db
def test_resident_reports_from_the_portal_and_reads_only_their_own(client, household_a, household_b, grid_a):
    owner, unit = household_a
    client.force_login(owner)
    response = client.post(
        reverse("portal-affairs:grid-report"),
        {
            "type": "people",
            "urgency": "normal",
            "building": unit.building_id,
            "location": "2楼",
            "description": "独居老人两天没出门",
        },
    )
    event = GridEvent.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/grid/{event.pk}/")
    owner_b, _ = household_b
    client.force_login(owner_b)
    assert client.get(reverse("portal-affairs:grid-detail", args=[event.pk])).status_code == 404
