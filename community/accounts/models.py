"""The custom user: one login for residents, staff and workers, by phone, email or username."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
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
    # Part of every session's auth hash: a new stamp ends every session of the account at once
    # ("log out everywhere", an identity change by staff). Empty = Django's own hash, so sessions
    # that existed before the field survive its introduction.
    session_stamp = models.CharField(_("session stamp"), max_length=32, blank=True, editable=False)

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

    def get_session_auth_hash(self) -> str:
        if not self.session_stamp:
            return super().get_session_auth_hash()
        return salted_hmac(
            "community.accounts.User.get_session_auth_hash",
            f"{self.password}:{self.session_stamp}",
            algorithm="sha256",
        ).hexdigest()

    def save(self, *args, **kwargs):
        if self.email == "":
            self.email = None
        # set_password() leaves the raw value in _password until the save: the password changes
        # now, so the API tokens issued under the old one end with it (after the commit).
        password_changed = self.pk is not None and self._password is not None
        super().save(*args, **kwargs)
        if password_changed:
            from community.accounts.services import api_tokens_revoke_all

            api_tokens_revoke_all(user=self, reason=ApiToken.Revoked.PASSWORD_CHANGED, by=self)


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


class ApiTokenQuerySet(models.QuerySet):
    def live(self, at=None):
        from django.utils import timezone

        return self.filter(revoked_at__isnull=True, expires_at__gt=at or timezone.now())


class ApiToken(models.Model):
    """An API key (``Authorization: Token <key>``) of one user; a user may hold several.

    Only a SHA-256 of the key is stored (the key is shown once, when issued): a copy of the
    database does not hold usable credentials. ``prefix`` (the key's first characters) lets the
    owner tell their tokens apart in the list. Tokens expire (``API_TOKEN_TTL_DAYS``) and end
    with a password change or "log out everywhere".
    """

    class Revoked(models.TextChoices):
        BY_OWNER = "owner", _("revoked by the owner")
        PASSWORD_CHANGED = "password_changed", _("password changed")
        LOGOUT_EVERYWHERE = "logout_everywhere", _("logged out everywhere")
        IDENTITY_CHANGED = "identity_changed", _("login identifiers changed")

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=8)
    key_hash = models.CharField(_("key (SHA-256)"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(
        _("revoked because"), max_length=32, choices=Revoked.choices, blank=True
    )
    revoked_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_idx")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"


class LoginIdentifier(models.TextChoices):
    PHONE = "phone", _("mobile phone")
    EMAIL = "email", _("email address")


class IdentifierChange(models.Model):
    """A change of an account's phone or email, pending or done; the audit trail of both ways.

    * The owner asks (``method=self``): a code goes to the new number or address; the change is
      made when the code is proven, and the old one is told.
    * Staff change it (``method`` = how they verified the person, with ``evidence``) after
      checking identity in person: every session and API token of the account ends and the old
      number or address is told.
    """

    class Method(models.TextChoices):
        SELF = "self", _("by the account holder, with a code sent to the new value")
        ID_DOCUMENT = "id_document", _("identity document checked in person")
        PROPERTY_DEED = "property_deed", _("property deed and identity document checked in person")

    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.CASCADE,
        related_name="identifier_changes",
        verbose_name=_("account"),
    )
    field = models.CharField(_("changed"), max_length=8, choices=LoginIdentifier.choices)
    old_value = models.CharField(_("old value"), max_length=254, blank=True)
    new_value = models.CharField(_("new value"), max_length=254)
    method = models.CharField(_("verified by"), max_length=16, choices=Method.choices)
    evidence = models.CharField(
        _("evidence"),
        max_length=200,
        blank=True,
        help_text=_("What was checked, e.g. the last 4 digits of the ID card shown and who was present."),
    )
    code_hash = models.CharField(_("code (hashed)"), max_length=128, blank=True)
    attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("login identifier change")
        verbose_name_plural = _("login identifier changes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return (
            f"{self.user_id} {self.field} @ {self.created_at:%Y-%m-%d %H:%M}"
            if self.created_at
            else self.field
        )


class PersonalDataSearch(models.Model):
    """Audit entry: a staff member searched by a full phone or ID number (values they see masked).

    The term itself is not kept in clear: ``term_digest`` (HMAC) lets an auditor check whether a
    given number was searched, ``term_masked`` shows it as the searcher saw it.
    """

    user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    surface = models.CharField(_("where"), max_length=100)
    field = models.CharField(_("searched by"), max_length=16)
    term_masked = models.CharField(_("term (masked)"), max_length=64)
    term_digest = models.CharField(_("term (HMAC)"), max_length=64, db_index=True)
    matches = models.PositiveIntegerField(_("matches"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("personal data search")
        verbose_name_plural = _("personal data searches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.field} {self.term_masked}"


class AccountChange(models.Model):
    """Audit entry: who changed an account in the admin, and which fields (not their values:
    a name is personal data; flags and roles are kept with their new value)."""

    class Action(models.TextChoices):
        CREATED = "created", pgettext_lazy("account change", "created")
        CHANGED = "changed", pgettext_lazy("account change", "changed")
        PASSWORD_SET = "password_set", pgettext_lazy("account change", "password set")

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="+", verbose_name=_("account")
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    fields = models.JSONField(_("fields"), default=dict, blank=True)
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("account change")
        verbose_name_plural = _("account changes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action}"
