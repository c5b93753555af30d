"""Single-record access: 404 when the record is missing or not visible, 403 when visible but the
action is not allowed. Nothing is written before these return."""

from __future__ import annotations

from django.http import Http404

from guanxi.core.permissions import require
from guanxi.customers.models import Attachment, Contact, Customer
from guanxi.customers.permissions import CustomerPerm
from guanxi.customers.selectors import contact_list, customer_visible


def _pk(value) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < pk < 2**63:
        raise Http404
    return pk


def access_customer(actor, pk, perm: CustomerPerm = CustomerPerm.VIEW) -> Customer:
    customer = customer_visible(actor).select_related("owner", "store", "created_by").filter(pk=_pk(pk)).first()
    if customer is None:
        raise Http404
    if perm != CustomerPerm.VIEW:
        require(actor, perm, customer)
    return customer


def access_contact(actor, pk, perm: CustomerPerm = CustomerPerm.VIEW) -> Contact:
    contact = contact_list(actor=actor).filter(pk=_pk(pk)).first()
    if contact is None:
        raise Http404
    if perm != CustomerPerm.VIEW:
        require(actor, perm, contact.customer)
    return contact


def access_attachment(actor, pk) -> Attachment:
    attachment = Attachment.objects.filter(pk=_pk(pk)).select_related("customer").first()
    if attachment is None:
        raise Http404
    access_customer(actor, attachment.customer_id)
    return attachment
