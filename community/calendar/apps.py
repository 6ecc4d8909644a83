from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CalendarConfig(AppConfig):
    name = "community.calendar"
    label = "calendar"
    verbose_name = _("Working calendar")

    # The yearly table is national, not per estate: managers keep it up to date.
    role_permissions = {
        "manager": [f"calendar.{a}_calendarday" for a in ("view", "add", "change", "delete")],
        "front_desk": ["calendar.view_calendarday"],
    }

    def ready(self) -> None:
        # Registers the calendar's messages, which notifications render when they are read.
        from . import messages  # noqa: F401
