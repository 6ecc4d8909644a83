"""Facts community affairs announces inside its transactions (the exchange outbox listens)."""

from django.dispatch import Signal

# sender=GridEvent, event=<GridEvent>, action=<str>: sent inside the transaction of every change.
grid_event_changed = Signal()
