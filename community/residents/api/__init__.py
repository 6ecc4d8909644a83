"""REST API of the community core: "my" households and announcements for residents, and the
estate-scoped staff endpoints (estates, buildings, units, residents, announcements).

Residents' reads go through ``community.scoping.my_households_q`` (the selectors); staff reads
through ``community.scoping.staff_scope``. An object outside either scope answers 404, never
403, so ids cannot be probed. Writes check the role *in the object's estate*
(``community.api.permissions``).

``mine`` holds the residents' endpoints, ``staff`` the staff endpoints, ``refs`` the small
serializers both (and other apps' APIs) embed.
"""

from .mine import (
    AnnouncementSerializer,
    HouseholdMemberSerializer,
    MyAnnouncementFilter,
    MyAnnouncementViewSet,
    MyUnitSerializer,
    MyUnitViewSet,
)
from .refs import BuildingRefSerializer, EstateRefSerializer
from .staff import (
    AnnouncementFilter,
    AnnouncementViewSet,
    BuildingFilter,
    BuildingSerializer,
    BuildingViewSet,
    EstateScopedViewSet,
    EstateSerializer,
    EstateViewSet,
    ResidentFilter,
    ResidentOccupancySerializer,
    ResidentSerializer,
    ResidentViewSet,
    StaffAnnouncementSerializer,
    UnitFilter,
    UnitSerializer,
    UnitViewSet,
    WritableEstateField,
)

__all__ = [
    "AnnouncementFilter",
    "AnnouncementSerializer",
    "AnnouncementViewSet",
    "BuildingFilter",
    "BuildingRefSerializer",
    "BuildingSerializer",
    "BuildingViewSet",
    "EstateRefSerializer",
    "EstateScopedViewSet",
    "EstateSerializer",
    "EstateViewSet",
    "HouseholdMemberSerializer",
    "MyAnnouncementFilter",
    "MyAnnouncementViewSet",
    "MyUnitSerializer",
    "MyUnitViewSet",
    "ResidentFilter",
    "ResidentOccupancySerializer",
    "ResidentSerializer",
    "ResidentViewSet",
    "StaffAnnouncementSerializer",
    "UnitFilter",
    "UnitSerializer",
    "UnitViewSet",
    "WritableEstateField",
]
