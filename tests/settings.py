"""Test settings: production settings with the HTTPS-only switches off (the test client and
the live server speak plain HTTP) and a fast password hasher."""

import os

os.environ.setdefault("SECURE_HTTPS", "false")
os.environ.setdefault("STAFF_MFA_REQUIRED", "false")
os.environ.setdefault("STATIC_MANIFEST", "false")

from community.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
# The test process's whitenoise lists STATIC_ROOT when a client starts. Tests that start `make
# prod` run collectstatic into var/static, rewriting it while another xdist worker lists it
# (FileNotFoundError on a file renamed under it). The test process serves static files from
# the source folders (finders) and needs nothing collected: an empty folder of its own.
STATIC_ROOT = VAR_DIR / "test-static"  # noqa: F405
STATIC_ROOT.mkdir(exist_ok=True)
