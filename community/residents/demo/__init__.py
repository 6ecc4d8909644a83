"""Core demo data: the estate 十堰 阳光花园 with its buildings, units, residents and staff.

The data is generated from a fixed random seed, so every run plans the same rows; only the
rows not yet in the database are written (``bulk_create``), which makes ``seed_demo``
idempotent and a second run cheap. Passwords are hashed once and shared by every demo user:
hashing is deliberately slow and would dominate the run otherwise.

``plan`` decides what the estate holds (pure: the seed, the names, the ID numbers, who lives
where); ``seed`` writes what is missing and registers the seeder (``community.demo`` finds it
through this package).
"""

from .plan import DEMO_USERS, ESTATE, EXTRA_STAFF, OWNER_UNIT, SEED, TENANT_UNIT, id_number_checksum
from .seed import DEMO_ACTOR, demo_context_build, seed

__all__ = [
    "DEMO_ACTOR",
    "DEMO_USERS",
    "ESTATE",
    "EXTRA_STAFF",
    "OWNER_UNIT",
    "SEED",
    "TENANT_UNIT",
    "demo_context_build",
    "id_number_checksum",
    "seed",
]
