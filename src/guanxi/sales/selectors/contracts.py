"""Reads of contracts and their files, and single-contract access (QuotePerm.VIEW row rule)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from guanxi.core.permissions import require, row_filter
from guanxi.customers.access import _pk
from guanxi.sales.models import Contract, ContractFile
from guanxi.sales.permissions import QuotePerm

CONTRACT_SORTS: dict[str, tuple[str, ...]] = {
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "renewal": ("renewal_date", "id"),
    "-renewal": ("-renewal_date", "-id"),
    "-value": ("-value", "-id"),
    "value": ("value", "id"),
}
DEFAULT_CONTRACT_SORT = "-created"
MAX_DUE_DAYS = 3650


@dataclass
class ContractFilters:
    status: str = ""
    customer_id: int | None = None
    owner_id: int | None = None
    renewal_due_days: int | None = None  # active contracts renewing within N days (or overdue)
    q: str = ""


def contract_visible(actor) -> QuerySet:
    return Contract.objects.filter(row_filter(actor, QuotePerm.VIEW))


def contract_list(*, actor, filters: ContractFilters | None = None, sort: str = DEFAULT_CONTRACT_SORT) -> QuerySet:
    f = filters or ContractFilters()
    qs = contract_visible(actor)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.customer_id:
        qs = qs.filter(customer_id=f.customer_id)
    if f.owner_id:
        qs = qs.filter(owner_id=f.owner_id)
    if f.renewal_due_days is not None:
        days = max(0, min(int(f.renewal_due_days), MAX_DUE_DAYS))
        qs = qs.filter(status=Contract.Status.ACTIVE,
                       renewal_date__lte=timezone.localdate() + dt.timedelta(days=days))
    if f.q:
        qs = qs.filter(Q(number__icontains=f.q) | Q(title__icontains=f.q))
    order = CONTRACT_SORTS.get(sort) or CONTRACT_SORTS[DEFAULT_CONTRACT_SORT]
    return qs.select_related("customer", "owner").order_by(*order)


def contract_files(*, contract: Contract) -> list[ContractFile]:
    return list(ContractFile.objects.filter(contract=contract).select_related("uploaded_by").order_by("-created_at",
                                                                                                       "-id"))


def access_contract(actor, pk, perm: QuotePerm = QuotePerm.VIEW) -> Contract:
    contract = (contract_visible(actor).select_related("customer", "owner", "store", "opportunity", "quote")
                .filter(pk=_pk(pk)).first())
    if contract is None:
        raise Http404
    if perm != QuotePerm.VIEW:
        require(actor, perm, contract)
    return contract


def access_contract_file(actor, pk) -> ContractFile:
    item = ContractFile.objects.filter(pk=_pk(pk)).first()
    if item is None:
        raise Http404
    access_contract(actor, item.contract_id)
    return item
