"""Every notification text of the owners' assembly, as a key plus parameters.

Rendered when read, in the reader's language (``community.notifications.messages``): a
co-owner who reads in English gets English even when the ballot was cast from a Chinese page.
Parameters are data (the meeting's title as written, a person's name, a count).
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from community.notifications.messages import register

# The msgids are the texts the catalogue already translates, so rows written as text before
# this module existed are recognised by the data migration in either language.
BALLOT_CHANGED = register(
    "voting.ballot_changed",
    gettext_noop("Your ballot in “%(t)s” was cast by %(who)s (%(n)d motion(s))"),
)
NOTICE = register("voting.notice", gettext_noop("Owners' assembly notice: %(t)s"))
RESULTS = register("voting.results", gettext_noop("Results published: %(t)s"))

LEGACY_KEYS = [BALLOT_CHANGED, NOTICE, RESULTS]
