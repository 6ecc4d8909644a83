"""Root URLconf. Each surface is included from the app that owns it, by dotted path, so the
core never imports access / parking / eldercare (see docs/architecture.md)."""

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny, IsAuthenticated

from community.affairs.views import verify as affairs_verify
from community.health import healthz
from community.ops.metrics import metrics

# Admin login goes through allauth: its rate limits, MFA step and the staff-MFA gate apply.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = admin.site.site_title = "智慧社区 · 物业管理"

# The schema maps every endpoint and parameter: in production only for signed-in users.
_docs_public = settings.API_DOCS_PUBLIC
schema_view = SpectacularAPIView.as_view(permission_classes=[AllowAny if _docs_public else IsAuthenticated])
# The "split" view serves Swagger UI's start script as a file, not inline (Content-Security-Policy).
docs_view = SpectacularSwaggerSplitView.as_view(url_name="schema")
if not _docs_public:
    docs_view = login_required(docs_view)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:home", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    # Device endpoints at the paths vendors' firmware expects (/iclock/…, /isapi/…, /lpr/…).
    # Near the top: they take most of the requests (every gate and plate read), and Django
    # tries the patterns in order — below the portal and staff includes each read was
    # matched against ~25 patterns first (~0.1 ms of the read's CPU). No other route starts
    # with their prefixes.
    path("", include("access.device_urls")),
    path("", include("parking.device_urls")),
    # Early: devices post here several times a second; the URL resolver tries patterns in order.
    path("api/v1/", include("community.api.urls")),
    # Payment providers' notifications (persist, apply once, then acknowledge).
    path("pay/notify/", include("community.billing.notify_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("community.accounts.urls")),
    # Resident portal (mobile web), one include per app.
    path("portal/", include("community.residents.portal_urls")),
    path("portal/tickets/", include("community.tickets.portal_urls")),
    path("portal/voting/", include("community.voting.portal_urls")),
    path("portal/bills/", include("community.billing.portal_urls")),
    path("portal/access/", include("access.portal_urls")),
    path("portal/parking/", include("parking.portal_urls")),
    path("parking/", include("parking.public_urls")),
    path("portal/inbox/", include("community.notifications.urls")),
    path("portal/affairs/", include("community.affairs.portal_urls")),
    # Worker pages (technicians, eldercare workers) and staff pages.
    path("worker/", include("community.worker_urls")),
    path("worker/care/", include("eldercare.worker_urls")),
    path("portal/care/", include("eldercare.portal_urls")),
    path("staff/tickets/", include("community.tickets.staff_urls")),
    path("staff/access/", include("access.staff_urls")),
    path("staff/billing/", include("community.billing.staff_urls")),
    path("staff/parking/", include("parking.staff_urls")),
    path("staff/affairs/", include("community.affairs.staff_urls")),
    # Anyone holding a certificate checks it here (the QR code on the PDF).
    path("verify/<str:code>", affairs_verify, name="affairs-verify"),
    # REST API and its documentation (served from local static files).
    path("api/schema/", schema_view, name="schema"),
    path("api/docs/", docs_view, name="api-docs"),
]
