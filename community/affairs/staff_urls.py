from functools import wraps

from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils.translation import gettext as _

from . import appointment_views, grid_views, roster_views, views

app_name = "staff-affairs"


def _staff_only(view):
    """The community office's pages are staff pages: a resident is refused here rather than
    shown an empty office queue (issue #15 role matrix)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_staff:
            raise PermissionDenied(_("These pages are for staff."))
        return view(request, *args, **kwargs)

    return wrapped


urlpatterns = [
    path("", _staff_only(views.staff_index), name="index"),
    path("grid/", _staff_only(grid_views.staff_grid_index), name="grid-index"),
    path("check-in/", _staff_only(appointment_views.staff_check_in), name="check-in"),
    path("rosters/", _staff_only(roster_views.roster_index), name="rosters"),
    path("rosters/<int:pk>/", _staff_only(roster_views.roster_open), name="roster"),
    path("grid/<int:pk>/", _staff_only(grid_views.staff_grid_detail), name="grid-detail"),
    path("grid/<int:pk>/<slug:action>/", _staff_only(grid_views.staff_grid_act), name="grid-act"),
    path("<int:pk>/", _staff_only(views.staff_detail), name="detail"),
    path("<int:pk>/<slug:action>/", _staff_only(views.staff_act), name="act"),
]
