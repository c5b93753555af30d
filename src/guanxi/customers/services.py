"""Every write to customers and contacts: permission-checked, validated, audited, one transaction.

Services take plain values (from a form's cleaned_data or an API schema), accept only the
fields listed here, and raise ValidationError({field: [message]}) for bad input before writing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.models import Store, User
from guanxi.core.permissions import require
from guanxi.core.phones import normalize_phone
from guanxi.core.pinyin import full_and_initials
from guanxi.core.validation import (
    check_text,
    reject_unknown,
    resolve_owner,
    resolve_store,
)
from guanxi.customers.models import (
    Attachment,
    Contact,
    Customer,
    CustomerTag,
    SearchKey,
    Tag,
    TimelineEvent,
)
from guanxi.customers.permissions import CustomerPerm
from guanxi.customers.search import contact_keys, customer_keys
from guanxi.customers.signals import customer_merging, customer_saved
from guanxi.customers.selectors import Duplicates, customer_duplicates

CUSTOMER_FIELDS = (
    "kind", "name", "owner", "store", "source", "industry", "province", "city", "address",
    "phone", "phone2", "email", "website", "stage", "notes", "external_id",
)
AUDITED_CUSTOMER_FIELDS = list(CUSTOMER_FIELDS)
CONTACT_FIELDS = ("name", "title", "role", "department", "reports_to", "phone", "email", "notes", "external_id")


class DuplicateCustomer(Exception):
    """Creating would duplicate existing customers; the caller may confirm and retry."""

    def __init__(self, duplicates: Duplicates):
        super().__init__("duplicate customer")
        self.duplicates = duplicates


# --- helpers -------------------------------------------------------------------------

def _normalise_phones(obj, fields: tuple[str, ...], region: str) -> None:
    errors = {}
    for name in fields:
        try:
            setattr(obj, name, normalize_phone(getattr(obj, name) or "", region))
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)


def _tags(actor, names) -> list[Tag]:
    if names is None:
        return []
    if isinstance(names, str):
        names = names.split(",")
    clean = []
    for raw in names:
        name = " ".join(str(raw).split())
        if not name:
            continue
        if len(name) > 50 or "\x00" in name:
            raise ValidationError({"tags": [_("A tag has at most 50 characters.")]})
        if name not in clean:
            clean.append(name)
    if len(clean) > 30:
        raise ValidationError({"tags": [_("At most 30 tags.")]})
    existing = {t.name: t for t in Tag.objects.filter(organization_id=actor.organization_id, name__in=clean)}
    for name in clean:
        if name not in existing:
            existing[name] = Tag.objects.create(organization_id=actor.organization_id, name=name)
    return [existing[n] for n in clean]


def _set_tags(customer: Customer, tags: list[Tag]) -> None:
    CustomerTag.objects.filter(customer=customer).exclude(tag__in=tags).delete()
    have = set(CustomerTag.objects.filter(customer=customer).values_list("tag_id", flat=True))
    CustomerTag.objects.bulk_create(
        [CustomerTag(organization_id=customer.organization_id, customer=customer, tag=t) for t in tags if t.pk not in have]
    )


def _refresh_derived(customer: Customer) -> None:
    customer.name = " ".join(customer.name.split())
    customer.email = customer.email.strip().lower()
    customer.name_pinyin, customer.name_initials = full_and_initials(customer.name, customer.kind == Customer.Kind.PERSON)


def reindex_customer(customer: Customer) -> None:
    SearchKey.objects.filter(customer=customer, contact__isnull=True).delete()
    SearchKey.objects.bulk_create(
        [SearchKey(organization_id=customer.organization_id, customer=customer, key=k) for k in customer_keys(customer)]
    )


def reindex_contact(contact: Contact) -> None:
    SearchKey.objects.filter(contact=contact).delete()
    SearchKey.objects.bulk_create(
        [
            SearchKey(organization_id=contact.organization_id, customer_id=contact.customer_id, contact=contact, key=k)
            for k in contact_keys(contact)
        ]
    )


def timeline_add(customer, kind, actor, summary, body="", data=None) -> TimelineEvent:
    """A line on the customer 360 timeline; other domains (sales, service) call this too."""
    return TimelineEvent.objects.create(
        organization_id=customer.organization_id, customer=customer, kind=kind, actor=actor,
        summary=summary[:300], body=body, data=data or {},
    )


def _check_external_id(model, obj) -> None:
    """The per-organisation unique key is checked here so every caller gets a message, not an IntegrityError."""
    if obj.external_id and model.objects.filter(organization_id=obj.organization_id, external_id=obj.external_id) \
            .exclude(pk=obj.pk).exists():
        raise ValidationError({"external_id": [_("Another record already uses this external id.")]})


def _region(actor) -> str:
    return actor.organization.default_phone_region or "CN"


# --- customers -----------------------------------------------------------------------

@transaction.atomic
def customer_create(*, actor, data: dict[str, Any], allow_duplicate: bool = False) -> Customer:
    require(actor, CustomerPerm.CREATE)
    data = dict(data)
    reject_unknown(data, CUSTOMER_FIELDS, also=("tags",))
    check_text(data)
    tag_names = data.pop("tags", None)
    owner_value = data.pop("owner") if "owner" in data else actor.pk  # default: the creator owns it
    store_value = data.pop("store", None)
    customer = Customer(organization_id=actor.organization_id, created_by=actor, **data)
    customer.owner = resolve_owner(actor, owner_value, CustomerPerm.CREATE)
    customer.store = (
        resolve_store(actor, store_value, CustomerPerm.CREATE)
        or (customer.owner.store if customer.owner else None)
        or actor.store
    )
    _normalise_phones(customer, ("phone", "phone2"), _region(actor))
    _refresh_derived(customer)
    customer.full_clean(exclude=["organization", "owner", "store", "created_by"])
    _check_external_id(Customer, customer)
    if not allow_duplicate:
        dups = customer_duplicates(
            actor=actor, name=customer.name, phones=[customer.phone, customer.phone2], email=customer.email,
            name_pinyin=customer.name_pinyin if customer.kind == Customer.Kind.PERSON else "",
        )
        if dups:
            raise DuplicateCustomer(dups)
    customer.save()
    _set_tags(customer, _tags(actor, tag_names))
    reindex_customer(customer)
    audit.record(actor=actor, action=audit.Action.CREATE, obj=customer,
                 changes={k: [None, v] for k, v in audit.snapshot(customer, AUDITED_CUSTOMER_FIELDS).items() if v not in ("", None)})
    timeline_add(customer, TimelineEvent.Kind.CREATED, actor, _("Customer created"))
    customer_saved.send(sender=Customer, customer=customer, created=True, actor=actor)
    return customer


@transaction.atomic
def customer_update(*, actor, customer: Customer, data: dict[str, Any]) -> Customer:
    require(actor, CustomerPerm.CHANGE, customer)
    data = dict(data)
    reject_unknown(data, CUSTOMER_FIELDS, also=("tags",))
    check_text(data)
    before = audit.snapshot(customer, AUDITED_CUSTOMER_FIELDS)
    before_tags = sorted(customer.tags.values_list("name", flat=True))
    tag_names = data.pop("tags", None)
    if "owner" in data:
        new_owner = data.pop("owner")
        new_owner_id = new_owner.pk if isinstance(new_owner, User) else new_owner
        if str(new_owner_id or "") != str(customer.owner_id or ""):
            customer.owner = resolve_owner(actor, new_owner, CustomerPerm.CHANGE)
    if "store" in data:
        new_store = data.pop("store")
        new_store_id = new_store.pk if isinstance(new_store, Store) else new_store
        if str(new_store_id or "") != str(customer.store_id or ""):
            customer.store = resolve_store(actor, new_store, CustomerPerm.CHANGE)
    for name, value in data.items():
        setattr(customer, name, value)
    _normalise_phones(customer, ("phone", "phone2"), _region(actor))
    _refresh_derived(customer)
    customer.full_clean(exclude=["organization", "owner", "store", "created_by"])
    _check_external_id(Customer, customer)
    customer.save()
    changes = audit.diff(before, audit.snapshot(customer, AUDITED_CUSTOMER_FIELDS))
    if tag_names is not None:
        _set_tags(customer, _tags(actor, tag_names))
        after_tags = sorted(t.name for t in customer.tags.all())
        if after_tags != before_tags:
            changes["tags"] = [before_tags, after_tags]
    if {"name", "phone", "phone2", "email", "kind"} & set(changes):
        reindex_customer(customer)
    if changes:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=customer, changes=changes)
        timeline_add(customer, TimelineEvent.Kind.UPDATED, actor, _("Details changed"), data={"changes": changes})
    customer_saved.send(sender=Customer, customer=customer, created=False, actor=actor)
    return customer


@transaction.atomic
def customer_delete(*, actor, customer: Customer) -> None:
    require(actor, CustomerPerm.DELETE, customer)
    audit.record(actor=actor, action=audit.Action.DELETE, obj=customer,
                 changes={k: [v, None] for k, v in audit.snapshot(customer, AUDITED_CUSTOMER_FIELDS).items() if v not in ("", None)})
    try:
        customer.delete()
    except ProtectedError:  # deals, quotes or orders of other domains keep it
        raise ValidationError({"__all__": [_("This customer has opportunities, quotes or orders; it cannot be "
                                             "deleted.")]}) from None


@transaction.atomic
def customer_merge(*, actor, target: Customer, source: Customer) -> Customer:
    """Merge `source` into `target`: contacts, notes, files, tags and history move; blanks are filled."""
    if target.pk == source.pk:
        raise ValidationError({"source_id": [_("A customer cannot be merged into itself.")]})
    require(actor, CustomerPerm.MERGE, target)
    require(actor, CustomerPerm.MERGE, source)
    before = audit.snapshot(target, AUDITED_CUSTOMER_FIELDS)
    filled = []
    for name in ("industry", "province", "city", "address", "phone", "phone2", "email", "website", "notes", "external_id"):
        if not getattr(target, name) and getattr(source, name):
            setattr(target, name, getattr(source, name))
            filled.append(name)
    if "phone" in filled and target.phone == target.phone2:
        target.phone2 = ""
    if not target.phone2 and source.phone and source.phone != target.phone:
        target.phone2 = source.phone
    if target.owner_id is None and source.owner_id:
        target.owner_id = source.owner_id
    source_snapshot = audit.snapshot(source, AUDITED_CUSTOMER_FIELDS)
    source_label, source_pk = str(source), source.pk
    if "external_id" in filled:
        Customer.objects.filter(pk=source.pk).update(external_id="")
    Contact.objects.filter(customer=source).update(customer=target)
    SearchKey.objects.filter(customer=source, contact__isnull=False).update(customer=target)
    TimelineEvent.objects.filter(customer=source).update(customer=target)
    Attachment.objects.filter(customer=source).update(customer=target)
    source_tags = list(source.tags.all())
    _set_tags(target, list(target.tags.all()) + [t for t in source_tags if t not in target.tags.all()])
    customer_merging.send(sender=Customer, source=source, target=target, actor=actor)
    source.delete()
    target.save()
    reindex_customer(target)
    changes = audit.diff(before, audit.snapshot(target, AUDITED_CUSTOMER_FIELDS))
    changes["merged_from"] = [source_pk, source_snapshot]
    audit.record(actor=actor, action=audit.Action.MERGE, obj=target, changes=changes)
    audit.record(actor=actor, action=audit.Action.DELETE, object_type_label="customers.customer",
                 object_id=source_pk, object_repr=source_label, organization_id=target.organization_id,
                 changes={"merged_into": [None, target.pk]})
    timeline_add(target, TimelineEvent.Kind.MERGED, actor, _("Merged %(name)s into this customer") % {"name": source_label},
              data={"source_id": source_pk, "source": source_snapshot, "name": source_label})
    return target


@transaction.atomic
def note_add(*, actor, customer: Customer, body: str) -> TimelineEvent:
    require(actor, CustomerPerm.CHANGE, customer)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write something first.")]})
    if len(body) > 10000 or "\x00" in body:
        raise ValidationError({"body": [_("A note has at most 10,000 characters.")]})
    event = timeline_add(customer, TimelineEvent.Kind.NOTE, actor, body.splitlines()[0][:120], body=body)
    audit.record(actor=actor, action=audit.Action.CREATE, obj=event, changes={"body": [None, body[:500]]})
    return event


@transaction.atomic
def attachment_add(*, actor, customer: Customer, upload, contact: Contact | None = None) -> Attachment:
    require(actor, CustomerPerm.CHANGE, customer)
    if upload is None:
        raise ValidationError({"file": [_("Choose a file.")]})
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError({"file": [_("The file is larger than %(mb)s MB.") % {"mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}]})
    if contact is not None and contact.customer_id != customer.pk:
        raise ValidationError({"contact": [_("Choose a contact of this customer.")]})
    name = (upload.name or "file").replace("\x00", "")[-200:]
    attachment = Attachment(
        organization_id=customer.organization_id, customer=customer, contact=contact, original_name=name,
        size=upload.size, content_type=(getattr(upload, "content_type", "") or "")[:100], uploaded_by=actor,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    audit.record(actor=actor, action=audit.Action.CREATE, obj=attachment, changes={"file": [None, name]})
    timeline_add(customer, TimelineEvent.Kind.ATTACHMENT, actor, _("File attached: %(name)s") % {"name": name},
              data={"attachment_id": attachment.pk, "name": name})
    return attachment


# --- contacts ------------------------------------------------------------------------

def _apply_contact(actor, contact: Contact, data: dict) -> None:
    reject_unknown(data, CONTACT_FIELDS, also=("tags",))
    check_text(data)
    if "tags" in data:
        raise ValidationError({"tags": [_("This field cannot be set.")]})
    if "reports_to" in data:
        value = data.pop("reports_to")
        manager = None
        if value not in (None, ""):
            manager_id = value.pk if isinstance(value, Contact) else value
            try:
                manager = Contact.objects.filter(customer_id=contact.customer_id, pk=int(manager_id)).first()
            except (TypeError, ValueError):
                manager = None
            if manager is None:
                raise ValidationError({"reports_to": [_("Choose a contact of the same customer.")]})
            seen, node = set(), manager
            while node is not None:
                if node.pk == contact.pk or node.pk in seen:
                    raise ValidationError({"reports_to": [_("That would make a reporting loop.")]})
                seen.add(node.pk)
                node = node.reports_to
        contact.reports_to = manager
    for name, value in data.items():
        setattr(contact, name, value)
    _normalise_phones(contact, ("phone",), _region(actor))
    contact.name = " ".join((contact.name or "").split())
    contact.email = (contact.email or "").strip().lower()
    full, initials = full_and_initials(contact.name, person=True)
    contact.name_pinyin, contact.name_initials = full[:200], initials[:50]  # the contact's columns are shorter
    contact.full_clean(exclude=["organization", "customer", "reports_to"])
    _check_external_id(Contact, contact)


@transaction.atomic
def contact_create(*, actor, customer: Customer, data: dict[str, Any]) -> Contact:
    require(actor, CustomerPerm.CHANGE, customer)
    contact = Contact(organization_id=customer.organization_id, customer=customer)
    _apply_contact(actor, contact, dict(data))
    contact.save()
    reindex_contact(contact)
    audit.record(actor=actor, action=audit.Action.CREATE, obj=contact,
                 changes={k: [None, v] for k, v in audit.snapshot(contact, list(CONTACT_FIELDS)).items() if v not in ("", None)})
    timeline_add(customer, TimelineEvent.Kind.CONTACT_ADDED, actor, _("Contact added: %(name)s") % {"name": contact.name},
              data={"contact_id": contact.pk, "name": contact.name})
    return contact


@transaction.atomic
def contact_update(*, actor, contact: Contact, data: dict[str, Any]) -> Contact:
    require(actor, CustomerPerm.CHANGE, contact.customer)
    before = audit.snapshot(contact, list(CONTACT_FIELDS))
    _apply_contact(actor, contact, dict(data))
    contact.save()
    changes = audit.diff(before, audit.snapshot(contact, list(CONTACT_FIELDS)))
    if {"name", "phone", "email"} & set(changes):
        reindex_contact(contact)
    if changes:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=contact, changes=changes)
        timeline_add(contact.customer, TimelineEvent.Kind.CONTACT_UPDATED, actor,
                  _("Contact changed: %(name)s") % {"name": contact.name}, data={"contact_id": contact.pk, "changes": changes, "name": contact.name})
    return contact


@transaction.atomic
def contact_delete(*, actor, contact: Contact) -> None:
    require(actor, CustomerPerm.CHANGE, contact.customer)
    audit.record(actor=actor, action=audit.Action.DELETE, obj=contact,
                 changes={k: [v, None] for k, v in audit.snapshot(contact, list(CONTACT_FIELDS)).items() if v not in ("", None)})
    timeline_add(contact.customer, TimelineEvent.Kind.CONTACT_REMOVED, actor,
              _("Contact removed: %(name)s") % {"name": contact.name}, data={"name": contact.name})
    contact.delete()
