"""A disk spool for camera pushes that arrive while the database is away.

Hikvision ANPR firmware never re-posts: a read refused with an error is lost. So when the
database cannot be reached the request is written to disk (atomically: a temporary name, then a
rename), the camera gets its 200, and ``spool_ingest`` (a task, and ``manage.py
parking_spool_ingest``) feeds the files through the same parser and service once the database
is back. Ingested reads are history (``offline``): the car has long passed the barrier.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from access.inbound import Inbound
from access.models import Device

from .protocols import hikvision_anpr
from .services.reads import plate_read_record

logger = logging.getLogger(__name__)


def spool_dir() -> Path:
    path = Path(getattr(settings, "PARKING_SPOOL_DIR", settings.VAR_DIR / "parking-spool"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def spool_write(*, protocol: str, token_hash: str, content_type: str, body: bytes) -> Path:
    header = {
        "protocol": protocol,
        "token_hash": token_hash,
        "content_type": content_type,
        "received_at": timezone.now().isoformat(),
    }
    directory = spool_dir()
    name = f"{timezone.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex}"
    tmp = directory / f".{name}.tmp"
    with open(tmp, "wb") as handle:
        handle.write(json.dumps(header).encode() + b"\n" + body)
        handle.flush()
        os.fsync(handle.fileno())
    final = directory / f"{name}.req"
    os.replace(tmp, final)
    return final


def spool_read(path: Path) -> tuple[dict, bytes]:
    data = path.read_bytes()
    header, _, body = data.partition(b"\n")
    return json.loads(header), body


def spool_ingest(*, by: str = "system:parking.spool_ingest", limit: int = 10_000) -> int:
    """Ingest spooled requests, oldest first; a file stays until its read is stored."""
    done = 0
    for path in sorted(spool_dir().glob("*.req"))[:limit]:
        header, body = spool_read(path)
        device = Device.objects.filter(token_hash=header.get("token_hash")).first()
        if device is None:
            logger.warning("spooled %s: no device with that token any more; kept", path.name)
            continue
        inbound = Inbound("POST", "/isapi/<token>/anpr", "", header.get("content_type", ""), body)
        try:
            read = hikvision_anpr.parse(inbound, device.tzinfo)
        except hikvision_anpr.BadMessage as exc:
            logger.warning("spooled %s: %s; moved aside", path.name, exc)
            os.replace(path, path.with_suffix(".bad"))
            continue
        if read is not None:
            read.offline = True
            try:
                plate_read_record(device=device, read=read, by=by)
            except DatabaseError:
                logger.exception("spooled %s: database still away", path.name)
                return done
        path.unlink()
        done += 1
    return done
