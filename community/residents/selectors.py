"""Reads for the community core. Resident reads go through "my households"."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from community.scoping import my_estate_ids, my_households_q

from .models import Announcement, Estate, Occupancy, Unit


def my_units_with_members(user) -> QuerySet[Unit]:
    """The user's households with building, estate and the current members, in 3 queries."""
    members = Occupancy.objects.active().select_related("resident").order_by("role", "resident__name")
    return (
        Unit.objects.filter(my_households_q(user))
        .select_related("building__estate")
        .prefetch_related(Prefetch("occupancies", queryset=members, to_attr="current_members"))
        .order_by("building__estate__name", "building__name", "entrance", "number")
    )


def my_estates(user) -> QuerySet[Estate]:
    return Estate.objects.filter(pk__in=my_estate_ids(user))


def announcements_for_user(user) -> QuerySet[Announcement]:
    return Announcement.objects.current().filter(estate_id__in=my_estate_ids(user)).select_related("estate")
