"""Photos: only real images, not too big, at most six, stored without metadata."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from community.tickets import photos
from community.tickets.models import Ticket
from tests.factories import photo_upload

pytestmark = pytest.mark.django_db


def test_exif_is_stripped_and_image_reencoded(file_ticket):
    upload = photo_upload("gps.jpg", exif=True)
    assert Image.open(upload).getexif()  # the upload carries GPS and camera data
    upload.seek(0)
    ticket = file_ticket(photos=[upload])
    stored = ticket.photos.get()
    with stored.image.open("rb") as f:
        image = Image.open(f)
        assert image.format == "JPEG"
        assert not image.getexif()
        assert "exif" not in image.info
    assert stored.width == 64 and stored.height == 48


def test_wrong_type_is_rejected_and_nothing_is_written(file_ticket):
    fake = SimpleUploadedFile("virus.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
    with pytest.raises(ValidationError) as info:
        file_ticket(photos=[fake])
    assert "virus.jpg" in str(info.value)
    gif = photo_upload("anim.gif", fmt="GIF", content_type="image/gif")
    with pytest.raises(ValidationError):
        file_ticket(photos=[gif])
    assert Ticket.objects.count() == 0


def test_too_big_is_rejected(file_ticket):
    big = photo_upload("big.jpg")
    big.size = photos.MAX_BYTES + 1
    with pytest.raises(ValidationError, match=r"big\.jpg"):
        file_ticket(photos=[big])


def test_more_than_six_is_rejected(file_ticket):
    with pytest.raises(ValidationError, match="6"):
        file_ticket(photos=[photo_upload(f"{i}.jpg") for i in range(7)])
    ticket = file_ticket(photos=[photo_upload(f"{i}.jpg") for i in range(6)])
    assert ticket.photos.count() == 6


def test_large_images_are_scaled_down():
    content = photos.photo_clean(
        photo_upload("wide.png", size=(4000, 1000), fmt="PNG", content_type="image/png")
    )
    assert Image.open(content).size == (2048, 512)


def test_page_rejects_bad_photo_with_message(household_a, category_a, client_for):
    owner, unit = household_a
    fake = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    r = client_for(owner).post(
        "/portal/tickets/new/",
        {"category": category_a.pk, "unit": unit.pk, "description": "漏水", "photos": [fake]},
    )
    assert r.status_code == 400
    assert "notes.txt" in r.content.decode()
    assert Ticket.objects.count() == 0
