"""Admin writes go through services, one way.

``ServiceAdminMixin`` runs the service *inside the form's validation*: when the service refuses,
its message lands on the form (on the named field where there is one) and the admin shows the
form again — never the error *and* "added successfully". When it succeeds, the object it
returned becomes the form's instance and the admin's own ``save_model`` writes nothing; the
change view's transaction (Django wraps it in ``atomic``) still covers the whole request.

    class MeetingAdmin(ServiceAdminMixin, ScopedModelAdmin):
        def service_save(self, request, form, change):
            if change:
                return services.meeting_update(meeting=form.instance, data=form.cleaned_data,
                                               by=request.user)
            return services.meeting_create(**form.cleaned_data, by=request.user)

``ReadOnlyAdminMixin`` is for records that are written only by the platform (events, audit
rows, device messages): staff may look, never add, change or delete.

Inline formsets are validated by Django *after* the form: use the mixin on admins whose inlines
are read-only (or none), or the service's object could be kept while a formset error is shown.

Admin actions follow the same rule: call the service per object and report refusals with
``message_user(..., messages.ERROR)``; never ``queryset.update()`` past the service.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

__all__ = ["ReadOnlyAdminMixin", "ReadOnlyInlineMixin", "ServiceAdminMixin", "add_service_error"]


def add_service_error(form, exc: ValidationError | PermissionDenied) -> None:
    """Put a service's refusal on ``form``: named fields where the form has them, else on top."""
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc) or _("You may not do this."))
        return
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            if field == NON_FIELD_ERRORS:
                target = None
            for error in errors:
                form.add_error(target, error)
    else:
        for error in exc.error_list:
            form.add_error(None, error)


class ServiceAdminMixin:
    """Add and change forms saved by ``service_save`` during validation (see module docstring)."""

    def service_save(self, request, form, change: bool):
        """Create or update through the app's service and return the saved object."""
        raise NotImplementedError(f"{type(self).__name__} must define service_save()")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        model_admin = self

        class ServiceForm(form_class):
            def _post_clean(self):
                super()._post_clean()
                if self._errors:
                    return
                try:
                    # A savepoint: a refused service leaves nothing behind in the request's
                    # transaction, so the re-shown form starts from the database as it was.
                    with transaction.atomic():
                        self.instance = model_admin.service_save(request, self, change)
                except (ValidationError, PermissionDenied) as exc:
                    add_service_error(self, exc)

        ServiceForm.__name__ = form_class.__name__
        return ServiceForm

    def save_model(self, request, obj, form, change):
        """Nothing to do: ``service_save`` saved the object while the form was validated."""

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields were handed to the service in cleaned_data; inline formsets
        # (if any) still save here, against the instance the service returned.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class ReadOnlyAdminMixin:
    """View-only admin: records written only by the platform."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInlineMixin(ReadOnlyAdminMixin):
    """A read-only inline: every field shown, none editable, no empty extra rows."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return [*self.get_fields(request, obj)]
