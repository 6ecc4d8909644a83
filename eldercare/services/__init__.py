"""Eldercare services: every write of the app (see each module's docstring).

elders     profiles, consent, contacts, ability assessments, door-code rotation
orders     booking (one-off, recurring), accept, assign, depart, cancel, fail, confirm, rate
visits     check-in / check-out (server clock, geolocation or door code, offline sync)
subsidies  vouchers and the subsidy / self-pay split at completion
alarms     remote-care alarms, escalation, the wellbeing watch
catalog    stations, service items, subsidy policies, settings (staff, audited)
roster     the coordinators' duty roster (audited)
positions  care workers' shared positions, for the nearest-worker suggestion
"""

from . import catalog
from .alarms import (
    alarm_acknowledge,
    alarm_arrive,
    alarm_raise,
    alarm_resolve,
    alarms_escalate,
    wellbeing_watch,
)
from .catalog import (
    care_settings_save,
    service_item_create,
    service_item_update,
    station_create,
    station_update,
    subsidy_policy_create,
    subsidy_policy_update,
)
from .elders import (
    assessment_record,
    consent_record,
    contact_add,
    door_code_rotate,
    elder_profile_create,
    elder_profile_update,
)
from .orders import (
    order_accept,
    order_assign,
    order_book,
    order_cancel,
    order_confirm,
    order_depart,
    order_fail,
    order_rate,
    plan_create,
    plan_generate,
    plans_generate,
    urgent_order_create,
)
from .positions import worker_position_report, worker_position_sharing_set
from .roster import duty_shift_create, duty_shift_remove, duty_shift_update
from .subsidies import order_split, voucher_issue, vouchers_issue
from .visits import order_check_in, order_check_out

__all__ = [
    "alarm_acknowledge",
    "alarm_arrive",
    "alarm_raise",
    "alarm_resolve",
    "alarms_escalate",
    "assessment_record",
    "care_settings_save",
    "catalog",
    "consent_record",
    "contact_add",
    "door_code_rotate",
    "duty_shift_create",
    "duty_shift_remove",
    "duty_shift_update",
    "elder_profile_create",
    "elder_profile_update",
    "order_accept",
    "order_assign",
    "order_book",
    "order_cancel",
    "order_check_in",
    "order_check_out",
    "order_confirm",
    "order_depart",
    "order_fail",
    "order_rate",
    "order_split",
    "plan_create",
    "plan_generate",
    "plans_generate",
    "service_item_create",
    "service_item_update",
    "station_create",
    "station_update",
    "subsidy_policy_create",
    "subsidy_policy_update",
    "urgent_order_create",
    "voucher_issue",
    "vouchers_issue",
    "wellbeing_watch",
    "worker_position_report",
    "worker_position_sharing_set",
]
