"""Eldercare notification titles are stored as a type plus parameters and rendered in each
reader's language; titles stored as text before are recognised in either language."""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from community.notifications.models import Notification
from community.residents.models import Resident
from eldercare import messages, services
from eldercare.models import EmergencyContact


def test_alarm_titles_are_stored_as_codes_and_read_in_each_readers_language(
    elder_a, coordinator_a, manager_a, station_a
):
    coordinator_a.language = "en"
    coordinator_a.save(update_fields=["language"])
    services.alarm_raise(elder=elder_a, kind="fall", by="system:test")
    stored = Notification.objects.get(recipient=coordinator_a, verb="care.alarm.fall")
    assert (stored.message, stored.title) == (messages.ALARM_RAISED, "")
    assert stored.params == {"kind": "fall", "elder": elder_a.resident.name}
    assert stored.title_for(coordinator_a) == f"Fall detected: {elder_a.resident.name}"
    with translation.override("zh-hans"):
        assert stored.title_text == f"跌倒报警：{elder_a.resident.name}"


def test_escalation_resolution_and_assignment_titles_render_per_reader(
    elder_a, coordinator_a, manager_a, station_a, worker_a, cleaning_a, book, household_a
):
    alarm, _created = services.alarm_raise(elder=elder_a, kind="sos", by="system:test")
    services.alarms_escalate(now=alarm.raised_at + dt.timedelta(minutes=3))
    escalated = Notification.objects.get(recipient=manager_a, verb="care.alarm.escalated")
    assert escalated.message == messages.ALARM_ESCALATED and escalated.title == ""
    with translation.override("en"):
        assert escalated.title_text == f"Unanswered alarm: SOS button, {elder_a.resident.name}"

    owner = Resident.objects.get(user=household_a[0])
    EmergencyContact.objects.create(elder=elder_a, resident=owner, name=owner.name, relation="女儿")
    alarm.refresh_from_db()
    services.alarm_acknowledge(alarm=alarm, by=coordinator_a)
    services.alarm_resolve(alarm=alarm, outcome="false_alarm", by=coordinator_a)
    resolved = Notification.objects.filter(verb="care.alarm.resolved").first()
    assert resolved is not None and resolved.params["outcome"] == "false_alarm" and resolved.title == ""
    with translation.override("en"):
        assert resolved.title_text == f"Alarm for {elder_a.resident.name} resolved: False alarm"

    order = book(elder_a, cleaning_a)
    services.order_assign(order=order, worker=worker_a, by=coordinator_a)
    assigned = Notification.objects.get(recipient=worker_a, verb="care.order.assigned")
    assert (assigned.message, assigned.params) == (messages.ORDER_ASSIGNED, {"number": order.number})
    with translation.override("zh-hans"):
        assert assigned.title_text == f"新的上门服务已派给您：{order.number}"


def test_titles_stored_as_text_before_are_recognised_in_either_language():
    assert messages.match_legacy_title("跌倒报警：王秀英") == (
        messages.ALARM_RAISED,
        {"kind": "fall", "elder": "王秀英"},
    )
    assert messages.match_legacy_title("Unanswered alarm: SOS button, Wang Xiuying") == (
        messages.ALARM_ESCALATED,
        {"kind": "sos", "elder": "Wang Xiuying"},
    )
    assert messages.match_legacy_title("王秀英 的告警已处理：误报") == (
        messages.ALARM_RESOLVED,
        {"outcome": "false_alarm", "elder": "王秀英"},
    )
    assert messages.match_legacy_title("新的上门服务已派给您：EC2612030001") == (
        messages.ORDER_ASSIGNED,
        {"number": "EC2612030001"},
    )
    assert messages.match_legacy_title("随便写的一句话") is None


def test_the_data_migration_converts_known_titles_and_keeps_the_rest(elder_a, coordinator_a):
    from importlib import import_module

    from django.apps import apps

    known = Notification.objects.create(
        recipient=coordinator_a, verb="care.alarm.sos", title="一键呼救：王秀英"
    )
    free = Notification.objects.create(recipient=coordinator_a, verb="care.alarm.sos", title="手写的提醒")
    migration = import_module("eldercare.migrations.0004_notification_titles_as_messages")
    migration.forwards(apps, None)
    known.refresh_from_db()
    free.refresh_from_db()
    assert (known.message, known.params, known.title) == (
        messages.ALARM_RAISED,
        {"kind": "sos", "elder": "王秀英"},
        "",
    )
    assert (free.message, free.title) == ("", "手写的提醒")
