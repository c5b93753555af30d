"""An import job: one uploaded file, its mapping, its validation report and its outcome (CORE-8)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.tenancy import TenantModel


def import_path(instance, filename: str) -> str:
    ext = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
    return f"imports/{instance.organization_id}/{uuid.uuid4().hex}{ext}"


class ImportJob(TenantModel):
    class Kind(models.TextChoices):
        CUSTOMERS = "customers", _("Customers")
        CONTACTS = "contacts", _("Contacts")
        LEADS = "leads", _("Leads")

    class Key(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        EXTERNAL_ID = "external_id", _("External id")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded: choose the columns")
        VALIDATING = "validating", _("Checking rows")
        CHECKED = "checked", _("Checked: ready to import")
        REJECTED = "rejected", _("Rejected: fix the rows and upload again")
        QUEUED = "queued", _("Waiting to import")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to=import_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    headers = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True)  # {"column index": "field"}
    key = models.CharField(_("match existing by"), max_length=20, choices=Key.choices, default=Key.PHONE)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    to_create = models.PositiveIntegerField(default=0)
    to_update = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{"row", "column", "message"}], first 5,000
    message = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "created_by", "created_at"])]

    def __str__(self) -> str:
        return self.original_name

    @property
    def busy(self) -> bool:
        return self.status in (self.Status.VALIDATING, self.Status.QUEUED, self.Status.RUNNING)

    def summary(self) -> str:
        if self.status == self.Status.DONE:
            return f"{self.created_count} created, {self.updated_count} updated"
        if self.status == self.Status.REJECTED:
            return f"{self.error_count} rows with errors, nothing imported"
        return f"{self.processed_rows}/{self.total_rows} rows checked; {self.to_create} to create, {self.to_update} to update"
