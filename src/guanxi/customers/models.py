"""Customers, contacts, tags, the customer timeline, attachments and search keys."""

from __future__ import annotations

import os
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from guanxi.core.fields import SearchKeyField
from guanxi.core.tenancy import TenantModel


class Tag(TenantModel):
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="tag_name_unique_per_org")]

    def __str__(self) -> str:
        return self.name


class Customer(TenantModel):
    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        PERSON = "person", _("Person")

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

    class Stage(models.TextChoices):
        LEAD = "lead", _("Lead")
        PROSPECT = "prospect", _("Prospect")
        CUSTOMER = "customer", _("Customer")
        LOYAL = "loyal", _("Loyal customer")
        CHURNED = "churned", _("Churned")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.COMPANY)
    name = models.CharField(_("name"), max_length=200)
    name_pinyin = models.CharField(_("pinyin"), max_length=400, blank=True, editable=False)
    name_initials = models.CharField(_("initials"), max_length=100, blank=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    store = models.ForeignKey(
        "core.Store", verbose_name=_("store"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.OTHER)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("Stored as E.164, e.g. +8613812345678"))
    phone2 = models.CharField(_("second phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    stage = models.CharField(_("lifecycle stage"), max_length=20, choices=Stage.choices, default=Stage.LEAD)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    external_id = models.CharField(_("external id"), max_length=64, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers",
                                  through="CustomerTag")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=~models.Q(external_id=""),
                name="customer_external_id_unique_per_org",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "owner", "created_at"]),
            models.Index(fields=["organization", "store", "created_at"]),
            # The default sort (-created_at, -id) read straight from the index: imported rows share one created_at.
            models.Index(fields=["organization", "created_at", "id"]),
            models.Index(fields=["organization", "phone"]),
            models.Index(fields=["organization", "phone2"]),
            models.Index(fields=["organization", "email"]),
            models.Index(fields=["organization", "name_pinyin"]),
            models.Index(fields=["organization", "name"]),  # the duplicate check (CUS-5)
        ]

    def __str__(self) -> str:
        return self.name


class CustomerTag(TenantModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "customer", "tag"], name="customer_tag_unique"),
        ]


class Contact(TenantModel):
    class Role(models.TextChoices):
        DECISION_MAKER = "decision_maker", _("Decision maker")
        INFLUENCER = "influencer", _("Influencer")
        USER = "user", _("User")
        PURCHASER = "purchaser", _("Purchaser")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=100)
    name_pinyin = models.CharField(max_length=200, blank=True, editable=False)
    name_initials = models.CharField(max_length=50, blank=True, editable=False)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.OTHER)
    department = models.CharField(_("department"), max_length=100, blank=True)
    reports_to = models.ForeignKey(
        "self", verbose_name=_("reports to"), on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=2000)
    external_id = models.CharField(_("external id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=~models.Q(external_id=""),
                name="contact_external_id_unique_per_org",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "customer"]),
            models.Index(fields=["organization", "phone"]),
            models.Index(fields=["organization", "email"]),
            # The contact list's default order (name_pinyin, id), read from the index: without it every
            # page sorted all contacts (250,000 in the bench: 5 req/s on PostgreSQL).
            models.Index(fields=["organization", "name_pinyin", "id"]),
        ]

    def __str__(self) -> str:
        return self.name


class SearchKey(TenantModel):
    """Normalised prefixes for type-ahead: every suffix of a name, its pinyin and initials,
    and of phone digits, plus the e-mail. A substring search becomes an indexed prefix range."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="search_keys")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="search_keys")
    key = SearchKeyField(max_length=100)

    class Meta:
        indexes = [
            # Type-ahead reads these in their order and stops at its limit: key ranges, ties by
            # customer (no engine sorts a run of equal keys), contact_id to skip contacts' keys
            # without reading the row; contacts' keys also apart, so a contact search never wades
            # through customers' keys (an organisation may have few contacts or none).
            models.Index(fields=["organization", "key", "customer", "contact"], name="searchkey_org_key_customer"),
            models.Index(fields=["organization", "key", "contact"], condition=models.Q(contact__isnull=False),
                         name="searchkey_org_key_contact"),
            models.Index(fields=["customer"]),
            models.Index(fields=["contact"]),
        ]


class TimelineEvent(TenantModel):
    """One line of a customer's timeline (CUS-3); later modules add their own kinds."""

    class Kind(models.TextChoices):
        CREATED = "created", pgettext_lazy("timeline", "Created")
        UPDATED = "updated", pgettext_lazy("timeline", "Updated")
        NOTE = "note", _("Note")
        CONTACT_ADDED = "contact_added", _("Contact added")
        CONTACT_UPDATED = "contact_updated", _("Contact updated")
        CONTACT_REMOVED = "contact_removed", _("Contact removed")
        ATTACHMENT = "attachment", _("File attached")
        MERGED = "merged", _("Merged")
        IMPORTED = "imported", _("Imported")
        LEAD_CONVERTED = "lead_converted", _("Converted from a lead")
        OPPORTUNITY = "opportunity", _("Opportunity")
        STAGE_CHANGED = "stage_changed", _("Stage changed")
        QUOTE = "quote", _("Quote")
        CONTRACT = "contract", _("Contract")
        ORDER = "order", _("Order")
        PAYMENT = "payment", _("Payment")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    summary = models.CharField(_("summary"), max_length=300)
    body = models.TextField(_("text"), blank=True, max_length=10000)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["organization", "customer", "at"])]

    def __str__(self) -> str:
        return self.summary

    def text(self) -> str:
        """The line in the reader's language; the stored summary is the fallback (and a note's first line)."""
        template = TIMELINE_TEXTS.get(self.kind)
        if template is None:
            return self.summary
        return gettext(template) % {"name": self.data.get("name", "")} if "%(name)s" in template else gettext(template)


TIMELINE_TEXTS = {
    TimelineEvent.Kind.CREATED: gettext_noop("Customer created"),
    TimelineEvent.Kind.UPDATED: gettext_noop("Details changed"),
    TimelineEvent.Kind.CONTACT_ADDED: gettext_noop("Contact added: %(name)s"),
    TimelineEvent.Kind.CONTACT_UPDATED: gettext_noop("Contact changed: %(name)s"),
    TimelineEvent.Kind.CONTACT_REMOVED: gettext_noop("Contact removed: %(name)s"),
    TimelineEvent.Kind.ATTACHMENT: gettext_noop("File attached: %(name)s"),
    TimelineEvent.Kind.MERGED: gettext_noop("Merged %(name)s into this customer"),
    TimelineEvent.Kind.LEAD_CONVERTED: gettext_noop("Converted from lead %(name)s"),
    TimelineEvent.Kind.OPPORTUNITY: gettext_noop("Opportunity opened: %(name)s"),
    TimelineEvent.Kind.STAGE_CHANGED: gettext_noop("Opportunity moved: %(name)s"),
    TimelineEvent.Kind.QUOTE: gettext_noop("Quote: %(name)s"),
    TimelineEvent.Kind.CONTRACT: gettext_noop("Contract: %(name)s"),
    TimelineEvent.Kind.ORDER: gettext_noop("Order: %(name)s"),
    TimelineEvent.Kind.PAYMENT: gettext_noop("Payment received: %(name)s"),
}


def attachment_path(instance, filename: str) -> str:
    # Random name, no user-controlled part: nothing to traverse, nothing to guess.
    ext = os.path.splitext(filename)[1].lower()[:10]
    ext = ext if ext[1:].isalnum() else ""
    return f"attachments/{instance.organization_id}/{uuid.uuid4().hex}{ext}"


class Attachment(TenantModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="attachments")
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(max_length=100, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name
