"""Malformed input, unknown ids and illegal moves: always a clear 4xx, never a 500."""

from __future__ import annotations

import pytest

from tests.factories import meeting_open

API = "/api/v1/voting"


@pytest.fixture
def setting(build, staff_a, client_for):
    owner, _ = build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    motion = meeting.motions.first()
    return {"owner": owner, "meeting": meeting, "motion": motion, "staff": staff_a, "client_for": client_for}


@pytest.mark.parametrize(
    "path",
    [
        "/receipts/%00AAAAAAAAAAAAAAA/",
        "/receipts/" + "A" * 300 + "/",
        "/receipts/AAAA%00BBBB-CCCC-DDDD/",
        "/meetings/?status=bogus",
        "/meetings/?estate=abc",
        "/my-ballots/?meeting=abc",
        "/meetings/999999999/",
        "/meetings/99999999999999999999999/",
        "/meetings/999999/results/",
        "/meetings/999999/motions/",
        "/meetings/999999/ballots/",
        "/meetings/?estate=99999999999999999999999",
        "/my-ballots/?meeting=99999999999999999999999",
        "/meetings/?estate=1e30",
    ],
)
def test_api_reads_answer_bad_input_with_a_4xx(setting, path):
    response = setting["client_for"](setting["owner"].user).get(API + path)
    assert 400 <= response.status_code < 500, (path, response.status_code)


@pytest.mark.parametrize("body", [[], "x", {"choice": None}, {"choice": "yes"}, {"choice": "agree\x00"}, {}])
def test_api_cast_answers_bad_bodies_with_a_400(setting, body):
    client = setting["client_for"](setting["owner"].user)
    response = client.post(
        f"{API}/motions/{setting['motion'].pk}/cast/", body, content_type="application/json"
    )
    assert response.status_code == 400, (body, response.content)
    assert "error" in response.json()


def test_api_cast_on_an_unknown_motion_is_a_404(setting):
    client = setting["client_for"](setting["owner"].user)
    assert (
        client.post(
            f"{API}/motions/999999/cast/", {"choice": "agree"}, content_type="application/json"
        ).status_code
        == 404
    )


@pytest.mark.parametrize("query", ["code=%00", "code=" + "Z" * 5000, "code=AAAA%00BBBB-CCCC-DDDD"])
def test_portal_receipt_check_with_junk_finds_nothing(setting, query):
    response = setting["client_for"](setting["owner"].user).get(f"/portal/voting/receipt/?{query}")
    assert response.status_code == 200 and 'data-receipt-result="none"' in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/portal/voting/999999/",
        "/portal/voting/999999/roll/",
        "/portal/voting/999999/my-ballots/",
        "/portal/voting/{m}/results.docx",
        "/portal/voting/{m}/results.pdf",
        "/portal/voting/attachments/999999/",
    ],
)
def test_portal_pages_answer_unknown_ids_and_formats_with_a_404(setting, path):
    client = setting["client_for"](setting["owner"].user)
    assert client.get(path.format(m=setting["meeting"].pk)).status_code == 404


def test_portal_roll_page_with_a_junk_page_number(setting):
    client = setting["client_for"](setting["owner"].user)
    assert client.get(f"/portal/voting/{setting['meeting'].pk}/roll/?page=%00").status_code == 200


def test_portal_ballot_with_a_junk_choice_says_what_is_wrong(setting):
    client = setting["client_for"](setting["owner"].user)
    url = f"/portal/voting/{setting['meeting'].pk}/ballot/"
    for confirm in ("", "1"):
        response = client.post(
            url, {f"motion-{setting['motion'].pk}": "maybe\x00", "confirm": confirm}, follow=True
        )
        assert response.status_code == 200 and "Choose agree, oppose or abstain" in response.content.decode()
    assert client.get(url).status_code == 405
    assert client.post(url, {"entry": "99999999999999999999"}).status_code == 403


def test_pdf_export_survives_markup_characters_in_titles(build, staff_a, client_for):
    from tests.factories import meeting_closed

    owner, _ = build.owner()
    meeting = meeting_open(
        estate=build.estate, by=staff_a, title="<第三次> 业主大会 & 公示", motions=(("面积<100m² & 车位", 4),)
    )
    meeting = meeting_closed(meeting, by=staff_a)
    response = client_for(owner.user).get(f"/portal/voting/{meeting.pk}/results.pdf")
    assert response.status_code == 200 and response.content[:4] == b"%PDF"  # before: a 500
