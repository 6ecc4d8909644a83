"""Applicants hear about their application's changes: a notification per change the office
makes, stored as a type plus parameters and read in the applicant's language."""

from __future__ import annotations

import pytest
from django.utils import translation

from community.accounts.roles import StaffRole
from community.affairs import services
from community.affairs.transitions import Action
from community.notifications.models import Notification
from community.residents.models import Occupancy
from tests.factories import AffairsItemFactory, StaffFactory, pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def office_a(estate_a):
    return StaffFactory(estate=estate_a, role=StaffRole.COMMUNITY_OFFICE, username="office_a")


def _apply(household, item):
    user, unit = household
    family = Occupancy.objects.get(unit=unit, role="family").resident
    return services.application_submit(
        item=item, unit=unit, beneficiary=family, files={"id_card": pdf_upload()}, by=user
    )


def _inbox(user):
    return list(Notification.objects.filter(recipient=user).order_by("id"))


def test_the_one_time_notice_reaches_the_applicant_in_their_language(household_a, estate_a, office_a):
    owner, _unit = household_a
    application = _apply(household_a, AffairsItemFactory(estate=estate_a, name="居住证明"))
    assert _inbox(owner) == []  # their own submission: nothing to tell them

    services.application_move(
        application=application,
        action=Action.NOTIFY_MISSING,
        missing=["lease"],
        reason="请补充租赁合同",
        by=office_a,
    )

    [note] = _inbox(owner)
    assert note.title == "" and note.message == "affairs.application.missing"  # no stored text
    assert note.params["n"] == application.number and note.params["missing"] == ["房产证或租赁合同"]
    assert note.body == "请补充租赁合同" and note.url.endswith(f"/portal/affairs/{application.pk}/")
    with translation.override("zh-hans"):
        assert note.title_text == f"您的申请 {application.number}（居住证明）需要补充材料：房产证或租赁合同"
    owner.language = "en"
    assert note.title_for(owner) == (
        f"Your application {application.number} (居住证明) needs more materials: 房产证或租赁合同"
    )


def test_acceptance_refusal_and_the_certificate_are_notified_but_not_the_applicants_own_steps(
    household_a, estate_a, office_a
):
    owner, _unit = household_a
    item = AffairsItemFactory(estate=estate_a, issues_certificate=True)
    first = _apply(household_a, item)
    services.application_move(application=first, action=Action.ACCEPT, by=office_a)
    first = services.application_move(application=first, action=Action.APPROVE, by=office_a)
    second = _apply(household_a, item)
    services.application_move(application=second, action=Action.REFUSE, reason="不在本社区居住", by=office_a)
    third = _apply(household_a, item)
    services.application_move(application=third, action=Action.WITHDRAW, by=owner)

    notes = _inbox(owner)
    assert [n.message for n in notes] == [
        "affairs.application.moved",
        "affairs.certificate.ready",
        "affairs.application.moved",
    ]
    accepted, ready, refused = notes
    assert accepted.params["status"] == "in_review"  # the code; labelled when read
    with translation.override("zh-hans"):
        assert "审核中" in accepted.title_text
    assert ready.params["number"] == first.certificate.number
    assert refused.params["status"] == "refused" and refused.body == "不在本社区居住"


def test_nobody_else_is_notified(household_a, household_b, estate_a, office_a):
    application = _apply(household_a, AffairsItemFactory(estate=estate_a))
    services.application_move(application=application, action=Action.ACCEPT, by=office_a)
    other, _unit = household_b
    assert _inbox(other) == [] and _inbox(office_a) == []
