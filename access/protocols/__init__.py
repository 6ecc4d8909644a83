"""Vendor protocol adapters: vendor request in, common events stored, vendor answer out.

Adapters call the services (``access.services``); only ``access.replay`` calls ``dispatch``.
Apps built on access register the adapters of their own devices (``register_adapter``, from
their ``AppConfig.ready``) so their kept raw messages replay the same way; access imports none
of them.
"""

from __future__ import annotations

from ..inbound import Inbound, Outcome
from ..models import Protocol
from . import hikvision, native, zkteco

ADAPTERS = {
    Protocol.NATIVE: native.handle_events,
    Protocol.ZKTECO: zkteco.handle,
    Protocol.HIKVISION: hikvision.handle_event,
}


def register_adapter(protocol: str, adapter) -> None:
    """``adapter(*, device, inbound) -> Outcome`` replays ``protocol``'s kept raw messages."""
    ADAPTERS[protocol] = adapter


def dispatch(protocol: str, *, device, inbound: Inbound) -> Outcome:
    """Process one inbound request with the adapter of ``protocol`` (used by access.replay)."""
    adapter = ADAPTERS.get(protocol)
    if adapter is None:
        error = f"no adapter for protocol {protocol}"
        return Outcome(400, error, errors=[error])
    return adapter(device=device, inbound=inbound)
