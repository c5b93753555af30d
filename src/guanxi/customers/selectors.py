"""Reads of customers and contacts. Every function takes the acting user and returns only what
that user may see: pages, API, search and exports all come through here."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet

from guanxi.core.models import User
from guanxi.core.permissions import row_filter
from guanxi.customers.models import Contact, Customer, CustomerTag, SearchKey, Tag, TimelineEvent
from guanxi.customers.permissions import CustomerPerm
from guanxi.customers.search import KEY_MAX, query_prefixes

# Client-facing sort names → ORDER BY. Nothing else reaches order_by (Django SQLi history).
CUSTOMER_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name_pinyin", "id"),
    "-name": ("-name_pinyin", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "stage": ("stage", "-created_at", "-id"),
    "owner": ("owner__username", "-created_at", "-id"),
}
DEFAULT_SORT = "-created"
CONTACT_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name_pinyin", "id"),
    "-name": ("-name_pinyin", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}


@dataclass
class CustomerFilters:
    q: str = ""
    kind: str = ""
    stage: str = ""
    source: str = ""
    owner_id: int | None = None
    store_id: int | None = None
    tag: str = ""
    province: str = ""
    city: str = ""
    industry: str = ""
    unowned: bool = False
    extra: dict = field(default_factory=dict)


def _key_match(prefixes: list[str]) -> Q:
    match = Q()
    for p in prefixes:
        match |= Q(key__gte=p, key__lt=p + KEY_MAX)
    return match


def matching_customer_ids(q: str) -> QuerySet:
    """Ids of customers whose name/phone/email, or one of whose contacts', matches `q` (a subquery)."""
    prefixes = query_prefixes(q)
    if not prefixes:
        return SearchKey.objects.none().values("customer_id")
    return SearchKey.objects.filter(_key_match(prefixes)).values("customer_id")


def customer_visible(actor) -> QuerySet:
    return Customer.objects.filter(row_filter(actor, CustomerPerm.VIEW))


def customer_list(*, actor, filters: CustomerFilters | None = None, sort: str = DEFAULT_SORT,
                  related: bool = True) -> QuerySet:
    """The customers `actor` may see, filtered and sorted. `related=False` leaves out the owner,
    store and tags (for `customer_rows`, which reads them its own way)."""
    f = filters or CustomerFilters()
    qs = customer_visible(actor)
    if f.q:
        qs = qs.filter(pk__in=matching_customer_ids(f.q))
    for name in ("kind", "stage", "source", "province", "city", "industry"):
        value = getattr(f, name)
        if value:
            qs = qs.filter(**{name: value})
    if f.owner_id:
        qs = qs.filter(owner_id=f.owner_id)
    if f.unowned:
        qs = qs.filter(owner__isnull=True)
    if f.store_id:
        qs = qs.filter(store_id=f.store_id)
    if f.tag:
        qs = qs.filter(tags__name=f.tag)
    order = CUSTOMER_SORTS.get(sort) or CUSTOMER_SORTS[DEFAULT_SORT]
    qs = qs.order_by(*order)
    if not related:
        return qs
    return qs.select_related("owner", "store").prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))


CUSTOMER_ROW_FIELDS = (
    "id", "name", "name_pinyin", "kind", "phone", "phone2", "email", "owner_id", "store_id", "source", "industry",
    "province", "city", "address", "website", "stage", "notes", "external_id", "created_at", "updated_at",
)


def customer_rows(qs: QuerySet, *, offset: int, limit: int) -> list[dict]:
    """A slice of `customer_list(..., related=False)` as plain dicts (the API's list): the
    CUSTOMER_ROW_FIELDS, `owner_name` (the owner's display name) and `tags` (names, sorted).
    Two queries, no model instances: the page with its owner's name columns, then the tags of
    those customers in one go."""
    owner_cols = ("owner__first_name", "owner__last_name", "owner__username")
    rows = list(qs.values(*CUSTOMER_ROW_FIELDS, *owner_cols)[offset:offset + limit])
    tags = customer_tag_names([r["id"] for r in rows])
    for r in rows:
        first, last, username = (r.pop(c) for c in owner_cols)
        r["owner_name"] = User.name_of(first, last, username) if r["owner_id"] else None
        r["tags"] = tags.get(r["id"], [])
    return rows


def customer_tag_names(customer_ids: list[int]) -> dict[int, list[str]]:
    """customer id → its tag names, sorted, for customers the caller already selected."""
    out: dict[int, list[str]] = {}
    if customer_ids:
        pairs = (CustomerTag.objects.filter(customer_id__in=customer_ids).order_by("tag__name")
                 .values_list("customer_id", "tag__name"))
        for customer_id, name in pairs:
            out.setdefault(customer_id, []).append(name)
    return out


def contact_list(*, actor, customer: Customer | None = None, q: str = "", sort: str = "name") -> QuerySet:
    qs = Contact.objects.filter(row_filter(actor, CustomerPerm.VIEW, prefix="customer__"))
    if customer is not None:
        qs = qs.filter(customer=customer)
    if q:
        prefixes = query_prefixes(q)
        ids = SearchKey.objects.filter(_key_match(prefixes), contact__isnull=False).values("contact_id")
        qs = qs.filter(pk__in=ids) if prefixes else qs.none()
    order = CONTACT_SORTS.get(sort) or CONTACT_SORTS["name"]
    return qs.select_related("customer", "reports_to").order_by(*order)


CANDIDATES = 200


def global_search(*, actor, q: str, limit: int = 8) -> dict[str, list]:
    """Type-ahead across customers and contacts (CUS-6): hanzi, pinyin, initials, phone digits, e-mail.

    Matches are not sorted as a whole: one read of the first CANDIDATES key rows in key order
    (exact and shorter matches first, straight from the (organization, key) index) gives the
    candidates; the row rules and the ordering apply to those few. Only when the rules hide
    them and more matches exist does it fall back to the full query.
    """
    prefixes = query_prefixes(q)
    if not prefixes:
        return {"customers": [], "contacts": []}
    keys = SearchKey.objects.filter(_key_match(prefixes), organization_id=actor.organization_id)
    rows = list(keys.order_by("key").values_list("customer_id", "contact_id")[:CANDIDATES])
    window_full = len(rows) == CANDIDATES
    customers_qs = customer_visible(actor).select_related("owner").order_by("name_pinyin", "id")
    contacts_qs = (Contact.objects.filter(row_filter(actor, CustomerPerm.VIEW, prefix="customer__"))
                   .select_related("customer").order_by("name_pinyin", "id"))
    customer_ids = list(dict.fromkeys(c for c, ct in rows if ct is None))
    contact_ids = list(dict.fromkeys(ct for _c, ct in rows if ct is not None))
    # At most CANDIDATES rows: fetched by primary key and sorted here, so no planner walks the
    # name_pinyin index looking for them.
    by_name = lambda obj: (obj.name_pinyin, obj.pk)  # noqa: E731
    customers = sorted(customers_qs.filter(pk__in=customer_ids).order_by(), key=by_name)[:limit] if customer_ids else []
    contacts = sorted(contacts_qs.filter(pk__in=contact_ids).order_by(), key=by_name)[:limit] if contact_ids else []
    if window_full and len(customers) < limit:
        customers = list(customers_qs.filter(pk__in=keys.filter(contact__isnull=True).values("customer_id"))[:limit])
    if window_full and len(contacts) < limit:
        contacts = list(contacts_qs.filter(pk__in=keys.filter(contact__isnull=False).values("contact_id"))[:limit])
    return {"customers": customers, "contacts": contacts}


def customer_timeline(*, customer: Customer, limit: int = 100) -> list[TimelineEvent]:
    """The timeline of a customer the caller already accessed through access_customer."""
    return list(TimelineEvent.objects.filter(customer=customer).select_related("actor")[:limit])


@dataclass
class OrgChartNode:
    contact: Contact
    reports: list[OrgChartNode]


def org_chart(*, customer: Customer) -> list[OrgChartNode]:
    """The customer's contacts as a reports-to forest (CUS-2), from one query."""
    contacts = list(Contact.objects.filter(customer=customer).order_by("name_pinyin", "id"))
    nodes = {c.pk: OrgChartNode(c, []) for c in contacts}
    roots = []
    for c in contacts:
        parent = nodes.get(c.reports_to_id)
        (parent.reports if parent and parent is not nodes[c.pk] else roots).append(nodes[c.pk])
    return roots


@dataclass
class Duplicates:
    visible: list[Customer]
    hidden: int

    def __bool__(self) -> bool:
        return bool(self.visible or self.hidden)


def customer_duplicates(
    *, actor, name: str, phones: list[str], email: str, name_pinyin: str = "", exclude_id: int | None = None
) -> Duplicates:
    """Customers that look like the same party (CUS-5): same phone, e-mail, name or pinyin.

    All of the organisation is checked, but only records the actor may see are shown; the
    rest are counted, so a rep learns a colleague already has the customer without seeing it.
    """
    match = Q(name=name) if name else Q(pk__in=[])
    if name_pinyin:
        match |= Q(name_pinyin=name_pinyin)
    for phone in filter(None, phones):
        match |= Q(phone=phone) | Q(phone2=phone)
    if email:
        match |= Q(email__iexact=email)
    qs = Customer.objects.filter(organization_id=actor.organization_id).filter(match)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    candidates = list(qs.values_list("pk", flat=True)[:50])
    visible = list(customer_visible(actor).filter(pk__in=candidates).select_related("owner"))
    return Duplicates(visible=visible[:10], hidden=len(candidates) - len(visible))


def tag_list(*, actor) -> QuerySet:
    return Tag.objects.filter(organization_id=actor.organization_id).order_by("name")


def today_summary(*, actor) -> dict:
    """What the "today" page shows: how many customers the user reaches and the latest activity on them."""
    visible = customer_visible(actor)
    recent = (
        TimelineEvent.objects.filter(customer__in=visible.values("pk"))
        .select_related("customer", "actor")
        .order_by("-at", "-id")[:15]
    )
    return {
        "visible_count": visible.count(),
        "own_count": visible.filter(owner=actor).count(),
        "recent_events": list(recent),
    }
