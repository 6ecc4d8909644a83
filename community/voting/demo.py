"""Demo data: a closed meeting with published results and an open one on the demo estate.

Everything is made through the services (notice → roll → open → ballots → close → publish),
with ``now`` set in the past, so the demo exercises the real rules. Idempotent: meetings are
found by title; an existing one is left as it is.
"""

from __future__ import annotations

import datetime as dt
import random

from django.core.files.base import ContentFile
from django.utils import timezone

from community.demo import DemoContext, register_seeder
from community.residents.models import Resident

from . import services
from .models import BallotMode, Choice, Meeting, RollEntry

CLOSED_TITLE = "2026年第一次业主大会（续聘物业服务企业）"
OPEN_TITLE = "2026年第二次业主大会（电梯更新改造）"

CLOSED_MOTIONS = [
    (
        "续聘阳光物业服务有限公司为本小区物业服务企业",
        4,
        "现物业服务合同将于年底到期。业主委员会提议续聘，服务标准与收费标准不变，合同期三年。",
    ),
    (
        "修订《管理规约》第十二条（电动车充电管理）",
        2,
        "禁止在楼道及室内为电动车充电，统一在小区集中充电棚充电，违者由物业劝阻并报告业主委员会。",
    ),
    (
        "使用专项维修资金维修3栋屋面防水",
        5,
        "3栋顶层多户渗漏，预算约18.6万元，从3栋业主分户账中列支，按专有部分面积分摊。",
    ),
]
OPEN_MOTIONS = [
    (
        "使用专项维修资金更新1栋、2栋电梯",
        5,
        "1栋、2栋电梯已运行十五年，多次困人。拟更换为新电梯4台，预算约96万元，从相关业主分户账中列支。",
    ),
    (
        "续筹专项维修资金",
        6,
        "专项维修资金余额不足首期归集额的30%，拟按每平方米30元续筹，由各业主按专有部分面积交存。",
    ),
    (
        "将小区西侧绿地改建为非机动车停车棚",
        8,
        "西侧绿地约120平方米，拟改建为带充电设施的非机动车停车棚，由物业按收支公开管理。",
    ),
]


def _create(
    ctx: DemoContext, *, title: str, motions, notice_at, opens_at, closes_at, ballot_mode=BallotMode.NAMED
) -> Meeting:
    manager = ctx.users["manager"]
    meeting = Meeting.objects.create(
        estate=ctx.estate,
        title=title,
        ballot_mode=ballot_mode,
        voting_opens_at=opens_at,
        voting_closes_at=closes_at,
        created_by=manager,
        description="根据《民法典》第二百七十八条，由业主委员会召集，采用书面及网上投票方式。",
    )
    for position, (motion_title, matter, text) in enumerate(motions, start=1):
        services.motion_create(
            meeting=meeting, title=motion_title, text=text, matter=matter, position=position, by=manager
        )
    services.meeting_publish_notice(meeting=meeting, by=manager, now=notice_at)
    return services.meeting_open(meeting=meeting, by=manager, now=opens_at)


def _scrutineer(ctx: DemoContext, meeting: Meeting):
    """The demo tenant (a resident with a login) serves as the meeting's scrutineer."""
    resident = Resident.objects.filter(estate=ctx.estate, user=ctx.users["tenant"]).first()
    if resident is not None:
        services.scrutineer_appoint(meeting=meeting, resident=resident, by=ctx.users["manager"])
    return resident


def _cast_some(ctx: DemoContext, meeting: Meeting, *, share: float, weights, at, skip_user=None) -> None:
    """Whole ballots from a seeded share of the roll: in the portal for owners with a login, else
    on paper, keyed in by the manager and confirmed by the scrutineer."""
    rng = random.Random(meeting.title)
    manager = ctx.users["manager"]
    scrutineer = _scrutineer(ctx, meeting)
    entries = list(RollEntry.objects.filter(meeting=meeting).prefetch_related("members__user").order_by("pk"))
    motions = list(meeting.motions.order_by("position"))
    voters = [e for e in entries if rng.random() < share]
    for i, entry in enumerate(ctx.progress(voters, f"voting: {meeting.title[:12]}")):
        users = [m.user for m in entry.members.all() if m.user_id]
        if skip_user is not None and skip_user in users:
            continue
        choices = {
            motion.pk: rng.choices(
                [Choice.AGREE, Choice.OPPOSE, Choice.ABSTAIN], weights=weights[motion.position - 1]
            )[0]
            for motion in motions
        }
        expressed = at + dt.timedelta(seconds=i)
        if users:
            services.ballot_submit_by_owner(
                user=users[0], meeting=meeting, choices=choices, entry_id=entry.pk, now=expressed
            )
        elif scrutineer is not None and (entry.is_developer or entry.members.all()):
            paper = services.paper_ballot_enter(
                meeting=meeting,
                roll_entry=entry,
                signer_name=entry.name[:100],
                received_at=expressed,
                scan=ContentFile(b"%PDF-1.4 demo ballot", name="ballot.pdf"),
                choices=choices,
                by=manager,
                now=expressed,
            )
            services.paper_ballot_confirm(paper=paper, by=scrutineer.user, now=expressed)


@register_seeder(order=30, name="voting")
def seed(ctx: DemoContext) -> None:
    now = timezone.now().replace(microsecond=0)
    manager = ctx.users["manager"]
    if not Meeting.objects.filter(estate=ctx.estate, title=CLOSED_TITLE).exists():
        opens = now - dt.timedelta(days=40)
        meeting = _create(
            ctx,
            title=CLOSED_TITLE,
            motions=CLOSED_MOTIONS,
            notice_at=opens - dt.timedelta(days=20),
            opens_at=opens,
            closes_at=opens + dt.timedelta(days=14),
        )
        # Turnout high enough for quorum; motion 2 narrowly fails on head count.
        _cast_some(
            ctx,
            meeting,
            share=0.8,
            weights=[(80, 12, 8), (45, 45, 10), (70, 20, 10)],
            at=opens + dt.timedelta(hours=1),
        )
        services.meeting_close(meeting=meeting, by=manager, now=meeting.voting_closes_at)
        services.meeting_publish_results(
            meeting=meeting, by=manager, now=meeting.voting_closes_at + dt.timedelta(days=2)
        )
    if not Meeting.objects.filter(estate=ctx.estate, title=OPEN_TITLE).exists():
        opens = now - dt.timedelta(days=2)
        meeting = _create(
            ctx,
            title=OPEN_TITLE,
            motions=OPEN_MOTIONS,
            notice_at=opens - dt.timedelta(days=16),
            opens_at=opens,
            closes_at=opens + dt.timedelta(days=14),
        )
        # Some paper and portal ballots already in; the demo owner (13800000001) has not voted yet.
        _cast_some(
            ctx,
            meeting,
            share=0.35,
            weights=[(70, 20, 10), (55, 35, 10), (60, 25, 15)],
            at=opens + dt.timedelta(hours=1),
            skip_user=ctx.users["owner"],
        )
