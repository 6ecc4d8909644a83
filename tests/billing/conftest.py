import pytest


@pytest.fixture(autouse=True)
def _demo_keys_in_tmp(settings, tmp_path_factory):
    """The demo merchant's key files live under a per-session temporary directory."""
    settings.BILLING_DEMO_DIR = tmp_path_factory.getbasetemp() / "billing-demo"
