"""Assigning leads (SAL-1): by hand, round-robin within a team, or by territory.

Round-robin keeps, per team and per territory, the last user who received a lead
(RoundRobinState, row-locked while choosing) and hands the next lead to the next eligible user
by id, wrapping around. Eligible: active users with the sales-rep role — a manager or a
deactivated colleague in the team is skipped. By territory, the candidates are the territory's
members with the rep role (the nearest territory up the tree that has any). Whoever the actor
assigns to must be someone they may assign leads to. The assignee is notified (and e-mailed).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.models import Team, User
from guanxi.core.permissions import assignable_owner_filter, require
from guanxi.core.roles import Role
from guanxi.core.validation import resolve_owner
from guanxi.sales.models import Lead, RoundRobinState, Territory, TerritoryMember
from guanxi.sales.permissions import LeadPerm
from guanxi.sales.services.leads import notify_assignee, refuse_converted


def _eligible(org_id: int) -> Q:
    return Q(organization_id=org_id, is_active=True, role=Role.SALES)


def next_in_turn(org_id: int, candidates: Q, *, team: Team | None = None,
                 territory: Territory | None = None) -> User | None:
    """The next user of `candidates` after the one who got the last lead of this team/territory."""
    state, _created = RoundRobinState.objects.get_or_create(organization_id=org_id, team=team, territory=territory)
    state = RoundRobinState.objects.select_for_update().get(pk=state.pk)
    users = list(User.objects.filter(candidates).filter(_eligible(org_id)).order_by("pk"))
    if not users:
        return None
    chosen = next((u for u in users if state.last_user_id is not None and u.pk > state.last_user_id), users[0])
    state.last_user = chosen
    state.save(update_fields=["last_user"])
    return chosen


def team_round_robin(org_id: int, team: Team, allowed: Q | None = None) -> User | None:
    candidates = Q(team_id=team.pk)
    return next_in_turn(org_id, candidates & allowed if allowed is not None else candidates, team=team)


def territory_round_robin(org_id: int, territory: Territory, allowed: Q | None = None) -> User | None:
    """Round-robin among the territory's reps; a territory without reps hands over to its parent."""
    node: Territory | None = territory
    while node is not None:
        reps = Q(pk__in=TerritoryMember.objects.filter(organization_id=org_id, territory=node,
                                                       role=TerritoryMember.Role.REP).values("user_id"))
        if allowed is not None:
            reps &= allowed
        if User.objects.filter(reps).filter(_eligible(org_id)).exists():
            return next_in_turn(org_id, reps, territory=node)
        node = node.parent
    return None


def assign_to(actor, lead: Lead, user: User | None, how: str) -> Lead:
    """Give `lead` (already locked and checked) to `user`: owner, store, time, audit, notification."""
    before = audit.snapshot(lead, ["owner", "store"])
    lead.owner = user
    if user is not None:
        lead.store_id = user.store_id
    lead.assigned_at = timezone.now()
    lead.save(update_fields=["owner", "store", "assigned_at", "updated_at"])
    changes = audit.diff(before, audit.snapshot(lead, ["owner", "store"]))
    changes["assigned"] = [None, how]
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=lead, changes=changes,
                 organization_id=lead.organization_id)
    notify_assignee(actor, lead)
    return lead


def _locked(actor, lead: Lead) -> Lead:
    require(actor, LeadPerm.ASSIGN, lead)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)  # no outer join: PostgreSQL cannot lock its nullable side
    refuse_converted(lead)
    return lead


@transaction.atomic
def lead_assign(*, actor, lead: Lead, owner) -> Lead:
    """By hand: `owner` (a user or id) must be someone the actor may assign leads to."""
    lead = _locked(actor, lead)
    user = resolve_owner(actor, owner, LeadPerm.ASSIGN, pool_allowed=False)
    return assign_to(actor, lead, user, "manual")


@transaction.atomic
def lead_assign_round_robin(*, actor, lead: Lead, team) -> Lead:
    """To the next rep in `team` (a Team or id) whose turn it is."""
    lead = _locked(actor, lead)
    team_id = team.pk if isinstance(team, Team) else team
    try:
        team_obj = Team.objects.filter(organization_id=actor.organization_id, pk=int(team_id)).first()
    except (TypeError, ValueError):
        team_obj = None
    if team_obj is None:
        raise ValidationError({"team": [_("Choose a valid team.")]})
    user = team_round_robin(actor.organization_id, team_obj, assignable_owner_filter(actor, LeadPerm.ASSIGN))
    if user is None:
        raise ValidationError({"team": [_("This team has no active sales rep you may assign leads to.")]})
    return assign_to(actor, lead, user, f"round-robin:team:{team_obj.pk}")


@transaction.atomic
def lead_assign_by_territory(*, actor, lead: Lead) -> Lead:
    """To the next rep of the lead's territory (placed by the territory rules on every write)."""
    lead = _locked(actor, lead)
    if lead.territory_id is None:
        raise ValidationError({"territory": [_("This lead is in no territory; fill in its province, city, "
                                               "postcode or industry, or assign it by hand.")]})
    territory = Territory.objects.get(pk=lead.territory_id)
    user = territory_round_robin(actor.organization_id, territory, assignable_owner_filter(actor, LeadPerm.ASSIGN))
    if user is None:
        raise ValidationError({"territory": [_("No active sales rep you may assign leads to works this territory.")]})
    return assign_to(actor, lead, user, f"territory:{territory.pk}")
