"""Generated text of the access app: stored as a key plus parameters and rendered when read, in
the reader's language (``community.notifications.messages``)."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from community.notifications.messages import register

# One message for one or many devices: "%(n)d device(s)" needs no plural form in either language.
DEVICES_OFFLINE = register(
    "access.devices_offline",
    gettext_noop("Devices offline (%(n)d), no message for %(minutes)d minutes: %(names)s"),
)
