"""Checking and re-encoding uploaded photos.

Every accepted image is decoded and written again as a fresh JPEG: that drops EXIF (GPS
position of the resident's flat, camera serials) and any payload appended to the file, and
bounds its size. Orientation from EXIF is applied first so the photo still looks upright.
"""

from __future__ import annotations

import io
import uuid
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTOS = 6
MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2048
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}


def photo_clean(upload) -> ContentFile:
    """A re-encoded JPEG of ``upload``, or ValidationError saying what is wrong with it."""
    name = getattr(upload, "name", "") or "photo"
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ValidationError(
            _("“%(name)s” is too large (%(size)d MB); the limit is %(max)d MB.")
            % {"name": name, "size": size // (1024 * 1024), "max": MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(upload)
            fmt = probe.format
            if fmt not in ALLOWED_FORMATS:
                raise ValidationError(
                    _("“%(name)s” is not a JPEG, PNG or WebP image.") % {"name": name}, code="bad_type"
                )
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("“%(name)s” has too many pixels.") % {"name": name}, code="too_large")
            probe.verify()
            upload.seek(0)
            image = Image.open(upload)
            image.load()
    except ValidationError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise ValidationError(
            _("“%(name)s” is not a JPEG, PNG or WebP image.") % {"name": name}, code="bad_type"
        ) from exc
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")


def photos_clean(uploads, *, already: int = 0) -> list[ContentFile]:
    uploads = [u for u in uploads if u]
    if already + len(uploads) > MAX_PHOTOS:
        raise ValidationError(
            {"photos": _("At most %(max)d photos per ticket.") % {"max": MAX_PHOTOS}}, code="too_many"
        )
    cleaned, errors = [], []
    for upload in uploads:
        try:
            cleaned.append(photo_clean(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({"photos": errors})
    return cleaned
