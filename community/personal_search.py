"""Search by phone, ID number or email: whole values only, and audited.

Lists show these values masked (138****0001). A substring search would unmask them a digit at a
time, so a search term that *is* a full phone number, ID number or email address is matched
exactly against the fields declared for that kind and recorded
(``community.accounts.services.searches``); any other term searches only the free-text fields
(names), never the personal ones. The same rule serves the admin (``ExactPersonalSearchMixin``)
and the API filters (``personal_filter``).
"""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from community.accounts.phones import parse_phone

# 18-character resident ID (last may be X) or the old 15-digit one.
_ID_NUMBER = re.compile(r"\d{17}[\dXx]|\d{15}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def classify(term: str) -> tuple[str, str] | None:
    """``(kind, normalised value)`` when ``term`` is a full phone, ID number or email; else None."""
    term = term.strip()
    if _ID_NUMBER.fullmatch(term):
        return "id_number", term.upper()
    if _EMAIL.fullmatch(term):
        return "email", term.lower()
    compact = term.replace(" ", "").replace("-", "")
    if compact.lstrip("+").isdigit() and len(compact.lstrip("+")) >= 11:
        number = parse_phone(compact)
        if number is not None:
            return "phone", number.as_e164
    return None


def exact_q(lookups: list[str], kind: str, value: str) -> Q:
    q = Q()
    for lookup in lookups:
        q |= Q(**{f"{lookup}__iexact" if kind == "email" else lookup: value})
    return q


def record(*, request, surface: str, kind: str, value: str, queryset: QuerySet) -> None:
    from community.accounts.services.searches import personal_data_search_record

    personal_data_search_record(
        by=request.user, surface=surface, kind=kind, value=value, matches=queryset.count()
    )


class ExactPersonalSearchMixin:
    """Admin search: ``personal_search_fields`` (kind → lookups) match whole values only and are
    audited; ``search_fields`` must hold only free-text fields; ``exact_search_fields`` match the
    raw term in full (e.g. usernames, which embed the phone number)."""

    personal_search_fields: dict[str, list[str]] = {}
    exact_search_fields: list[str] = []

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        found = classify(term) if term else None
        if found is not None and found[0] in self.personal_search_fields:
            kind, value = found
            matched = queryset.filter(exact_q(self.personal_search_fields[kind], kind, value))
            matched, duplicates = super().get_search_results(request, matched, "")
            record(
                request=request,
                surface=f"admin:{self.opts.label_lower}",
                kind=kind,
                value=value,
                queryset=matched,
            )
            return matched, duplicates
        results, duplicates = super().get_search_results(request, queryset, search_term)
        if term and self.exact_search_fields:
            exact, _dup = super().get_search_results(
                request, queryset.filter(exact_q(self.exact_search_fields, "exact", term)), ""
            )
            results = results | exact
        return results, duplicates
