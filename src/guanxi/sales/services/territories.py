"""Territories (SAL-5): the tree, placement rules, members, and re-territorying.

Placement: a record (customer or lead) goes to the deepest matching territory, then the one with
the lowest priority number, then the lowest id. A territory matches when every rule list it has
(provinces, cities, postcode prefixes, industries) contains the record's value; a territory
with no rules matches nothing (it only groups its children).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.models import User
from guanxi.core.permissions import require
from guanxi.core.validation import check_text, reject_unknown
from guanxi.sales.models import CustomerTerritory, Lead, Opportunity, Territory, TerritoryMember
from guanxi.sales.permissions import TerritoryPerm

TERRITORY_FIELDS = ("name", "code", "parent", "priority", "provinces", "cities", "postcode_prefixes", "industries",
                    "is_active")
RULE_FIELDS = ("provinces", "cities", "postcode_prefixes", "industries")


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in (text or "").replace(",", "\n").replace("，", "\n").splitlines()
            if line.strip()]


@dataclass(frozen=True)
class Place:
    province: str = ""
    city: str = ""
    postcode: str = ""
    industry: str = ""


def _matches(territory: Territory, place: Place) -> bool:
    rules = {name: _lines(getattr(territory, name)) for name in RULE_FIELDS}
    if not any(rules.values()):
        return False
    if rules["provinces"] and not any(place.province.startswith(p) for p in rules["provinces"]):
        return False
    if rules["cities"] and not any(place.city.startswith(c) for c in rules["cities"]):
        return False
    if rules["postcode_prefixes"] and not any(place.postcode.startswith(p) for p in rules["postcode_prefixes"]):
        return False
    return not (rules["industries"] and place.industry not in rules["industries"])


def territory_match(organization_id: int, place: Place, territories: list[Territory] | None = None):
    """The territory `place` belongs in, or None. Pass `territories` to match many records against one read."""
    if territories is None:
        territories = list(Territory.objects.filter(organization_id=organization_id, is_active=True))
    candidates = [t for t in territories if _matches(t, place)]
    if not candidates:
        return None
    return min(candidates, key=lambda t: (-t.depth, t.priority, t.pk))


def place_of_customer(customer) -> Place:
    return Place(province=customer.province, city=customer.city, industry=customer.industry)


def place_of_lead(lead: Lead) -> Place:
    return Place(province=lead.province, city=lead.city, postcode=lead.postcode, industry=lead.industry)


def customer_territory(customer) -> Territory | None:
    link = CustomerTerritory.objects.filter(customer_id=customer.pk).select_related("territory").first()
    return link.territory if link else None


def place_customer(customer, territories: list[Territory] | None = None) -> Territory | None:
    """Put a customer in its territory by the rules (or take it out of any); returns the territory."""
    territory = territory_match(customer.organization_id, place_of_customer(customer), territories)
    if territory is None:
        CustomerTerritory.objects.filter(customer_id=customer.pk).delete()
    else:
        CustomerTerritory.objects.update_or_create(
            organization_id=customer.organization_id, customer_id=customer.pk, defaults={"territory": territory}
        )
    return territory


# --- the tree --------------------------------------------------------------------------------

def _clean(actor, data: dict, instance: Territory | None) -> dict:
    reject_unknown(data, TERRITORY_FIELDS)
    check_text(data)
    clean = dict(data)
    if "name" in clean or instance is None:
        clean["name"] = " ".join(str(clean.get("name") or "").split())
        if not clean["name"]:
            raise ValidationError({"name": [_("This field is required.")]})
    if "parent" in clean and clean["parent"] not in (None, ""):
        parent_id = clean["parent"].pk if isinstance(clean["parent"], Territory) else clean["parent"]
        try:
            parent = Territory.objects.filter(organization_id=actor.organization_id, pk=int(parent_id)).first()
        except (TypeError, ValueError):
            parent = None
        if parent is None:
            raise ValidationError({"parent": [_("Choose a valid territory.")]})
        if instance is not None and instance.pk and (parent.pk == instance.pk or parent.path.startswith(instance.path)):
            raise ValidationError({"parent": [_("A territory cannot sit under itself.")]})
        clean["parent"] = parent
    elif "parent" in clean:
        clean["parent"] = None
    for name in RULE_FIELDS:
        if name in clean:
            clean[name] = "\n".join(_lines(str(clean[name] or "")))
    return clean


def _set_path(territory: Territory) -> None:
    parent_path = territory.parent.path if territory.parent_id else "/"
    territory.path = f"{parent_path}{territory.pk}/"
    territory.depth = parent_path.count("/") - 1


@transaction.atomic
def territory_create(*, actor, data: dict) -> Territory:
    require(actor, TerritoryPerm.MANAGE)
    clean = _clean(actor, data, None)
    if Territory.objects.filter(organization_id=actor.organization_id, parent=clean.get("parent"),
                                name=clean["name"]).exists():
        raise ValidationError({"name": [_("A territory with this name exists here already.")]})
    territory = Territory(organization_id=actor.organization_id, **clean)
    territory.save()
    _set_path(territory)
    territory.save(update_fields=["path", "depth"])
    audit.record(actor=actor, action=audit.Action.CREATE, obj=territory,
                 changes=audit.snapshot(territory, list(TERRITORY_FIELDS)))
    return territory


@transaction.atomic
def territory_update(*, actor, territory: Territory, data: dict) -> Territory:
    require(actor, TerritoryPerm.MANAGE)
    clean = _clean(actor, data, territory)
    before = audit.snapshot(territory, list(TERRITORY_FIELDS))
    old_path = territory.path
    for name, value in clean.items():
        setattr(territory, name, value)
    _set_path(territory)
    territory.save()
    if territory.path != old_path:  # the subtree moves with it
        for child in Territory.objects.filter(organization_id=territory.organization_id,
                                              path__startswith=old_path).exclude(pk=territory.pk).order_by("depth"):
            child.refresh_from_db(fields=["parent"])
            _set_path(child)
            child.save(update_fields=["path", "depth"])
    changes = audit.diff(before, audit.snapshot(territory, list(TERRITORY_FIELDS)))
    if changes:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=territory, changes=changes)
    return territory


@transaction.atomic
def territory_member_set(*, actor, territory: Territory, user: User, role: str | None) -> None:
    """Add (role "rep"/"manager"), change, or with role None remove a member."""
    require(actor, TerritoryPerm.MANAGE)
    if user.organization_id != actor.organization_id or not user.is_active:
        raise ValidationError({"user": [_("Choose a valid user.")]})
    if role is None:
        TerritoryMember.objects.filter(territory=territory, user=user).delete()
    else:
        if role not in TerritoryMember.Role.values:
            raise ValidationError({"role": [_("Choose a valid role.")]})
        TerritoryMember.objects.update_or_create(
            organization_id=actor.organization_id, territory=territory, user=user, defaults={"role": role}
        )
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=territory,
                 changes={"member": [user.username, role]})


@transaction.atomic
def territory_realign(*, actor) -> dict[str, int]:
    """Re-territorying: apply the current rules to every customer and lead and move open
    opportunities with their customer. Returns how many of each moved; one audit entry."""
    require(actor, TerritoryPerm.MANAGE)
    from guanxi.customers.models import Customer

    org_id = actor.organization_id
    territories = list(Territory.objects.filter(organization_id=org_id, is_active=True))
    moved = {"customers": 0, "leads": 0, "opportunities": 0}
    current = dict(CustomerTerritory.objects.filter(organization_id=org_id).values_list("customer_id", "territory_id"))
    targets: dict[int, int | None] = {}
    for customer in Customer.objects.filter(organization_id=org_id).only("id", "province", "city", "industry",
                                                                            "organization_id"):
        territory = territory_match(org_id, place_of_customer(customer), territories)
        new_id = territory.pk if territory else None
        targets[customer.pk] = new_id
        if current.get(customer.pk) != new_id:
            moved["customers"] += 1
            if new_id is None:
                CustomerTerritory.objects.filter(customer_id=customer.pk).delete()
            else:
                CustomerTerritory.objects.update_or_create(organization_id=org_id, customer_id=customer.pk,
                                                           defaults={"territory_id": new_id})
    for lead in Lead.objects.filter(organization_id=org_id).exclude(status=Lead.Status.CONVERTED):
        territory = territory_match(org_id, place_of_lead(lead), territories)
        new_id = territory.pk if territory else None
        if lead.territory_id != new_id:
            Lead.objects.filter(pk=lead.pk).update(territory_id=new_id)
            moved["leads"] += 1
    for opp_id, customer_id, territory_id in Opportunity.objects.filter(
        organization_id=org_id, closed_at__isnull=True
    ).values_list("id", "customer_id", "territory_id"):
        if targets.get(customer_id) != territory_id:
            Opportunity.objects.filter(pk=opp_id).update(territory_id=targets.get(customer_id))
            moved["opportunities"] += 1
    audit.record(actor=actor, action=audit.Action.UPDATE, object_type_label="sales.territory", object_id="*",
                 object_repr=_("Re-territorying"), changes={"moved": moved})
    return moved
