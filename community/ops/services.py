"""Operations services: keeping tasks the broker could not take, and sending them again."""

from __future__ import annotations

import logging

from celery import current_app
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import request_id
from .held import BROKER_DOWN, options_to_keep
from .models import HeldTask

logger = logging.getLogger("community.ops.held")


def held_task_keep(
    *, task: str, args: list, kwargs: dict, options: dict, error: BaseException, by: str
) -> HeldTask | None:
    """Store a task the broker refused after its transaction committed (one autocommitted row).

    Called outside any transaction (from a commit hook). If the database refuses too, the task
    is written to the log in full, at ERROR, so an operator can still send it by hand.
    """
    kept = options_to_keep(options, timezone.now())
    try:
        held = HeldTask.objects.create(
            task=task,
            args=args,
            kwargs=kwargs,
            options=kept,
            request_id=request_id.current.get()[:64],
            held_by=by[:200],
            reason=f"{type(error).__name__}: {error}"[:2000],
        )
    except DatabaseError:
        logger.exception(
            "task %s could not be sent (broker: %s) nor held (database): args=%r kwargs=%r options=%r",
            task,
            error,
            args,
            kwargs,
            kept,
        )
        return None
    logger.warning(
        "task %s held as HeldTask %d: the broker is unreachable (%s); it is sent when the broker is back",
        task,
        held.pk,
        error,
    )
    return held


def _send_options(held: HeldTask, now) -> dict | None:
    """The options to send ``held`` with now, or None when it expired while held."""
    options = dict(held.options)
    if options.get("expires"):
        expires = parse_datetime(options["expires"])
        if expires <= now:
            return None
        options["expires"] = expires
    if options.get("eta"):
        eta = parse_datetime(options.pop("eta"))
        if eta > now:
            options["eta"] = eta
    return options


def held_tasks_send(*, by: str, limit: int = 500) -> dict[str, int]:
    """Send held tasks in the order they were held; stop at the first broker failure.

    Rows are locked (skip locked: two senders never send one row) and deleted in the same
    transaction as their send; a crash between the two sends a task twice, which tasks allow.
    """
    counts = {"sent": 0, "expired": 0, "failed": 0, "left": 0}
    now = timezone.now()
    with transaction.atomic():
        rows = list(HeldTask.objects.select_for_update(skip_locked=True).order_by("pk")[:limit])
        for held in rows:
            options = _send_options(held, now)
            if options is None:
                logger.warning(
                    "held task %s (HeldTask %d) expired while held: dropped, not sent", held.task, held.pk
                )
                held.delete()
                counts["expired"] += 1
                continue
            task = current_app.tasks.get(held.task)
            if task is None:
                # Renamed or removed by a deploy: kept for an operator, never silently dropped.
                held.attempts += 1
                held.reason = f"no task named {held.task!r} in this deployment"
                held.save(update_fields=["attempts", "reason"])
                counts["failed"] += 1
                continue
            token = request_id.current.set(held.request_id)  # the enqueuing request's id travels on
            try:
                task.apply_async(held.args, held.kwargs, **options)
            except BROKER_DOWN as exc:
                held.attempts += 1
                held.reason = f"{type(exc).__name__}: {exc}"[:2000]
                held.save(update_fields=["attempts", "reason"])
                counts["failed"] += 1
                break
            finally:
                request_id.current.reset(token)
            held.delete()
            counts["sent"] += 1
    counts["left"] = HeldTask.objects.count()
    if counts["sent"] or counts["expired"] or counts["failed"]:
        logger.info(
            "held tasks: %(sent)d sent, %(expired)d expired, %(failed)d failed, %(left)d left",
            counts,
            extra={"by": by},
        )
    return counts
