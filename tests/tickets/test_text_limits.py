"""Over-long ticket text is refused whole with the one message naming both lengths
(``community.errors.text_too_long`` / ``text_within``), gathered with the other filing
problems, and never cut short."""

from __future__ import annotations

import pytest

from community.errors import ServiceError
from community.tickets import services
from community.tickets.filing import COMMON_AREA_MAX, TEXT_MAX
from community.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def test_the_api_refuses_an_over_long_description_with_a_400_naming_the_field(
    household_a, category_a, client_for
):
    owner, unit = household_a
    r = client_for(owner).post(
        "/api/v1/tickets/",
        {"category": category_a.pk, "unit": unit.pk, "description": "漏" * (TEXT_MAX + 1)},
        content_type="application/json",
    )
    assert r.status_code == 400 and list(r.json()["error"]["fields"]) == ["description"]
    assert not Ticket.objects.exists()


def test_filing_gathers_the_over_long_fields_with_the_other_problems(household_a, category_a):
    owner, _unit = household_a
    with pytest.raises(ServiceError) as refused:
        services.ticket_create(
            by=owner,
            category=category_a,
            description="漏" * (TEXT_MAX + 1),
            common_area="门" * (COMMON_AREA_MAX + 1),
        )
    assert refused.value.message_dict["description"] == [
        f"最多 {TEXT_MAX} 个字符（当前 {TEXT_MAX + 1} 个）。"
    ]
    assert refused.value.message_dict["common_area"] == [
        f"最多 {COMMON_AREA_MAX} 个字符（当前 {COMMON_AREA_MAX + 1} 个）。"
    ]
    assert not Ticket.objects.exists()


def test_the_portal_shows_both_lengths(household_a, category_a, client_for):
    owner, unit = household_a
    r = client_for(owner).post(
        "/portal/tickets/new/",
        {"category": category_a.pk, "unit": unit.pk, "description": "漏" * (TEXT_MAX + 1)},
    )
    assert (
        r.status_code == 400 and f"最多 {TEXT_MAX} 个字符（当前 {TEXT_MAX + 1} 个）。" in r.content.decode()
    )


def test_comments_are_refused_one_over_and_kept_whole_at_the_limit(ticket_a, household_a):
    owner, _unit = household_a
    with pytest.raises(ServiceError) as refused:
        services.ticket_comment(ticket=ticket_a, by=owner, body="长" * (TEXT_MAX + 1))
    assert refused.value.message_dict == {"body": [f"最多 {TEXT_MAX} 个字符（当前 {TEXT_MAX + 1} 个）。"]}
    assert not TicketEvent.objects.filter(kind="comment").exists()
    comment = services.ticket_comment(ticket=ticket_a, by=owner, body="长" * TEXT_MAX)
    assert comment.body == "长" * TEXT_MAX
