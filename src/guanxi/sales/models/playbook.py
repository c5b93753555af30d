"""The sales playbook per stage and the tips board (SAL-11)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.tenancy import TenantModel


class PlaybookEntry(TenantModel):
    stage = models.ForeignKey("sales.Stage", verbose_name=_("stage"), on_delete=models.CASCADE,
                              related_name="playbook")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("guidance"), max_length=10000)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("playbook entry")
        verbose_name_plural = _("playbook")
        ordering = ["stage", "position", "id"]


class TipPost(TenantModel):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=20000)
    stage = models.ForeignKey("sales.Stage", verbose_name=_("stage"), on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="tips")
    created_at = models.DateTimeField(_("posted"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("tip")
        verbose_name_plural = _("tips board")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class TipComment(TenantModel):
    post = models.ForeignKey(TipPost, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(_("comment"), max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
