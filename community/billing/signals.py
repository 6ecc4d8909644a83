"""Facts billing announces. Other apps (parking, eldercare) listen; billing imports none of them."""

from django.dispatch import Signal

# Sent INSIDE the transaction that marks a bill paid (a receiver's write commits or rolls back
# with the payment): sender=Bill, bill=<Bill>, source=<str>, source_ref=<str>.
bill_paid = Signal()
