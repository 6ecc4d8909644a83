"""Text a person typed is refused when too long, with the field and both lengths, never cut."""

from __future__ import annotations

import pytest
from django.utils import translation

from community.errors import ServiceError, text_within


def test_text_within_passes_the_text_at_the_limit_and_refuses_one_more():
    assert text_within("note", "a" * 5, 5) == "a" * 5
    with pytest.raises(ServiceError) as refused, translation.override("en"):
        text_within("note", "a" * 6, 5)
    assert refused.value.message_dict == {"note": ["At most 5 characters (this is 6)."]}
