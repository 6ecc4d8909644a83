"""Writes for the owners' assembly, one module per concern; every public name importable here.

* ``meetings`` — meetings, motions and the meeting's transitions (``voting.transitions``);
* ``motions`` — motions, attachments and their classification;
* ``estate_settings`` — an estate's voting settings;
* ``roll`` — the frozen roll, possible duplicates, roll notifications;
* ``corrections`` — typed corrections of the roll;
* ``ballots`` — the hash chain, precedence, owners' ballots, proxies;
* ``answers`` — what one answer on a ballot means (choices, an election's candidates);
* ``counting`` — returned paper/proxy ballots keyed in and confirmed by scrutineers.

Services raise ``community.errors`` exceptions and never import ``voting.tasks``: the tasks
import services (notifications are scheduled by task name after the commit).
"""

from .ballots import (
    GENESIS_HASH,
    ballot_cast_by_owner,
    ballot_hash,
    ballot_submit_by_owner,
    canonical_ballot,
    not_on_roll_message,
    precedence,
    proxy_authorise,
    proxy_revoke,
    receipt_code_for,
    roll_entries_for_user,
    roll_entry_for_user,
)
from .common import proxy_limit_for, voting_settings_for
from .corrections import roll_correct
from .counting import (
    is_scrutineer,
    paper_ballot_confirm,
    paper_ballot_enter,
    paper_ballot_reject,
    scrutineer_appoint,
)
from .estate_settings import voting_settings_save
from .meetings import (
    CLOCK_ACTOR,
    NOTICE_MIN_DAYS,
    WINDOW_MAX_DAYS,
    WINDOW_MIN_DAYS,
    committee_elected,
    meeting_cancel,
    meeting_close,
    meeting_create,
    meeting_open,
    meeting_publish_notice,
    meeting_publish_results,
    meeting_schedule_errors,
    meeting_start_counting,
    meeting_update,
    meetings_advance,
)
from .motions import (
    candidate_add,
    candidate_remove,
    motion_attachment_add,
    motion_create,
    motion_delete,
    motion_raise_to_special,
    motion_update,
)
from .roll import (
    duplicate_groups,
    duplicates_undecided,
    identity_decide,
    meeting_notify_roll,
    roll_digest_compute,
)

__all__ = [
    "CLOCK_ACTOR",
    "GENESIS_HASH",
    "NOTICE_MIN_DAYS",
    "WINDOW_MAX_DAYS",
    "WINDOW_MIN_DAYS",
    "ballot_cast_by_owner",
    "ballot_hash",
    "ballot_submit_by_owner",
    "candidate_add",
    "candidate_remove",
    "canonical_ballot",
    "committee_elected",
    "duplicate_groups",
    "duplicates_undecided",
    "identity_decide",
    "is_scrutineer",
    "meeting_cancel",
    "meeting_close",
    "meeting_create",
    "meeting_notify_roll",
    "meeting_open",
    "meeting_publish_notice",
    "meeting_publish_results",
    "meeting_schedule_errors",
    "meeting_start_counting",
    "meeting_update",
    "meetings_advance",
    "motion_attachment_add",
    "motion_create",
    "motion_delete",
    "motion_raise_to_special",
    "motion_update",
    "not_on_roll_message",
    "paper_ballot_confirm",
    "paper_ballot_enter",
    "paper_ballot_reject",
    "precedence",
    "proxy_authorise",
    "proxy_limit_for",
    "proxy_revoke",
    "receipt_code_for",
    "roll_correct",
    "roll_digest_compute",
    "roll_entries_for_user",
    "roll_entry_for_user",
    "scrutineer_appoint",
    "voting_settings_for",
    "voting_settings_save",
]
