"""The demo estate's plan, from a fixed seed: buildings, units, people, their phones and ID
numbers (valid checksums, never a real person's), and who lives where. Pure: no database."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from community.accounts.roles import StaffRole

from ..models import AreaSource, OccupancyRole, UnitUsage

ESTATE = {
    "code": "sunshine",
    "name": "阳光花园",
    "address": "湖北省十堰市茅箭区北京北路68号",
    "latitude": Decimal("32.636200"),
    "longitude": Decimal("110.797800"),
    "time_zone": "Asia/Shanghai",
}
BUILDINGS = 6
ENTRANCES = 2
FLOORS = 18
ROOM_AREAS = {1: Decimal("89.50"), 2: Decimal("118.20"), 3: Decimal("132.60"), 4: Decimal("76.80")}
SHOP_AREAS = [Decimal(a) for a in ("45.30", "62.80", "88.00", "156.00", "52.40", "73.60", "96.20", "120.50")]
GARAGE = "地下车库"
PARKING_SPACES = 60
PARKING_AREA = Decimal("12.50")
SEED = 20240601

# (key in ctx.users, phone, name, staff role or None). Keys match community.demo.DemoContext.
DEMO_USERS = [
    ("owner", "+8613800000001", "王建国", None),
    ("tenant", "+8613800000002", "李娜", None),
    ("manager", "+8613900000001", "陈志强", StaffRole.MANAGER),
    ("technician", "+8613900000002", "刘师傅", StaffRole.TECHNICIAN),
    ("eldercare_worker", "+8613700000001", "赵秀英", StaffRole.ELDERCARE_WORKER),
]
# More staff so every role is staffed; not printed as demo logins but same password.
EXTRA_STAFF = [
    ("front_desk", "+8613900000003", "孙丽", StaffRole.FRONT_DESK),
    ("security", "+8613900000004", "周保国", StaffRole.SECURITY),
    ("technician2", "+8613900000005", "吴师傅", StaffRole.TECHNICIAN),
    ("eldercare_coordinator", "+8613700000002", "郑桂芳", StaffRole.ELDERCARE_COORDINATOR),
    ("eldercare_worker2", "+8613700000003", "冯春梅", StaffRole.ELDERCARE_WORKER),
]
RESERVED_PHONES = {p for _k, p, _n, _r in DEMO_USERS + EXTRA_STAFF}

# The owner's flat (1栋1单元1202) and the tenant's (2栋2单元803).
OWNER_UNIT = ("1栋", "1", "1202")
TENANT_UNIT = ("2栋", "2", "803")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "志刚",
    "海燕",
    "晓东",
    "文博",
    "子涵",
    "雨桐",
    "浩然",
    "欣怡",
    "宇轩",
    "梓萱",
    "俊杰",
    "思远",
    "佳怡",
    "一鸣",
    "国庆",
    "建军",
    "红梅",
    "玉兰",
    "春生",
    "德华",
    "丹丹",
    "晨曦",
    "天佑",
    "婷婷",
    "鹏飞",
    "雪梅",
    "永红",
    "长江",
    "汉生",
    "秋菊",
    "学文",
    "家豪",
    "诗涵",
    "立新",
    "小燕",
]
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "139",
    "150",
    "151",
    "152",
    "155",
    "157",
    "158",
    "159",
    "166",
    "177",
    "180",
    "181",
    "186",
    "187",
    "188",
    "189",
    "199",
]
# Shiyan's districts (茅箭 张湾 郧阳 丹江口 房县 竹山) and a few places tenants come from.
LOCAL_REGIONS = ["420302", "420303", "420304", "420381", "420325", "420323"]
OTHER_REGIONS = ["420102", "420106", "411302", "610902", "500103", "420602"]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"


def id_number_checksum(first17: str) -> str:
    """The 18th character of a resident ID (GB 11643-1999, ISO 7064 MOD 11-2)."""
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


@dataclass
class Person:
    key: str  # the phone: unique per estate, the idempotency key of a Resident
    name: str
    id_number: str


class Planner:
    """Deterministic source of names, phones and ID numbers."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.phones: set[str] = set(RESERVED_PHONES)

    def name(self, surname: str | None = None) -> str:
        return (surname or self.rng.choice(SURNAMES)) + self.rng.choice(GIVEN)

    def phone(self) -> str:
        while True:
            phone = f"+86{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def id_number(self, *, born: int, female: bool, local: bool = True) -> str:
        region = self.rng.choice(LOCAL_REGIONS if local else OTHER_REGIONS)
        birthday = dt.date(born, 1, 1) + dt.timedelta(days=self.rng.randrange(365))
        # The 17th digit is odd for men, even for women.
        sequence = self.rng.randrange(0, 500) * 2 + (0 if female else 1)
        first17 = f"{region}{birthday:%Y%m%d}{sequence:03d}"
        return first17 + id_number_checksum(first17)

    def person(
        self,
        *,
        born: int,
        female: bool | None = None,
        surname: str | None = None,
        local: bool = True,
        phone: str | None = None,
    ) -> Person:
        female = self.rng.random() < 0.5 if female is None else female
        return Person(
            phone or self.phone(), self.name(surname), self.id_number(born=born, female=female, local=local)
        )


def unit_plan(rng: random.Random):
    """(building, entrance, floor, number, area, source, usage, developer_owned) for every unit."""
    rows = []
    for b in range(1, BUILDINGS + 1):
        for e in range(1, ENTRANCES + 1):
            for floor in range(1, FLOORS + 1):
                for room in range(1, 5):
                    number = f"{floor}{room:02d}"
                    if b == 1 and floor == 1:
                        area, usage = SHOP_AREAS[(e - 1) * 4 + room - 1], UnitUsage.COMMERCIAL
                    else:
                        area, usage = ROOM_AREAS[room], UnitUsage.RESIDENTIAL
                    roll = rng.random()
                    source = (
                        AreaSource.SURVEY
                        if roll < 0.04
                        else AreaSource.CONTRACT
                        if roll < 0.06
                        else AreaSource.REGISTER
                    )
                    if source == AreaSource.CONTRACT:
                        area += Decimal("1.35")  # contract areas run a little larger than the register
                    key = (f"{b}栋", str(e), number)
                    unsold = key not in (OWNER_UNIT, TENANT_UNIT) and rng.random() < 0.09
                    rows.append((*key[:2], floor, number, area, source, usage, unsold))
    for n in range(1, PARKING_SPACES + 1):
        rows.append(
            (GARAGE, "", -1, f"B{n:03d}", PARKING_AREA, AreaSource.REGISTER, UnitUsage.PARKING, n > 40)
        )
    return rows


def households(planner: Planner, units: list[tuple], owner_phone: str, tenant_phone: str):
    """Plan residents and occupancies: yields (person, unit_key, role, start, end, primary)."""
    rng = planner.rng
    flats = [u for u in units if u[6] != UnitUsage.PARKING]
    owners_by_flat: dict[tuple, Person] = {}
    for b, e, _floor, number, _area, _src, usage, unsold in flats:
        key = (b, e, number)
        if unsold:
            continue  # held by the developer: no owner yet, vacant
        start = dt.date(2016, 6, 1) + dt.timedelta(days=rng.randrange(2500))
        if key == OWNER_UNIT:
            owner = Person(owner_phone, "王建国", planner.id_number(born=1975, female=False))
        else:
            owner = planner.person(born=rng.randrange(1950, 1995))
        owners_by_flat[key] = owner
        yield owner, key, OccupancyRole.OWNER, start, None, True
        if usage == UnitUsage.COMMERCIAL:
            continue
        surname = owner.name[0]
        if key != OWNER_UNIT and rng.random() < 0.3:
            yield (
                planner.person(born=rng.randrange(1955, 1995)),
                key,
                OccupancyRole.CO_OWNER,
                start,
                None,
                False,
            )
        if key == TENANT_UNIT:
            # Let to the demo tenant; an earlier tenant moved out (history is kept, not deleted).
            earlier = planner.person(born=1990, local=False)
            yield earlier, key, OccupancyRole.TENANT, dt.date(2021, 3, 1), dt.date(2023, 2, 28), False
            tenant = Person(tenant_phone, "李娜", planner.id_number(born=1993, female=True, local=False))
            yield tenant, key, OccupancyRole.TENANT, dt.date(2023, 4, 1), None, False
            continue
        roll = rng.random()
        if key == OWNER_UNIT:
            for born, female, name in (
                (1977, True, "刘芳"),
                (2005, False, "王子涵"),
                (1948, False, "王德华"),
            ):
                person = planner.person(born=born, female=female)
                person.name = name
                yield person, key, OccupancyRole.FAMILY, start, None, False
        elif roll < 0.12:
            # Let out: one or two tenants, the owner lives elsewhere.
            tenancy = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(900))
            for _ in range(rng.choice((1, 1, 2))):
                yield (
                    planner.person(born=rng.randrange(1980, 2002), local=False),
                    key,
                    OccupancyRole.TENANT,
                    tenancy,
                    None,
                    False,
                )
        elif roll < 0.2:
            pass  # sold but nobody lives there (owner elsewhere): vacant
        else:
            for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
                born = rng.choice(
                    (rng.randrange(1945, 1960), rng.randrange(1970, 1995), rng.randrange(2005, 2020))
                )
                yield (
                    planner.person(born=born, surname=surname if born > 2000 else None),
                    key,
                    OccupancyRole.FAMILY,
                    start,
                    None,
                    False,
                )
    # Parking spaces bought by flat owners.
    owners = list(owners_by_flat.values())
    for _b, _e, _floor, number, *_rest, unsold in (u for u in units if u[6] == UnitUsage.PARKING):
        if not unsold:
            owner = owners[rng.randrange(len(owners))]
            yield owner, (GARAGE, "", number), OccupancyRole.OWNER, dt.date(2019, 9, 1), None, True
