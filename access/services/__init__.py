"""Writes for access control, one module per concern; every public name is importable from
here (``from access.services import credential_issue``).

- ``devices``: registration, tokens, approval, liveness, the device command queue
- ``ingest``: storing device events (what the protocol adapters call)
- ``raw_messages``: keeping requests that could not be processed (replay: ``access.replay``)
- ``credentials``: cards, faces, PINs and their sync to devices with a user list
- ``passes``: visitor passes; ``verify``: the gate's allow/deny question
- ``privacy``: audited movement look-ups; ``audit``: the actor ``by`` and its audit row
"""

from .audit import SYSTEM_PREFIX, Actor, actor_columns, audit_record
from .credentials import (
    credential_issue,
    credential_revoke,
    credential_update,
    credentials_revoke_on_move_out,
    credentials_sync_due,
)
from .devices import (
    COMMAND_RESEND_AFTER,
    DEVICE_FIELDS,
    OFFLINE_AFTER,
    SEEN_WRITE_EVERY,
    access_group,
    device_approve,
    device_command_complete,
    device_command_queue,
    device_commands_fetch,
    device_create,
    device_delete,
    device_heartbeat,
    device_seen,
    device_token_rotate,
    device_token_set,
    device_update,
    devices_mark_offline,
)
from .ingest import (
    FUTURE_TOLERANCE,
    LATE_AFTER,
    LIVE_BATCH_LIMIT,
    SMALL_BATCH,
    SNAPSHOT_DIR,
    IngestResult,
    access_events_ingest,
    event_payload,
    gates_of,
    merge_live_events,
)
from .passes import (
    MAX_PASS_DAYS,
    MAX_PASS_ENTRIES,
    VISITOR_PASS_SALT,
    visitor_pass_create,
    visitor_pass_enter,
    visitor_pass_id_from_token,
    visitor_pass_revoke,
    visitor_pass_token,
    visitor_passes_revoke_on_move_out,
)
from .privacy import movement_lookup_record
from .raw_messages import raw_message_keep
from .verify import IDEMPOTENCY_WINDOW, VerifyResult, access_verify

__all__ = [
    "COMMAND_RESEND_AFTER",
    "DEVICE_FIELDS",
    "FUTURE_TOLERANCE",
    "IDEMPOTENCY_WINDOW",
    "LATE_AFTER",
    "LIVE_BATCH_LIMIT",
    "MAX_PASS_DAYS",
    "MAX_PASS_ENTRIES",
    "OFFLINE_AFTER",
    "SEEN_WRITE_EVERY",
    "SMALL_BATCH",
    "SNAPSHOT_DIR",
    "SYSTEM_PREFIX",
    "VISITOR_PASS_SALT",
    "Actor",
    "IngestResult",
    "VerifyResult",
    "access_events_ingest",
    "access_group",
    "access_verify",
    "actor_columns",
    "audit_record",
    "credential_issue",
    "credential_revoke",
    "credential_update",
    "credentials_revoke_on_move_out",
    "credentials_sync_due",
    "device_approve",
    "device_command_complete",
    "device_command_queue",
    "device_commands_fetch",
    "device_create",
    "device_delete",
    "device_heartbeat",
    "device_seen",
    "device_token_rotate",
    "device_token_set",
    "device_update",
    "devices_mark_offline",
    "event_payload",
    "gates_of",
    "merge_live_events",
    "movement_lookup_record",
    "raw_message_keep",
    "visitor_pass_create",
    "visitor_pass_enter",
    "visitor_pass_id_from_token",
    "visitor_pass_revoke",
    "visitor_pass_token",
    "visitor_passes_revoke_on_move_out",
]
