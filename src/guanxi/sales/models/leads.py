"""Leads (SAL-1, CUS-10): captured from pages, the API, imports and public web forms."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.tenancy import TenantModel
from guanxi.sales.models.base import OwnedRecord


class Lead(OwnedRecord):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        QUALIFIED = "qualified", _("Qualified")
        UNQUALIFIED = "unqualified", _("Unqualified")
        CONVERTED = "converted", _("Converted")

    class Rating(models.TextChoices):
        HOT = "hot", _("Hot")
        WARM = "warm", _("Warm")
        COLD = "cold", _("Cold")

    # Same vocabulary as Customer.Source, so a converted lead hands its source on unchanged.
    class Source(models.TextChoices):
        WEB = "web", _("Web form")
        API = "api", _("API")
        IMPORT = "import", _("Import")
        STORE_VISIT = "store_visit", _("Store visit")
        REFERRAL = "referral", _("Referral")
        EVENT = "event", _("Event")
        SOCIAL = "social", _("Social media")
        ECOMMERCE = "ecommerce", _("E-commerce")
        PHONE = "phone", _("Phone")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100)
    name_pinyin = models.CharField(max_length=200, blank=True, editable=False)
    company = models.CharField(_("company"), max_length=200, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    postcode = models.CharField(_("postcode"), max_length=12, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.OTHER)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    rating = models.CharField(_("rating"), max_length=10, choices=Rating.choices, blank=True)
    score = models.IntegerField(_("score"), default=0, editable=False)
    estimated_amount = models.DecimalField(_("estimated amount"), max_digits=14, decimal_places=2, null=True,
                                           blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    external_id = models.CharField(_("external id"), max_length=64, blank=True)
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True, editable=False)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True, editable=False)
    converted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", editable=False)
    converted_customer = models.ForeignKey("customers.Customer", on_delete=models.SET_NULL, null=True, blank=True,
                                           related_name="source_leads", editable=False)
    converted_contact = models.ForeignKey("customers.Contact", on_delete=models.SET_NULL, null=True, blank=True,
                                          related_name="+", editable=False)
    converted_opportunity = models.ForeignKey("sales.Opportunity", on_delete=models.SET_NULL, null=True, blank=True,
                                              related_name="source_leads", editable=False)
    web_form = models.ForeignKey("sales.WebForm", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="leads", editable=False)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "owner", "created_at"]),
            models.Index(fields=["organization", "store", "created_at"]),
            models.Index(fields=["organization", "territory"]),
            models.Index(fields=["organization", "status", "created_at"]),
            models.Index(fields=["organization", "phone"]),
            models.Index(fields=["organization", "email"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["organization", "external_id"], condition=~models.Q(external_id=""),
                                    name="lead_external_id_unique_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.company})" if self.company else self.name


class LeadScoreRule(TenantModel):
    """Score = the sum of the points of every active rule a lead matches."""

    class Operator(models.TextChoices):
        EQUALS = "equals", _("equals")
        CONTAINS = "contains", _("contains")
        NOT_EMPTY = "not_empty", _("is filled in")

    FIELDS = ("source", "campaign", "industry", "province", "city", "title", "company", "email", "phone", "rating")

    name = models.CharField(_("name"), max_length=100)
    field = models.CharField(_("field"), max_length=30)
    operator = models.CharField(_("operator"), max_length=10, choices=Operator.choices, default=Operator.EQUALS)
    value = models.CharField(_("value"), max_length=100, blank=True)
    points = models.SmallIntegerField(_("points"), default=10)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("lead scoring rule")
        verbose_name_plural = _("lead scoring rules")
        ordering = ["id"]


def _new_form_key() -> str:
    return secrets.token_urlsafe(16)


class WebForm(TenantModel):
    """A public lead form (no login) embedded on a website; the key in its URL names it."""

    name = models.CharField(_("name"), max_length=100)
    key = models.CharField(max_length=40, default=_new_form_key, editable=False, db_index=True)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Lead.Source.choices, default=Lead.Source.WEB)
    team = models.ForeignKey("core.Team", verbose_name=_("assign round-robin within team"), on_delete=models.SET_NULL,
                             null=True, blank=True, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("or assign to"), on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="+")
    thank_you = models.CharField(_("thank-you message"), max_length=300, blank=True)
    allowed_origins = models.TextField(_("allowed websites"), blank=True,
                                       help_text=_("One origin per line, e.g. https://www.example.com"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="web_form_key_unique")]

    def __str__(self) -> str:
        return self.name


class RoundRobinState(TenantModel):
    """Whose turn it is in a team or a territory: the last user who received a lead (row-locked
    when assigning). One row per team and one per territory."""

    team = models.ForeignKey("core.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    territory = models.ForeignKey("sales.Territory", on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="+")
    last_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "team"], condition=models.Q(team__isnull=False),
                                    name="round_robin_one_per_team"),
            models.UniqueConstraint(fields=["organization", "territory"],
                                    condition=models.Q(territory__isnull=False),
                                    name="round_robin_one_per_territory"),
            models.CheckConstraint(condition=models.Q(team__isnull=True) ^ models.Q(territory__isnull=True),
                                   name="round_robin_team_or_territory"),
        ]
