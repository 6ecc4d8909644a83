"""Admin for property staff: estates, buildings, units, residents, occupancies, staff, notices.

Every class is estate-scoped through ``community.scoping.EstateScopedAdminMixin`` (lists,
change pages, deletes, exports, foreign-key choices and autocomplete). Writes that have rules
go through ``community.residents.services``: occupancies are started, changed and ended by
the services (the primary-contact flag moves, ``occupancy_ended`` fires), staff memberships
are created and deleted by the services (role groups stay in sync).

Privacy decisions:

* Lists show phone and ID numbers masked (138****0001, 420***********1234) to everyone.
* The resident change form shows the full values to those who may change residents
  (managers, front desk, superusers): they must see what they edit. View-only roles
  (technician, security, eldercare coordinator) see the masked values there too.
* Exporting residents (full phone and ID numbers) needs the change permission as well.
* A resident's login account is linked by the invitation flow, not by hand: only a superuser
  may edit that field, because linking an account opens the household to it.

One module per part of the office's work, each registering its own admin classes:
``places`` (estates, buildings, units), ``people`` (residents), ``occupancies`` (the forms and
inlines shared by units and residents, and the occupancy admin), ``staff`` (memberships),
``announcements``; ``base`` holds the scoped import/export admin they share.
"""

from .announcements import ANNOUNCEMENT_FIELDS, AnnouncementAdmin
from .base import ScopedImportExportAdmin
from .occupancies import (
    CurrentFilter,
    OccupancyAddFormSet,
    OccupancyAddInline,
    OccupancyAdmin,
    OccupancyForm,
    OccupancyHistoryInline,
    OccupancyInlinesMixin,
    occupancy_problems,
)
from .people import ResidentAdmin
from .places import BuildingAdmin, EstateAdmin, UnitAdmin
from .staff import StaffMembershipAdmin

__all__ = [
    "ANNOUNCEMENT_FIELDS",
    "AnnouncementAdmin",
    "BuildingAdmin",
    "CurrentFilter",
    "EstateAdmin",
    "OccupancyAddFormSet",
    "OccupancyAddInline",
    "OccupancyAdmin",
    "OccupancyForm",
    "OccupancyHistoryInline",
    "OccupancyInlinesMixin",
    "ResidentAdmin",
    "ScopedImportExportAdmin",
    "StaffMembershipAdmin",
    "UnitAdmin",
    "occupancy_problems",
]
