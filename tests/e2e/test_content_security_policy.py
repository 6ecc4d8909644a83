"""Issue #15 item 16: with the Content-Security-Policy on, every page still works in a real
browser: no script, style or image is refused on the portal, the staff pages, the admin
(including its JavaScript widgets) or the API docs."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.factories import ResidentFactory

DESKTOP = {"width": 1280, "height": 800}


def _login(page, live_server, login: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="login"]', login)
    page.fill('input[name="password"]', "demo12345")
    page.click('form.form button[type="submit"]')
    page.wait_for_load_state()


def _visit_all(page, live_server, paths) -> list[str]:
    refused: list[str] = []
    current = {"path": ""}
    page.on(
        "console",
        lambda m: (
            refused.append(f"{current['path']}: {m.text[:160]}")
            if "Content Security Policy" in m.text
            else None
        ),
    )
    for path in paths:
        current["path"] = path
        response = page.goto(f"{live_server.url}{path}")
        assert response.status < 400, (path, response.status)
        assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()}
        page.wait_for_load_state("networkidle")
    return refused


def test_resident_pages_run_under_the_policy(page, live_server, household_a):
    _login(page, live_server, "138 0000 0101")
    refused = _visit_all(
        page,
        live_server,
        [
            "/portal/",
            "/portal/me/",
            "/portal/tickets/",
            "/portal/tickets/new/",
            "/accounts/identifiers/",
            "/api/docs/",
        ],
    )
    assert refused == []
    # Swagger UI rendered from its external start script.
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui")).to_be_visible()


def test_staff_and_admin_pages_run_under_the_policy(browser, live_server, manager_a, household_a, estate_a):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    owner, _unit = household_a
    resident = ResidentFactory(estate=estate_a, name="王芳")
    _login(page, live_server, str(manager_a.phone))
    refused = _visit_all(
        page,
        live_server,
        [
            "/admin/",
            "/admin/residents/resident/",
            f"/admin/residents/resident/{resident.pk}/change/",
            "/admin/residents/occupancy/add/",
            f"/admin/accounts/user/{owner.pk}/change/",
            f"/admin/accounts/user/{owner.pk}/identifier/",
            "/staff/access/",
            "/worker/",
        ],
    )
    assert refused == []
    # The admin's own JavaScript works: the autocomplete widget opens and searches.
    page.goto(f"{live_server.url}/admin/residents/occupancy/add/")
    page.click(".field-resident .select2-selection")
    expect(page.locator(".select2-search__field")).to_be_visible()
    # The live feed page carries no inline handler (its estate picker uses data-autosubmit).
    page.goto(f"{live_server.url}/staff/access/")
    assert not re.search(r"<[^>]+\son[a-z]+=", page.content())
    context.close()
