"""Voting tasks: the periodic open/close job (Celery beat; `manage.py voting_advance` runs the
same work by hand) and the roll notifications sent after a notice or results commit.

Tasks import services, never the reverse: services schedule ``voting.notify_roll`` by name.
"""

from celery import shared_task

from . import services


@shared_task(name="voting.advance")
def advance() -> tuple[int, int]:
    return services.meetings_advance(by=services.CLOCK_ACTOR)


@shared_task(name=services.meetings.NOTIFY_ROLL_TASK)
def notify_roll(meeting_id: int, kind: str) -> int:
    return services.meeting_notify_roll(meeting_id=meeting_id, kind=kind)
