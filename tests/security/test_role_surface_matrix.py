"""Issue #15 "done means": the role × surface matrix, generated from the URLconf and the
websocket group prefixes.

Every URL pattern the project serves (admin, API, portal, worker, staff, device endpoints) and
every websocket group prefix is visited as each role: anonymous, a resident of household A, a
resident of B, each staff role of estate A, a manager of estate B, a device of estate A. What
each may reach is the table ``EXPECTED`` below (one entry per pattern); a pattern without an
entry fails the test, so a new endpoint must be placed in the matrix by whoever adds it.

What is asserted per request:

* never a 5xx, whoever asks;
* for a pattern without parameters: the role is let in (2xx, a redirect that is not to a login
  page, a 400 about the input) exactly when the table says so, and refused otherwise (401, 403,
  404, or a redirect to a login page); a 405 (a POST-only view asked with GET) asserts nothing
  more, since posting would act (log the actors out, mark things read);
* for a pattern with parameters (filled with ids that do not exist): a role the table refuses is
  refused; the rest may get their 404. The data lines (household A vs B, estate A vs B, the
  technician's own tickets) are crossed with real objects in each app's own tests.

Admin changelists are generated from the roles' declared permissions (``role_permissions`` in
each AppConfig): a staff role gets the list exactly when it holds the model's view or change
permission, save the admins that narrow it further (``ADMIN_NARROWER``). Every other admin URL
refuses anonymous callers and residents.
"""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLResolver, get_resolver

from community import consumers
from community.accounts.roles import StaffRole, declared_permissions
from community.realtime import group_for_estate
from tests.access.conftest import NATIVE_TOKEN
from tests.factories import DeviceFactory, StaffFactory

pytestmark = pytest.mark.django_db

STAFF_ROLES = [r.value for r in StaffRole]
ROLES = ["anonymous", "resident_a", "resident_b", *STAFF_ROLES, "manager_b", "device_a"]

# Role sets the table is written in.
NOBODY: frozenset[str] = frozenset()
EVERYONE = frozenset(ROLES)
SIGNED_IN = frozenset(ROLES) - {"anonymous", "device_a"}
RESIDENTS = frozenset({"resident_a", "resident_b"})
ALL_STAFF = frozenset(STAFF_ROLES) | {"manager_b"}
DEVICE = frozenset({"device_a"})


def staff(*roles: str) -> frozenset[str]:
    """Staff of estate A in these roles (a manager of B is in wherever "manager" is)."""
    chosen = frozenset(roles)
    return chosen | ({"manager_b"} if "manager" in chosen else frozenset())


# Estate data through the API: not the eldercare worker nor the community office.
ESTATE_DATA = ALL_STAFF - {"eldercare_worker", "community_office"}
CARE_STAFF = staff("manager", "eldercare_worker", "eldercare_coordinator")
GATE_STAFF = staff("manager", "front_desk", "security")

# --- The table ------------------------------------------------------------------------------------
# pattern (as the URLconf spells it, prefixes joined) -> the roles let in. Patterns with
# parameters list who may reach the view at all (with a real object of their own).
EXPECTED: dict[str, frozenset[str]] = {
    "": EVERYONE,
    "healthz": EVERYONE,
    "metrics": NOBODY,  # a token for the monitoring network, never a session
    # Device endpoints: a device credential, never a session.
    "api/v1/devices/events": DEVICE,
    "api/v1/devices/heartbeat": DEVICE,
    "api/v1/devices/verify": DEVICE,
    "api/v1/parking/plate-events": DEVICE,
    "^iclock/(?P<endpoint>cdata|registry|push|getrequest|devicecmd|rtdata|ping|querydata)(?:\\.aspx)?/?$": NOBODY,
    "isapi/<str:token>/events": NOBODY,
    "lpr/vzenith/<str:token>": NOBODY,
    "isapi/<str:token>/anpr": NOBODY,
    # Payment notifications: signed by the provider, answered 4xx to anything else.
    "pay/notify/wechatpay/<slug:merchant>": NOBODY,
    "pay/notify/alipay/<slug:merchant>": NOBODY,
    "api/v1/open/records/": NOBODY,  # a system token of a granted destination
    # API, account.
    "api/v1/auth/token/": NOBODY,  # the login itself: POST only (GET: 401 / 405)
    "api/v1/auth/tokens/": SIGNED_IN,
    "api/v1/auth/tokens/<int:pk>/": SIGNED_IN,
    "api/v1/auth/logout-everywhere/": SIGNED_IN,
    "api/v1/me/": SIGNED_IN,
    "api/v1/^me/units/$": SIGNED_IN,
    "api/v1/^me/units/(?P<pk>[^/.]+)/$": SIGNED_IN,
    "api/v1/^me/announcements/$": SIGNED_IN,
    "api/v1/^me/announcements/(?P<pk>[^/.]+)/$": SIGNED_IN,
    # API, estate data: staff (scoped to their estates by each viewset).
    "api/v1/^estates/$": ESTATE_DATA,
    "api/v1/^estates/(?P<pk>[^/.]+)/$": ESTATE_DATA,
    "api/v1/^buildings/$": ESTATE_DATA,
    "api/v1/^buildings/(?P<pk>[^/.]+)/$": ESTATE_DATA,
    "api/v1/^units/$": ESTATE_DATA,
    "api/v1/^units/(?P<pk>[^/.]+)/$": ESTATE_DATA,
    "api/v1/^residents/$": ESTATE_DATA,
    "api/v1/^residents/(?P<pk>[^/.]+)/$": ESTATE_DATA,
    "api/v1/^announcements/$": staff("manager", "front_desk"),
    "api/v1/^announcements/(?P<pk>[^/.]+)/$": staff("manager", "front_desk"),
    # API, tickets: everyone signed in reaches the list; what is in it follows the role
    # (tests/tickets/test_role_permissions.py).
    "api/v1/tickets/^categories/$": SIGNED_IN,
    "api/v1/tickets/^categories/(?P<pk>[^/.]+)/$": SIGNED_IN,
    "api/v1/tickets/^$": SIGNED_IN,
    "api/v1/tickets/^(?P<pk>[^/.]+)/$": SIGNED_IN,
    "api/v1/tickets/^(?P<pk>[^/.]+)/actions/(?P<action_name>[a-z_]+)/$": SIGNED_IN,
    "api/v1/tickets/^(?P<pk>[^/.]+)/comments/$": SIGNED_IN,
    "api/v1/tickets/^(?P<pk>[^/.]+)/events/$": SIGNED_IN,
    "api/v1/tickets/^(?P<pk>[^/.]+)/hold-approval/$": SIGNED_IN,  # the service: managers only
    "api/v1/tickets/^(?P<pk>[^/.]+)/rating/$": SIGNED_IN,
    # API, voting (its role rules are the voting engineer's; reach only here).
    "api/v1/voting/meetings/": SIGNED_IN,
    "api/v1/voting/meetings/<int:pk>/": SIGNED_IN,
    "api/v1/voting/meetings/<int:pk>/motions/": SIGNED_IN,
    "api/v1/voting/meetings/<int:pk>/results/": SIGNED_IN,
    "api/v1/voting/meetings/<int:pk>/ballots/": ALL_STAFF,
    "api/v1/voting/motions/<int:pk>/cast/": SIGNED_IN,
    "api/v1/voting/my-ballots/": SIGNED_IN,
    "api/v1/voting/receipts/<str:code>/": SIGNED_IN,
    # Whole ballots are the owner's; paper entry is the desk's; scrutiny is the appointed
    # scrutineers' (who may be owners): each view narrows further with real objects.
    "api/v1/voting/meetings/<int:pk>/ballot/": SIGNED_IN,
    "api/v1/voting/meetings/<int:pk>/paper-ballots/": ALL_STAFF,
    "api/v1/voting/meetings/<int:pk>/scrutiny/": SIGNED_IN,
    "api/v1/voting/paper-ballots/<int:pk>/confirm/": SIGNED_IN,
    "api/v1/voting/paper-ballots/<int:pk>/reject/": SIGNED_IN,
    "api/v1/billing/meter-readings/": NOBODY,  # a meter gateway's own token, never a session
    "api/v1/eldercare/me/position/": staff("eldercare_worker"),
    "api/v1/eldercare/me/position-sharing/": staff("eldercare_worker"),
    "api/v1/billing/^bills/$": SIGNED_IN,
    "api/v1/billing/^bills/(?P<pk>[^/.]+)/$": SIGNED_IN,
    "api/v1/billing/^bills/(?P<pk>[^/.]+)/pay/$": SIGNED_IN,
    "api/v1/billing/^prepaid/$": SIGNED_IN,  # one's own homes' and household accounts' balances
    "api/v1/billing/^prepaid/top-up/$": SIGNED_IN,
    "api/v1/notifications/^$": SIGNED_IN,
    "api/v1/notifications/^mark-read/$": SIGNED_IN,
    "api/v1/notifications/^unread-count/$": SIGNED_IN,
    "api/v1/eldercare/alarms": DEVICE,
    "api/v1/eldercare/^orders/$": SIGNED_IN,
    **{
        f"api/v1/eldercare/^orders/(?P<pk>[^/.]+)/{action}$": SIGNED_IN
        for action in ("", "accept/", "cancel/", "check-in/", "check-out/", "confirm/", "depart/", "rate/")
    },
    "api/v1/^": NOBODY,  # the API's own 404, in its envelope
    "api/schema/": SIGNED_IN,
    "api/docs/": SIGNED_IN,
    # Accounts (allauth and ours).
    "i18n/setlang/": EVERYONE,
    "accounts/invite/": EVERYONE,
    "accounts/invite/password/": EVERYONE,
    "accounts/identifiers/": SIGNED_IN,
    "accounts/identifiers/<int:pk>/confirm/": SIGNED_IN,
    "accounts/email/": EVERYONE,  # a redirect to accounts/identifiers/ (which needs a login)
    "accounts/phone/change/": EVERYONE,  # the same redirect
    "accounts/logout-everywhere/": SIGNED_IN,
    "accounts/login/": EVERYONE,
    "accounts/logout/": SIGNED_IN,
    "accounts/inactive/": EVERYONE,
    "accounts/signup/": EVERYONE,
    "accounts/reauthenticate/": SIGNED_IN,
    "accounts/reauthenticate/code/": SIGNED_IN,
    "accounts/reauthenticate/code/confirm/": SIGNED_IN,
    "accounts/confirm-email/": EVERYONE,
    "accounts/password/change/": SIGNED_IN,
    "accounts/password/set/": SIGNED_IN,
    "accounts/password/reset/": EVERYONE,
    "accounts/login/code/confirm/": SIGNED_IN,  # anonymous: only with a code requested
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": EVERYONE,
    "accounts/phone/verify/": SIGNED_IN,
    "accounts/password/reset/key/done/": EVERYONE,
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": EVERYONE,
    "accounts/password/reset/done/": EVERYONE,
    "accounts/login/code/": EVERYONE,
    "accounts/2fa/": SIGNED_IN,
    "accounts/2fa/authenticate/": SIGNED_IN,  # anonymous: only half-way through a login
    "accounts/2fa/reauthenticate/": SIGNED_IN,
    "accounts/2fa/totp/activate/": SIGNED_IN,
    "accounts/2fa/totp/deactivate/": NOBODY,  # only with an authenticator enrolled
    "accounts/2fa/recovery-codes/": NOBODY,
    "accounts/2fa/recovery-codes/generate/": SIGNED_IN,
    "accounts/2fa/recovery-codes/download/": NOBODY,
    # Resident portal: anyone signed in reaches it; what it shows is their households'.
    "portal/": SIGNED_IN,
    "portal/me/": SIGNED_IN,
    "portal/me/language/": SIGNED_IN,
    "portal/tickets/": SIGNED_IN,
    "portal/tickets/new/": SIGNED_IN,
    "portal/tickets/photos/<int:pk>/": SIGNED_IN,
    "portal/tickets/<int:pk>/": SIGNED_IN,
    "portal/tickets/<int:pk>/comment/": SIGNED_IN,
    "portal/tickets/<int:pk>/rate/": SIGNED_IN,
    "portal/tickets/<int:pk>/<slug:action>/": SIGNED_IN,
    **{
        f"portal/voting/{p}": SIGNED_IN
        for p in (
            "",
            "<int:pk>/",
            "<int:pk>/roll/",
            "<int:pk>/my-ballots/",
            "<int:pk>/results.<str:fmt>",
            "<int:pk>/ballot/",
            "<int:pk>/scrutiny/",
            "paper/<int:pk>/",
            "paper/<int:pk>/scan/",
            "attachments/<int:pk>/",
            "receipt/",
        )
    },
    **{
        f"portal/bills/{p}": SIGNED_IN
        for p in (
            "",
            "<int:pk>/",
            "<int:pk>/pay/",
            "receipts/<int:pk>/",
            "receipts/<int:pk>/pdf/",
            "receipts/<int:pk>/fapiao/",
            "top-up/",
        )
    },
    "portal/access/": SIGNED_IN,
    "portal/access/passes/new/": RESIDENTS,
    "portal/access/passes/<int:pk>/": SIGNED_IN,
    "portal/access/passes/<int:pk>/revoke/": SIGNED_IN,
    "portal/access/v/<str:token>/": EVERYONE,  # a visitor's pass by its unguessable token
    "portal/parking/": SIGNED_IN,
    "parking/pay/<str:token>/": EVERYONE,  # a lane's payment page by its token
    "parking/pay/<str:token>/<int:session_id>/": EVERYONE,
    "portal/inbox/": SIGNED_IN,
    "portal/inbox/<int:pk>/open/": SIGNED_IN,
    "portal/inbox/read-all/": SIGNED_IN,
    **{
        f"portal/affairs/{p}": SIGNED_IN
        for p in (
            "",
            "items/<int:item_pk>/apply/",
            "items/<int:item_pk>/book/",
            "appointments/",
            "appointments/<int:pk>/qr.png",
            "appointments/<int:pk>/cancel/",
            "grid/<int:pk>/",
            "grid/<int:pk>/<slug:action>/",
            "<int:pk>/",
            "<int:pk>/upload/",
            "<int:pk>/rate/",
            "<int:pk>/certificate.pdf",
            "<int:pk>/materials/<int:material_pk>/",
            "<int:pk>/<slug:action>/",
        )
    },
    "portal/affairs/grid/new/": RESIDENTS,
    "portal/care/": SIGNED_IN,
    "portal/care/book/": NOBODY,  # an elder's family only
    "portal/care/orders/<int:pk>/": SIGNED_IN,
    "portal/care/orders/<int:pk>/<slug:action>/": SIGNED_IN,
    "portal/care/statement/": SIGNED_IN,
    "verify/<str:code>": EVERYONE,  # a certificate's public check (the holder masked)
    # Worker app (/worker/): staff; each section by role.
    "worker/": ALL_STAFF,
    "worker/tickets/": ALL_STAFF,  # the list is the user's assigned tickets: empty for others
    "worker/tickets/<int:pk>/": staff("technician", "manager", "front_desk"),
    "worker/tickets/<int:pk>/note/": staff("technician", "manager", "front_desk"),
    "worker/tickets/<int:pk>/<slug:action>/": staff("technician", "manager", "front_desk"),
    "worker/care/": CARE_STAFF,
    "worker/care/orders/<int:pk>/": staff("eldercare_worker", "eldercare_coordinator"),
    "worker/care/orders/<int:pk>/<slug:action>/": staff("eldercare_worker", "eldercare_coordinator"),
    "worker/care/alarms/<int:pk>/": staff("eldercare_worker", "eldercare_coordinator"),
    "worker/care/alarms/<int:pk>/<slug:action>/": staff("eldercare_worker", "eldercare_coordinator"),
    "worker/care/exceptions/": CARE_STAFF,
    "worker/care/position-sharing/": staff("eldercare_worker"),
    "worker/care/stations/<int:pk>/settlement.xlsx": staff("eldercare_coordinator"),
    "worker/care/elders/<int:pk>/door-card/": staff("eldercare_coordinator"),
    # Staff screens (/staff/).
    "staff/tickets/": ALL_STAFF,
    "staff/access/": GATE_STAFF,
    "staff/access/residents/<int:resident_id>/movements/": staff("manager"),
    "staff/billing/": staff("manager", "front_desk"),
    "staff/billing/export.xlsx": staff("manager", "front_desk"),
    "staff/parking/": GATE_STAFF,
    "staff/parking/reports/": GATE_STAFF,
    "staff/parking/reports/export.xlsx": GATE_STAFF,
    "staff/parking/lanes/<int:lane_id>/open/": GATE_STAFF,
    "staff/parking/sessions/<int:session_id>/close/": GATE_STAFF,
    "staff/parking/sessions/<int:session_id>/correct/": GATE_STAFF,
    "staff/affairs/": ALL_STAFF,
    "staff/affairs/grid/": ALL_STAFF,
    "staff/affairs/check-in/": ALL_STAFF,
    "staff/affairs/rosters/": ALL_STAFF,
    "staff/affairs/rosters/<int:pk>/": ALL_STAFF,
    "staff/affairs/grid/<int:pk>/": ALL_STAFF,
    "staff/affairs/grid/<int:pk>/<slug:action>/": ALL_STAFF,
    "staff/affairs/<int:pk>/": ALL_STAFF,
    "staff/affairs/<int:pk>/<slug:action>/": ALL_STAFF,
}

# Websocket group prefixes -> (a group of estate A's objects, the roles that may join it).
# Filled per test run (ids are known only then); see ``_groups``.
EXPECTED_GROUP_PREFIXES = {"estate.", "ticket.", "care."}

# Admins that narrow what the declared permissions give (superuser-only audits and the like):
# model label -> roles that get the list anyway despite holding a permission (none here), or
# the roles refused despite it.
ADMIN_NARROWER: dict[str, frozenset[str]] = {}

# --- Walking ------------------------------------------------------------------------------------


def url_patterns() -> list[str]:
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    return list(dict.fromkeys(walk(get_resolver().url_patterns)))


SAMPLES = {"int": "987654", "slug": "x", "str": "x", "path": "987654"}
REGEX_SAMPLES = {"endpoint": "cdata", "action_name": "x", "key": "x", "uidb36": "x"}


def concrete(pattern: str) -> str:
    """A path that the pattern matches, with made-up parameters."""
    path = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES[m.group(1) or "str"], pattern)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: REGEX_SAMPLES.get(m.group(1), "987654"), path)
    path = path.replace("(?:\\.aspx)?", "").replace("/?$", "/")
    path = path.replace("^", "").replace("$", "")
    if path.startswith("iclock/"):
        path += "?SN=NOSUCHDEVICE"
    return "/" + path


def has_parameters(pattern: str) -> bool:
    return "<" in pattern or "(?P" in pattern


DEVICE_POST = ("api/v1/devices/", "api/v1/parking/plate-events", "api/v1/eldercare/alarms", "isapi/", "lpr/")


def _method(pattern: str) -> str:
    return "post" if pattern.startswith(DEVICE_POST) or pattern.startswith("pay/notify/") else "get"


LOGIN_PAGES = ("/accounts/login/", "/admin/login/", "/accounts/2fa/authenticate/")


def outcome(response) -> str:
    status = response.status_code
    if status >= 500:
        return "error"
    if status in (301, 302, 303, 307, 308):
        location = response.get("Location", "")
        return "refused" if any(page in location for page in LOGIN_PAGES) else "let_in"
    if status == 405:
        # A POST-only view answering a GET: reached or not depends on the decorators' order;
        # the POST itself is the app's tests' business (posting here would log actors out).
        return "method"
    if status in (401, 403, 404, 429):
        return "refused"
    return "let_in"  # 2xx, and 400 (the view read the input and said what is wrong)


# --- The actors ---------------------------------------------------------------------------------


@pytest.fixture
def actors(estate_a, estate_b, household_a, household_b) -> dict[str, Client]:
    clients: dict[str, Client] = {"anonymous": Client()}

    def signed_in(user) -> Client:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    clients["resident_a"] = signed_in(household_a[0])
    clients["resident_b"] = signed_in(household_b[0])
    for role in STAFF_ROLES:
        clients[role] = signed_in(StaffFactory(estate=estate_a, role=role, username=f"matrix_{role}"))
    clients["manager_b"] = signed_in(
        StaffFactory(estate=estate_b, role=StaffRole.MANAGER, username="matrix_mb")
    )
    DeviceFactory(estate=estate_a, name="矩阵测试设备", token=NATIVE_TOKEN)
    clients["device_a"] = Client(HTTP_AUTHORIZATION=f"Bearer {NATIVE_TOKEN}")
    return clients


def _visit(client: Client, pattern: str):
    path = concrete(pattern)
    if _method(pattern) == "post":
        return client.post(path, data=b"{}", content_type="application/json")
    return client.get(path)


# --- The tests ----------------------------------------------------------------------------------


def test_every_url_pattern_has_an_entry():
    patterns = [p for p in url_patterns() if not p.startswith("admin/")]
    missing = [p for p in patterns if p not in EXPECTED]
    assert not missing, f"place these new endpoints in the role matrix (EXPECTED): {missing}"
    stale = sorted(set(EXPECTED) - set(patterns))
    assert not stale, f"entries for endpoints that are gone: {stale}"


def test_the_matrix_holds_for_every_role_and_endpoint(actors, settings):
    settings.API_DOCS_PUBLIC = False
    wrong = []
    for pattern in url_patterns():
        if pattern.startswith("admin/"):
            continue
        allowed = EXPECTED[pattern]
        for role, client in actors.items():
            got = outcome(_visit(client, pattern))
            if got == "error":
                wrong.append((pattern, role, "5xx"))
            elif got == "method":
                continue
            elif has_parameters(pattern):
                if role not in allowed and got == "let_in":
                    wrong.append((pattern, role, "let in, expected refused"))
            elif (got == "let_in") != (role in allowed):
                wrong.append((pattern, role, f"{got}, expected {'let_in' if role in allowed else 'refused'}"))
    assert not wrong, "\n".join(f"{p!r} as {r}: {w}" for p, r, w in wrong)


def _admin_changelists() -> list[tuple[str, str]]:
    """(model label "app.model", changelist path) of every registered admin."""
    return [
        (
            f"{model._meta.app_label}.{model._meta.model_name}",
            f"/admin/{model._meta.app_label}/{model._meta.model_name}/",
        )
        for model in admin.site._registry
    ]


def test_admin_changelists_follow_the_declared_role_permissions(actors):
    declared = declared_permissions()
    wrong = []
    for label, path in _admin_changelists():
        app_label, model_name = label.split(".")
        for role in ["anonymous", "resident_a", "device_a", *STAFF_ROLES]:
            got = outcome(actors[role].get(path))
            if got == "error":
                wrong.append((path, role, "5xx"))
                continue
            perms = declared.get(role, set())
            holds = bool({f"{app_label}.view_{model_name}", f"{app_label}.change_{model_name}"} & perms)
            expected = holds and role not in ADMIN_NARROWER.get(label, NOBODY)
            if got == "let_in" and not expected:
                wrong.append((path, role, "let in without a declared permission"))
            elif got != "let_in" and expected and role in STAFF_ROLES:
                wrong.append((path, role, "refused despite the declared permission"))
    assert not wrong, "\n".join(f"{p} as {r}: {w}" for p, r, w in wrong)


def test_every_admin_url_refuses_anonymous_callers_residents_and_devices(actors):
    wrong = []
    for pattern in url_patterns():
        if not pattern.startswith("admin/") or pattern in ("admin/login/", "admin/logout/", "admin/jsi18n/"):
            continue
        for role in ("anonymous", "resident_a", "device_a"):
            got = outcome(actors[role].get(concrete(pattern)))
            if got != "refused":
                wrong.append((pattern, role, got))
    assert not wrong, "\n".join(f"{p!r} as {r}: {w}" for p, r, w in wrong)


def _groups(estate_a, ticket) -> dict[str, tuple[str, frozenset[str]]]:
    """Groups of estate A's objects: nobody of estate B joins them."""
    return {
        "estate.": (
            group_for_estate(estate_a.pk, "access"),
            frozenset({"manager", "front_desk", "security"}),
        ),
        "ticket.": (f"ticket.{ticket.pk}", frozenset({"resident_a", "manager", "front_desk"})),
        "care.": (
            f"care.estate.{estate_a.pk}.orders",
            frozenset({"manager", "eldercare_worker", "eldercare_coordinator"}),
        ),
    }


def test_websocket_group_prefixes_follow_the_matrix(actors, estate_a, household_a):
    from django.contrib.auth import get_user_model

    from community.tickets import services as tickets
    from tests.factories import CategoryFactory

    assert set(consumers._AUTHORISERS) == EXPECTED_GROUP_PREFIXES, "place new group prefixes in the matrix"
    owner, unit = household_a
    ticket = tickets.ticket_create(
        by=owner, category=CategoryFactory(estate=estate_a), description="漏水", unit=unit
    )
    users = {
        role: get_user_model().objects.get(pk=client.session["_auth_user_id"])
        for role, client in actors.items()
        if "_auth_user_id" in client.session
    }
    wrong = []
    for prefix, (group, allowed) in _groups(estate_a, ticket).items():
        for role in ROLES:
            user = users.get(role)
            got = bool(user) and consumers.can_subscribe(user, group)
            if got != (role in allowed):
                wrong.append((group, role, got))
    assert not wrong, "\n".join(f"{g} as {r}: joined={j}" for g, r, j in wrong)
