"""Organisations (tenants), stores, teams, users, API tokens and the audit log."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.roles import Role
from guanxi.core.tenancy import TenantModel

LANGUAGE_CHOICES = [("zh-hans", "简体中文"), ("en", "English")]


class Organization(models.Model):
    """A tenant: one company or chain. Not itself tenant-owned."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    default_language = models.CharField(_("default language"), max_length=10, choices=LANGUAGE_CHOICES, default="zh-hans")
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    default_phone_region = models.CharField(_("default phone region"), max_length=2, default="CN")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Store(TenantModel):
    """A branch (门店). Exactly one store of an organisation may be its headquarters."""

    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    is_headquarters = models.BooleanField(_("headquarters"), default=False)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="store_code_unique_per_org"),
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(is_headquarters=True),
                name="one_headquarters_per_org",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Team(TenantModel):
    name = models.CharField(_("name"), max_length=100)
    store = models.ForeignKey(Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="teams")

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="team_name_unique_per_org")]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member of staff. Usernames are global because login happens before the organisation is known."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="users")
    store = models.ForeignKey(Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="staff")
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.READ_ONLY)
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGE_CHOICES, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    # Auth looks users up before any organisation is in scope, so the manager is not tenant-scoped;
    # every read of users in business code goes through core.selectors.user_list(actor=...).
    objects = UserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [models.Index(fields=["organization", "team"]), models.Index(fields=["organization", "store"])]

    def __str__(self) -> str:
        return self.name_of(self.first_name, self.last_name, self.username)

    @property
    def display_name(self) -> str:
        return str(self)

    @staticmethod
    def name_of(first_name: str, last_name: str, username: str) -> str:
        """`display_name` from the three columns, for reads that load no User (list rows)."""
        return f"{first_name} {last_name}".strip() or username


class ApiToken(TenantModel):
    """A personal API token. Only a SHA-256 of the secret is stored; the secret is shown once."""

    PREFIX = "gx_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @classmethod
    def new_secret(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @staticmethod
    def hash(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()


class AuditEntry(TenantModel):
    """One row per create/update/delete/export/merge/import: append-only."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("updated")
        DELETE = "delete", _("deleted")
        EXPORT = "export", _("exported")
        IMPORT = "import", _("imported")
        MERGE = "merge", _("merged")
        LOGIN = "login", _("logged in")
        TOKEN = "token", _("token issued")
        DEACTIVATE = "deactivate", _("deactivated")

    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=50)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(max_length=32, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["organization", "object_type", "object_id", "at"]),
            models.Index(fields=["organization", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("audit entries are append-only")
        super().save(*args, **kwargs)


class Notification(TenantModel):
    """A message to one user ("a lead was assigned to you"); shown under the bell in the navbar."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(_("text"), max_length=300)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "recipient", "read_at"])]

    def __str__(self) -> str:
        return self.text
