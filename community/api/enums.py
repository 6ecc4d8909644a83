"""OpenAPI enum names for every choices class of the project, found when the schema is built.

drf-spectacular names an enum after the field ("status", "role"); two apps with a ``status``
field of different choices collide, and the same choices under two field names get two names
(both are warnings, and the schema check runs with --fail-on-warn). Naming each enum after its
``TextChoices``/``IntegerChoices`` class instead ("TicketStatusEnum", "OccupancyRoleEnum")
fixes both for every app without a hand-kept list. In settings::

    from community.api.enums import ProjectEnumNames
    SPECTACULAR_SETTINGS = {..., "ENUM_NAME_OVERRIDES": ProjectEnumNames()}

This module imports nothing from Django at import time, so settings can import it.
"""

from __future__ import annotations

PROJECT_PACKAGES = ("community.", "access.", "parking.", "eldercare.")


def _all_subclasses(cls) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_all_subclasses(sub))
    return found


def _app_prefix(module: str) -> str:
    # "community.tickets.models" -> "Tickets", "access.models" -> "Access"
    parts = module.split(".")
    return (parts[1] if parts[0] == "community" and len(parts) > 1 else parts[0]).title()


def project_enum_names() -> dict[str, type]:
    """{"<ClassName>Enum": choices class} for the project's choices classes, one per choice set."""
    from django.db.models import Choices

    classes = sorted(
        (c for c in _all_subclasses(Choices) if c.__module__.startswith(PROJECT_PACKAGES) and c.choices),
        key=lambda c: (c.__module__, c.__qualname__),
    )
    counts: dict[str, int] = {}
    for cls in classes:
        counts[cls.__name__] = counts.get(cls.__name__, 0) + 1
    names: dict[str, type] = {}
    seen_choice_sets: set[tuple] = set()
    for cls in classes:
        choice_set = tuple(sorted((str(v), str(label)) for v, label in cls.choices))
        if choice_set in seen_choice_sets:
            continue  # the same choices twice would give one set two names
        seen_choice_sets.add(choice_set)
        name = cls.__name__ if counts[cls.__name__] == 1 else _app_prefix(cls.__module__) + cls.__name__
        names[f"{name}Enum"] = cls
    return names


class ProjectEnumNames(dict):
    """A dict filled on first use, when the apps (and so all choices classes) are loaded."""

    _filled = False

    def _fill(self) -> None:
        from django.apps import apps

        # Before the models are imported the list would be partial: wait for the registry.
        if not self._filled and apps.ready:
            self._filled = True
            self.update(project_enum_names())

    def items(self):
        self._fill()
        return super().items()

    def keys(self):
        self._fill()
        return super().keys()

    def values(self):
        self._fill()
        return super().values()

    def get(self, key, default=None):
        self._fill()
        return super().get(key, default)

    def __getitem__(self, key):
        self._fill()
        return super().__getitem__(key)

    def __contains__(self, key) -> bool:
        self._fill()
        return super().__contains__(key)

    def __len__(self) -> int:
        self._fill()
        return super().__len__()

    def __iter__(self):
        self._fill()
        return super().__iter__()
