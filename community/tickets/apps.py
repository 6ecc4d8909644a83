from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _perms(models: list[str], actions: list[str]) -> list[str]:
    return [f"tickets.{a}_{m}" for m in models for a in actions]


def authorise_ticket_group(user, group: str) -> bool:
    """``ticket.<id>``: the reporter's household and the staff of the ticket's estate."""
    from .selectors import visible_tickets

    try:
        ticket_id = int(group.removeprefix("ticket."))
    except ValueError:
        return False
    return visible_tickets(user).filter(pk=ticket_id).exists()


def _worker_badge(user) -> int:
    from .selectors import worker_queue

    return worker_queue(user).count()


class TicketsConfig(AppConfig):
    name = "community.tickets"
    label = "tickets"
    verbose_name = _("Service tickets")

    role_permissions = {
        "manager": _perms(["ticket", "ticketevent"], ["view", "add", "change"])
        + _perms(["category", "slapolicy", "ticketsettings"], ["view", "add", "change", "delete"])
        + _perms(["rating", "ticketphoto"], ["view"]),
        "front_desk": _perms(["ticket", "ticketevent"], ["view", "add", "change"])
        + _perms(["category", "slapolicy", "rating", "ticketphoto"], ["view"]),
        "technician": _perms(["ticket", "ticketevent", "category", "ticketphoto"], ["view"]),
    }

    def ready(self) -> None:
        from community.consumers import register_group

        register_group("ticket.", authorise_ticket_group)

        from community.worker import register_section

        register_section(
            key="tickets",
            title=_("Service tickets"),
            url_name="worker:tickets",
            icon="tickets",
            roles={"technician", "manager", "front_desk"},
            badge=_worker_badge,
            order=10,
        )
