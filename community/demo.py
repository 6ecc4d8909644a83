"""Demo data registry.

``manage.py seed_demo`` builds the core estate (community.residents), then runs every seeder
registered by an app's ``demo.py`` module (found with ``autodiscover_modules("demo")``), in
``order``. Apps register here so the core never imports them. Every seeder must be
idempotent: a second ``seed_demo`` changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

DEMO_PASSWORD = "demo12345"

# Fixed demo logins (phone or username -> role), printed by seed_demo.
DEMO_LOGINS = [
    ("13800000001", "resident owner / 业主"),
    ("13800000002", "resident tenant / 租户"),
    ("13900000001", "property manager / 物业经理"),
    ("13900000002", "technician / 维修师傅"),
    ("13700000001", "eldercare worker / 养老服务人员"),
    ("13600000001", "community office / 社区居委会"),
    ("admin", "superuser / 超级管理员"),
]


@dataclass
class DemoContext:
    """What seeders get: the demo estate, the named demo users and a progress helper.

    ``users`` keys: "owner", "tenant", "manager", "technician", "eldercare_worker", "admin".
    ``progress(iterable, description, total=None)`` wraps an iterable in a progress bar.
    """

    estate: Any
    users: dict[str, Any]
    stdout: TextIO
    progress: Callable[..., Iterable]
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(order=True)
class _Seeder:
    order: int
    name: str
    func: Callable[[DemoContext], None] = field(compare=False)


_SEEDERS: dict[str, _Seeder] = {}


def register_seeder(*, order: int, name: str | None = None):
    """Decorator for ``def seed(ctx: DemoContext) -> None`` in an app's demo.py."""

    def decorator(func: Callable[[DemoContext], None]):
        key = name or f"{func.__module__}.{func.__name__}"
        _SEEDERS[key] = _Seeder(order, key, func)
        return func

    return decorator


def registered_seeders() -> list[_Seeder]:
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("demo")
    return sorted(_SEEDERS.values())
