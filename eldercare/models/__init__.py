"""Home eldercare (智慧居家养老) models, one module per concern; every name is importable from
``eldercare.models``.

elders     elders, contacts, consent, ability assessments, per-estate settings
catalog    care stations and their service items
subsidies  subsidy policies and monthly vouchers
orders     care orders and recurring plans
alarms     remote-care alarms
staff      the coordinators' duty roster, workers' last reported positions, catalog audit

Every staff-visible model declares ``estate_path`` (community.scoping).
"""

from .alarms import Alarm, AlarmKind, AlarmOutcome
from .catalog import MEAL_SLOT_TIMES, CareStation, MealSlot, ServiceCategory, ServiceItem, ServiceUnit
from .elders import (  # _new_salt: migration 0001 names it as eldercare.models._new_salt
    AbilityAssessment,
    AssessmentReason,
    CareSettings,
    Consent,
    ConsentCategory,
    ConsentGiver,
    ElderCategory,
    ElderProfile,
    EmergencyContact,
    _new_salt,  # noqa: F401
)
from .orders import BookedVia, CheckMethod, FailOutcome, Order, RecurringPlan
from .staff import CareAudit, DutyShift, WorkerPosition
from .subsidies import SubsidyKind, SubsidyPolicy, Voucher

__all__ = [
    "MEAL_SLOT_TIMES",
    "AbilityAssessment",
    "Alarm",
    "AlarmKind",
    "AlarmOutcome",
    "AssessmentReason",
    "BookedVia",
    "CareAudit",
    "CareSettings",
    "CareStation",
    "CheckMethod",
    "Consent",
    "ConsentCategory",
    "ConsentGiver",
    "DutyShift",
    "ElderCategory",
    "ElderProfile",
    "EmergencyContact",
    "FailOutcome",
    "MealSlot",
    "Order",
    "RecurringPlan",
    "ServiceCategory",
    "ServiceItem",
    "ServiceUnit",
    "SubsidyKind",
    "SubsidyPolicy",
    "Voucher",
    "WorkerPosition",
]
