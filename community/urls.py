"""Root URLconf. Each surface is included from the app that owns it, by dotted path, so the
core never imports access / parking / eldercare (see docs/architecture.md)."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from community.affairs.views import verify as affairs_verify
from community.health import healthz

# Admin login goes through allauth: its rate limits, MFA step and the staff-MFA gate apply.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = admin.site.site_title = "智慧社区 · 物业管理"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:home", permanent=False)),
    path("healthz", healthz, name="healthz"),
    # Early: devices post here several times a second; the URL resolver tries patterns in order.
    path("api/v1/", include("community.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("community.accounts.urls")),
    # Resident portal (mobile web), one include per app.
    path("portal/", include("community.residents.portal_urls")),
    path("portal/tickets/", include("community.tickets.portal_urls")),
    path("portal/voting/", include("community.voting.portal_urls")),
    path("portal/access/", include("access.portal_urls")),
    path("portal/inbox/", include("community.notifications.urls")),
    path("portal/affairs/", include("community.affairs.portal_urls")),
    # Worker pages (technicians, eldercare workers) and staff pages.
    path("worker/", include("community.tickets.worker_urls")),
    path("staff/tickets/", include("community.tickets.staff_urls")),
    path("staff/access/", include("access.staff_urls")),
    path("staff/affairs/", include("community.affairs.staff_urls")),
    # Anyone holding a certificate checks it here (the QR code on the PDF).
    path("verify/<str:code>", affairs_verify, name="affairs-verify"),
    # REST API and its documentation (served from local static files).
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # Device endpoints at the paths vendors' firmware expects (/iclock/…, /isapi/…).
    path("", include("access.device_urls")),
]
