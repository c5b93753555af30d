"""Customers and contacts over JSON: thin handlers over selectors, access helpers and services.

Reads go through customers.selectors / customers.access (404 for missing or invisible rows, 403
for visible rows the caller may not change); writes go through customers.services only. The
service layer speaks model field names (`owner`, `reports_to`); the API speaks `owner_id`,
`reports_to_id`, so service errors are renamed on the way out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from guanxi.customers import access, selectors, services
from guanxi.customers.exports import export_customers
from guanxi.customers.models import Contact, Customer, TimelineEvent
from guanxi.customers.permissions import CustomerPerm
from guanxi.customers.schemas import (
    ContactIn,
    ContactListIn,
    ContactOut,
    ContactPage,
    ContactPatch,
    CustomerExportIn,
    CustomerFiltersIn,
    CustomerIn,
    CustomerListIn,
    CustomerOut,
    CustomerPage,
    CustomerPatch,
    DuplicateOut,
    ErrorOut,
    MergeIn,
    NoteIn,
    TimelineEventOut,
    TimelineIn,
    TimelineOut,
)

customers_router = Router(tags=["customers"])
contacts_router = Router(tags=["contacts"])

# Every route documents the error shapes a client can meet; 400 is a body that is not JSON,
# 409 a unique key (external_id) another record already holds.
READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 409: ErrorOut, **READ_ERRORS}

CUSTOMER_API_NAMES = {"owner": "owner_id", "store": "store_id", "name_pinyin": "name", "name_initials": "name"}
CONTACT_API_NAMES = {"reports_to": "reports_to_id", "customer": "customer_id", "name_pinyin": "name",
                     "name_initials": "name"}


@contextmanager
def api_field_names(names: dict[str, str]) -> Iterator[None]:
    """Re-key a service's ValidationError from model field names to the API's."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        errors: dict[str, list[str]] = {}
        for key, messages in exc.message_dict.items():
            errors.setdefault(names.get(key, key), []).extend(messages)
        raise ValidationError(errors) from None


@contextmanager
def external_id_conflict(external_id: str | None) -> Iterator[None]:
    """The one unique key a client sets: say which field clashed (the API's handler answers 409)."""
    try:
        yield
    except IntegrityError as exc:
        if external_id:
            exc.api_errors = {"external_id": [_("Another record already uses this external id.")]}
        raise


def _referenced(field: str, fetch: Callable):
    """A record named in the body: missing or invisible is a 422 on that field (403 stays 403)."""
    try:
        return fetch()
    except Http404:
        raise ValidationError({field: [_("Not found.")]}) from None


def _known_query(request, params_schema) -> None:
    """Unknown query parameters are refused: a misspelt filter must not silently list everything."""
    unknown = sorted(set(request.GET) - set(params_schema.model_fields))
    if unknown:
        raise ValidationError({name[:50]: [_("Unknown query parameter.")] for name in unknown[:10]})


def _page(qs: QuerySet, page: int, page_size: int, render: Callable) -> dict:
    count = qs.count()
    offset = (page - 1) * page_size
    # A page past the end is empty; checking first also keeps absurd offsets away from the database.
    items = [] if offset >= count else [render(obj) for obj in qs[offset:offset + page_size]]
    return {"items": items, "count": count}


def customer_out(c: Customer) -> dict:
    return {
        "id": c.pk, "name": c.name, "name_pinyin": c.name_pinyin, "kind": c.kind, "phone": c.phone,
        "phone2": c.phone2, "email": c.email, "owner_id": c.owner_id,
        "owner_name": c.owner.display_name if c.owner_id else None, "store_id": c.store_id,
        "tags": [t.name for t in c.tags.all()], "source": c.source, "industry": c.industry,
        "province": c.province, "city": c.city, "address": c.address, "website": c.website, "stage": c.stage,
        "notes": c.notes, "external_id": c.external_id, "created_at": c.created_at, "updated_at": c.updated_at,
    }


def contact_out(c: Contact) -> dict:
    return {
        "id": c.pk, "customer_id": c.customer_id, "name": c.name, "title": c.title, "role": c.role,
        "department": c.department, "reports_to_id": c.reports_to_id, "phone": c.phone, "email": c.email,
        "notes": c.notes, "external_id": c.external_id, "created_at": c.created_at, "updated_at": c.updated_at,
    }


def event_out(e: TimelineEvent) -> dict:
    return {
        "id": e.pk, "kind": e.kind, "summary": e.summary, "body": e.body, "actor_id": e.actor_id,
        "actor_name": e.actor.display_name if e.actor_id else None,
        "data": e.data if isinstance(e.data, dict) else {"value": e.data}, "at": e.at,
    }


def _filters(params: CustomerFiltersIn) -> selectors.CustomerFilters:
    return selectors.CustomerFilters(
        q=params.q.strip(), kind=params.kind or "", stage=params.stage or "", source=params.source or "",
        owner_id=params.owner_id, store_id=params.store_id, tag=params.tag.strip(), province=params.province.strip(),
        city=params.city.strip(), industry=params.industry.strip(), unowned=params.unowned,
    )


def _customer_data(payload: dict) -> dict:
    """API names → service names."""
    data = dict(payload)
    for api_name, name in (("owner_id", "owner"), ("store_id", "store")):
        if api_name in data:
            data[name] = data.pop(api_name)
    return data


def _reload_customer(actor, pk: int) -> Customer:
    return access.access_customer(actor, pk)


# --- customers -----------------------------------------------------------------------

@customers_router.get("", response={200: CustomerPage, **READ_ERRORS}, summary="List customers",
                      operation_id="customers_list")
def customers_list(request, params: Query[CustomerListIn]):
    """The customers the caller may see, filtered, sorted and paginated: {"items": [...], "count": N}."""
    _known_query(request, CustomerListIn)
    qs = selectors.customer_list(actor=request.auth, filters=_filters(params), sort=params.sort, related=False)
    count = qs.count()
    offset = (params.page - 1) * params.page_size
    # As _page: a page past the end is empty, and absurd offsets never reach the database.
    rows = [] if offset >= count else selectors.customer_rows(qs, offset=offset, limit=params.page_size)
    # The rows are the schema's fields exactly, typed by their columns: built, not re-validated
    # field by field (that cost as much as reading the page). GET /customers/{id} validates the same shape.
    return CustomerPage.model_construct(items=[CustomerOut.model_construct(**r) for r in rows], count=count)


@customers_router.post("", response={**WRITE_ERRORS, 201: CustomerOut, 409: DuplicateOut},
                       summary="Create a customer", operation_id="customers_create")
def customers_create(request, payload: CustomerIn):
    """The caller owns the new customer unless `owner_id` names someone they may assign to.

    Customers with the same name, phone or e-mail make it a 409 listing those the caller may see
    (and counting the rest), unless `allow_duplicate` is true."""
    data = payload.model_dump()
    allow_duplicate = data.pop("allow_duplicate")
    if "owner_id" not in payload.model_fields_set:
        data.pop("owner_id")  # not sent: the service makes the caller the owner
    try:
        with api_field_names(CUSTOMER_API_NAMES), external_id_conflict(data.get("external_id")):
            customer = services.customer_create(actor=request.auth, data=_customer_data(data),
                                                allow_duplicate=allow_duplicate)
    except services.DuplicateCustomer as dup:
        return Status(409, {
            "detail": _("Similar customers already exist; send allow_duplicate: true to create it anyway."),
            "errors": {},
            "duplicates": [{"id": c.pk, "name": c.name, "phone": c.phone, "email": c.email}
                           for c in dup.duplicates.visible],
            "hidden_duplicates": dup.duplicates.hidden,
        })
    return Status(201, customer_out(_reload_customer(request.auth, customer.pk)))


# Declared before /{customer_id} so "export" is not read as an id.
@customers_router.get(
    "/export", response={200: None, **READ_ERRORS}, summary="Export customers (CSV or XLSX)",
    operation_id="customers_export",
    openapi_extra={"responses": {200: {"description": "The file, as an attachment.", "content": {
        "text/csv": {"schema": {"type": "string", "format": "binary"}},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
            "schema": {"type": "string", "format": "binary"}},
    }}}},
)
def customers_export(request, params: Query[CustomerExportIn]):
    """The same filters as the list; the rows the caller may both see and export. Audited.
    Cells that a spreadsheet would read as a formula are prefixed with an apostrophe."""
    _known_query(request, CustomerExportIn)
    content, content_type, filename = export_customers(
        actor=request.auth, filters=_filters(params), sort=params.sort, fmt=params.format)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


@customers_router.get("/{customer_id}", response={200: CustomerOut, **READ_ERRORS}, summary="Get a customer",
                      operation_id="customers_get")
def customers_get(request, customer_id: int):
    return customer_out(access.access_customer(request.auth, customer_id))


@customers_router.patch("/{customer_id}", response={200: CustomerOut, **WRITE_ERRORS},
                        summary="Change a customer", operation_id="customers_update")
def customers_update(request, customer_id: int, payload: CustomerPatch):
    """Only the fields sent change; `tags` replaces the whole set."""
    customer = access.access_customer(request.auth, customer_id, CustomerPerm.CHANGE)
    data = payload.model_dump(exclude_unset=True)
    with api_field_names(CUSTOMER_API_NAMES), external_id_conflict(data.get("external_id")):
        services.customer_update(actor=request.auth, customer=customer, data=_customer_data(data))
    return customer_out(_reload_customer(request.auth, customer.pk))


@customers_router.delete("/{customer_id}", response={204: None, **READ_ERRORS}, summary="Delete a customer",
                         operation_id="customers_delete")
def customers_delete(request, customer_id: int):
    customer = access.access_customer(request.auth, customer_id, CustomerPerm.DELETE)
    services.customer_delete(actor=request.auth, customer=customer)
    return Status(204, None)


@customers_router.post("/{customer_id}/merge", response={200: CustomerOut, **WRITE_ERRORS},
                       summary="Merge another customer into this one", operation_id="customers_merge")
def customers_merge(request, customer_id: int, payload: MergeIn):
    """Contacts, notes, files, tags and history of `source_id` move here; its blanks fill ours; it is deleted."""
    actor = request.auth
    target = access.access_customer(actor, customer_id, CustomerPerm.MERGE)
    source = _referenced("source_id", lambda: access.access_customer(actor, payload.source_id, CustomerPerm.MERGE))
    with api_field_names(CUSTOMER_API_NAMES):
        services.customer_merge(actor=actor, target=target, source=source)
    return customer_out(_reload_customer(actor, target.pk))


@customers_router.get("/{customer_id}/timeline", response={200: TimelineOut, **READ_ERRORS},
                      summary="A customer's timeline, newest first", operation_id="customers_timeline")
def customers_timeline(request, customer_id: int, params: Query[TimelineIn]):
    _known_query(request, TimelineIn)
    customer = access.access_customer(request.auth, customer_id)
    return {"items": [event_out(e) for e in selectors.customer_timeline(customer=customer, limit=params.limit)]}


@customers_router.post("/{customer_id}/notes", response={201: TimelineEventOut, **WRITE_ERRORS},
                       summary="Add a note to a customer's timeline", operation_id="customers_add_note")
def customers_add_note(request, customer_id: int, payload: NoteIn):
    customer = access.access_customer(request.auth, customer_id, CustomerPerm.CHANGE)
    event = services.note_add(actor=request.auth, customer=customer, body=payload.body)
    return Status(201, event_out(event))


# --- contacts ------------------------------------------------------------------------

def _contact_data(payload: dict) -> dict:
    data = dict(payload)
    data.pop("customer_id", None)
    if "reports_to_id" in data:
        data["reports_to"] = data.pop("reports_to_id")
    return data


@contacts_router.get("", response={200: ContactPage, **READ_ERRORS}, summary="List contacts",
                     operation_id="contacts_list")
def contacts_list(request, params: Query[ContactListIn]):
    """Contacts of the customers the caller may see; `customer_id` narrows to one customer."""
    _known_query(request, ContactListIn)
    qs = selectors.contact_list(actor=request.auth, q=params.q.strip(), sort=params.sort)
    if params.customer_id is not None:
        qs = qs.filter(customer_id=params.customer_id)
    return _page(qs, params.page, params.page_size, contact_out)


@contacts_router.post("", response={201: ContactOut, **WRITE_ERRORS}, summary="Add a contact to a customer",
                      operation_id="contacts_create")
def contacts_create(request, payload: ContactIn):
    actor = request.auth
    customer = _referenced("customer_id",
                           lambda: access.access_customer(actor, payload.customer_id, CustomerPerm.CHANGE))
    with api_field_names(CONTACT_API_NAMES), external_id_conflict(payload.external_id):
        contact = services.contact_create(actor=actor, customer=customer, data=_contact_data(payload.model_dump()))
    return Status(201, contact_out(contact))


@contacts_router.get("/{contact_id}", response={200: ContactOut, **READ_ERRORS}, summary="Get a contact",
                     operation_id="contacts_get")
def contacts_get(request, contact_id: int):
    return contact_out(access.access_contact(request.auth, contact_id))


@contacts_router.patch("/{contact_id}", response={200: ContactOut, **WRITE_ERRORS}, summary="Change a contact",
                       operation_id="contacts_update")
def contacts_update(request, contact_id: int, payload: ContactPatch):
    contact = access.access_contact(request.auth, contact_id, CustomerPerm.CHANGE)
    data = payload.model_dump(exclude_unset=True)
    with api_field_names(CONTACT_API_NAMES), external_id_conflict(data.get("external_id")):
        contact = services.contact_update(actor=request.auth, contact=contact, data=_contact_data(data))
    return contact_out(contact)


@contacts_router.delete("/{contact_id}", response={204: None, **READ_ERRORS}, summary="Delete a contact",
                        operation_id="contacts_delete")
def contacts_delete(request, contact_id: int):
    contact = access.access_contact(request.auth, contact_id, CustomerPerm.CHANGE)
    services.contact_delete(actor=request.auth, contact=contact)
    return Status(204, None)
