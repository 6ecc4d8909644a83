"""The custom user: one login for residents, staff and workers, by phone, email or username."""

from __future__ import annotations

from django.conf import settings
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
    # Empty until the user picks one on the portal's "我的" page: their pages then follow the
    # browser / cookie, and messages rendered for them (SMS, pushes) use the site default zh-hans.
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True, default=""
    )

    objects = UserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or (str(self.phone) if self.phone else self.username)

    # Chinese names live in ``name`` (one field, family name first); first/last stay empty for
    # most accounts. Without these the admin greets staff with the generated "u86139…" username.
    def get_full_name(self) -> str:
        return self.name or super().get_full_name()

    def get_short_name(self) -> str:
        return self.name or super().get_short_name()

    def save(self, *args, **kwargs):
        if self.email == "":
            self.email = None
        super().save(*args, **kwargs)


class InvitationQuerySet(models.QuerySet):
    def pending(self, at=None):
        """Not used and not expired: the invitations a resident may still redeem."""
        from django.utils import timezone

        return self.filter(used_at__isnull=True, expires_at__gt=at or timezone.now())


class Invitation(models.Model):
    """A staff invitation for one Resident record: a 6-digit code sent by SMS to their phone.

    The code is stored hashed (like a password); the plain code exists only in the SMS.
    """

    estate_path = "resident__estate"

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.CASCADE, related_name="invitations", verbose_name=_("resident")
    )
    phone = PhoneNumberField(_("mobile phone"), region="CN")
    code_hash = models.CharField(_("code (hashed)"), max_length=128)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    created_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    created_user = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
        help_text=_("The account created or linked when the invitation was used."),
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["phone", "created_at"])]

    def __str__(self) -> str:
        return f"{self.phone} ({self.created_at:%Y-%m-%d})" if self.created_at else str(self.phone)
