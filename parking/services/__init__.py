"""Parking writes. ``reads``: camera reads stored and answered, ``decide``: the barrier rules;
``staff``: what booth staff do; ``records``: vehicles, permits, fee rules and set-up; money goes
through ``parking.payments``."""

from ..common import actor_label, parking_group
from .reads import current_fee_rule, lane_for, lot_occupancy, occupancy_publish, plate_read_record
from .records import (
    clean_plate,
    fee_rule_publish,
    permit_create,
    permit_revoke,
    setup_save,
    vehicle_approve,
    vehicle_register,
    vehicle_save,
)
from .staff import barrier_open_manual, session_close_manual, session_plate_correct

__all__ = [
    "actor_label",
    "barrier_open_manual",
    "clean_plate",
    "current_fee_rule",
    "fee_rule_publish",
    "lane_for",
    "lot_occupancy",
    "occupancy_publish",
    "parking_group",
    "permit_create",
    "permit_revoke",
    "plate_read_record",
    "session_close_manual",
    "session_plate_correct",
    "setup_save",
    "vehicle_approve",
    "vehicle_register",
    "vehicle_save",
]
