"""Leads through the customers' import engine (CORE-8, CUS-10): kind "leads".

Same pages, same two steps (dry run, then one transaction): this module only says which
columns a lead file may have, how one row is checked, and how the checked rows are written.
A row whose key (phone, e-mail or external id) matches an existing lead updates that lead — if
the importer may change it; otherwise the row is an error. New leads belong to the `owner`
column's user (one the importer may assign leads to) or to the importer, with source "import"
unless the file says otherwise; score and territory are derived as for any lead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.models import User
from guanxi.core.money import parse_money
from guanxi.core.permissions import assignable_owner_filter, row_filter
from guanxi.core.phones import normalize_phone
from guanxi.core.pinyin import full_and_initials
from guanxi.customers.importers import _choice_lookup
from guanxi.sales.models import Lead, Territory
from guanxi.sales.permissions import LeadPerm
from guanxi.sales.services.leads import MAX_AMOUNT, active_rules, lead_score
from guanxi.sales.services.territories import place_of_lead, territory_match

LEAD_FIELDS = {
    # field: (label, header aliases)
    "name": (gettext_lazy("Name"), ["name", "contact", "contact name", "姓名", "联系人", "名称", "线索名称"]),
    "company": (gettext_lazy("Company"), ["company", "organisation", "organization", "公司", "公司名称", "单位"]),
    "title": (gettext_lazy("Job title"), ["title", "job title", "职务", "职位"]),
    "phone": (gettext_lazy("Phone"), ["phone", "mobile", "tel", "手机", "电话", "手机号", "联系电话"]),
    "email": (gettext_lazy("Email"), ["email", "e-mail", "mail", "邮箱", "电子邮箱", "电子邮件"]),
    "province": (gettext_lazy("Province"), ["province", "state", "省份", "省"]),
    "city": (gettext_lazy("City"), ["city", "城市", "市"]),
    "postcode": (gettext_lazy("Postcode"), ["postcode", "zip", "postal code", "邮编", "邮政编码"]),
    "industry": (gettext_lazy("Industry"), ["industry", "行业"]),
    "source": (gettext_lazy("Source"), ["source", "来源", "线索来源"]),
    "campaign": (gettext_lazy("Campaign"), ["campaign", "活动", "市场活动"]),
    "status": (gettext_lazy("Status"), ["status", "状态"]),
    "rating": (gettext_lazy("Rating"), ["rating", "评级", "等级"]),
    "estimated_amount": (gettext_lazy("Estimated amount"), ["estimated amount", "amount", "预计金额", "金额"]),
    "owner": (gettext_lazy("Owner (username)"), ["owner", "负责人", "所有者", "销售"]),
    "notes": (gettext_lazy("Notes"), ["notes", "note", "remarks", "备注"]),
    "external_id": (gettext_lazy("External id"), ["external id", "external_id", "id", "外部编号", "编号"]),
}
LIMITS = {"name": 100, "company": 200, "title": 100, "province": 50, "city": 50, "postcode": 12, "industry": 100,
          "campaign": 100, "notes": 5000, "external_id": 64}
UPDATABLE = ("name", "company", "title", "phone", "email", "province", "city", "postcode", "industry", "source",
             "campaign", "status", "rating", "estimated_amount", "notes", "external_id")


@dataclass
class LeadRows:
    actor: User
    key: str
    owners: dict[str, User] = field(default_factory=dict)
    by_key: dict[str, int] = field(default_factory=dict)
    changeable: set[int] = field(default_factory=set)
    converted: set[int] = field(default_factory=set)
    external: dict[str, int] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)

    @classmethod
    def prepare(cls, *, actor, key: str) -> LeadRows:
        rows = cls(actor=actor, key=key)
        rows.region = actor.organization.default_phone_region or "CN"
        rows.owners = {u.username: u for u in User.objects.filter(assignable_owner_filter(actor, LeadPerm.IMPORT),
                                                                   is_active=True).select_related("store")}
        existing = Lead.objects.filter(organization_id=actor.organization_id)
        for pk, phone, email, external_id, status in existing.values_list(
                "pk", "phone", "email", "external_id", "status").iterator(chunk_size=5000):
            value = {"phone": phone, "email": email, "external_id": external_id}[key]
            if value:
                rows.by_key.setdefault(value, pk)
            if external_id:
                rows.external[external_id] = pk
            if status == Lead.Status.CONVERTED:
                rows.converted.add(pk)
        rows.changeable = set(Lead.objects.filter(row_filter(actor, LeadPerm.CHANGE)).values_list("pk", flat=True))
        rows.sources = _choice_lookup(Lead.Source.choices)
        rows.statuses = {k: v for k, v in _choice_lookup(Lead.Status.choices).items() if v != Lead.Status.CONVERTED}
        rows.ratings = _choice_lookup(Lead.Rating.choices)
        return rows

    def clean(self, row_number: int, cells: dict[str, str]):
        """(record with model values plus "_match", [(column, message)])."""
        errors: list[tuple[str, str]] = []
        rec: dict = {}
        for name, limit in LIMITS.items():
            if name in cells:
                value = " ".join(cells[name].split()) if name != "notes" else cells[name].strip()
                if len(value) > limit:
                    errors.append((name, _("At most %(n)s characters.") % {"n": limit}))
                if "\x00" in value:
                    errors.append((name, _("Null characters are not allowed.")))
                rec[name] = value
        if not rec.get("name"):
            errors.append(("name", _("A name is required.")))
        for name, table, default in (("source", self.sources, Lead.Source.IMPORT), ("status", self.statuses, None),
                                     ("rating", self.ratings, None)):
            raw = cells.get(name, "").strip()
            if raw:
                value = table.get(raw.lower())
                if value is None:
                    errors.append((name, _("Unknown value: %(value)s") % {"value": raw[:50]}))
                rec[name] = value or default
            elif default is not None:
                rec[name] = default
        try:
            rec["phone"] = normalize_phone(cells.get("phone", ""), self.region)
        except ValidationError:
            errors.append(("phone", _("Enter a valid phone number.")))
            rec["phone"] = ""
        rec["email"] = cells.get("email", "").strip().lower()
        if rec["email"]:
            try:
                validate_email(rec["email"])
            except ValidationError:
                errors.append(("email", _("Enter a valid email address.")))
        raw_amount = cells.get("estimated_amount", "").strip()
        if raw_amount:
            amount = parse_money(raw_amount)
            if amount is None or amount < 0 or amount > MAX_AMOUNT:
                errors.append(("estimated_amount", _("Enter an amount between 0 and 999,999,999,999.99.")))
            rec["estimated_amount"] = amount
        owner_name = cells.get("owner", "").strip()
        owner = self.owners.get(owner_name) if owner_name else self.actor
        if owner is None:
            errors.append(("owner", _("Unknown user, or one you cannot assign leads to: %(name)s")
                           % {"name": owner_name[:50]}))
        rec["owner"] = owner
        rec["_match"] = self._match(row_number, rec, errors)
        holder = self.external.get(rec.get("external_id", ""))
        if holder and holder != rec["_match"]:
            errors.append(("external_id", _("Another record already uses this external id.")))
        return rec, errors

    def _match(self, row_number: int, rec: dict, errors) -> int | None:
        value = rec.get(self.key, "")
        if not value:
            return None
        earlier = self.seen.get(value)
        if earlier:
            errors.append((self.key, _("Same %(key)s as row %(row)s.") % {"key": self.key, "row": earlier}))
        self.seen.setdefault(value, row_number)
        match = self.by_key.get(value)
        if match is None:
            return None
        if match in self.converted:
            errors.append((self.key, _("Lead #%(id)s with this %(key)s was converted already.")
                           % {"id": match, "key": self.key}))
        elif match not in self.changeable:
            errors.append((self.key, _("Lead #%(id)s has this %(key)s and you may not change it.")
                           % {"id": match, "key": self.key}))
        return match


def _derive(lead: Lead, rules, territories) -> None:
    lead.name_pinyin = full_and_initials(lead.name, person=True)[0][:200]
    lead.score = lead_score(lead, rules)
    lead.territory = territory_match(lead.organization_id, place_of_lead(lead), territories)


def write_leads(job, records: list[dict]) -> tuple[int, int]:
    """Called by the engine with each batch of checked rows, inside its one transaction (the engine
    records the audit entry)."""
    org, actor, now = job.organization_id, job.created_by, timezone.now()
    rules = active_rules(org)
    territories = list(Territory.objects.filter(organization_id=org, is_active=True))
    mapped = set(job.mapping.values())
    creates = [r for r in records if r["_match"] is None]
    updates = {r["_match"]: r for r in records if r["_match"] is not None}
    new = []
    for r in creates:
        lead = Lead(organization_id=org, created_by=actor, owner=r["owner"], store_id=r["owner"].store_id,
                    assigned_at=now, web_form=None, **{k: r[k] for k in UPDATABLE if r.get(k) is not None})
        _derive(lead, rules, territories)
        new.append(lead)
    Lead.objects.bulk_create(new, batch_size=2000)
    changed = []
    for lead in Lead.objects.filter(pk__in=list(updates)):
        r = updates[lead.pk]
        for name in UPDATABLE:
            if name in mapped and r.get(name) not in ("", None):  # an empty cell keeps what we have
                setattr(lead, name, r[name])
        if "owner" in mapped and r["owner"] is not None and r["owner"].pk != lead.owner_id:
            lead.owner, lead.store_id, lead.assigned_at = r["owner"], r["owner"].store_id, now
        _derive(lead, rules, territories)
        lead.updated_at = now
        changed.append(lead)
    Lead.objects.bulk_update(changed, [*UPDATABLE, "owner", "store", "assigned_at", "name_pinyin", "score",
                                       "territory", "updated_at"], batch_size=1000)
    return len(new), len(changed)


def register() -> None:
    from guanxi.imports.services import register_kind

    register_kind("leads", fields=LEAD_FIELDS, rows=LeadRows, writer=write_leads, perm=LeadPerm.IMPORT,
                  required={"name"}, models=[Lead])
