"""Writes to tickets, one module per concern; every public name is importable from here.

- ``intake``: filing (``ticket_create``) and staff edits (``ticket_update``), both checked by
  ``tickets.filing.filing_errors``;
- ``workflow``: every status change (``ticket_act``), comments, ratings;
- ``jobs``: escalation on every deadline and auto-close (explicit ``system:<job>`` actors);
- ``common``: the row lock, deadlines, timeline events, pushes and notifications.
"""

from .common import (
    SYSTEM_AUTO_CLOSE,
    SYSTEM_ESCALATE,
    StaleTicket,
    apply_deadlines,
    sla_budgets,
    ticket_group,
)
from .intake import DEADLINE_FIELDS, EDITABLE_FIELDS, number_allocate, ticket_create, ticket_update
from .jobs import tickets_auto_close, tickets_escalate
from .workflow import (
    ticket_act,
    ticket_assign,
    ticket_comment,
    ticket_hold_approve,
    ticket_rate,
    tickets_bulk_assign,
)

__all__ = [
    "DEADLINE_FIELDS",
    "EDITABLE_FIELDS",
    "SYSTEM_AUTO_CLOSE",
    "SYSTEM_ESCALATE",
    "StaleTicket",
    "apply_deadlines",
    "number_allocate",
    "sla_budgets",
    "ticket_act",
    "ticket_assign",
    "ticket_comment",
    "ticket_create",
    "ticket_group",
    "ticket_hold_approve",
    "ticket_rate",
    "ticket_update",
    "tickets_auto_close",
    "tickets_bulk_assign",
    "tickets_escalate",
]
