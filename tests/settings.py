"""Test settings: production settings with the HTTPS-only switches off (the test client and
the live server speak plain HTTP) and a fast password hasher."""

import os

os.environ.setdefault("SECURE_HTTPS", "false")
os.environ.setdefault("STAFF_MFA_REQUIRED", "false")
os.environ.setdefault("STATIC_MANIFEST", "false")

from community.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
