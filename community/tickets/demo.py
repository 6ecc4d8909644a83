"""Demo data: ticket categories with SLA policies and a few hundred tickets in every state.

Idempotent: categories are found by name; tickets are only added when the demo estate has
none yet. Tickets are written in bulk (not through the services) so seeding stays fast and
sends no notifications; their fields follow what the services would have written.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from community.demo import DemoContext, register_seeder
from community.residents.models import Occupancy

from . import messages
from .models import (
    KIND_PREFIX,
    Category,
    Channel,
    EventKind,
    HoldReason,
    Kind,
    Priority,
    Rating,
    SLAPolicy,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketSettings,
)
from .sla import DEFAULT_BUDGETS, ESCALATION_OVERDUE, at_risk_from
from .transitions import Status

SEED = 20261127
TICKET_COUNT = 320

# (name, kind, default priority, [(description, common area or "" for in-home)])
CATEGORIES = [
    (
        "水电维修",
        Kind.REPAIR,
        Priority.HIGH,
        [
            ("卫生间水管漏水，楼下邻居天花板已经渗水了，麻烦尽快处理。", ""),
            ("厨房水龙头关不紧，一直滴水。", ""),
            ("客厅插座没电，空气开关没有跳闸。", ""),
            ("热水器打不着火，冬天洗澡很不方便。", ""),
            ("马桶堵塞，疏通不了。", ""),
        ],
    ),
    (
        "电梯故障",
        Kind.REPAIR,
        Priority.URGENT,
        [
            ("电梯停在12楼不动，按钮没反应。", "3栋电梯"),
            ("电梯运行时有异响，门关不严。", "5栋2单元电梯"),
            ("电梯里的照明灯坏了，晚上很黑。", "1栋电梯"),
        ],
    ),
    (
        "公共设施",
        Kind.REPAIR,
        Priority.NORMAL,
        [
            ("楼道声控灯不亮，老人晚上上下楼不安全。", "2栋1单元楼道"),
            ("小区东门门禁刷卡经常失灵。", "东门"),
            ("儿童游乐区的滑梯有一块板松动了。", "中心花园游乐区"),
            ("地下车库排水沟堵了，下雨积水。", "地下车库"),
            ("单元门的闭门器坏了，门一直关不上。", "6栋2单元大门"),
        ],
    ),
    (
        "噪音扰民",
        Kind.COMPLAINT,
        Priority.NORMAL,
        [
            ("楼上每天晚上十一点以后还在拖动家具，影响休息。", ""),
            ("有住户在中午装修电钻声音很大，违反装修时间规定。", "4栋"),
            ("广场舞音响声音太大，晚上九点以后还在放。", "中心广场"),
        ],
    ),
    (
        "环境卫生",
        Kind.COMPLAINT,
        Priority.NORMAL,
        [
            ("垃圾桶满了两天没人清运，味道很大。", "3栋垃圾分类点"),
            ("有人在楼道里堆放杂物，堵塞消防通道。", "7栋1单元楼道"),
            ("绿化带里有很多狗粪，希望加强管理。", "南侧绿化带"),
        ],
    ),
    (
        "停车管理",
        Kind.COMPLAINT,
        Priority.NORMAL,
        [
            ("我的车位被别人的车占了，联系不上车主。", "地下车库"),
            ("消防通道上长期停着一辆车。", "8栋北侧"),
        ],
    ),
    (
        "物业咨询",
        Kind.INQUIRY,
        Priority.LOW,
        [
            ("请问物业费可以在线缴纳吗？需要开发票。", ""),
            ("装修需要办理什么手续？押金多少？", ""),
            ("快递柜什么时候能装好？", "东门"),
        ],
    ),
    (
        "意见建议",
        Kind.SUGGESTION,
        Priority.LOW,
        [
            ("建议在小区里多装几个电动车充电桩。", ""),
            ("希望增加一些适合老人锻炼的健身器材。", "中心花园"),
            ("建议垃圾分类点加装洗手池。", ""),
        ],
    ),
]

RESOLUTION_NOTES = [
    "已更换损坏的配件，测试正常。",
    "已疏通并清理现场。",
    "已联系相关住户协调解决。",
    "已派保洁清运完毕。",
    "已张贴提醒并加强巡查。",
    "已答复业主。",
]

# Share of tickets per status; every state of the workflow appears.
STATUS_WEIGHTS = [
    (Status.CLOSED, 40),
    (Status.RESOLVED, 10),
    (Status.IN_PROGRESS, 10),
    (Status.ASSIGNED, 10),
    (Status.NEW, 10),
    (Status.ON_HOLD, 6),
    (Status.REOPENED, 4),
    (Status.CANCELLED, 5),
    (Status.DECLINED, 5),
]


def _categories(estate) -> list[tuple[Category, list]]:
    result = []
    for order, (name, kind, priority, samples) in enumerate(CATEGORIES):
        category, _created = Category.objects.get_or_create(
            estate=estate,
            name=name,
            defaults={"kind": kind, "default_priority": priority, "sort_order": order},
        )
        for p, (response, resolution) in DEFAULT_BUDGETS.items():
            SLAPolicy.objects.get_or_create(
                category=category,
                priority=p,
                defaults={
                    "response_minutes": int(response.total_seconds() // 60),
                    "resolution_minutes": int(resolution.total_seconds() // 60),
                },
            )
        result.append((category, samples))
    return result


@register_seeder(order=20)
@transaction.atomic
def seed_tickets(ctx: DemoContext) -> None:
    estate = ctx.estate
    TicketSettings.objects.get_or_create(estate=estate)
    categories = _categories(estate)
    if Ticket.objects.filter(estate=estate).exists():
        ctx.stdout.write("tickets: already seeded\n")
        return

    rng = random.Random(SEED)
    now = timezone.now()
    occupancies = list(
        Occupancy.objects.active()
        .filter(unit__building__estate=estate, resident__isnull=False)
        .select_related("resident", "unit")
        .order_by("pk")
    )
    if not occupancies:
        ctx.stdout.write("tickets: no households in the demo estate; skipped\n")
        return
    owner = ctx.users.get("owner")
    owner_occupancies = [o for o in occupancies if owner is not None and o.resident.user_id == owner.pk]
    technicians = [u for u in (ctx.users.get("technician"), ctx.users.get("technician2")) if u is not None]
    front_desk = ctx.users.get("front_desk") or ctx.users.get("manager")
    statuses = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
    counters: dict[dt.date, int] = defaultdict(int)

    tickets, plans = [], []
    for i in ctx.progress(range(TICKET_COUNT), "tickets", total=TICKET_COUNT):
        category, samples = rng.choice(categories)
        description, area = rng.choice(samples)
        # The demo owner gets a handful of tickets so the portal shows something on first login.
        occupancy = owner_occupancies[0] if owner_occupancies and i % 40 == 0 else rng.choice(occupancies)
        status = statuses[i % len(statuses)] if i >= 9 else [s for s, _w in STATUS_WEIGHTS][i]
        open_state = status in (
            Status.NEW,
            Status.ASSIGNED,
            Status.IN_PROGRESS,
            Status.ON_HOLD,
            Status.REOPENED,
        )
        age = (
            dt.timedelta(hours=rng.randint(1, 72))
            if open_state
            else dt.timedelta(hours=rng.randint(30, 24 * 60))
        )
        if status == Status.RESOLVED:
            age = dt.timedelta(hours=rng.randint(10, 24 * 5))
        created = now - age
        priority = category.default_priority if rng.random() < 0.7 else rng.choice(Priority.values)
        response, resolution = DEFAULT_BUDGETS[priority]
        day = timezone.localdate(created)
        counters[day] += 1
        ticket = Ticket(
            estate=estate,
            number=f"{KIND_PREFIX[category.kind]}-{day:%Y%m%d}-{counters[day]:04d}",
            kind=category.kind,
            category=category,
            priority=priority,
            channel=rng.choice([Channel.PORTAL] * 6 + [Channel.PHONE, Channel.WALK_IN]),
            status=status,
            reporter=occupancy.resident,
            reporter_user=occupancy.resident.user,
            unit=None if area else occupancy.unit,
            common_area=area,
            description=description,
            sla_started_at=created,
            created_at=created,
            response_due_at=created + response,
            resolution_due_at=created + resolution,
            at_risk_at=at_risk_from(created + resolution, resolution),
        )
        if status not in (Status.NEW, Status.CANCELLED) and technicians:
            ticket.assignee = rng.choice(technicians)
            ticket.responded_at = min(
                created + response * rng.uniform(0.1, 1.3), now - dt.timedelta(minutes=30)
            )
            ticket.accepted_at = ticket.responded_at
        worked = resolution * rng.uniform(0.2, 1.4)
        if status == Status.ON_HOLD:
            ticket.on_hold_since = created + (now - created) / 2
            ticket.hold_reason = HoldReason.RESIDENT  # the paused kind of hold
        if status in (Status.RESOLVED, Status.CLOSED):
            ticket.resolved_at = min(created + worked, now - dt.timedelta(minutes=5))
            ticket.resolution_note = rng.choice(RESOLUTION_NOTES)
        if status == Status.CLOSED:
            ticket.closed_at = min(ticket.resolved_at + dt.timedelta(hours=rng.randint(1, 48)), now)
        if status in (Status.CANCELLED, Status.DECLINED):
            ticket.closed_at = created + dt.timedelta(hours=rng.randint(1, 12))
        if status == Status.REOPENED:
            ticket.sla_started_at = created + (now - created) / 2
            ticket.resolution_due_at = ticket.sla_started_at + resolution
            ticket.at_risk_at = at_risk_from(ticket.resolution_due_at, resolution)
        if open_state and status != Status.ON_HOLD and ticket.resolution_due_at < now:
            ticket.escalation_level = ESCALATION_OVERDUE
            ticket.breached = True
        tickets.append(ticket)
        plans.append((ticket, front_desk))
    Ticket.objects.bulk_create(tickets, batch_size=500)
    for day, last in counters.items():
        counter, _created = TicketCounter.objects.get_or_create(estate=estate, day=day)
        if counter.last < last:
            counter.last = last
            counter.save(update_fields=["last"])

    events, ratings = [], []
    for ticket, desk in plans:
        reporter = ticket.reporter_user
        events.append(
            TicketEvent(
                ticket=ticket,
                kind=EventKind.CREATED,
                actor=reporter,
                body=ticket.description,
                to_status=Status.NEW,
                created_at=ticket.created_at,
            )
        )
        steps = _history(ticket)
        for action, to_status, at, body, actor_key in steps:
            actor = {"desk": desk, "tech": ticket.assignee, "reporter": reporter, "system": None}[actor_key]
            # Generated lines are a message + params (read in the reader's language), as the
            # services write them; only what a person wrote is stored as text.
            assigned = action == "assign" and ticket.assignee_id
            events.append(
                TicketEvent(
                    ticket=ticket,
                    kind=EventKind.ASSIGNED if action == "assign" else EventKind.STATUS,
                    action=action,
                    to_status=to_status,
                    body=body,
                    message=messages.ASSIGNED_TO if assigned else "",
                    params={"name": str(ticket.assignee)} if assigned else {},
                    actor=actor,
                    created_at=at,
                )
            )
        if ticket.status == Status.CLOSED and rng.random() < 0.7:
            ratings.append(
                Rating(
                    ticket=ticket,
                    score=rng.choices([5, 4, 3, 2, 1], [50, 25, 12, 8, 5])[0],
                    comment=rng.choice(["师傅很专业，谢谢！", "处理及时。", "", "希望下次快一点。"]),
                    by=reporter,
                    created_at=ticket.closed_at,
                )
            )
        if ticket.pk % 7 == 0 and ticket.assignee_id:
            events.append(
                TicketEvent(
                    ticket=ticket,
                    kind=EventKind.NOTE,
                    is_internal=True,
                    actor=desk,
                    body="业主脾气较急，上门前先电话联系。",
                    created_at=ticket.created_at,
                )
            )
    TicketEvent.objects.bulk_create(events, batch_size=1000)
    Rating.objects.bulk_create(ratings, batch_size=500)
    ctx.stdout.write(f"tickets: {len(tickets)} tickets, {len(events)} events, {len(ratings)} ratings\n")


def _history(t: Ticket) -> list[tuple]:
    """The status events a ticket in ``t.status`` went through (action, to, at, body, actor)."""
    steps = []
    s = t.status
    if s == Status.NEW:
        return steps
    if s == Status.CANCELLED:
        return [("cancel", Status.CANCELLED, t.closed_at, "", "reporter")]
    at = t.responded_at or t.created_at + dt.timedelta(minutes=20)
    steps.append(("assign", Status.ASSIGNED, at, "", "desk"))
    if s == Status.DECLINED:
        return [*steps, ("decline", Status.DECLINED, t.closed_at, "不属于物业服务范围，已告知业主。", "desk")]
    if s == Status.ASSIGNED:
        return steps
    steps.append(("start", Status.IN_PROGRESS, at + dt.timedelta(minutes=20), "", "tech"))
    if s == Status.ON_HOLD:
        return [*steps, ("hold", Status.ON_HOLD, t.on_hold_since, "业主出差，约好下周上门。", "tech")]
    if s == Status.IN_PROGRESS:
        return steps
    resolved = t.resolved_at or t.sla_started_at
    steps.append(("resolve", Status.RESOLVED, resolved, t.resolution_note or "已处理。", "tech"))
    if s == Status.REOPENED:
        return [*steps, ("reopen", Status.REOPENED, t.sla_started_at, "问题又出现了。", "reporter")]
    if s == Status.CLOSED:
        steps.append(("confirm", Status.CLOSED, t.closed_at, "", "reporter"))
    return steps
