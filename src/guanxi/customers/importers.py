"""What a customer or contact row of an import file may hold, and how one row is checked.

The engine (guanxi.imports.engine) streams the file and calls `clean` per row; lookups that
would otherwise cost a query per row (owners, stores, existing phones/e-mails/keys) are loaded
once in `prepare`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.models import Store, User
from guanxi.core.permissions import Scope, assignable_owner_filter, scope_for
from guanxi.core.phones import normalize_phone
from guanxi.customers.models import Contact, Customer
from guanxi.customers.permissions import CustomerPerm

CUSTOMER_FIELDS = {
    # field: (label, header aliases)
    "name": (gettext_lazy("Name"), ["name", "customer", "customer name", "名称", "客户名称", "客户", "姓名", "公司名称"]),
    "kind": (gettext_lazy("Kind"), ["kind", "type", "类型", "客户类型"]),
    "phone": (gettext_lazy("Phone"), ["phone", "mobile", "tel", "手机", "电话", "手机号", "联系电话"]),
    "phone2": (gettext_lazy("Second phone"), ["phone2", "second phone", "备用电话", "电话2"]),
    "email": (gettext_lazy("Email"), ["email", "e-mail", "mail", "邮箱", "电子邮箱", "电子邮件"]),
    "owner": (gettext_lazy("Owner (username)"), ["owner", "负责人", "所有者", "销售"]),
    "store": (gettext_lazy("Store (code)"), ["store", "门店", "门店编号"]),
    "source": (gettext_lazy("Source"), ["source", "来源"]),
    "stage": (gettext_lazy("Lifecycle stage"), ["stage", "lifecycle stage", "阶段", "生命周期阶段"]),
    "industry": (gettext_lazy("Industry"), ["industry", "行业"]),
    "province": (gettext_lazy("Province"), ["province", "state", "省份", "省"]),
    "city": (gettext_lazy("City"), ["city", "城市", "市"]),
    "address": (gettext_lazy("Address"), ["address", "地址"]),
    "website": (gettext_lazy("Website"), ["website", "web", "网站", "网址"]),
    "tags": (gettext_lazy("Tags"), ["tags", "tag", "标签"]),
    "notes": (gettext_lazy("Notes"), ["notes", "note", "remarks", "备注"]),
    "external_id": (gettext_lazy("External id"), ["external id", "external_id", "id", "外部编号", "编号"]),
}
CONTACT_FIELDS = {
    "customer": (gettext_lazy("Customer (by the chosen key)"), ["customer", "customer phone", "customer email",
                                                               "customer id", "客户", "客户电话", "客户编号"]),
    "name": (gettext_lazy("Name"), ["name", "contact", "姓名", "联系人", "名称"]),
    "title": (gettext_lazy("Job title"), ["title", "job title", "职务", "职位"]),
    "department": (gettext_lazy("Department"), ["department", "部门"]),
    "role": (gettext_lazy("Role"), ["role", "角色"]),
    "phone": (gettext_lazy("Phone"), ["phone", "mobile", "手机", "电话"]),
    "email": (gettext_lazy("Email"), ["email", "邮箱"]),
    "notes": (gettext_lazy("Notes"), ["notes", "备注"]),
    "external_id": (gettext_lazy("External id"), ["external id", "external_id", "外部编号"]),
}
LIMITS = {"name": 200, "industry": 100, "province": 50, "city": 50, "address": 300, "website": 200, "notes": 5000,
          "external_id": 64, "title": 100, "department": 100}
_NORM = re.compile(r"[\s_\-:：（）()]+")


def _norm(header: str) -> str:
    return _NORM.sub(" ", header.strip().lower()).strip()


def guess_mapping(header: list[str], fields: dict) -> dict[str, str]:
    """{"column index": field} from header names in Chinese or English."""
    aliases = {_norm(a): name for name, (_label, names) in fields.items() for a in names}
    mapping, used = {}, set()
    for i, h in enumerate(header):
        name = aliases.get(_norm(h))
        if name and name not in used:
            mapping[str(i)] = name
            used.add(name)
    return mapping


def _choice_lookup(choices) -> dict[str, str]:
    """Accept a choice's code or its label in either language."""
    table = {}
    for value, label in choices:
        table[value.lower()] = value
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                table[str(label).lower()] = value
    return table


KIND_LOOKUP = {**{"公司": "company", "企业": "company", "个人": "person", "人": "person"}}


@dataclass
class CustomerRows:
    """Checks customer rows for one import and remembers what it saw in the file."""

    actor: User
    key: str
    owners: dict[str, User] = field(default_factory=dict)
    stores: dict[str, Store] = field(default_factory=dict)
    existing_by_key: dict[str, int] = field(default_factory=dict)
    existing_phones: dict[str, int] = field(default_factory=dict)
    existing_emails: dict[str, int] = field(default_factory=dict)
    existing_external: dict[str, int] = field(default_factory=dict)
    seen_keys: dict[str, int] = field(default_factory=dict)
    seen_phones: dict[str, int] = field(default_factory=dict)
    seen_emails: dict[str, int] = field(default_factory=dict)

    @classmethod
    def prepare(cls, *, actor, key: str) -> CustomerRows:
        org = actor.organization_id
        rows = cls(actor=actor, key=key)
        rows.owners = {u.username: u for u in User.objects.filter(assignable_owner_filter(actor, CustomerPerm.IMPORT),
                                                                   is_active=True).select_related("store")}
        rows.stores = {s.code: s for s in Store.objects.filter(organization_id=org)}
        rows.region = actor.organization.default_phone_region or "CN"
        rows.may_pick_store = scope_for(actor, CustomerPerm.IMPORT) == Scope.ALL or actor.store_id is None or actor.store.is_headquarters
        existing = Customer.objects.filter(organization_id=org).values_list("pk", "phone", "phone2", "email", "external_id")
        for pk, phone, phone2, email, external_id in existing.iterator(chunk_size=5000):
            for p in (phone, phone2):
                if p:
                    rows.existing_phones.setdefault(p, pk)
            if email:
                rows.existing_emails.setdefault(email, pk)
            if external_id:
                rows.existing_external[external_id] = pk
            value = {"phone": phone, "email": email, "external_id": external_id}[key]
            if value:
                rows.existing_by_key.setdefault(value, pk)
            if key == "phone" and phone2:
                rows.existing_by_key.setdefault(phone2, pk)
        rows.kinds = {**_choice_lookup(Customer.Kind.choices), **KIND_LOOKUP}
        rows.sources = _choice_lookup(Customer.Source.choices)
        rows.stages = _choice_lookup(Customer.Stage.choices)
        return rows

    def clean(self, row_number: int, cells: dict[str, str]):
        """Returns (record, errors): record has model values plus "_match" (existing id or None)."""
        errors: list[tuple[str, str]] = []
        rec: dict = {}
        for name, limit in LIMITS.items():
            if name in cells:
                value = cells[name]
                if len(value) > limit:
                    errors.append((name, _("At most %(n)s characters.") % {"n": limit}))
                if "\x00" in value:
                    errors.append((name, _("Null characters are not allowed.")))
                rec[name] = value
        if not cells.get("name"):
            errors.append(("name", _("A name is required.")))
        rec["kind"] = self._choice(cells, "kind", self.kinds, "company", errors)
        rec["source"] = self._choice(cells, "source", self.sources, "import", errors)
        rec["stage"] = self._choice(cells, "stage", self.stages, "lead", errors)
        for name in ("phone", "phone2"):
            try:
                rec[name] = normalize_phone(cells.get(name, ""), self.region)
            except ValidationError:
                errors.append((name, _("Enter a valid phone number.")))
                rec[name] = ""
        email = cells.get("email", "").strip().lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(("email", _("Enter a valid email address.")))
        rec["email"] = email
        owner_name = cells.get("owner", "")
        owner = self.owners.get(owner_name) if owner_name else self.actor
        if owner is None:
            errors.append(("owner", _("Unknown user, or one you cannot assign customers to: %(name)s") % {"name": owner_name}))
        rec["owner"] = owner
        store_code = cells.get("store", "")
        store = self.stores.get(store_code) if store_code else None
        if store_code and store is None:
            errors.append(("store", _("Unknown store code: %(code)s") % {"code": store_code}))
        elif store is not None and not self.may_pick_store and store.pk != self.actor.store_id:
            errors.append(("store", _("You can only choose your own store.")))
        rec["store"] = store or (owner.store if owner else None) or self.actor.store
        tags = [" ".join(t.split()) for t in re.split(r"[,，;；]", cells.get("tags", "")) if t.strip()]
        if any(len(t) > 50 for t in tags) or len(tags) > 30:
            errors.append(("tags", _("At most 30 tags of at most 50 characters.")))
        rec["tags"] = tags
        rec["_match"] = self._match(row_number, rec, errors)
        holder = self.existing_external.get(rec.get("external_id", ""))
        if holder and holder != rec["_match"]:
            errors.append(("external_id", _("Another record already uses this external id.")))
        return rec, errors

    def _choice(self, cells, name, table, default, errors):
        raw = cells.get(name, "").strip()
        if not raw:
            return default
        value = table.get(raw.lower())
        if value is None:
            errors.append((name, _("Unknown value: %(value)s") % {"value": raw}))
        return value or default

    def _match(self, row_number: int, rec: dict, errors) -> int | None:
        key_value = rec.get(self.key, "")
        if key_value:
            earlier = self.seen_keys.get(key_value)
            if earlier:
                errors.append((self.key, _("Same %(key)s as row %(row)s.") % {"key": self.key, "row": earlier}))
            self.seen_keys.setdefault(key_value, row_number)
            match = self.existing_by_key.get(key_value)
            if match:
                return match
        for name in ("phone", "phone2"):
            phone = rec.get(name)
            if not phone:
                continue
            if phone in self.existing_phones:
                errors.append((name, _("Duplicate of existing customer #%(id)s (same phone).") % {"id": self.existing_phones[phone]}))
            elif self.seen_phones.get(phone, row_number) != row_number:
                errors.append((name, _("Same phone as row %(row)s.") % {"row": self.seen_phones[phone]}))
            self.seen_phones.setdefault(phone, row_number)
        email = rec.get("email")
        if email:
            if email in self.existing_emails:
                errors.append(("email", _("Duplicate of existing customer #%(id)s (same email).") % {"id": self.existing_emails[email]}))
            elif self.seen_emails.get(email, row_number) != row_number:
                errors.append(("email", _("Same email as row %(row)s.") % {"row": self.seen_emails[email]}))
            self.seen_emails.setdefault(email, row_number)
        return None


@dataclass
class ContactRows:
    """Contacts find their customer by the chosen key (the customer's phone, e-mail or external id)."""

    actor: User
    key: str
    customers_by_key: dict[str, int] = field(default_factory=dict)

    @classmethod
    def prepare(cls, *, actor, key: str) -> ContactRows:
        from guanxi.core.permissions import row_filter

        rows = cls(actor=actor, key=key)
        rows.region = actor.organization.default_phone_region or "CN"
        changeable = Customer.objects.filter(row_filter(actor, CustomerPerm.CHANGE))
        for pk, phone, email, external_id in changeable.values_list("pk", "phone", "email", "external_id").iterator(chunk_size=5000):
            value = {"phone": phone, "email": email, "external_id": external_id}[key]
            if value:
                rows.customers_by_key.setdefault(value, pk)
        rows.roles = _choice_lookup(Contact.Role.choices)
        return rows

    def clean(self, row_number: int, cells: dict[str, str]):
        errors: list[tuple[str, str]] = []
        rec: dict = {k: cells.get(k, "") for k in ("name", "title", "department", "notes", "external_id")}
        for name, value in rec.items():
            if len(value) > LIMITS.get(name, 100) or "\x00" in value:
                errors.append((name, _("At most %(n)s characters.") % {"n": LIMITS.get(name, 100)}))
        if not rec["name"]:
            errors.append(("name", _("A name is required.")))
        ref = cells.get("customer", "").strip()
        if self.key == "phone" and ref:
            try:
                ref = normalize_phone(ref, self.region)
            except ValidationError:
                pass
        elif self.key == "email":
            ref = ref.lower()
        rec["customer_id"] = self.customers_by_key.get(ref)
        if rec["customer_id"] is None:
            errors.append(("customer", _("No customer you may change has %(key)s %(value)s.") % {"key": self.key, "value": ref or "—"}))
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
        raw_role = cells.get("role", "").strip()
        rec["role"] = self.roles.get(raw_role.lower(), "other") if raw_role else "other"
        if raw_role and raw_role.lower() not in self.roles:
            errors.append(("role", _("Unknown value: %(value)s") % {"value": raw_role}))
        rec["_match"] = None
        return rec, errors


SPECS = {"customers": (CUSTOMER_FIELDS, CustomerRows), "contacts": (CONTACT_FIELDS, ContactRows)}
