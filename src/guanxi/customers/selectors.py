"""Reads of customers and contacts. Every function takes the acting user and returns only what
that user may see: pages, API, search and exports all come through here."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F, Prefetch, Q, QuerySet, Value

from guanxi.core.models import User
from guanxi.core.permissions import row_filter
from guanxi.core.prepared import Prepared, PreparedCache, Slots, fingerprint
from guanxi.core.tenancy import scope_key
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


@dataclass(frozen=True, slots=True)
class CustomerHit:
    """A type-ahead match: what the drop-down shows and links to."""

    pk: int
    name: str
    kind: str
    owner_name: str
    match_key: str  # the key that matched (the closest one)


@dataclass(frozen=True, slots=True)
class ContactHit:
    pk: int
    name: str
    customer_id: int
    customer_name: str
    match_key: str


# The columns each kind reads, as values_list names: the same types in the same places, so both
# kinds come in one statement (UNION ALL).
_CUSTOMER_COLUMNS = ("pk", "match_key", "match_id", "name", "kind", "owner_id",
                     "owner__username", "owner__first_name", "owner__last_name")
_CONTACT_COLUMNS = ("pk", "match_key", "match_id", "name", "filler", "customer_id",
                    "customer__name", "filler", "filler")
_PREPARED = PreparedCache()


def _page_queryset(rule: Q, *, part: int, contacts: bool, org_id: int, limit: int, after: bool, slots: Slots) -> QuerySet:
    """Up to `limit` visible customers (or contacts) with a key in [lo, hi), in key order (ties by
    id), as rows of the columns above; with `after`, only those after (lo, after) in that order."""
    own = "contact_id" if contacts else "customer_id"
    lo, hi = slots[f"lo{part}"], slots[f"hi{part}"]
    bounds = Q(search_keys__key__gte=lo, search_keys__key__lt=hi)
    if after:
        bounds &= Q(search_keys__key__gt=lo) | Q(search_keys__key=lo, **{f"search_keys__{own}__gt": slots[f"after{part}"]})
    model = Contact if contacts else Customer
    return (
        model.objects.filter(rule)
        .filter(bounds, search_keys__organization_id=org_id, search_keys__contact__isnull=not contacts)
        .annotate(part=Value(str(part)), match_key=F("search_keys__key"), match_id=F(f"search_keys__{own}"), filler=Value(""))
        .order_by("search_keys__key", f"search_keys__{own}")
        .values_list("part", *(_CONTACT_COLUMNS if contacts else _CUSTOMER_COLUMNS))[:limit]
    )


def _read_pages(rules: tuple[Q, Q], pages: list[tuple[bool, bool]], *, org_id: int, limit: int, values: dict) -> list:
    """One statement for several pages, each (contacts?, after?), compiled once per row rule."""
    def build():
        parts = []
        for n, (contacts, after) in enumerate(pages):
            slots = Slots(text=(f"lo{n}", f"hi{n}"), number=(f"after{n}",) if after else ())
            qs = _page_queryset(rules[contacts], part=n, contacts=contacts, org_id=org_id, limit=limit, after=after,
                                slots=slots)
            parts.append(Prepared(qs, slots))
        return parts[0] if len(parts) == 1 else Prepared.union_all(parts)

    shape = tuple(fingerprint(rules[contacts]) for contacts, _after in pages)
    if None in shape:  # a row rule with a subquery (territories): compiled for this call only
        return build().run(**values)
    return _PREPARED.get((shape, tuple(pages), scope_key(), org_id, limit), build).run(**values)


def _key_order(row) -> tuple:
    return row[2], row[3]  # (key, id): the index order


def _hit(row, *, contacts: bool):
    _part, pk, key, _id, name, kind, ref_id, t1, t2, t3 = row
    if contacts:
        return ContactHit(pk=pk, name=name, customer_id=ref_id, customer_name=t1, match_key=key)
    owner_name = "" if ref_id is None else User.name_of(t2, t3, t1)
    return CustomerHit(pk=pk, name=name, kind=kind, owner_name=owner_name, match_key=key)


def global_search(*, actor, q: str, limit: int = 8) -> dict[str, list]:
    """Type-ahead across customers and contacts (CUS-6): hanzi, pinyin, initials, phone digits, e-mail.

    Best match first: records come in the order of their closest matching key — the record whose
    name (or pinyin, initials, phone, e-mail, or a suffix of these) is exactly what was typed, then
    the shortest completions in key order ("zhang" → 张安, 张北, …), ties by age (id). That is the
    order of the search-key index, so each kind reads its first `limit` visible matches and stops,
    whatever the number of matches; the row rules are part of the same SQL (a contact is found only
    where its customer is visible). Customers and contacts come in one statement, compiled once
    per row rule (core.prepared), as hits carrying what the drop-down shows (no model instances:
    building them cost more than the query).
    """
    prefixes = query_prefixes(q)
    if not prefixes or limit <= 0:
        return {"customers": [], "contacts": []}
    org_id = actor.organization_id
    rules = (row_filter(actor, CustomerPerm.VIEW), row_filter(actor, CustomerPerm.VIEW, prefix="customer__"))
    pages = [(contacts, prefix) for prefix in prefixes for contacts in (False, True)]
    values = {}
    for n, (_contacts, prefix) in enumerate(pages):
        values |= {f"lo{n}": prefix, f"hi{n}": prefix + KEY_MAX}
    rows = _read_pages(rules, [(contacts, False) for contacts, _p in pages], org_id=org_id, limit=limit, values=values)
    best: tuple[dict, dict] = ({}, {})  # per kind: record id -> its row with the smallest key
    for n, (contacts, prefix) in enumerate(pages):
        page, found, seen = sorted((r for r in rows if r[0] == str(n)), key=_key_order), best[contacts], set()
        while True:
            for row in page:
                seen.add(row[1])
                if row[1] not in found or row[2] < found[row[1]][2]:
                    found[row[1]] = row
            if len(seen) >= limit or len(page) < limit:
                break
            # Records matching under several keys filled the page: read on after its last row.
            page = sorted(_read_pages(rules, [(contacts, True)], org_id=org_id, limit=limit,
                                      values={"lo0": page[-1][2], "hi0": prefix + KEY_MAX, "after0": page[-1][3]}),
                          key=_key_order)
    return {
        kind: [_hit(row, contacts=contacts) for row in sorted(found.values(), key=_key_order)[:limit]]
        for kind, contacts, found in (("customers", False, best[0]), ("contacts", True, best[1]))
    }


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
    tests = [Q(name=name)] if name else []
    if name_pinyin:
        tests.append(Q(name_pinyin=name_pinyin))
    for phone in filter(None, phones):
        tests += [Q(phone=phone), Q(phone2=phone)]
    if email:
        tests.append(Q(email=email.strip().lower()))  # stored lower-case (services, import)
    base = Customer.objects.filter(organization_id=actor.organization_id)
    if exclude_id:
        base = base.exclude(pk=exclude_id)
    # One indexed lookup per test, as a UNION: with the tests OR-ed in one WHERE, SQLite reads every
    # customer of the organisation (its OR optimisation cannot pair the organisation with each column).
    parts = [base.filter(t).values_list("pk", flat=True).order_by() for t in tests]
    candidates = list(parts[0].union(*parts[1:]).order_by()[:50]) if parts else []
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
