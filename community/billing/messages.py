"""Every generated text billing sends to a person, stored as a key plus parameters and rendered
in the reader's language when read (``community.notifications.messages``)."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from community.notifications.messages import register

# Parameters are data: the bill's own description (item name and period), the amount due as
# a plain decimal, the due date in ISO form.
REMINDER = register(
    "billing.reminder",
    gettext_noop("Payment reminder: %(item)s — %(amount)s yuan is still due since %(date)s."),
)
