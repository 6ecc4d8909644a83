from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import selectors, services

INBOX_PAGE_SIZE = 30


@login_required
def index(request):
    page = Paginator(selectors.inbox_for(request.user), INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "portal/notifications/inbox.html", {"page": page, "notifications": page.object_list}
    )


@login_required
@require_POST
def open_notification(request, pk: int):
    notification = get_object_or_404(selectors.inbox_for(request.user), pk=pk)
    services.notification_mark_read(by=request.user, notification_ids=[notification.pk])
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:index")


@login_required
@require_POST
def mark_all_read(request):
    services.notification_mark_read(by=request.user)
    return redirect("notifications:index")
