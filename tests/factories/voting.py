"""Voting test helpers: meetings are made through the services, as staff make them, so the roll
is frozen and the state machine is honoured."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from community.voting import models, services

__all__ = ["MeetingFactory", "VotingSettingsFactory", "meeting_closed", "meeting_noticed", "meeting_open"]


class MeetingFactory(factory.django.DjangoModelFactory):
    """A draft meeting whose voting opens in 20 days and lasts 7."""

    class Meta:
        model = models.Meeting

    estate = factory.SubFactory("tests.factories.residents.EstateFactory")
    title = factory.Sequence(lambda n: f"第{n + 1}次业主大会")
    voting_opens_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=20))
    voting_closes_at = factory.LazyAttribute(lambda o: o.voting_opens_at + dt.timedelta(days=7))


class VotingSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.VotingSettings
        django_get_or_create = ("estate",)

    estate = factory.SubFactory("tests.factories.residents.EstateFactory")


DEFAULT_MOTIONS = (("续聘物业服务企业", 4), ("使用维修资金更换电梯", 5), ("筹集维修资金", 6))


def meeting_noticed(*, estate, by, motions=DEFAULT_MOTIONS, ballot_mode="named", now=None, **kwargs):
    """A meeting whose notice went out 20 days ago (roll frozen then); voting opens 1 day ago."""
    now = now or timezone.now()
    notice_at = now - dt.timedelta(days=20)
    meeting = models.Meeting.objects.create(
        estate=estate,
        title=kwargs.pop("title", "2026年第一次业主大会"),
        ballot_mode=ballot_mode,
        voting_opens_at=now - dt.timedelta(days=1),
        voting_closes_at=now + dt.timedelta(days=6),
        created_by=by,
        **kwargs,
    )
    for title, matter in motions:
        services.motion_create(
            meeting=meeting,
            title=title,
            text=f"{title}。请各位业主表决。",
            matter=matter,
            justification="属于重大事项，且不属于第六至八项。" if matter == 9 else "",
            by=by,
        )
    return services.meeting_publish_notice(meeting=meeting, by=by, now=notice_at)


def meeting_open(*, estate, by, **kwargs):
    meeting = meeting_noticed(estate=estate, by=by, **kwargs)
    return services.meeting_open(meeting=meeting, by=by)


def meeting_closed(meeting, *, by, publish=True):
    services.meeting_close(meeting=meeting, by=by, now=meeting.voting_closes_at)
    if publish:
        services.meeting_publish_results(meeting=meeting, by=by)
    meeting.refresh_from_db()
    return meeting
