"""Signals parking sends inside its transactions (other apps listen; parking imports none of them).

``plate_read_stored``: a camera read was stored and decided (not a duplicate), sent inside the
transaction that stored it, so a receiver's writes commit or roll back with the read. Keyword
arguments: ``event`` (PlateEvent, with its decision), ``lane`` (Lane or None), ``device``.
"""

from django.dispatch import Signal

plate_read_stored = Signal()
