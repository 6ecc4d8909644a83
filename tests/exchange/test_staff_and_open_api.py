"""The open API (a system reads only its grants, masked) and the staff side (scoped per
estate, writes through services, the provincial Excel export)."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from community.residents import services as residents
from exchange import services
from exchange.models import DataGrant, ExchangeAction, ExternalSystem
from tests.factories import (
    BuildingFactory,
    DataGrantFactory,
    ExternalSystemFactory,
    ResidentFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db


def _move_in(estate, name="王五", phone="+8613800007777"):
    unit = UnitFactory(building=BuildingFactory(estate=estate))
    resident = ResidentFactory(estate=estate, name=name, phone=phone, id_number="420102198801011234")
    return residents.occupancy_start(resident=resident, unit=unit, role="owner", by="system:test")


def _open(client, token, **params):
    return client.get(reverse("exchange-api:records"), params, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_open_api_serves_granted_records_masked_after_a_cursor(client, estate_a, manager_a):
    system = ExternalSystemFactory(estate=estate_a, kind="city_push", service_code="SQ1", credentials_ref="X")
    DataGrantFactory(
        system=system, category="resident_change", fields=["change", "person_name", "person_phone"]
    )
    token = services.system_token_rotate(system=system, by=manager_a)
    _move_in(estate_a)
    _move_in(estate_a, name="赵六", phone="+8613800008888")

    page = _open(client, token, category="resident_change", limit=1).json()
    assert [r["data"] for r in page["records"]] == [
        {"change": "move_in", "person_name": "王*", "person_phone": "138****7777"}
    ]
    rest = _open(client, token, category="resident_change", after=page["next_after"]).json()
    assert [r["data"]["person_name"] for r in rest["records"]] == ["赵*"]


def test_open_api_refuses_other_categories_bad_tokens_and_disabled_systems(client, estate_a, manager_a):
    system = ExternalSystemFactory(estate=estate_a, kind="city_push", service_code="SQ1", credentials_ref="X")
    DataGrantFactory(system=system, category="statistics", legal_basis="not_personal")
    token = services.system_token_rotate(system=system, by=manager_a)
    _move_in(estate_a)

    denied = _open(client, token, category="resident_change")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "permission_denied"
    assert _open(client, "not-a-token", category="statistics").status_code == 401
    bad = _open(client, token, category="nonsense")
    assert bad.status_code == 400 and "category" in bad.json()["error"]["fields"]
    system.enabled = False
    system.save()
    assert _open(client, token, category="statistics").status_code == 401


def test_open_api_token_reads_only_its_own_estate(client, estate_a, estate_b, manager_b):
    ours = ExternalSystemFactory(estate=estate_b, kind="city_push", service_code="SQ1", credentials_ref="X")
    DataGrantFactory(system=ours, category="resident_change")
    token = services.system_token_rotate(system=ours, by=manager_b)
    _move_in(estate_a)  # estate A's fact
    assert _open(client, token, category="resident_change").json()["records"] == []


def test_open_api_is_in_the_schema(client, superuser):
    client.force_login(superuser)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/v1/open/records/" in schema["paths"]


def test_staff_of_another_estate_cannot_see_or_resend(client, estate_a, manager_a, manager_b):
    system = ExternalSystemFactory(estate=estate_a, name="视图库A")
    client.force_login(manager_b)
    changelist = client.get(reverse("admin:exchange_externalsystem_changelist"))
    assert changelist.status_code == 200 and "视图库A" not in changelist.content.decode()
    response = client.post(
        reverse("admin:exchange_externalsystem_changelist"),
        {"action": "resend_from", "_selected_action": [system.pk], "from_record": "1"},
    )
    assert response.status_code in (200, 302)
    assert not ExchangeAction.objects.exists()
    assert client.get(reverse("admin:exchange_externalsystem_change", args=[system.pk])).status_code in (
        302,
        404,
    )


def test_admin_refuses_a_gat1400_system_without_an_id_and_shows_only_the_error(client, estate_a, manager_a):
    client.force_login(manager_a)
    response = client.post(
        reverse("admin:exchange_externalsystem_add"),
        {
            "estate": estate_a.pk,
            "name": "视图库",
            "kind": "gat1400",
            "endpoint": "http://127.0.0.1:9/",
            "credentials_ref": "VIID",
            "device_id": "123",
            "extensions": "[]",
            "batch_size": 50,
        },
    )
    body = response.content.decode()
    assert response.status_code == 200 and "20" in body and "GB/T 2260" in body
    assert not ExternalSystem.objects.exists()


def test_a_grant_cannot_widen_a_category(client, estate_a, manager_a):
    system = ExternalSystemFactory(estate=estate_a)
    client.force_login(manager_a)
    response = client.post(
        reverse("admin:exchange_datagrant_add"),
        {
            "system": system.pk,
            "category": "statistics",
            "legal_basis": "not_personal",
            "basis_reference": "",
            "fields": '["date", "person_phone"]',
            "masked": "null",
        },
    )
    assert response.status_code == 200 and "person_phone" in response.content.decode()
    assert not DataGrant.objects.exists()


def test_file_export_has_the_provincial_columns_minimised(estate_a, manager_a):
    system = ExternalSystemFactory(estate=estate_a, kind="file_export", endpoint="", credentials_ref="")
    DataGrantFactory(system=system, category="resident_change", fields=["change", "building", "person_name"])
    _move_in(estate_a)
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    content = services.file_export(
        system=system, since=now - dt.timedelta(days=1), until=now + dt.timedelta(minutes=1), by=manager_a
    )
    sheet = load_workbook(io.BytesIO(content))["人员登记变更"]
    rows = list(sheet.values)
    assert rows[0] == ("变更类型", "楼栋", "姓名")
    assert rows[1][0] == "move_in" and rows[1][2] == "王*"
    assert ExchangeAction.objects.get().kind == "exported"
