"""The organisation's quote settings: the discount that needs approval, how long a quote is
valid, the default tax rate. Set by those who approve discounts for a store or more."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.permissions import Scope, scope_for
from guanxi.core.validation import reject_unknown
from guanxi.sales.permissions import QuotePerm
from guanxi.sales.selectors.quotes import sales_settings
from guanxi.sales.services.catalog import parse_percent, parse_tax_rate

SETTINGS_FIELDS = ("quote_discount_threshold", "quote_validity_days", "default_tax_rate")


def may_change_settings(actor) -> bool:
    """Those who approve discounts for a store or more (managers, admins, owners) set the threshold."""
    return scope_for(actor, QuotePerm.APPROVE) >= Scope.STORE


@transaction.atomic
def quote_settings_update(*, actor, data: dict):
    if not may_change_settings(actor):
        raise PermissionDenied(QuotePerm.APPROVE)
    reject_unknown(data, SETTINGS_FIELDS)
    settings = sales_settings(actor.organization_id)
    before = audit.snapshot(settings, list(SETTINGS_FIELDS))
    errors: dict[str, list[str]] = {}
    for name, parse in (("quote_discount_threshold", lambda v: parse_percent(v, "quote_discount_threshold")),
                        ("default_tax_rate", lambda v: parse_tax_rate(v, "default_tax_rate"))):
        if name in data:
            try:
                setattr(settings, name, parse(data[name]))
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if "quote_validity_days" in data:
        try:
            days = int(data["quote_validity_days"])
        except (TypeError, ValueError):
            days = 0
        if not 1 <= days <= 3650:
            errors["quote_validity_days"] = [_("Enter a whole number from 1 to 3650.")]
        else:
            settings.quote_validity_days = days
    if errors:
        raise ValidationError(errors)
    settings.save()
    changes = audit.diff(before, audit.snapshot(settings, list(SETTINGS_FIELDS)))
    if changes:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=settings, changes=changes)
    return settings
