"""Residents' applications to the community office: one-time notice, the SLA clock paused
while the resident gathers materials, certificates that verify, and the lines nobody crosses."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from community.accounts.roles import StaffRole
from community.affairs import services
from community.affairs.models import Application, Certificate
from community.affairs.transitions import Action, Status
from community.errors import NotAllowed, ServiceError, TransitionRefused
from community.residents.models import Occupancy
from tests.factories import AffairsItemFactory, StaffFactory, pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def office_a(estate_a):
    return StaffFactory(estate=estate_a, role=StaffRole.COMMUNITY_OFFICE, username="office_a")


@pytest.fixture
def item_a(estate_a):
    return AffairsItemFactory(estate=estate_a)


def _family(unit):
    return Occupancy.objects.get(unit=unit, role="family").resident


def _apply(household, item, files=None):
    user, unit = household
    return services.application_submit(
        item=item, unit=unit, beneficiary=_family(unit), files=files or {"id_card": pdf_upload()}, by=user
    )


def test_one_time_notice_pauses_the_clock_and_resubmit_needs_what_was_asked(household_a, item_a, office_a):
    owner, _unit = household_a
    application = _apply(household_a, item_a)
    assert application.status == Status.SUBMITTED and application.due_at is not None

    application = services.application_move(
        application=application,
        action=Action.NOTIFY_MISSING,
        missing=["lease"],
        reason="请补充租赁合同",
        by=office_a,
    )
    assert application.status == Status.NEEDS_MATERIALS
    assert application.due_at is None and application.sla_paused_since is not None

    with pytest.raises(ServiceError) as refused:
        services.application_move(application=application, action=Action.RESUBMIT, by=owner)
    assert "房产证或租赁合同" in str(refused.value)

    services.application_material_upload(application=application, key="lease", file=pdf_upload(), by=owner)
    # The resident took a day to find the contract: that day does not count against the office.
    Application.objects.filter(pk=application.pk).update(
        sla_paused_since=application.sla_paused_since - dt.timedelta(days=1)
    )
    application = services.application_move(application=application, action=Action.RESUBMIT, by=owner)
    assert application.status == Status.SUBMITTED and application.sla_paused_since is None
    # The limit runs on from the resubmission with the working time not yet used (see
    # test_working_day_limits for the arithmetic).
    assert application.sla_run_since is not None and application.due_at > application.sla_run_since


def test_a_second_notice_cannot_ask_for_something_new(household_a, item_a, office_a):
    owner, _unit = household_a
    item_a.materials = [*item_a.materials, {"key": "photo", "label": "近期照片", "required": False}]
    item_a.save()
    application = _apply(household_a, item_a)
    services.application_move(
        application=application, action=Action.NOTIFY_MISSING, missing=["lease"], by=office_a
    )
    services.application_material_upload(application=application, key="lease", file=pdf_upload(), by=owner)
    services.application_move(application=application, action=Action.RESUBMIT, by=owner)
    with pytest.raises(ServiceError) as piecemeal:
        services.application_move(
            application=application, action=Action.NOTIFY_MISSING, missing=["photo"], by=office_a
        )
    assert "missing" in piecemeal.value.message_dict
    # Asking again for what was already told (a wrong copy came back) is allowed.
    again = services.application_move(
        application=application,
        action=Action.NOTIFY_MISSING,
        missing=["lease"],
        reason="复印件不清晰",
        by=office_a,
    )
    assert again.notices_sent == 2


def test_approval_issues_a_certificate_that_verifies_publicly(client, household_a, item_a, office_a):
    application = _apply(household_a, item_a)
    services.application_move(application=application, action=Action.ACCEPT, by=office_a)
    services.application_move(application=application, action=Action.APPROVE, by=office_a)
    certificate = Certificate.objects.get(application=application)
    assert certificate.number.startswith(f"ZM{timezone.localdate():%Y}") and len(certificate.code) >= 40

    page = client.get(reverse("affairs-verify", args=[certificate.code]))
    body = page.content.decode()
    assert page.status_code == 200 and certificate.number in body
    family = application.beneficiary
    assert family.name not in body and family.name[0] in body  # masked
    assert client.get(reverse("affairs-verify", args=["forged-code"])).status_code == 404


def test_the_applicant_downloads_the_certificate_pdf(client, household_a, item_a, office_a):
    owner, _unit = household_a
    application = _apply(household_a, item_a)
    services.application_move(application=application, action=Action.ACCEPT, by=office_a)
    services.application_move(application=application, action=Action.APPROVE, by=office_a)
    client.force_login(owner)
    pdf = client.get(reverse("portal-affairs:certificate", args=[application.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_residents_cannot_apply_for_or_read_another_household(client, household_a, household_b, item_a):
    owner_b, _unit_b = household_b
    _owner_a, unit_a = household_a
    with pytest.raises(NotAllowed):
        services.application_submit(
            item=item_a, unit=unit_a, beneficiary=_family(unit_a), files={}, by=owner_b
        )
    application = _apply(household_a, item_a)
    client.force_login(owner_b)
    assert client.get(reverse("portal-affairs:detail", args=[application.pk])).status_code == 404
    material = application.material_files.first()
    url = reverse("portal-affairs:material", args=[application.pk, material.pk])
    assert client.get(url).status_code == 404


def test_another_estates_office_and_the_property_manager_cannot_decide(
    client, household_a, item_a, estate_b, manager_a
):
    application = _apply(household_a, item_a)
    office_b = StaffFactory(estate=estate_b, role=StaffRole.COMMUNITY_OFFICE, username="office_b")
    for outsider in (office_b, manager_a):
        with pytest.raises(NotAllowed):
            services.application_move(application=application, action=Action.ACCEPT, by=outsider)
        client.force_login(outsider)
        assert client.get(reverse("staff-affairs:detail", args=[application.pk])).status_code == 404


def test_uploads_are_checked(household_a, item_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ServiceError):
        _apply(
            household_a,
            item_a,
            files={"id_card": SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload")},
        )
    with pytest.raises(ServiceError):
        _apply(household_a, item_a, files={"passport": pdf_upload()})
    assert not Application.objects.exists()


def test_overdue_applications_escalate_once_but_not_while_waiting_for_the_resident(
    household_a, item_a, office_a
):
    first = _apply(household_a, item_a)
    waiting = _apply(household_a, item_a)
    services.application_move(
        application=waiting, action=Action.NOTIFY_MISSING, missing=["lease"], by=office_a
    )
    later = timezone.now() + dt.timedelta(days=30)  # three working days, whatever the holidays
    assert services.applications_escalate(now=later) == 1
    assert services.applications_escalate(now=later) == 0
    first.refresh_from_db()
    waiting.refresh_from_db()
    assert first.escalation_level == 2 and waiting.escalation_level == 0


def test_rating_once_after_the_decision(household_a, item_a, office_a):
    owner, _unit = household_a
    application = _apply(household_a, item_a)
    with pytest.raises(TransitionRefused):
        services.application_rate(application=application, rating=5, by=owner)
    services.application_move(application=application, action=Action.REFUSE, reason="不符合条件", by=office_a)
    services.application_rate(application=application, rating=4, by=owner)
    with pytest.raises(TransitionRefused):
        services.application_rate(application=application, rating=5, by=owner)


def test_stale_version_is_refused(household_a, item_a, office_a):
    from community.errors import StaleVersion

    application = _apply(household_a, item_a)
    with pytest.raises(StaleVersion):
        services.application_move(application=application, action=Action.ACCEPT, by=office_a, version=99)


def test_office_queue_keeps_its_query_count(
    client, household_a, item_a, office_a, django_assert_max_num_queries
):
    client.force_login(office_a)
    _apply(household_a, item_a)
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("staff-affairs:index"))
    for _ in range(5):
        _apply(household_a, item_a)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("staff-affairs:index"))
