"""Text a person typed is refused when too long, with the field and both lengths, never cut.

``community.errors.text_within`` is the one rule (``text_too_long`` the message it is built on,
for callers that gather every problem before refusing); the API tests of each app show the
refusal reaching the client as a 400 naming the field.
"""

from __future__ import annotations

import pytest
from django.utils import translation

from community.affairs.models import RosterAccess
from community.errors import ServiceError, text_limit, text_too_long, text_within
from community.tickets.models import Ticket

pytestmark = pytest.mark.django_db(databases=[])  # no database: the limit is read from the model


def refusal(**kwargs) -> dict:
    with pytest.raises(ServiceError) as refused, translation.override("en"):
        text_within(**kwargs)
    assert [e.code for errors in refused.value.error_dict.values() for e in errors] == ["too_long"]
    return refused.value.message_dict


def test_the_limit_comes_from_the_models_field():
    limit = RosterAccess._meta.get_field("reason").max_length
    assert text_limit(RosterAccess, "reason") == limit
    assert text_within("a" * limit, RosterAccess, "reason") == "a" * limit
    assert refusal(value="a" * (limit + 1), model=RosterAccess, field="reason") == {
        "reason": [f"At most {limit} characters (this is {limit + 1})."]
    }


def test_an_explicit_limit_wins_over_the_models():
    assert refusal(value="a" * 11, model=RosterAccess, field="reason", limit=10) == {
        "reason": ["At most 10 characters (this is 11)."]
    }
    assert refusal(value="a" * 6, field="comment", limit=5) == {
        "comment": ["At most 5 characters (this is 6)."]
    }


def test_an_explicit_limit_above_the_columns_is_a_programming_error():
    with pytest.raises(TypeError):
        text_within("x", RosterAccess, "reason", limit=text_limit(RosterAccess, "reason") + 1)


def test_exactly_at_the_limit_is_accepted_and_one_more_refused_with_both_numbers():
    assert text_within("a" * 5, field="note", limit=5) == "a" * 5
    assert refusal(value="a" * 6, field="note", limit=5) == {"note": ["At most 5 characters (this is 6)."]}


def test_the_error_names_the_key_the_client_sent_not_the_column():
    assert refusal(value="a" * 3, field="rating_comment", key="comment", limit=2) == {
        "comment": ["At most 2 characters (this is 3)."]
    }


def test_chinese_is_counted_in_characters_not_bytes():
    note = "电梯停在十二楼不动了" * 20  # 200 characters, 600 bytes of UTF-8
    assert len(note.encode()) == 600
    assert text_within(note, field="note", limit=200) == note
    assert refusal(value=note + "。", field="note", limit=200) == {
        "note": ["At most 200 characters (this is 201)."]
    }


@pytest.mark.parametrize("value", [None, "", "   "])
def test_nothing_is_fine_and_comes_back_empty(value):
    assert text_within(value, field="note", limit=0) == ""
    assert text_too_long((value or "").strip(), 0) is None


def test_surrounding_spaces_are_dropped_before_counting():
    assert text_within("  abcde \n", field="note", limit=5) == "abcde"


def test_the_message_alone_for_callers_that_gather_errors():
    assert text_too_long("abc", 3) is None
    with translation.override("en"):
        assert text_too_long("abcd", 3) == "At most 3 characters (this is 4)."
    with translation.override("zh-hans"):
        assert text_too_long("abcd", 3) == "最多 3 个字符（当前 4 个）。"


def test_a_text_column_without_max_length_needs_an_explicit_limit():
    assert Ticket._meta.get_field("description").max_length is None
    with pytest.raises(TypeError):
        text_within("x", Ticket, "description")
    assert text_within("x", Ticket, "description", limit=1) == "x"
