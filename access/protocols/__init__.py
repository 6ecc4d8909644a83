"""Vendor protocol adapters: vendor request in, common events stored, vendor answer out."""

from __future__ import annotations

from .base import Inbound, Outcome


def dispatch(protocol: str, *, device, inbound: Inbound) -> Outcome:
    """Process one inbound request with the adapter of ``protocol`` (used by device_replay)."""
    if protocol == "native":
        from .native import handle_events

        return handle_events(device=device, inbound=inbound)
    if protocol == "zkteco":
        from .zkteco import handle

        return handle(device=device, inbound=inbound)
    if protocol == "hikvision":
        from .hikvision import handle_event

        return handle_event(device=device, inbound=inbound)
    return Outcome(400, f"no adapter for protocol {protocol}", errors=[f"no adapter for protocol {protocol}"])
