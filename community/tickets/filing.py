"""The ticket filing rules, in one place.

``filing_errors`` is what a ticket's triage fields must satisfy, whoever files or edits it: the
filing service (portal, API, the admin's phone/walk-in form) and the staff edit service call it;
the admin form and the portal page show its messages through those services. Who may file for
which home is the service's business (it depends on the actor), not a filing rule.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from community.errors import text_too_long

from .models import Category, Channel, Priority, Ticket

# Longest free text accepted from a person (descriptions, reasons, comments): pages and the API
# refuse more with a message instead of storing a novel or failing on a column limit.
TEXT_MAX = 2000
RATING_COMMENT_MAX = 1000
COMMON_AREA_MAX = Ticket._meta.get_field("common_area").max_length


def filing_errors(
    *,
    estate_id: int,
    category: Category | None,
    description: str,
    unit=None,
    common_area: str = "",
    priority: str | None = None,
    channel: str | None = None,
    category_changed: bool = True,
    require_location: bool = False,
) -> dict[str, list[str]]:
    """Field -> messages for everything wrong with these triage fields (empty when fine).

    ``category_changed`` False skips the "still in use" check for an edit that keeps a category
    retired since filing; ``require_location`` asks for a unit or a common area (residents).
    """
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    description = (description or "").strip()
    common_area = (common_area or "").strip()
    if not description:
        add("description", _("Describe the problem."))
    for field, value, limit in (
        ("description", description, TEXT_MAX),
        ("common_area", common_area, COMMON_AREA_MAX),
    ):
        if message := text_too_long(value, limit):
            add(field, message)
    if category is None:
        add("category", _("Choose what it is about."))
    elif category.estate_id != estate_id:
        add("category", _("This category belongs to another estate."))
    elif category_changed and not category.is_active:
        add("category", _("This category is no longer in use."))
    if unit is not None and common_area:
        add("common_area", _("Choose either a unit or a common area, not both."))
    if unit is not None and unit.building.estate_id != estate_id:
        add("unit", _("This unit is not in the category's estate."))
    if require_location and unit is None and not common_area:
        add("common_area", _("Choose your home or name the common area."))
    if priority is not None and priority not in Priority.values:
        add("priority", _("Unknown priority."))
    if channel is not None and channel not in Channel.values:
        add("channel", _("Unknown channel."))
    return errors
