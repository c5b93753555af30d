"""Pipelines, stages, opportunities and their stage history (SAL-2, SAL-3)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.tenancy import TenantModel
from guanxi.sales.models.base import OwnedRecord, currency_field, money_field


class Pipeline(TenantModel):
    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("default"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="pipeline_name_unique"),
            models.UniqueConstraint(fields=["organization"], condition=models.Q(is_default=True),
                                    name="one_default_pipeline_per_org"),
        ]

    def __str__(self) -> str:
        return self.name


class Stage(TenantModel):
    """An ordered column of a pipeline. Exactly one of won/lost may be set; both unset means open."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=10)
    is_won = models.BooleanField(_("won"), default=False)
    is_lost = models.BooleanField(_("lost"), default=False)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "pipeline", "name"], name="stage_name_unique"),
            models.CheckConstraint(condition=~(models.Q(is_won=True) & models.Q(is_lost=True)),
                                   name="stage_not_won_and_lost"),
            models.CheckConstraint(condition=models.Q(probability__lte=100), name="stage_probability_max_100"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.is_won or self.is_lost


class Opportunity(OwnedRecord):
    name = models.CharField(_("name"), max_length=200)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="opportunities")
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"), on_delete=models.SET_NULL,
                                null=True, blank=True, related_name="opportunities")
    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT,
                                 related_name="opportunities")
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="opportunities")
    amount = money_field(_("amount"))
    currency = currency_field()
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=10)
    probability_overridden = models.BooleanField(default=False, editable=False)
    expected_close = models.DateField(_("expected close date"), null=True, blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    competitors = models.CharField(_("competitors"), max_length=300, blank=True)
    lost_reason = models.CharField(_("lost reason"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=20, blank=True)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    position = models.IntegerField(default=0, editable=False, help_text="order within the board column")
    stage_entered_at = models.DateTimeField(_("in stage since"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "pipeline", "stage", "position"]),
            models.Index(fields=["organization", "owner", "expected_close"]),
            models.Index(fields=["organization", "store", "expected_close"]),
            models.Index(fields=["organization", "territory"]),
            models.Index(fields=["organization", "customer"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(probability__lte=100), name="opportunity_probability_max_100"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="opportunity_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.probability / Decimal(100)).quantize(Decimal("0.01"))


class StageChange(TenantModel):
    """Append-only history of stage moves; time-in-stage and conversion rates are read from it.
    The first row of an opportunity has from_stage = NULL (it was created in to_stage)."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    amount = money_field(_("amount"))
    probability = models.PositiveSmallIntegerField(default=0)
    at = models.DateTimeField(_("time"), auto_now_add=True)
    seconds_in_previous = models.PositiveBigIntegerField(null=True, blank=True,
                                                         help_text="time spent in from_stage, in seconds")

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage history")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["organization", "opportunity", "at"]),
                   models.Index(fields=["organization", "to_stage", "at"])]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("stage history is append-only")
        super().save(*args, **kwargs)
