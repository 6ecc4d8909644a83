"""Issue #15 item 6: the production MFA gate covers every staff surface, websockets included.

The reproduced gap: with STAFF_MFA_REQUIRED on, staff who had not enrolled an authenticator
still reached /worker/, ticket photos and the websockets (the live gate feed among them).
"""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from community.accounts.roles import StaffRole
from community.consumers import EventsConsumer
from tests.factories import StaffFactory

ENROL = "/accounts/2fa/totp/activate/"
STAFF_PAGES = ["/worker/", "/worker/tickets/1/", "/portal/tickets/photos/1/", "/staff/access/", "/admin/"]


@pytest.fixture
def mfa_required(settings):
    settings.STAFF_MFA_REQUIRED = True


@pytest.fixture(
    params=[StaffRole.TECHNICIAN, StaffRole.SECURITY, StaffRole.ELDERCARE_WORKER, StaffRole.MANAGER]
)
def staff_a(request, estate_a):
    return StaffFactory(estate=estate_a, role=request.param)


@pytest.mark.django_db
@pytest.mark.parametrize("path", STAFF_PAGES)
def test_unenrolled_staff_are_sent_to_enrol_from_every_staff_page(client, mfa_required, staff_a, path):
    client.force_login(staff_a)
    response = client.get(path)
    assert response.status_code == 302 and response.url == ENROL, (path, response.status_code)


@pytest.mark.django_db
def test_unenrolled_staff_get_403_from_the_api(client, mfa_required, staff_a):
    client.force_login(staff_a)
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "mfa_enrolment_required"


@pytest.mark.django_db
def test_enrolled_staff_pass_and_residents_are_not_gated(client, mfa_required, estate_a, household_a):
    technician = StaffFactory(estate=estate_a, role=StaffRole.TECHNICIAN)
    TOTP.activate(technician, generate_totp_secret())
    client.force_login(technician)
    assert client.get("/worker/").status_code == 200
    resident, _unit = household_a
    client.force_login(resident)
    assert client.get("/portal/tickets/photos/999999/").status_code == 404  # no photo, no gate


def _connect(user):
    async def scenario():
        socket = WebsocketCommunicator(EventsConsumer.as_asgi(), "/ws/")
        socket.scope["user"] = user
        connected, code = await socket.connect()
        if connected:
            await socket.disconnect()
        return connected, code

    return async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_the_websocket_refuses_unenrolled_staff(mfa_required, estate_a, household_a):
    security = StaffFactory(estate=estate_a, role=StaffRole.SECURITY)
    assert _connect(security) == (False, 4403)
    TOTP.activate(security, generate_totp_secret())
    assert _connect(security)[0] is True
    resident, _unit = household_a
    assert _connect(resident)[0] is True
