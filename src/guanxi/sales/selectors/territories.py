"""Reads of territories (SAL-5): the tree with members and what each node holds."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.http import Http404

from guanxi.core.models import User
from guanxi.core.permissions import require
from guanxi.sales.models import CustomerTerritory, Opportunity, Territory, TerritoryMember
from guanxi.sales.permissions import TerritoryPerm
from guanxi.sales.selectors.opportunities import _pk


@dataclass
class TerritoryNode:
    territory: Territory
    children: list[TerritoryNode] = field(default_factory=list)
    members: list[TerritoryMember] = field(default_factory=list)
    customers: int = 0
    open_opportunities: int = 0


def territory_list(*, actor) -> QuerySet:
    require(actor, TerritoryPerm.VIEW)
    return Territory.objects.filter(organization_id=actor.organization_id).order_by("path")


def territory_get(*, actor, pk) -> Territory:
    require(actor, TerritoryPerm.VIEW)
    territory = Territory.objects.filter(organization_id=actor.organization_id, pk=_pk(pk)).first()
    if territory is None:
        raise Http404
    return territory


def territory_tree(*, actor) -> list[TerritoryNode]:
    """The whole tree from four queries: territories, members, customer and open-deal counts
    (counts are of the node itself, not its subtree)."""
    territories = list(territory_list(actor=actor))
    nodes = {t.pk: TerritoryNode(t) for t in territories}
    org = actor.organization_id
    for member in (TerritoryMember.objects.filter(organization_id=org, territory_id__in=nodes)
                   .select_related("user").order_by("role", "user__username")):
        nodes[member.territory_id].members.append(member)
    for row in (CustomerTerritory.objects.filter(organization_id=org).order_by().values("territory_id")
                .annotate(n=Count("id"))):
        if row["territory_id"] in nodes:
            nodes[row["territory_id"]].customers = row["n"]
    for row in (Opportunity.objects.filter(organization_id=org, closed_at__isnull=True, territory__isnull=False)
                .order_by().values("territory_id").annotate(n=Count("id"))):
        if row["territory_id"] in nodes:
            nodes[row["territory_id"]].open_opportunities = row["n"]
    roots = []
    for t in territories:
        parent = nodes.get(t.parent_id)
        (parent.children if parent else roots).append(nodes[t.pk])
    for node in nodes.values():
        node.children.sort(key=lambda n: (n.territory.priority, n.territory.name))
    roots.sort(key=lambda n: (n.territory.priority, n.territory.name))
    return roots


def flatten(nodes: list[TerritoryNode], depth: int = 0) -> list[tuple[int, TerritoryNode]]:
    out = []
    for node in nodes:
        out.append((depth, node))
        out.extend(flatten(node.children, depth + 1))
    return out


def territory_members(*, territory: Territory) -> list[TerritoryMember]:
    return list(TerritoryMember.objects.filter(territory=territory).select_related("user")
                .order_by("role", "user__username"))


def member_candidates(*, actor) -> QuerySet:
    return User.objects.filter(organization_id=actor.organization_id, is_active=True).order_by("username")
