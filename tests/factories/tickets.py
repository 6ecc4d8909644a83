from __future__ import annotations

import datetime as dt
import io

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from community.tickets import models
from community.tickets.sla import DEFAULT_BUDGETS, at_risk_from
from tests.factories.residents import EstateFactory

__all__ = ["CategoryFactory", "TicketFactory", "photo_upload", "ticket_rows"]


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Category

    estate = factory.SubFactory(EstateFactory)
    name = factory.Sequence(lambda n: f"水电维修{n}")
    kind = models.Kind.REPAIR
    default_priority = models.Priority.NORMAL


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket row as the filing service writes it (no events); for list and query tests."""

    class Meta:
        model = models.Ticket

    category = factory.SubFactory(CategoryFactory)
    estate = factory.SelfAttribute("category.estate")
    kind = factory.SelfAttribute("category.kind")
    number = factory.Sequence(lambda n: f"BX-20261127-{n:04d}")
    description = "卫生间水管漏水"
    priority = models.Priority.NORMAL
    sla_started_at = factory.LazyFunction(timezone.now)
    created_at = factory.SelfAttribute("sla_started_at")
    resolution_due_at = factory.LazyAttribute(lambda o: o.sla_started_at + DEFAULT_BUDGETS[o.priority][1])
    at_risk_at = factory.LazyAttribute(
        lambda o: at_risk_from(o.resolution_due_at, DEFAULT_BUDGETS[o.priority][1])
    )


def ticket_rows(n: int, *, category, start: int = 0, **fields) -> list[models.Ticket]:
    """``n`` ticket rows in one INSERT (fast enough for 500-row query-count tests)."""
    now = timezone.now()
    budget = DEFAULT_BUDGETS["normal"][1]
    rows = [
        models.Ticket(
            estate_id=category.estate_id,
            category=category,
            kind=category.kind,
            number=f"BX-20200101-{start + i:05d}",
            description=f"第{i}号报修",
            sla_started_at=now - dt.timedelta(minutes=i),
            created_at=now - dt.timedelta(minutes=i),
            resolution_due_at=now + budget,
            at_risk_at=at_risk_from(now + budget, budget),
            **fields,
        )
        for i in range(n)
    ]
    return models.Ticket.objects.bulk_create(rows)


def photo_upload(
    name: str = "leak.jpg",
    *,
    size=(64, 48),
    fmt: str = "JPEG",
    exif: bool = False,
    content_type: str = "image/jpeg",
) -> SimpleUploadedFile:
    image = Image.new("RGB", size, (200, 80, 40))
    out = io.BytesIO()
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        data[0x8825] = {1: "N", 2: (30.0, 40.0, 0.0)}  # GPS IFD
        kwargs["exif"] = data.tobytes()
    image.save(out, format=fmt, **kwargs)
    return SimpleUploadedFile(name, out.getvalue(), content_type=content_type)
