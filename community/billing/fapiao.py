"""The fapiao request workflow: the one table of allowed transitions, and the tax-platform
interface (no implementation yet: staff issue the fapiao elsewhere and upload the file)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from community.errors import TransitionRefused

from .models import FapiaoStatus

S = FapiaoStatus
# (action, from) -> to
TRANSITIONS: dict[tuple[str, str], str] = {
    ("issue", S.REQUESTED): S.ISSUED,
    ("reject", S.REQUESTED): S.REJECTED,
    ("cancel", S.REQUESTED): S.CANCELLED,
}


def next_status(status: str, action: str) -> str:
    target = TRANSITIONS.get((action, status))
    if target is None:
        raise TransitionRefused(
            _("A fapiao request that is “%(status)s” cannot be “%(action)s”.")
            % {"status": FapiaoStatus(status).label, "action": action},
            code=f"fapiao_{status}",
        )
    return target


class TaxPlatform:
    """Issuing through a tax platform (e.g. a 全电发票 service): an interface, not connected."""

    def issue(self, request) -> bytes:  # pragma: no cover - no platform connected yet
        raise NotImplementedError("no tax platform connected; staff upload the issued fapiao")
