"""Reads of leads, scoring rules and web forms, and single-lead access.

Every list goes through `row_filter(actor, LeadPerm.VIEW)` (role scope plus the territory rule),
so the page, the API and the export agree on what a user sees.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from guanxi.core.permissions import has_perm, require, row_filter
from guanxi.core.phones import query_digits
from guanxi.core.pinyin import compact
from guanxi.sales.models import Lead, LeadScoreRule, WebForm
from guanxi.sales.permissions import LeadPerm

# Client-facing sort names → ORDER BY. Nothing else reaches order_by.
LEAD_SORTS: dict[str, tuple[str, ...]] = {
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "name": ("name_pinyin", "id"),
    "-name": ("-name_pinyin", "-id"),
    "-score": ("-score", "-created_at", "-id"),
    "score": ("score", "-created_at", "-id"),
    "status": ("status", "-created_at", "-id"),
    "owner": ("owner__username", "-created_at", "-id"),
    "-updated": ("-updated_at", "-id"),
}
DEFAULT_SORT = "-created"


@dataclass
class LeadFilters:
    q: str = ""
    status: str = ""
    rating: str = ""
    source: str = ""
    owner_id: int | None = None
    territory_id: int | None = None
    unowned: bool = False
    open_only: bool = False


def lead_visible(actor) -> QuerySet:
    return Lead.objects.filter(row_filter(actor, LeadPerm.VIEW))


def _search(q: str) -> Q:
    """Name (hanzi or pinyin), company, e-mail, or phone digits."""
    q = q.strip()
    match = Q(name__icontains=q) | Q(company__icontains=q) | Q(email__icontains=q)
    key = compact(q)
    if key and key.isascii() and key.isalnum():
        match |= Q(name_pinyin__startswith=key.lower())
    digits = query_digits(q)
    if len(digits) >= 4:
        match |= Q(phone__contains=digits)
    return match


def lead_list(*, actor, filters: LeadFilters | None = None, sort: str = DEFAULT_SORT) -> QuerySet:
    f = filters or LeadFilters()
    qs = lead_visible(actor)
    if f.q:
        qs = qs.filter(_search(f.q))
    for name in ("status", "rating", "source"):
        value = getattr(f, name)
        if value:
            qs = qs.filter(**{name: value})
    if f.owner_id:
        qs = qs.filter(owner_id=f.owner_id)
    if f.unowned:
        qs = qs.filter(owner__isnull=True)
    if f.territory_id:
        qs = qs.filter(territory_id=f.territory_id)
    if f.open_only:
        qs = qs.exclude(status__in=[Lead.Status.CONVERTED, Lead.Status.UNQUALIFIED])
    order = LEAD_SORTS.get(sort) or LEAD_SORTS[DEFAULT_SORT]
    return qs.select_related("owner", "territory").order_by(*order)


# --- request parameters → filters (pages and exports) --------------------------------------

def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _choice(value, choices) -> str:
    return value if value in {c for c, _label in choices} else ""


def filters_from_params(params: Mapping) -> tuple[LeadFilters, str]:
    """Unknown or malformed values are dropped, never passed to the database."""
    filters = LeadFilters(
        q=str(params.get("q") or "").replace("\x00", "").strip()[:100],
        status=_choice(params.get("status"), Lead.Status.choices),
        rating=_choice(params.get("rating"), Lead.Rating.choices),
        source=_choice(params.get("source"), Lead.Source.choices),
        owner_id=_int(params.get("owner")),
        territory_id=_int(params.get("territory")),
        unowned=params.get("unowned") in ("1", "true", "on"),
        open_only=params.get("open") in ("1", "true", "on"),
    )
    sort = params.get("sort") if params.get("sort") in LEAD_SORTS else DEFAULT_SORT
    return filters, sort


# --- single records -------------------------------------------------------------------------

def _pk(value) -> int:
    pk = _int(value)
    if pk is None:
        raise Http404
    return pk


def access_lead(actor, pk, perm: LeadPerm = LeadPerm.VIEW) -> Lead:
    """404 when missing or invisible, 403 when visible but `perm` is not allowed on it."""
    lead = (lead_visible(actor).select_related("owner", "store", "territory", "created_by", "web_form",
                                               "converted_customer", "converted_opportunity", "converted_contact")
            .filter(pk=_pk(pk)).first())
    if lead is None:
        raise Http404
    if perm != LeadPerm.VIEW:
        require(actor, perm, lead)
    return lead


def score_rule_list(*, actor) -> QuerySet:
    return LeadScoreRule.objects.filter(organization_id=actor.organization_id).order_by("id")


def access_score_rule(actor, pk) -> LeadScoreRule:
    require(actor, LeadPerm.MANAGE_FORMS)
    rule = score_rule_list(actor=actor).filter(pk=_pk(pk)).first()
    if rule is None:
        raise Http404
    return rule


def web_form_list(*, actor) -> QuerySet:
    return WebForm.objects.filter(organization_id=actor.organization_id).select_related("owner", "team").order_by(
        "-created_at", "-id")


def access_web_form(actor, pk) -> WebForm:
    require(actor, LeadPerm.MANAGE_FORMS)
    form = web_form_list(actor=actor).filter(pk=_pk(pk)).first()
    if form is None:
        raise Http404
    return form


def may(actor, perm: LeadPerm, lead: Lead | None = None) -> bool:
    if lead is None:
        return has_perm(actor, perm)
    try:
        require(actor, perm, lead)
    except PermissionDenied:
        return False
    return True
