"""Contracts over JSON: thin handlers over sales.selectors.contracts and sales.services.contracts."""

from __future__ import annotations

from django.urls import reverse
from ninja import Query, Router, Status

from guanxi.core.permissions import require
from guanxi.customers.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    _known_query,
    _page,
    _referenced,
)
from guanxi.sales.api.orders import api_names
from guanxi.sales.api.schemas_orders import (
    ContractFileList,
    ContractFromQuoteIn,
    ContractIn,
    ContractListIn,
    ContractOut,
    ContractPage,
    ContractPatch,
    TerminateIn,
)
from guanxi.sales.models import Contract
from guanxi.sales.permissions import QuotePerm
from guanxi.sales.selectors import contracts as selectors
from guanxi.sales.selectors.orders import access_quote
from guanxi.sales.services import contracts as services

router = Router(tags=["contracts"])


def contract_out(c: Contract) -> dict:
    return {
        "id": c.pk, "number": c.number, "title": c.title, "status": c.status, "customer_id": c.customer_id,
        "customer_name": c.customer.name, "opportunity_id": c.opportunity_id, "quote_id": c.quote_id,
        "owner_id": c.owner_id, "owner_name": c.owner.display_name if c.owner_id else None, "store_id": c.store_id,
        "territory_id": c.territory_id, "value": f"{c.value:.2f}", "currency": c.currency,
        "start_date": c.start_date, "end_date": c.end_date, "signed_at": c.signed_at,
        "renewal_date": c.renewal_date, "reminder_days": c.reminder_days, "reminded_at": c.reminded_at,
        "terms": c.terms, "created_at": c.created_at, "updated_at": c.updated_at,
    }


def _service_data(data: dict) -> dict:
    names = {"customer_id": "customer", "opportunity_id": "opportunity", "owner_id": "owner"}
    return {names.get(k, k): v for k, v in data.items()}


def _reload(actor, pk: int) -> dict:
    return contract_out(selectors.access_contract(actor, pk))


@router.get("", response={200: ContractPage, **READ_ERRORS}, summary="List contracts", operation_id="contracts_list")
def contracts_list(request, params: Query[ContractListIn]):
    """The contracts the caller may see; `renewal_due_days` keeps active ones renewing within that many days."""
    _known_query(request, ContractListIn)
    require(request.auth, QuotePerm.VIEW)
    filters = selectors.ContractFilters(status=params.status or "", customer_id=params.customer_id,
                                        owner_id=params.owner_id, renewal_due_days=params.renewal_due_days,
                                        q=params.q.strip())
    qs = selectors.contract_list(actor=request.auth, filters=filters, sort=params.sort)
    return _page(qs, params.page, params.page_size, contract_out)


@router.post("", response={201: ContractOut, **WRITE_ERRORS}, summary="Create a draft contract",
             operation_id="contracts_create")
def contracts_create(request, payload: ContractIn):
    with api_names():
        contract = services.contract_create(actor=request.auth,
                                            data=_service_data(payload.model_dump(exclude_unset=True)))
    return Status(201, _reload(request.auth, contract.pk))


@router.post("/from-quote", response={201: ContractOut, **WRITE_ERRORS},
             summary="Create a contract from an accepted quote", operation_id="contracts_from_quote")
def contracts_from_quote(request, payload: ContractFromQuoteIn):
    """Value = the quote's total; customer, opportunity, owner, store, territory and terms copied.
    One live contract per quote."""
    actor = request.auth
    require(actor, QuotePerm.CREATE)
    quote = _referenced("quote_id", lambda: access_quote(actor, payload.quote_id))
    with api_names():
        contract = services.contract_create_from_quote(actor, quote)
    return Status(201, _reload(actor, contract.pk))


@router.get("/{contract_id}", response={200: ContractOut, **READ_ERRORS}, summary="Get a contract",
            operation_id="contracts_get")
def contracts_get(request, contract_id: int):
    return contract_out(selectors.access_contract(request.auth, contract_id))


@router.patch("/{contract_id}", response={200: ContractOut, **WRITE_ERRORS}, summary="Change a contract",
              operation_id="contracts_update")
def contracts_update(request, contract_id: int, payload: ContractPatch):
    """Only the fields sent change. A terminated contract no longer changes (422)."""
    contract = selectors.access_contract(request.auth, contract_id, QuotePerm.CHANGE)
    with api_names():
        services.contract_update(actor=request.auth, contract=contract,
                                 data=_service_data(payload.model_dump(exclude_unset=True)))
    return _reload(request.auth, contract.pk)


@router.post("/{contract_id}/activate", response={200: ContractOut, **WRITE_ERRORS},
             summary="Activate a draft contract", operation_id="contracts_activate")
def contracts_activate(request, contract_id: int):
    contract = selectors.access_contract(request.auth, contract_id, QuotePerm.CHANGE)
    services.contract_activate(actor=request.auth, contract=contract)
    return _reload(request.auth, contract.pk)


@router.post("/{contract_id}/terminate", response={200: ContractOut, **WRITE_ERRORS},
             summary="Terminate a contract", operation_id="contracts_terminate")
def contracts_terminate(request, contract_id: int, payload: TerminateIn):
    contract = selectors.access_contract(request.auth, contract_id, QuotePerm.CHANGE)
    services.contract_terminate(actor=request.auth, contract=contract, reason=payload.reason)
    return _reload(request.auth, contract.pk)


@router.get("/{contract_id}/files", response={200: ContractFileList, **READ_ERRORS},
            summary="A contract's files", operation_id="contracts_files_list")
def contracts_files_list(request, contract_id: int):
    """Uploads happen on the contract's page; each file downloads from `download_url` (signed in)."""
    contract = selectors.access_contract(request.auth, contract_id)
    return {"items": [{
        "id": f.pk, "name": f.original_name, "size": f.size, "content_type": f.content_type,
        "uploaded_by_id": f.uploaded_by_id, "created_at": f.created_at,
        "download_url": reverse("sales:contract_file_download", args=[f.pk]),
    } for f in selectors.contract_files(contract=contract)]}
