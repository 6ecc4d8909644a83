"""The daily door code: rotation by date, verification, the monthly card, the family's view."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from eldercare import services
from eldercare.doorcode import door_code, door_code_matches, month_card


def test_code_is_six_digits_and_changes_daily():
    codes = [
        door_code(elder_id=7, salt="s", on=dt.date(2026, 12, 1) + dt.timedelta(days=n)) for n in range(60)
    ]
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(set(codes)) >= 58  # a repeat within two months is possible, but rare


def test_code_depends_on_the_elder_and_the_salt():
    day = dt.date(2026, 12, 2)
    assert door_code(elder_id=1, salt="s", on=day) != door_code(elder_id=2, salt="s", on=day)
    assert door_code(elder_id=1, salt="s", on=day) != door_code(elder_id=1, salt="t", on=day)
    assert door_code(elder_id=1, salt="s", on=day) == door_code(elder_id=1, salt="s", on=day)


def test_verification():
    day = dt.date(2026, 12, 2)
    code = door_code(elder_id=1, salt="s", on=day)
    assert door_code_matches(elder_id=1, salt="s", on=day, code=code)
    assert door_code_matches(elder_id=1, salt="s", on=day, code=f" {code} ")
    assert not door_code_matches(elder_id=1, salt="s", on=day + dt.timedelta(days=1), code=code)
    assert not door_code_matches(elder_id=1, salt="s", on=day, code="")


def test_month_card_has_one_code_per_day():
    card = month_card(elder_id=1, salt="s", year=2026, month=2)
    assert [d for d, _c in card] == [dt.date(2026, 2, d) for d in range(1, 29)]


def test_rotating_the_salt_voids_the_printed_card(elder_a, coordinator_a):
    today = timezone.localdate()
    old = door_code(elder_id=elder_a.pk, salt=elder_a.door_code_salt, on=today)
    services.door_code_rotate(elder=elder_a, by=coordinator_a)
    elder_a.refresh_from_db()
    assert not door_code_matches(elder_id=elder_a.pk, salt=elder_a.door_code_salt, on=today, code=old) or (
        door_code(elder_id=elder_a.pk, salt=elder_a.door_code_salt, on=today) == old  # 1 in a million
    )


def test_family_portal_shows_todays_code_and_the_card_prints_the_month(
    elder_a, household_a, coordinator_a, client_for
):
    today = timezone.localdate()
    code = door_code(elder_id=elder_a.pk, salt=elder_a.door_code_salt, on=today)
    assert code in client_for(household_a[0]).get("/portal/care/").content.decode()
    card = client_for(coordinator_a).get(f"/worker/care/elders/{elder_a.pk}/door-card/?month={today:%Y-%m}")
    assert card.status_code == 200 and code in card.content.decode()
