"""Stations, service items, subsidy policies and settings are saved in the admin through the
services, with who did it recorded; refusals show only the error; nothing crosses estates."""

from __future__ import annotations

from decimal import Decimal

from eldercare.models import CareAudit, CareSettings, CareStation, ServiceItem, SubsidyPolicy
from tests.factories import SubsidyPolicyFactory

# The station's read-only inline of its items still posts a management form.
INLINE = {"items-TOTAL_FORMS": "0", "items-INITIAL_FORMS": "0"}
ITEM = {
    "name": "助浴 1次",
    "category": "bathing",
    "unit": "visit",
    "price": "80.00",
    "duration_minutes": 60,
    "min_minutes": 40,
    "eligible_levels": "[]",
    "meal_cutoff_hours": 2,
    "active": "on",
}


def _policy(estate, **over):
    return {
        "estate": estate.pk,
        "name": "高龄补贴",
        "elder_category": "oldest_old",
        "min_level": 0,
        "max_level": 4,
        "kind": "fixed",
        "monthly_amount": "200.00",
        "percent": "0",
        "valid_from": "2026-01-01",
        **over,
    }


def test_station_added_and_changed_through_the_service(estate_a, coordinator_a, client_for):
    client = client_for(coordinator_a)
    response = client.post(
        "/admin/eldercare/carestation/add/",
        {
            "name": "幸福驿站",
            "estates": [estate_a.pk],
            "phone": "027-1",
            "latitude": "",
            "longitude": "",
            **INLINE,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    station = CareStation.objects.get(name="幸福驿站")
    assert list(station.estates.all()) == [estate_a]
    created = CareAudit.objects.get(action="station.create")
    assert created.by == coordinator_a and created.object_id == station.pk
    client.post(
        f"/admin/eldercare/carestation/{station.pk}/change/",
        {
            "name": "幸福驿站",
            "estates": [estate_a.pk],
            "phone": "027-2",
            "latitude": "",
            "longitude": "",
            **INLINE,
        },
    )
    changed = CareAudit.objects.get(action="station.update")
    assert changed.by == coordinator_a and changed.changes == {"phone": ["027-1", "027-2"]}


def test_a_station_cannot_be_attached_to_another_estate(estate_a, estate_b, coordinator_a, client_for):
    response = client_for(coordinator_a).post(
        "/admin/eldercare/carestation/add/",
        {"name": "越界站", "estates": [estate_b.pk], "phone": "", "latitude": "", "longitude": "", **INLINE},
    )
    assert response.status_code == 200 and not CareStation.objects.filter(name="越界站").exists()


def test_service_item_through_the_service_and_never_deleted(station_a, coordinator_a, client_for):
    client = client_for(coordinator_a)
    response = client.post("/admin/eldercare/serviceitem/add/", {"station": station_a.pk, **ITEM})
    assert response.status_code == 302, response.content.decode()[:3000]
    item = ServiceItem.objects.get(name="助浴 1次")
    assert CareAudit.objects.get(action="item.create").by == coordinator_a
    client.post(
        f"/admin/eldercare/serviceitem/{item.pk}/change/", {"station": station_a.pk, **ITEM, "price": "85.00"}
    )
    item.refresh_from_db()
    assert item.price == Decimal("85.00")
    assert CareAudit.objects.get(action="item.update").changes == {"price": ["80.00", "85.00"]}
    assert client.post(f"/admin/eldercare/serviceitem/{item.pk}/delete/").status_code == 403
    refused = client.post(
        "/admin/eldercare/serviceitem/add/", {"station": station_a.pk, **ITEM, "price": "-1"}
    )
    assert refused.status_code == 200 and ServiceItem.objects.count() == 1


def test_another_estates_coordinator_cannot_add_items_to_this_station(station_a, manager_b, client_for):
    response = client_for(manager_b).post(
        "/admin/eldercare/serviceitem/add/", {"station": station_a.pk, **ITEM}
    )
    assert response.status_code in (200, 403) and not ServiceItem.objects.exists()


def test_subsidy_policy_through_the_service_and_a_refusal_shows_only_the_error(
    estate_a, coordinator_a, client_for
):
    client = client_for(coordinator_a)
    refused = client.post(
        "/admin/eldercare/subsidypolicy/add/", _policy(estate_a, min_level=3, max_level=1), follow=True
    )
    body = refused.content.decode()
    assert not SubsidyPolicy.objects.exists()
    assert "errorlist" in body and "messagelist" not in body
    response = client.post("/admin/eldercare/subsidypolicy/add/", _policy(estate_a))
    assert response.status_code == 302
    policy = SubsidyPolicy.objects.get()
    assert CareAudit.objects.get(action="policy.create").by == coordinator_a
    client.post(
        f"/admin/eldercare/subsidypolicy/{policy.pk}/change/", _policy(estate_a, monthly_amount="250.00")
    )
    assert CareAudit.objects.get(action="policy.update").changes == {"monthly_amount": ["200.00", "250.00"]}


def test_another_estates_manager_cannot_change_a_policy(estate_a, manager_b, client_for):
    policy = SubsidyPolicyFactory(estate=estate_a)
    client = client_for(manager_b)
    assert client.get(f"/admin/eldercare/subsidypolicy/{policy.pk}/change/").status_code in (302, 403, 404)
    client.post(
        f"/admin/eldercare/subsidypolicy/{policy.pk}/change/", _policy(estate_a, monthly_amount="1.00")
    )
    policy.refresh_from_db()
    assert policy.monthly_amount == Decimal("100.00") and not CareAudit.objects.exists()


def test_settings_through_the_service(estate_a, coordinator_a, client_for):
    client = client_for(coordinator_a)
    response = client.post(
        "/admin/eldercare/caresettings/add/",
        {
            "estate": estate_a.pk,
            "alarm_escalate_after": "00:05:00",
            "wellbeing_quiet_hours": 12,
            "late_after_minutes": 15,
            "check_in_radius_m": 300,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert CareSettings.objects.get(estate=estate_a).wellbeing_quiet_hours == 12
    assert CareAudit.objects.get(action="settings.create").by == coordinator_a
