"""Eldercare pages: ``worker`` (/worker/care/) and ``portal`` (/portal/care/)."""

from .portal import (
    portal_book,
    portal_index,
    portal_order,
    portal_order_act,
    portal_statement,
)
from .worker import (
    worker_alarm,
    worker_alarm_act,
    worker_door_card,
    worker_exceptions,
    worker_index,
    worker_order,
    worker_order_act,
    worker_position_sharing,
    worker_settlement,
)

__all__ = [
    "portal_book",
    "portal_index",
    "portal_order",
    "portal_order_act",
    "portal_statement",
    "worker_alarm",
    "worker_alarm_act",
    "worker_door_card",
    "worker_exceptions",
    "worker_index",
    "worker_order",
    "worker_order_act",
    "worker_position_sharing",
    "worker_settlement",
]
