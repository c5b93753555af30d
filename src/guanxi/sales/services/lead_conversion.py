"""Converting a lead (升级, SAL-1) into customer + contact + opportunity, in one transaction.

The customer is created through customers.services.customer_create, whose duplicate check
raises DuplicateCustomer with the similar customers the actor may see; the caller shows them
and either retries with one of them (`customer=<id>`, reused: the contact and the opportunity go
there) or with `allow_duplicate=True`. The lead row is locked first, so two conversions of the
same lead cannot both succeed: the second finds it converted and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.permissions import require
from guanxi.customers.models import Contact, Customer, TimelineEvent
from guanxi.customers.permissions import CustomerPerm
from guanxi.customers.selectors import customer_visible
from guanxi.customers.services import DuplicateCustomer, contact_create, customer_create, timeline_add
from guanxi.sales.models import Lead, Opportunity
from guanxi.sales.permissions import LeadPerm
from guanxi.sales.services.opportunities import opportunity_create

__all__ = ["Conversion", "DuplicateCustomer", "lead_convert"]


@dataclass
class Conversion:
    lead: Lead
    customer: Customer
    contact: Contact | None
    opportunity: Opportunity | None
    customer_created: bool


def _existing_customer(actor, value) -> Customer:
    customer_id = value.pk if isinstance(value, Customer) else value
    try:
        customer = customer_visible(actor).filter(pk=int(customer_id)).first()
    except (TypeError, ValueError):
        customer = None
    if customer is None:
        raise ValidationError({"customer": [_("Choose a customer you can see.")]})
    try:
        require(actor, CustomerPerm.CHANGE, customer)
    except PermissionDenied:
        raise ValidationError({"customer": [_("You may not add to this customer; ask its owner to convert the "
                                              "lead, or create a new customer.")]}) from None
    return customer


def _new_customer(actor, lead: Lead, owner_id, allow_duplicate: bool) -> Customer:
    data = {
        "kind": Customer.Kind.COMPANY if lead.company else Customer.Kind.PERSON,
        "name": lead.company or lead.name, "phone": lead.phone, "email": lead.email,
        "province": lead.province, "city": lead.city, "industry": lead.industry, "source": lead.source,
        "stage": Customer.Stage.PROSPECT, "owner": owner_id,
    }
    return customer_create(actor=actor, data=data, allow_duplicate=allow_duplicate)


def _contact(actor, customer: Customer, lead: Lead) -> Contact:
    """The lead's person on the customer; an existing contact with the same phone or e-mail is reused."""
    same = Q(pk__in=[])
    if lead.phone:
        same |= Q(phone=lead.phone)
    if lead.email:
        same |= Q(email__iexact=lead.email)
    existing = Contact.objects.filter(customer=customer).filter(same).first()
    if existing is not None:
        return existing
    return contact_create(actor=actor, customer=customer,
                          data={"name": lead.name, "title": lead.title, "phone": lead.phone, "email": lead.email})


@transaction.atomic
def lead_convert(*, actor, lead: Lead, customer=None, allow_duplicate: bool = False, create_opportunity: bool = True,
                 opportunity_name: str = "", amount=None, pipeline=None, stage=None, expected_close=None) -> Conversion:
    require(actor, LeadPerm.CONVERT, lead)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)  # no outer join: PostgreSQL cannot lock its nullable side
    if lead.status == Lead.Status.CONVERTED:
        raise ValidationError({"__all__": [_("This lead was converted already.")]})
    # The lead's owner keeps what it becomes; a pool lead, or one whose owner left, goes to the actor.
    owner_id = lead.owner_id if lead.owner is not None and lead.owner.is_active else actor.pk
    if customer not in (None, ""):
        target, created = _existing_customer(actor, customer), False
    else:
        target, created = _new_customer(actor, lead, owner_id, allow_duplicate), True
    contact = _contact(actor, target, lead)
    opportunity = None
    if create_opportunity:
        data = {
            "name": " ".join(str(opportunity_name or "").split()) or _("%(name)s (from lead)") % {"name": str(lead)},
            "customer": target.pk, "contact": contact.pk, "owner": owner_id,
            "amount": amount if amount not in (None, "") else (lead.estimated_amount or 0),
            "source": lead.source, "campaign": lead.campaign,
        }
        for name, value in (("pipeline", pipeline), ("stage", stage), ("expected_close", expected_close)):
            if value not in (None, ""):
                data[name] = value
        data["name"] = data["name"][:200]
        opportunity = opportunity_create(actor=actor, data=data)
    before = audit.snapshot(lead, ["status", "converted_customer", "converted_contact", "converted_opportunity"])
    lead.status = Lead.Status.CONVERTED
    lead.converted_at, lead.converted_by = timezone.now(), actor
    lead.converted_customer, lead.converted_contact, lead.converted_opportunity = target, contact, opportunity
    lead.save(update_fields=["status", "converted_at", "converted_by", "converted_customer", "converted_contact",
                             "converted_opportunity", "updated_at"])
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=lead, changes=audit.diff(
        before, audit.snapshot(lead, ["status", "converted_customer", "converted_contact", "converted_opportunity"])))
    timeline_add(target, TimelineEvent.Kind.LEAD_CONVERTED, actor,
                 _("Converted from lead %(name)s") % {"name": str(lead)},
                 data={"name": str(lead), "lead": lead.pk, "source": lead.source, "campaign": lead.campaign,
                       "customer_created": created, "opportunity": opportunity.pk if opportunity else None})
    return Conversion(lead=lead, customer=target, contact=contact, opportunity=opportunity, customer_created=created)
