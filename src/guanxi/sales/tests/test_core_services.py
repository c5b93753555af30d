"""The sales base: pipelines, stage moves and their history, and the territory rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import pgettext

from guanxi.core.permissions import require, row_filter
from guanxi.customers.models import Customer, TimelineEvent
from guanxi.customers.permissions import CustomerPerm
from guanxi.sales.models import Opportunity, StageChange
from guanxi.sales.permissions import OpportunityPerm
from guanxi.sales.services.opportunities import opportunity_create, opportunity_move, opportunity_update
from guanxi.sales.services.territories import territory_realign

pytestmark = pytest.mark.django_db


def visible(user, model, perm):
    return set(model.objects.filter(row_filter(user, perm)).values_list("pk", flat=True))


def test_default_pipeline_has_open_won_and_lost_stages(sales_world):
    stages = list(sales_world.pipeline.stages.order_by("position"))
    assert [s.probability for s in stages] == [10, 30, 60, 80, 100, 0]
    assert stages[-2].is_won and stages[-1].is_lost
    # named in each organisation's language at creation, whatever language is active now
    with translation.override("zh-hans"):
        assert stages[0].name == pgettext("stage", "Initial contact")
    assert sales_world.pipeline_b.stages.order_by("position").first().name == "Initial contact"


def test_moving_a_card_records_history_and_follows_stage_probability(sales_world):
    w = sales_world
    opp = w.opportunities["own"]
    assert opp.probability == 10 and opp.stage == w.stages[0]
    opportunity_move(actor=w.rep_a, opportunity=opp, stage=w.stages[2].pk)
    opportunity_move(actor=w.rep_a, opportunity=opp, stage=w.stages[4].pk)
    opp.refresh_from_db()
    assert opp.stage == w.stages[4] and opp.probability == 100 and opp.closed_at is not None
    history = list(StageChange.objects.filter(opportunity=opp).values_list("from_stage", "to_stage"))
    assert history == [(None, w.stages[0].pk), (w.stages[0].pk, w.stages[2].pk), (w.stages[2].pk, w.stages[4].pk)]
    assert TimelineEvent.objects.filter(customer=opp.customer, kind=TimelineEvent.Kind.STAGE_CHANGED).count() == 2
    # reopening clears closed_at
    opportunity_move(actor=w.rep_a, opportunity=opp, stage=w.stages[3].pk)
    opp.refresh_from_db()
    assert opp.closed_at is None and opp.probability == 80


def test_a_hand_set_probability_survives_open_moves(sales_world):
    w = sales_world
    opp = opportunity_update(actor=w.rep_a, opportunity=w.opportunities["own"], data={"probability": 45})
    opportunity_move(actor=w.rep_a, opportunity=opp, stage=w.stages[1].pk)
    opp.refresh_from_db()
    assert opp.probability == 45
    opp = opportunity_update(actor=w.rep_a, opportunity=opp, data={"probability": None})
    assert opp.probability == 30


def test_stage_of_another_pipeline_or_org_is_refused(sales_world):
    w = sales_world
    foreign = w.pipeline_b.stages.first()
    with pytest.raises(ValidationError) as exc:
        opportunity_move(actor=w.rep_a, opportunity=w.opportunities["own"], stage=foreign.pk)
    assert "stage" in exc.value.message_dict
    assert StageChange.objects.filter(opportunity=w.opportunities["own"]).count() == 1


def test_reps_cannot_move_a_teammates_deal(sales_world):
    w = sales_world
    with pytest.raises(PermissionDenied):
        opportunity_move(actor=w.rep_a, opportunity=w.opportunities["team"], stage=w.stages[1].pk)
    assert Opportunity.objects.get(pk=w.opportunities["team"].pk).stage == w.stages[0]


def test_amount_is_decimal_and_validated(sales_world):
    w = sales_world
    opp = opportunity_create(actor=w.rep_a, data={"name": "x", "customer": w.customers["own"].pk,
                                                  "amount": "1234.565"})
    assert opp.amount == Decimal("1234.57")  # half-up (四舍五入), not banker's rounding
    with pytest.raises(ValidationError) as exc:
        opportunity_create(actor=w.rep_a, data={"name": "x", "customer": w.customers["own"].pk, "amount": "-1"})
    assert "amount" in exc.value.message_dict


def test_territory_rule_lets_members_see_what_the_territory_holds(sales_world):
    w = sales_world
    own_opp = w.opportunities["own"]
    assert own_opp.territory == w.territories["shanghai"]
    # rep_d is in store S2 and another team, but a member of 华东 (parent of 上海)
    assert own_opp.pk in visible(w.rep_d, Opportunity, OpportunityPerm.VIEW)
    assert w.customers["own"].pk in visible(w.rep_d, Customer, CustomerPerm.VIEW)
    require(w.rep_d, OpportunityPerm.VIEW, own_opp)
    # seeing is not changing
    with pytest.raises(PermissionDenied):
        require(w.rep_d, OpportunityPerm.CHANGE, own_opp)
    # rep_c (same store, other team, no territory) still does not see it
    assert own_opp.pk not in visible(w.rep_c, Opportunity, OpportunityPerm.VIEW)
    # and nobody in org B does
    assert own_opp.pk not in visible(w.users["admin_b"], Opportunity, OpportunityPerm.VIEW)


def test_realign_moves_customers_and_open_deals_and_is_audited(sales_world):
    from guanxi.core.models import AuditEntry
    from guanxi.customers.services import customer_update

    from guanxi.sales.services.territories import territory_update

    w = sales_world
    # A customer saved through the service is placed at once (and its open deals follow) ...
    customer_update(actor=w.rep_c, customer=w.customers["other_team"], data={"province": "北京"})
    assert Opportunity.objects.get(pk=w.opportunities["other_team"].pk).territory == w.territories["north"]
    assert territory_realign(actor=w.admin) == {"customers": 0, "leads": 0, "opportunities": 0}
    # ... a rule change needs re-territorying: 北京 now belongs to 华东
    territory_update(actor=w.admin, territory=w.territories["east"], data={"provinces": "上海\n北京"})
    territory_update(actor=w.admin, territory=w.territories["north"], data={"provinces": "天津"})
    moved = territory_realign(actor=w.admin)
    assert moved == {"customers": 1, "leads": 0, "opportunities": 1}
    assert Opportunity.objects.get(pk=w.opportunities["other_team"].pk).territory == w.territories["east"]
    assert AuditEntry.objects.filter(object_type="sales.territory", object_id="*").exists()
    with pytest.raises(PermissionDenied):
        territory_realign(actor=w.rep_a)
