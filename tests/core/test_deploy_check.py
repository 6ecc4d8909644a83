"""`manage.py check --deploy` with production settings (DEBUG off) reports nothing at all."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _production_database_url() -> str:
    """Production runs on PostgreSQL; some model checks depend on the database vendor."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://", "pgsql://")):
        return url
    return "postgres://postgres@127.0.0.1:5432/postgres"


def test_check_deploy_reports_no_warnings_with_debug_off():
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SECURE_", "STAFF_MFA", "STATIC_MANIFEST", "WHITENOISE", "PYTEST"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "community.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "example.com",
            "CSRF_TRUSTED_ORIGINS": "https://example.com",
            "DATABASE_URL": _production_database_url(),
            "REDIS_URL": "redis://127.0.0.1:6379/15",
        }
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output, output


def test_production_defaults_are_secure_without_configuration():
    """What check --deploy looks at, from the settings module itself (tests turn HTTPS off)."""
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.X_FRAME_OPTIONS == "DENY"
    assert settings.SECURE_CONTENT_TYPE_NOSNIFF
