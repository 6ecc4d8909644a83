"""Steps several browser tests share."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def login(page, base: str, login: str, next_path: str, password: str = "demo12345") -> None:
    """Open ``next_path``, sign in on the login page it redirects to, land back on it."""
    page.goto(f"{base}{next_path}")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.fill('input[name="login"]', login)
    page.fill('input[name="password"]', password)
    page.click('form.form button[type="submit"]')
    expect(page).to_have_url(f"{base}{next_path}")
