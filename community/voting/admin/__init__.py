"""Staff side of the owners' assembly, scoped to the staff member's estates.

Every write goes through ``community.voting.services`` with ``ServiceAdminMixin`` (the service
runs inside the form's validation; a refusal shows on the form, never beside "added
successfully"). Records the platform writes (roll, ballots, results, events) are read-only.
In a secret meeting staff see who took part, never what they chose. Staff key in returned
paper ballots; only a scrutineer (a resident, in the portal) confirms them.
"""

from . import ballots, meetings, roll  # noqa: F401 - importing registers the admins
