"""Remote-care alarms and the wellbeing watch.

An alarm is stored once per device event id, and whoever must answer is told at once: the
estate's on-duty care coordinator (the duty roster; every coordinator when nobody is on duty)
over the websocket and the inbox, and the elder's contacts who have a login. Nobody answered
within the estate's setting (2 minutes by default)? ``alarms_escalate`` tells the manager and
the coordinator on duty then, and books an urgent 助急 order. Every step is timestamped for response-time
reports.

An SOS is always handled, whatever the elder consented to (PIPL Art. 13: protecting the
life of a natural person in an emergency). The wellbeing watch reads gate events only with
the elder's location consent and device heartbeats only with the devices consent; completed
visits always count.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from community.accounts.roles import StaffRole
from community.errors import ServiceError, text_within
from community.notifications.services import notification_send
from community.realtime import publish_on_commit
from community.residents.models import StaffMembership

from .. import messages
from ..models import (
    Alarm,
    AlarmKind,
    AlarmOutcome,
    CareSettings,
    ConsentCategory,
    ElderProfile,
    Order,
)
from ..selectors import alarm_coordinators, care_settings, consent_given, is_care_staff, last_gate_event_at
from ..transitions import AlarmAction, AlarmRole, AlarmStatus, alarm_next
from .common import actor_label, alarms_group, now_or
from .orders import urgent_order_create


def _staff_users(estate_id: int, roles: tuple[str, ...]):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(
        is_active=True,
        pk__in=StaffMembership.objects.filter(estate_id=estate_id, role__in=roles).values("user_id"),
    )


def _contact_users(elder: ElderProfile):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(
        is_active=True, pk__in=elder.contacts.filter(resident__user__isnull=False).values("resident__user_id")
    )


def _alarm_event(alarm: Alarm, kind: str) -> dict:
    return {
        "type": kind,
        "alarm": alarm.pk,
        "kind": alarm.kind,  # codes: each page labels them in its reader's language
        "status": alarm.status,
        "elder": alarm.elder.resident.name,
        "raised_at": alarm.raised_at.isoformat(),
    }


def _tell(alarm: Alarm, recipients, *, verb: str, message: str, params: dict) -> None:
    notification_send(
        recipients=recipients,
        verb=verb,
        message=message,
        params=params,
        url=f"/worker/care/alarms/{alarm.pk}/",
        estate=alarm.estate,
    )


def alarm_raise(
    *,
    elder: ElderProfile,
    kind: str,
    by,
    device=None,
    device_event_id: str = "",
    occurred_at: dt.datetime | None = None,
    note: str = "",
    quiet_since: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> tuple[Alarm, bool]:
    """Store the alarm (once per device event id) and tell whoever must answer.
    Returns (alarm, created): a device resending its event gets the stored alarm back."""
    if kind not in AlarmKind.values:
        raise ServiceError({"kind": [_("Unknown alarm kind.")]})
    if device is not None and not device_event_id:
        raise ServiceError({"event_id": [_("A device alarm needs its event id.")]})
    now = now_or(now)
    device_event_id = text_within(device_event_id, Alarm, "device_event_id", key="event_id")
    note = text_within(note, Alarm, "note")
    if device is not None:
        found = Alarm.objects.filter(device=device, device_event_id=device_event_id).first()
        if found is not None:
            return found, False
    try:
        with transaction.atomic():
            alarm = Alarm.objects.create(
                estate_id=elder.estate_id,
                elder=elder,
                device=device,
                device_event_id=device_event_id,
                kind=kind,
                occurred_at=occurred_at,
                raised_at=now,
                raised_by=actor_label(by),
                note=note,
                quiet_since=quiet_since,
            )
            _tell(
                alarm,
                alarm_coordinators(elder.estate_id, now) + list(_contact_users(elder)),
                verb=f"care.alarm.{kind}",
                message=messages.ALARM_RAISED,
                params={"kind": kind, "elder": elder.resident.name},
            )
            publish_on_commit(alarms_group(elder.estate_id), _alarm_event(alarm, "care.alarm.raised"))
    except IntegrityError:
        # The same device event arrived twice at once: the other request stored it.
        return Alarm.objects.get(device=device, device_event_id=device_event_id), False
    return alarm, True


def _lock(alarm: Alarm) -> Alarm:
    return Alarm.objects.select_for_update().select_related("elder__resident", "estate").get(pk=alarm.pk)


def _staff_roles(by, alarm: Alarm) -> set[str]:
    if isinstance(by, str):
        return {AlarmRole.SYSTEM} if by.startswith("system:") else set()
    return {AlarmRole.STAFF} if is_care_staff(by, alarm.estate_id) else set()


@transaction.atomic
def alarm_acknowledge(*, alarm: Alarm, by, now: dt.datetime | None = None) -> Alarm:
    alarm = _lock(alarm)
    alarm.status = alarm_next(alarm.status, AlarmAction.ACKNOWLEDGE, _staff_roles(by, alarm))
    alarm.acknowledged_at, alarm.acknowledged_by = now_or(now), by
    alarm.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    publish_on_commit(alarms_group(alarm.estate_id), _alarm_event(alarm, "care.alarm.changed"))
    return alarm


@transaction.atomic
def alarm_arrive(*, alarm: Alarm, by, now: dt.datetime | None = None) -> Alarm:
    alarm = _lock(alarm)
    alarm.status = alarm_next(alarm.status, AlarmAction.ARRIVE, _staff_roles(by, alarm))
    now = now_or(now)
    if alarm.acknowledged_at is None:
        alarm.acknowledged_at, alarm.acknowledged_by = now, by
    alarm.on_site_at, alarm.on_site_by = now, by
    alarm.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "on_site_at", "on_site_by"])
    publish_on_commit(alarms_group(alarm.estate_id), _alarm_event(alarm, "care.alarm.changed"))
    return alarm


@transaction.atomic
def alarm_resolve(*, alarm: Alarm, outcome: str, by, note: str = "", now: dt.datetime | None = None) -> Alarm:
    if outcome not in AlarmOutcome.values:
        raise ServiceError({"outcome": [_("Say whether it was handled or a false alarm.")]})
    note = text_within(note, Alarm, "note")
    alarm = _lock(alarm)
    alarm.status = alarm_next(alarm.status, AlarmAction.RESOLVE, _staff_roles(by, alarm))
    alarm.resolved_at, alarm.resolved_by, alarm.outcome = now_or(now), by, outcome
    alarm.note = note or alarm.note
    alarm.save(update_fields=["status", "resolved_at", "resolved_by", "outcome", "note"])
    publish_on_commit(alarms_group(alarm.estate_id), _alarm_event(alarm, "care.alarm.changed"))
    _tell(
        alarm,
        _contact_users(alarm.elder),
        verb="care.alarm.resolved",
        message=messages.ALARM_RESOLVED,
        params={"elder": alarm.elder.resident.name, "outcome": outcome},
    )
    return alarm


def alarms_escalate(*, now: dt.datetime | None = None, by: str = "system:alarm_escalation") -> list[Alarm]:
    """Periodic: alarms nobody acknowledged in time go to the manager and get an urgent order."""
    now = now_or(now)
    escalated = []
    settings_by_estate: dict[int, CareSettings] = {}
    for candidate in Alarm.objects.filter(status=AlarmStatus.RAISED, escalated_at__isnull=True).order_by(
        "raised_at"
    ):
        estate_settings = settings_by_estate.setdefault(
            candidate.estate_id, care_settings(candidate.estate_id)
        )
        if now - candidate.raised_at < estate_settings.alarm_escalate_after:
            continue
        with transaction.atomic():
            alarm = _lock(candidate)
            if alarm.status != AlarmStatus.RAISED or alarm.escalated_at is not None:
                continue  # someone answered meanwhile
            alarm_next(alarm.status, AlarmAction.ESCALATE, {AlarmRole.SYSTEM})
            alarm.escalated_at = now
            alarm.urgent_order = urgent_order_create(elder=alarm.elder, by=by, now=now)
            alarm.save(update_fields=["escalated_at", "urgent_order"])
            # The manager, and again whoever is on duty now (the shift may have changed since
            # the alarm was raised).
            _tell(
                alarm,
                list(_staff_users(alarm.estate_id, (StaffRole.MANAGER,)))
                + alarm_coordinators(alarm.estate_id, now),
                verb="care.alarm.escalated",
                message=messages.ALARM_ESCALATED,
                params={"kind": alarm.kind, "elder": alarm.elder.resident.name},
            )
            publish_on_commit(alarms_group(alarm.estate_id), _alarm_event(alarm, "care.alarm.escalated"))
            escalated.append(alarm)
    return escalated


# --- Wellbeing watch -------------------------------------------------------------------------


def last_sign_of_life(elder: ElderProfile) -> dt.datetime | None:
    """The latest of: a gate event of the elder (location consent), a heartbeat of one of the
    elder's care devices (devices consent), a completed visit (always)."""
    signs = [
        Order.objects.filter(elder=elder, checked_in_at__isnull=False).aggregate(at=Max("checked_in_at"))[
            "at"
        ],
    ]
    if consent_given(elder, ConsentCategory.LOCATION):
        signs.append(last_gate_event_at(resident_id=elder.resident_id))
    if consent_given(elder, ConsentCategory.DEVICES):
        signs.append(elder.devices.aggregate(at=Max("last_seen_at"))["at"])
    return max((s for s in signs if s is not None), default=None)


def wellbeing_watch(*, now: dt.datetime | None = None, by: str = "system:wellbeing_watch") -> list[Alarm]:
    """Periodic: elders living alone with no sign of life for longer than the estate's setting
    get a welfare-check alarm (one open at a time)."""
    now = now_or(now)
    raised = []
    open_checks = Alarm.objects.filter(
        kind=AlarmKind.WELFARE_CHECK,
        status__in=[AlarmStatus.RAISED, AlarmStatus.ACKNOWLEDGED, AlarmStatus.ON_SITE],
    ).values("elder_id")
    for elder in (
        ElderProfile.objects.filter(lives_alone=True).exclude(pk__in=open_checks).select_related("resident")
    ):
        quiet = dt.timedelta(hours=care_settings(elder.estate_id).wellbeing_quiet_hours)
        last = last_sign_of_life(elder) or elder.created_at
        if now - last > quiet:
            alarm, _created = alarm_raise(
                elder=elder, kind=AlarmKind.WELFARE_CHECK, by=by, now=now, quiet_since=last
            )
            raised.append(alarm)
    return raised
