"""One adapter per destination kind. ``send`` takes the due deliveries of one system with their
minimised payloads and returns an outcome per delivery; it never touches the database."""

from __future__ import annotations

from .base import Outcome, OutcomeKind, SendItem
from .city import CityPushAdapter
from .gat1400 import Gat1400Adapter

ADAPTERS = {"gat1400": Gat1400Adapter, "city_push": CityPushAdapter}

__all__ = ["ADAPTERS", "CityPushAdapter", "Gat1400Adapter", "Outcome", "OutcomeKind", "SendItem"]
