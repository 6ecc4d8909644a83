"""The custom user: one login for residents, staff and workers, by phone, email or username."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


class UserManager(DjangoUserManager):
    def _create_user(self, username, email, password, **extra_fields):
        # Residents sign up with a phone and have no username; give them a stable one so the
        # unique username column never blocks them.
        if not username:
            phone = extra_fields.get("phone")
            username = f"u{str(phone).lstrip('+')}" if phone else None
        if not username:
            raise ValueError("A user needs a username or a phone number.")
        email = self.normalize_email(email) or None
        return super()._create_user(username, email, password, **extra_fields)


class User(AbstractUser):
    phone = PhoneNumberField(_("mobile phone"), unique=True, null=True, blank=True, region="CN")
    # Optional but unique: NULL (not "") for "no email" so the unique constraint allows many.
    email = models.EmailField(_("email address"), unique=True, null=True, blank=True)
    name = models.CharField(_("name"), max_length=100, blank=True)

    objects = UserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or (str(self.phone) if self.phone else self.username)

    def save(self, *args, **kwargs):
        if self.email == "":
            self.email = None
        super().save(*args, **kwargs)
