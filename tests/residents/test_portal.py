"""The resident portal shell: home (my homes, members, announcements), "me", language switch."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import (
    AnnouncementFactory,
    BuildingFactory,
    OccupancyFactory,
    ResidentFactory,
    UnitFactory,
    UserFactory,
)


def test_home_needs_login(client, db):
    response = client.get("/portal/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_home_shows_my_unit_members_and_announcements_not_another_household(
    client_for, household_a, household_b
):
    user_a, unit_a = household_a
    _user_b, unit_b = household_b
    AnnouncementFactory(estate=unit_a.building.estate, title="停水通知 A")
    AnnouncementFactory(estate=unit_b.building.estate, title="电梯维修 B")

    page = client_for(user_a).get("/portal/").content.decode()

    assert unit_a.building.estate.name in page
    assert unit_a.number in page
    assert "owner_a-业主" in page and "owner_a-家属" in page
    assert "停水通知 A" in page
    assert "owner_b-业主" not in page
    assert "电梯维修 B" not in page
    assert unit_b.building.estate.name not in page


def test_home_hides_expired_and_future_announcements(client_for, household_a):
    user, unit = household_a
    now = timezone.now()
    AnnouncementFactory(
        estate=unit.building.estate,
        title="过期",
        publish_at=now - dt.timedelta(days=9),
        expires_at=now - dt.timedelta(days=1),
    )
    AnnouncementFactory(estate=unit.building.estate, title="明天发布", publish_at=now + dt.timedelta(days=1))

    page = client_for(user).get("/portal/").content.decode()

    assert "过期" not in page and "明天发布" not in page


def test_home_marks_the_primary_contact(client_for, household_a):
    user, _unit = household_a

    response = client_for(user).get("/portal/")

    unit = response.context["units"][0]
    primary = [m.resident.name for m in unit.current_members if m.is_primary_contact]
    assert primary == ["owner_a-业主"]
    assert "badge badge-warn" in response.content.decode()


def test_moved_out_members_are_not_shown(client_for, household_a):
    user, unit = household_a
    gone = ResidentFactory(estate=unit.building.estate, name="已搬走")
    OccupancyFactory(unit=unit, resident=gone, role="tenant", end_date=dt.date(2021, 1, 1))

    assert "已搬走" not in client_for(user).get("/portal/").content.decode()


def _homes(user, estate, *, units: int, announcements: int, phone_seed: int):
    building = BuildingFactory(estate=estate)
    for index in range(units):
        unit = UnitFactory(building=building)
        me = (
            ResidentFactory(estate=estate, user=user, phone=f"+86137{phone_seed:04d}{index:04d}")
            if index == 0
            else None
        )
        if me is not None:
            first = me
        OccupancyFactory(unit=unit, resident=first, is_primary_contact=True)
        for _ in range(2):
            OccupancyFactory(unit=unit, role="family")
    for _ in range(announcements):
        AnnouncementFactory(estate=estate)


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_home_runs_a_constant_number_of_queries(client_for, estate_a, estate_b):
    small, large = UserFactory(), UserFactory()
    _homes(small, estate_a, units=1, announcements=2, phone_seed=1)
    _homes(large, estate_b, units=10, announcements=40, phone_seed=2)

    small_count = _queries(client_for(small), "/portal/")
    large_count = _queries(client_for(large), "/portal/")

    assert small_count == large_count
    assert small_count <= 8


def test_staff_without_household_see_a_way_to_the_admin(client_for, manager_a):
    page = client_for(manager_a).get("/portal/").content.decode()

    assert 'href="/admin/"' in page
    assert 'class="empty card"' in page


def test_resident_without_household_sees_a_friendly_empty_state(client_for, db):
    page = client_for(UserFactory()).get("/portal/").content.decode()

    assert 'class="empty card"' in page
    assert 'href="/admin/"' not in page


def test_me_page_has_account_links(client_for, household_a):
    user, _unit = household_a

    page = client_for(user).get("/portal/me/").content.decode()

    for url in ("/accounts/password/change/", "/accounts/2fa/", "/portal/me/language/", "/accounts/logout/"):
        assert url in page


def test_pages_have_the_bottom_navigation_and_no_cdn(client_for, household_a):
    user, _unit = household_a

    page = client_for(user).get("/portal/").content.decode()

    assert 'class="tabbar"' in page
    assert 'href="/portal/me/"' in page
    assert "/static/css/app.css" in page and "/static/js/app.js" in page
    assert "//cdn" not in page and "https://" not in page


@pytest.mark.parametrize("url", ["/portal/", "/portal/me/"])
def test_language_switch_changes_the_page_language(client_for, household_a, url):
    user, _unit = household_a
    client = client_for(user)
    assert 'lang="zh-hans"' in client.get(url).content.decode()

    response = client.post("/i18n/setlang/", {"language": "en", "next": url})
    assert response.status_code == 302 and response.url == url

    page = client.get(url).content.decode()
    assert 'lang="en"' in page
    assert "Household members" in page if url == "/portal/" else "Change password" in page

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": url})
    assert 'lang="zh-hans"' in client.get(url).content.decode()


def test_language_switch_translates_the_date_line(client_for, household_a):
    user, _unit = household_a
    client = client_for(user)
    assert "星期" in client.get("/portal/").content.decode()

    client.post("/i18n/setlang/", {"language": "en", "next": "/portal/"})

    page = client.get("/portal/").content.decode()
    assert "星期" not in page
    assert any(
        day in page for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    )


@pytest.mark.parametrize("layout", ["portal/base.html", "worker/base.html", "staff/base.html"])
def test_every_surface_layout_renders_the_page_contract_blocks(rf, household_a, layout):
    from django.template import Context, Template

    user, _unit = household_a
    request = rf.get("/")
    request.user = user
    template = Template(
        f'{{% extends "{layout}" %}}{{% block title %}}T-title{{% endblock %}}'
        "{% block extra_head %}<meta name=x-extra>{% endblock %}"
        "{% block content %}<p>T-content</p>{% endblock %}{% block scripts %}<script>/*T*/</script>{% endblock %}"
    )

    html = template.render(Context({"request": request, "user": user}))

    assert "<title>T-title" in html and "<p>T-content</p>" in html
    assert "<meta name=x-extra>" in html and "<script>/*T*/</script>" in html
    assert 'name="viewport"' in html and "/static/css/app.css" in html


def test_stylesheet_offers_every_class_of_the_page_contract():
    from pathlib import Path

    from django.contrib.staticfiles import finders

    css = Path(finders.find("css/app.css")).read_text(encoding="utf-8")
    for name in (
        "page-title",
        "card",
        "list",
        "list-item",
        "btn",
        "btn-primary",
        "btn-danger",
        "btn-block",
        "badge",
        "badge-ok",
        "badge-warn",
        "badge-danger",
        "form-row",
        "muted",
        "empty",
        "timeline",
        "grid-2",
        "stat",
    ):
        assert f".{name} " in css or f".{name}," in css or f".{name}{{" in css or f".{name}:" in css, name
    assert "http://" not in css and "https://" not in css
