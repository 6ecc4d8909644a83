"""Care alarms from devices, escalation on a frozen clock, the wellbeing watch fed by real gate
events, and consent gating."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from access.models import DeviceKind
from community.errors import NotAllowed, ServiceError
from community.notifications.models import Notification
from community.residents.models import Resident
from eldercare import services
from eldercare.models import Alarm, Consent, EmergencyContact, Order
from tests.factories import CredentialFactory, DeviceFactory, ElderFactory, StaffFactory

ALARMS = "/api/v1/eldercare/alarms"
CARE_TOKEN = "care-token-test-0001"


@pytest.fixture
def care_device(elder_a):
    device = DeviceFactory(
        estate=elder_a.estate, gate=None, kind=DeviceKind.CARE_ALARM, name="SOS", token=CARE_TOKEN
    )
    elder_a.devices.add(device)
    return device


@pytest.fixture
def family_contact(elder_a, household_a):
    owner = Resident.objects.get(user=household_a[0])
    return EmergencyContact.objects.create(elder=elder_a, resident=owner, name=owner.name, relation="女儿")


def _post(client, body, token=CARE_TOKEN):
    return client.post(ALARMS, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_sos_is_stored_once_per_device_event_and_people_are_told(
    client, care_device, elder_a, coordinator_a, family_contact, household_a
):
    body = {"type": "alarm", "event_id": "sos-0001", "kind": "sos", "occurred_at": timezone.now().isoformat()}
    first = _post(client, body)
    again = _post(client, body)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["duplicate"] is True
    alarm = Alarm.objects.get()
    assert (
        alarm.elder == elder_a and alarm.status == "raised" and alarm.raised_by == f"device:{care_device.pk}"
    )
    told = set(Notification.objects.filter(verb="care.alarm.sos").values_list("recipient", flat=True))
    assert told == {coordinator_a.pk, household_a[0].pk}


def test_bad_alarm_bodies_get_a_4xx_that_says_what_is_wrong(client, care_device):
    missing = _post(client, {"type": "alarm", "kind": "sos"})
    assert missing.status_code == 400 and "event_id" in missing.json()["error"]["fields"]
    unknown = _post(client, {"type": "alarm", "event_id": "x", "kind": "meteor"})
    assert unknown.status_code == 400
    assert _post(client, {"type": "alarm", "event_id": "x", "kind": "sos"}, token="nope").status_code in (
        401,
        403,
    )
    assert not Alarm.objects.exists()


def test_heartbeat_marks_the_device_seen(client, care_device):
    assert _post(client, {"type": "heartbeat"}).status_code == 200
    care_device.refresh_from_db()
    assert care_device.last_seen_at is not None


def test_alarm_is_handled_even_without_any_consent(client, care_device, elder_a):
    Consent.objects.filter(elder=elder_a).delete()  # PIPL Art. 13: protecting life needs no consent
    assert _post(client, {"type": "alarm", "event_id": "fall-1", "kind": "fall"}).status_code == 201


def test_unacknowledged_alarm_escalates_after_two_minutes_with_an_urgent_order(elder_a, manager_a, station_a):
    raised_at = timezone.now()
    alarm, _ = services.alarm_raise(elder=elder_a, kind="sos", by="system:test", now=raised_at)
    assert services.alarms_escalate(now=raised_at + dt.timedelta(seconds=119)) == []
    escalated = services.alarms_escalate(now=raised_at + dt.timedelta(seconds=121))
    assert [a.pk for a in escalated] == [alarm.pk]
    alarm.refresh_from_db()
    assert alarm.escalated_at == raised_at + dt.timedelta(seconds=121)
    order = alarm.urgent_order
    assert order.urgent and order.item.category == "emergency" and order.status == "pending"
    assert Notification.objects.filter(recipient=manager_a, verb="care.alarm.escalated").exists()
    # Once only.
    assert services.alarms_escalate(now=raised_at + dt.timedelta(minutes=10)) == []


def test_acknowledged_alarm_does_not_escalate(elder_a, coordinator_a, station_a):
    raised_at = timezone.now()
    alarm, _ = services.alarm_raise(elder=elder_a, kind="sos", by="system:test", now=raised_at)
    services.alarm_acknowledge(alarm=alarm, by=coordinator_a, now=raised_at + dt.timedelta(seconds=50))
    assert services.alarms_escalate(now=raised_at + dt.timedelta(minutes=5)) == []
    assert not Order.objects.filter(urgent=True).exists()


def test_escalation_delay_is_an_estate_setting(elder_a, station_a):
    from eldercare.models import CareSettings

    CareSettings.objects.create(estate=elder_a.estate, alarm_escalate_after=dt.timedelta(minutes=5))
    raised_at = timezone.now()
    services.alarm_raise(elder=elder_a, kind="sos", by="system:test", now=raised_at)
    assert services.alarms_escalate(now=raised_at + dt.timedelta(minutes=3)) == []
    assert len(services.alarms_escalate(now=raised_at + dt.timedelta(minutes=6))) == 1


def test_alarm_steps_are_timestamped_and_only_care_staff_answer(
    elder_a, coordinator_a, household_a, worker_b
):
    t0 = timezone.now()
    alarm, _ = services.alarm_raise(elder=elder_a, kind="fall", by="system:test", now=t0)
    with pytest.raises(NotAllowed):
        services.alarm_acknowledge(alarm=alarm, by=household_a[0])
    with pytest.raises(NotAllowed):
        services.alarm_acknowledge(alarm=alarm, by=worker_b)  # another estate's worker
    services.alarm_arrive(alarm=alarm, by=coordinator_a, now=t0 + dt.timedelta(minutes=4))
    with pytest.raises(ServiceError):
        services.alarm_resolve(alarm=alarm, outcome="", by=coordinator_a)
    done = services.alarm_resolve(
        alarm=alarm, outcome="false_alarm", by=coordinator_a, now=t0 + dt.timedelta(minutes=9)
    )
    assert (done.acknowledged_at, done.on_site_at, done.resolved_at) == (
        t0 + dt.timedelta(minutes=4),
        t0 + dt.timedelta(minutes=4),
        t0 + dt.timedelta(minutes=9),
    )
    assert done.status == "resolved" and done.outcome == "false_alarm"


# --- Wellbeing watch, fed by real gate events through the access device API -----------------


@pytest.fixture
def gate_device(estate_a):
    return DeviceFactory(estate=estate_a, token="gate-token-care-1")


def _gate_event(client, resident, at, n=1):
    card = CredentialFactory(resident=resident, value=f"88{resident.pk:06d}{n}")
    body = {
        "event_id": f"care-gate-{resident.pk}-{n}",
        "occurred_at": at.isoformat(),
        "direction": "out",
        "method": "card",
        "result": "granted",
        "credential": {"type": "card", "value": card.value},
    }
    response = client.post(
        "/api/v1/devices/events",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer gate-token-care-1",
    )
    assert response.status_code == 200 and response.json()["accepted"] == 1


def test_wellbeing_watch_raises_a_welfare_check_after_a_quiet_day(client, elder_a, gate_device):
    now = timezone.now()
    _gate_event(client, elder_a.resident, now - dt.timedelta(hours=30))
    raised = services.wellbeing_watch(now=now)
    assert [(a.elder, a.kind) for a in raised] == [(elder_a, "welfare_check")]
    assert abs((raised[0].quiet_since - (now - dt.timedelta(hours=30))).total_seconds()) < 1
    # One open welfare check at a time.
    assert services.wellbeing_watch(now=now + dt.timedelta(hours=1)) == []


def test_a_recent_gate_event_is_a_sign_of_life(client, elder_a, gate_device):
    now = timezone.now()
    _gate_event(client, elder_a.resident, now - dt.timedelta(hours=3))
    assert services.wellbeing_watch(now=now) == []


def test_gate_events_count_only_with_location_consent(client, elder_a, gate_device, coordinator_a):
    now = timezone.now()
    _gate_event(client, elder_a.resident, now - dt.timedelta(hours=3))
    services.consent_record(
        elder=elder_a, category="location", granted=False, given_by="elder", by=coordinator_a
    )
    ElderProfile = type(elder_a)
    ElderProfile.objects.filter(pk=elder_a.pk).update(created_at=now - dt.timedelta(days=3))
    assert [a.elder for a in services.wellbeing_watch(now=now)] == [elder_a]


def test_elders_not_living_alone_are_not_watched(client, estate_a, gate_device):
    elder = ElderFactory(estate=estate_a, lives_alone=False)
    type(elder).objects.filter(pk=elder.pk).update(created_at=timezone.now() - dt.timedelta(days=5))
    assert services.wellbeing_watch() == []


def test_assessment_needs_health_consent(elder_a, coordinator_a):
    services.consent_record(
        elder=elder_a, category="health", granted=False, given_by="elder", by=coordinator_a
    )
    with pytest.raises(ServiceError):
        services.assessment_record(
            elder=elder_a,
            self_care=20,
            mobility=10,
            mental_state=20,
            perception_social=10,
            reason="first",
            assessed_on=dt.date(2026, 11, 1),
            by=coordinator_a,
        )
    services.consent_record(
        elder=elder_a,
        category="health",
        granted=True,
        given_by="guardian",
        guardian_name="王芳",
        by=coordinator_a,
    )
    assessment = services.assessment_record(
        elder=elder_a,
        self_care=20,
        mobility=10,
        mental_state=20,
        perception_social=10,
        dementia=True,
        reason="first",
        assessed_on=dt.date(2026, 11, 1),
        by=coordinator_a,
    )
    assert (assessment.total, assessment.preliminary_level, assessment.level) == (60, 2, 3)
    assert assessment.next_due_on == dt.date(2027, 11, 1)


def test_guardian_consent_names_the_guardian(elder_a, coordinator_a):
    with pytest.raises(ServiceError):
        services.consent_record(
            elder=elder_a, category="health", granted=True, given_by="guardian", by=coordinator_a
        )


def test_only_care_staff_record_consent(elder_a, household_a, manager_b):
    for outsider in (household_a[0], manager_b, StaffFactory(estate=elder_a.estate, role="technician")):
        with pytest.raises(NotAllowed):
            services.consent_record(
                elder=elder_a, category="health", granted=True, given_by="elder", by=outsider
            )
