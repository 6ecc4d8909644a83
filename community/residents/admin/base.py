"""What the residents admin classes share: import/export scoped to the staff member's estates."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from import_export.formats import base_formats

from community.scoping import EstateScopedAdminMixin

SCOPED_FILTER = admin.RelatedOnlyFieldListFilter  # lists only the estates/buildings in the scoped rows


class ScopedImportExportAdmin(EstateScopedAdminMixin, ImportExportModelAdmin):
    """Import/export limited to the staff member's estates, all or nothing.

    The dry run lists every bad row; the confirm step is offered only when there is none, and
    the real import rolls back entirely if a row fails anyway (data changed in between).
    """

    # Spreadsheets as the office has them; the first is the default.
    import_formats = [base_formats.XLSX, base_formats.CSV]
    export_formats = [base_formats.XLSX, base_formats.CSV]

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {"user": request.user}

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs.setdefault("rollback_on_validation_errors", True)
        return kwargs

    def get_valid_export_item_pks(self, request):
        # Ids posted by the "export selected" action are checked against the scoped rows.
        return self.get_queryset(request).values_list("pk", flat=True)

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            bad = len(result.invalid_rows) + len(result.row_errors()) + len(result.base_errors)
            messages.error(
                request,
                _("Nothing was imported: %(count)s row(s) have errors. Run the import again to see them.")
                % {"count": bad},
            )
            info = self.get_model_info()
            return HttpResponseRedirect(
                reverse(f"admin:{info[0]}_{info[1]}_import", current_app=self.admin_site.name)
            )
        return super().process_result(result, request)
