"""The product's settings with the benchmark URLconf: the product plus baseline views."""

from community.settings import *  # noqa: F403

ROOT_URLCONF = "bench.server.urls"
