"""Writes of community affairs. Keyword-only, one transaction each, ``by`` recorded.

The promised time limit runs on the ticket engine's SLA clock: it starts at submission, stops
while the office waits for the resident's materials (the one-time notice) and runs again when
they come back; at-risk and overdue marks are stored for the office's queue and escalation.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community.calendar.selectors import work_calendar
from community.errors import NotAllowed, ServiceError, StaleVersion, TransitionRefused, text_within
from community.notifications.services import notification_send
from community.residents.models import Occupancy, Resident, Unit
from community.scoping import staff_estate_ids_for_perm
from community.tickets.sla import Clock, SLAState

from . import messages, time_limits
from .models import Application, ApplicationEvent, ApplicationMaterial, Certificate, EventType, ServiceItem
from .transitions import FINAL_STATUSES, NEEDS_REASON, PAUSED_STATUSES, Action, Role, Status, next_status

MAX_MATERIAL_BYTES = 10 * 1024 * 1024
MATERIAL_TYPES = {"application/pdf", "image/jpeg", "image/png"}
OFFICE_PERM = "affairs.change_application"
# The ticket engine's escalation levels (at risk, then overdue); a level only ever goes up.
ESCALATION_LEVEL = {SLAState.OK: 0, SLAState.AT_RISK: 1, SLAState.OVERDUE: 2}


def _actor(by) -> dict:
    return {"actor": None, "actor_label": by} if isinstance(by, str) else {"actor": by, "actor_label": ""}


def _event(application: Application, type_: str, by, **params) -> None:
    ApplicationEvent.objects.create(application=application, type=type_, params=params, **_actor(by))


def _clock(a: Application) -> Clock:
    return Clock(
        started_at=a.sla_started_at, paused_seconds=a.sla_paused_seconds, paused_since=a.sla_paused_since
    )


def _store_clock(a: Application, clock: Clock, now: dt.datetime) -> None:
    """Store the clock and the deadline marks; the limit runs in working days (see time_limits)."""
    was_paused = a.sla_paused_since is not None
    calendar = None
    if clock.is_paused and not was_paused and a.sla_run_since is not None:
        # Paused now: bank the working time of the run that ends here.
        calendar = work_calendar(around=timezone.localdate(now))
        a.sla_worked_seconds += int(calendar.working_time_between(a.sla_run_since, now).total_seconds())
        a.sla_run_since = None
    elif was_paused and not clock.is_paused:
        a.sla_run_since = now
    a.sla_paused_seconds, a.sla_paused_since = clock.paused_seconds, clock.paused_since
    if a.status in FINAL_STATUSES:
        a.due_at = a.at_risk_at = a.sla_run_since = None
    elif clock.is_paused or a.sla_run_since is None:
        # On hold the deadline moves with the clock; nothing is at risk while the resident acts.
        a.due_at = a.at_risk_at = None
    else:
        calendar = calendar or work_calendar(around=timezone.localdate(a.sla_run_since))
        a.due_at, a.at_risk_at = time_limits.marks(
            calendar,
            run_since=a.sla_run_since,
            worked=dt.timedelta(seconds=a.sla_worked_seconds),
            budget=time_limits.budget_of(a.item.time_limit_days, calendar),
        )


def roles_for(user, application: Application) -> frozenset[str]:
    roles = set()
    if user.is_authenticated and application.applicant_id == user.pk:
        roles.add(Role.APPLICANT)
    ids = staff_estate_ids_for_perm(user, OFFICE_PERM) if user.is_authenticated else frozenset()
    if ids is None or application.estate_id in ids:
        roles.add(Role.OFFICE)
    return frozenset(roles)


def _check_file(key: str, upload: UploadedFile) -> None:
    if upload.size > MAX_MATERIAL_BYTES:
        raise ServiceError({key: [_("A material may be at most 10 MB.")]})
    if (upload.content_type or "").split(";")[0] not in MATERIAL_TYPES:
        raise ServiceError({key: [_("Send a PDF, JPEG or PNG file.")]})


def _next_number(estate_id: int, today: dt.date) -> str:
    prefix = f"SW{today:%Y%m%d}"
    count = Application.objects.filter(number__startswith=prefix).count()
    return f"{prefix}{count + 1:05d}"


@transaction.atomic
def application_submit(
    *,
    item: ServiceItem,
    unit: Unit,
    beneficiary: Resident,
    files: dict[str, UploadedFile],
    note: str = "",
    by,
) -> Application:
    """A resident applies for themselves or a member of their household, with the materials."""
    if not item.active:
        raise ServiceError({"item": [_("This service is not offered any more.")]})
    today = timezone.localdate()
    mine = Occupancy.objects.active(today).filter(resident__user=by, unit=unit).exists()
    if not mine:
        raise NotAllowed(_("You can only apply for your own household."))
    if unit.building.estate_id != item.estate_id:
        raise ServiceError({"unit": [_("This service is offered in another estate.")]})
    if not Occupancy.objects.active(today).filter(resident=beneficiary, unit=unit).exists():
        raise ServiceError({"beneficiary": [_("Choose a current member of this household.")]})
    unknown = sorted(set(files) - set(item.material_keys))
    if unknown:
        raise ServiceError({"files": [_("Not materials of this service: %(k)s") % {"k": ", ".join(unknown)}]})
    for key, upload in files.items():
        _check_file(key, upload)
    note = text_within(note, Application, "note")
    now = timezone.now()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                application = Application.objects.create(
                    estate_id=item.estate_id,
                    number=_next_number(item.estate_id, today),
                    item=item,
                    applicant=by,
                    beneficiary=beneficiary,
                    unit=unit,
                    note=note,
                    sla_started_at=now,
                    sla_run_since=now,
                )
            break
        except IntegrityError:  # two submissions took the same number: take the next one
            continue
    else:
        raise ServiceError(_("Please try again."), code="busy")
    _store_clock(application, _clock(application), now)
    application.save(update_fields=["due_at", "at_risk_at", "sla_run_since"])
    for key, upload in files.items():
        ApplicationMaterial.objects.create(application=application, key=key, file=upload, uploaded_by=by)
    _event(application, EventType.SUBMITTED, by, materials=sorted(files))
    return application


@transaction.atomic
def application_material_upload(
    *, application: Application, key: str, file: UploadedFile, by
) -> ApplicationMaterial:
    application = Application.objects.select_for_update().select_related("item").get(pk=application.pk)
    if Role.APPLICANT not in roles_for(by, application):
        raise NotAllowed(_("Only the applicant adds materials."))
    if application.status not in (Status.SUBMITTED, Status.NEEDS_MATERIALS):
        raise TransitionRefused(_("Materials can be added until the office has accepted the application."))
    if key not in application.item.material_keys:
        raise ServiceError({"key": [_("Not a material of this service.")]})
    _check_file(key, file)
    material = ApplicationMaterial.objects.create(application=application, key=key, file=file, uploaded_by=by)
    _event(application, EventType.MATERIAL_UPLOADED, by, key=key)
    return material


def _still_missing(application: Application, since: dt.datetime | None) -> list[str]:
    uploaded = set(
        ApplicationMaterial.objects.filter(
            application=application, **({"uploaded_at__gt": since} if since else {})
        ).values_list("key", flat=True)
    )
    return [k for k in application.missing if k not in uploaded]


@transaction.atomic
def application_move(
    *,
    application: Application,
    action: str,
    by,
    reason: str = "",
    missing: list[str] | None = None,
    version: int | None = None,
) -> Application:
    application = (
        Application.objects.select_for_update().select_related("item", "estate").get(pk=application.pk)
    )
    if version is not None and version != application.version:
        raise StaleVersion(_("Someone else changed this application; reload it."))
    target = next_status(application.status, action, roles_for(by, application))
    reason = (reason or "").strip()
    if action in NEEDS_REASON and action != Action.NOTIFY_MISSING and not reason:
        raise ServiceError({"reason": [_("Give the reason.")]})
    now = timezone.now()
    clock = _clock(application)
    if action == Action.NOTIFY_MISSING:
        missing = sorted(set(missing or []))
        if not missing and not reason:
            raise ServiceError({"missing": [_("List everything that is missing, at once.")]})
        unknown = sorted(set(missing) - set(application.item.material_keys))
        if unknown:
            raise ServiceError(
                {"missing": [_("Not materials of this service: %(k)s") % {"k": ", ".join(unknown)}]}
            )
        # 一次性告知: everything missing is told in the first notice. A later notice may repeat
        # items already told (a wrong copy came back) but never add new ones.
        told_before = set(application.missing) if application.notices_sent else None
        if told_before is not None and not set(missing) <= told_before:
            raise ServiceError(
                {
                    "missing": [
                        _(
                            "The first notice had to list everything; only materials already asked for can be asked again."
                        )
                    ]
                }
            )
        application.missing, application.missing_note = missing, reason
        application.notices_sent += 1
        clock = clock.pause(now)
    elif action == Action.RESUBMIT:
        notice_at = (
            application.events.filter(type=EventType.MOVED, params__action=Action.NOTIFY_MISSING)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        still = _still_missing(application, notice_at)
        if still:
            labels = ", ".join(application.item.material_label(k) for k in still)
            raise ServiceError({"missing": [_("Still missing: %(m)s") % {"m": labels}]})
        clock = clock.resume(now)
    if target in FINAL_STATUSES:
        application.decided_at = now
        application.decision_reason = reason
        clock = clock.resume(now)
    previous = application.status
    application.status = target
    application.version += 1
    _store_clock(application, clock, now)
    application.save()
    _event(
        application,
        EventType.MOVED,
        by,
        action=action,
        **{
            "from": previous,
            "to": target,
            "reason": reason,
            "missing": application.missing if action == Action.NOTIFY_MISSING else [],
        },
    )
    certificate = None
    if target == Status.APPROVED and application.item.issues_certificate:
        certificate = _certificate_issue(application, by=by)
    _notify_applicant(application, action=action, reason=reason, certificate=certificate, by=by)
    return application


def _notify_applicant(
    application: Application, *, action: str, reason: str, certificate: Certificate | None, by
) -> None:
    """Tell the applicant what the office did (not what they did themselves): one notification
    per change, a type plus parameters rendered in their language; the office's reason is a
    person's words and goes as written."""
    if getattr(by, "pk", None) == application.applicant_id:
        return
    params = {"n": application.number, "item": application.item.name}
    if certificate is not None:
        message, params = messages.CERTIFICATE_READY, {"n": application.number, "number": certificate.number}
    elif action == Action.NOTIFY_MISSING:
        message = messages.APPLICATION_MISSING
        params["missing"] = [application.item.material_label(k) for k in application.missing]
    else:
        message = messages.APPLICATION_MOVED
        params["status"] = application.status
    notification_send(
        recipients=[application.applicant],
        verb=message,
        message=message,
        params=params,
        body=reason,
        url=reverse("portal-affairs:detail", args=[application.pk]),
        estate=application.estate,
    )


def _certificate_issue(application: Application, *, by) -> Certificate:
    prefix = f"ZM{timezone.localdate():%Y}"
    count = Certificate.objects.filter(number__startswith=prefix).count()
    certificate = Certificate.objects.create(
        application=application,
        number=f"{prefix}{count + 1:06d}",
        code=secrets.token_urlsafe(32),
        title=application.item.certificate_title or application.item.name,
        issued_by=by,
    )
    _event(application, EventType.CERTIFICATE_ISSUED, by, number=certificate.number)
    return certificate


@transaction.atomic
def application_rate(*, application: Application, rating: int, comment: str = "", by) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    if Role.APPLICANT not in roles_for(by, application):
        raise NotAllowed(_("Only the applicant rates the service."))
    if application.status not in (Status.APPROVED, Status.REFUSED):
        raise TransitionRefused(_("An application can be rated once the office has decided."))
    if application.rating is not None:
        raise TransitionRefused(_("This application has already been rated."), code="already_rated")
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ServiceError({"rating": [_("Give 1 to 5 stars.")]})
    application.rating, application.rating_comment = (
        rating,
        text_within(comment, Application, "rating_comment", key="comment"),
    )
    application.save(update_fields=["rating", "rating_comment"])
    _event(application, EventType.RATED, by, rating=rating)
    return application


def applications_escalate(*, now: dt.datetime | None = None, by="system:affairs.escalate") -> int:
    """Raise the escalation level of open applications that became at risk or overdue."""
    now = now or timezone.now()
    raised = 0
    open_ = Application.objects.exclude(status__in=FINAL_STATUSES).filter(at_risk_at__lte=now)
    for pk in open_.values_list("pk", flat=True):
        with transaction.atomic():
            a = Application.objects.select_for_update().get(pk=pk)
            state = SLAState.OVERDUE if a.due_at and now >= a.due_at else SLAState.AT_RISK
            level = ESCALATION_LEVEL[state]
            if level > a.escalation_level and a.status not in PAUSED_STATUSES:
                a.escalation_level = level
                a.save(update_fields=["escalation_level"])
                _event(a, EventType.ESCALATED, by, state=state)
                raised += 1
    return raised
