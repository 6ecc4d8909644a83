"""Bulk import and export of buildings, units and residents (Excel / CSV, django-import-export 4).

What a property office needs from a spreadsheet, and how it is kept safe:

* Human columns: a building is named ("3栋"), a unit is its building + entrance + number, a
  role is "业主"/"Owner"/"owner". Headers are matched in any site language (the column names
  are translatable strings) and in English, so a file exported in Chinese imports again.
* Scoped: every row resolves its estate among the estates the importing staff member serves.
  A building of another estate is "unknown"; a staff member serving several estates fills in
  the estate column (name or code); serving one, the column may stay empty.
* All or nothing: the resources run in one transaction and roll back when any row has an
  error (``rollback_on_validation_errors`` defaults to on here), so a file with one bad row
  writes nothing. The dry run reports every bad row with a message saying what is wrong.
* Existing rows are updated, not duplicated: a building by estate + name, a unit by building +
  entrance + number, a resident by estate + ID number (else phone). A unit or building that
  appears twice in one file is an error.
* Resident rows may name a unit, a role and the primary-contact flag: the occupancy is started
  (or updated) through ``community.residents.services`` so its rules hold.

The package is split by what is imported: ``base`` (cell parsing, estate scoping, all or
nothing), ``places`` (buildings, units) and ``people`` (residents and their occupancies).
"""

from .base import ScopedResource, parse_phone
from .people import ResidentExportRow, ResidentResource
from .places import BuildingResource, UnitResource

__all__ = [
    "BuildingResource",
    "ResidentExportRow",
    "ResidentResource",
    "ScopedResource",
    "UnitResource",
    "parse_phone",
]
