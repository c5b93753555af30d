"""Quotas (SAL-4): a rep's target per calendar month. Managers set them for their store's reps,
owners and admins for everyone (OpportunityPerm.MANAGE_QUOTAS with its row scope)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.models import User
from guanxi.core.permissions import assignable_owner_filter, require
from guanxi.sales.models import Quota
from guanxi.sales.permissions import OpportunityPerm
from guanxi.sales.selectors.opportunities import month_range
from guanxi.sales.services.opportunities import parse_amount


def parse_period(value) -> dt.date:
    """A month as "YYYY-MM" (or a date) → its first day."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    months = month_range(str(value or "").strip())
    if months is None:
        raise ValidationError({"period": [_("Enter a month as YYYY-MM.")]})
    return months[0]


def _rep(actor, value, *, active_only: bool = True) -> User:
    user_id = value.pk if isinstance(value, User) else value
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        raise ValidationError({"user": [_("Choose a valid rep.")]}) from None
    users = User.objects.filter(assignable_owner_filter(actor, OpportunityPerm.MANAGE_QUOTAS), pk=user_id)
    user = (users.filter(is_active=True) if active_only else users).first()
    if user is None:
        raise ValidationError({"user": [_("You cannot set quotas for this user.")]})
    return user


@transaction.atomic
def quota_set(*, actor, user, period, amount) -> Quota:
    """Create or change the quota of `user` for the month `period`."""
    require(actor, OpportunityPerm.MANAGE_QUOTAS)
    rep = _rep(actor, user)
    month = parse_period(period)
    value = parse_amount(amount)
    quota = Quota.objects.select_for_update().filter(organization_id=actor.organization_id, user=rep,
                                                     period=month).first()
    if quota is None:
        quota = Quota.objects.create(organization_id=actor.organization_id, user=rep, period=month, amount=value,
                                     currency=actor.organization.currency)
        audit.record(actor=actor, action=audit.Action.CREATE, obj=quota,
                     changes={"user": rep.pk, "period": str(month), "amount": str(value)})
    elif quota.amount != value:
        old = quota.amount
        quota.amount = value
        quota.save(update_fields=["amount"])
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=quota, changes={"amount": [str(old), str(value)]})
    return quota


@transaction.atomic
def quota_delete(*, actor, quota: Quota) -> None:
    require(actor, OpportunityPerm.MANAGE_QUOTAS)
    _rep(actor, quota.user_id, active_only=False)
    audit.record(actor=actor, action=audit.Action.DELETE, obj=quota,
                 changes={"user": quota.user_id, "period": str(quota.period), "amount": str(quota.amount)})
    quota.delete()
