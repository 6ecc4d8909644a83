"""Seed the current year's table: 2026 statutory holidays and make-up working days (调休), as
published by the General Office of the State Council (国办发明电〔2025〕7号). Staff add the next
year in the admin once it is announced (usually in November). Idempotent: existing dates stay."""

import datetime as dt

from django.db import migrations


def _span(first: str, last: str, name: str):
    day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    while day <= end:
        yield day, "holiday", name
        day += dt.timedelta(days=1)


HOLIDAYS_2026 = [
    *_span("2026-01-01", "2026-01-03", "元旦"),
    *_span("2026-02-15", "2026-02-23", "春节"),
    *_span("2026-04-04", "2026-04-06", "清明节"),
    *_span("2026-05-01", "2026-05-05", "劳动节"),
    *_span("2026-06-19", "2026-06-21", "端午节"),
    *_span("2026-09-25", "2026-09-27", "中秋节"),
    *_span("2026-10-01", "2026-10-07", "国庆节"),
]
WORKDAYS_2026 = [
    (dt.date(2026, 1, 4), "workday", "元旦调休"),
    (dt.date(2026, 2, 14), "workday", "春节调休"),
    (dt.date(2026, 2, 28), "workday", "春节调休"),
    (dt.date(2026, 5, 9), "workday", "劳动节调休"),
    (dt.date(2026, 9, 20), "workday", "国庆节调休"),
    (dt.date(2026, 10, 10), "workday", "国庆节调休"),
]


def seed(apps, schema_editor):
    CalendarDay = apps.get_model("calendar", "CalendarDay")
    for day, kind, name in HOLIDAYS_2026 + WORKDAYS_2026:
        CalendarDay.objects.get_or_create(date=day, defaults={"kind": kind, "name": name})


class Migration(migrations.Migration):
    dependencies = [("calendar", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
