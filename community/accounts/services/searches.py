"""Audit of searches by a full phone, ID number or email address (values most staff see masked).

Substring search on masked values unmasks them (issue #15: a full ID number recovered in 72
requests), so those searches match whole values only (``community.personal_search``) and each
one is recorded here: who, where, by what, how many matched.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.crypto import salted_hmac

from community.accounts.models import PersonalDataSearch, User


def _mask(kind: str, value: str) -> str:
    from community.residents.models import mask_id_number, mask_phone

    if kind == "phone":
        return mask_phone(value)
    if kind == "id_number":
        return mask_id_number(value)
    local, _at, domain = value.partition("@")
    return f"{local[:1]}***@{domain}" if domain else mask_id_number(value)


def term_digest(value: str) -> str:
    """HMAC of a searched value: an auditor can check whether a given number was searched."""
    return salted_hmac("community.personal_data_search", value, secret=settings.SECRET_KEY).hexdigest()


def personal_data_search_record(
    *, by: User, surface: str, kind: str, value: str, matches: int
) -> PersonalDataSearch:
    return PersonalDataSearch.objects.create(
        user=by,
        surface=surface[:100],
        field=kind,
        term_masked=_mask(kind, value)[:64],
        term_digest=term_digest(value),
        matches=matches,
    )
