from django.contrib import admin, messages
from django.utils.translation import gettext as _

from .models import CalendarDay
from .services import calendar_years_missing


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """National, not per estate: no estate scoping; managers hold the change permission."""

    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["name"]

    def changelist_view(self, request, extra_context=None):
        for year in calendar_years_missing():
            messages.warning(
                request,
                _(
                    "No day of %(year)s is entered: deadlines in %(year)s count its statutory "
                    "holidays as working days until its holidays and make-up working days are added."
                )
                % {"year": year},
            )
        return super().changelist_view(request, extra_context)
