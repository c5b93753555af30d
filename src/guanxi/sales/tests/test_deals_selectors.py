"""Opportunity reads: filters, sorts, the board (no N+1), stage history with time in stage, conversion."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from guanxi.sales.models import Opportunity
from guanxi.sales.selectors.opportunities import (
    OpportunityFilters,
    access_opportunity,
    board_data,
    conversion_rates,
    month_range,
    opportunity_list,
    stage_history,
    time_in_stage,
)
from guanxi.sales.services.opportunities import opportunity_create, opportunity_move, opportunity_update

pytestmark = pytest.mark.django_db


def names(qs) -> set[str]:
    return set(qs.values_list("name", flat=True))


def make(w, actor, name, **data):
    return opportunity_create(actor=actor, data={"name": name, "customer": w.customers["own"].pk, **data})


def test_month_range_accepts_only_real_months():
    assert month_range("2026-02") == (dt.date(2026, 2, 1), dt.date(2026, 3, 1))
    assert month_range("2026-12") == (dt.date(2026, 12, 1), dt.date(2027, 1, 1))
    for bad in ("2026-13", "2026-1", "26-01", "", "2026-00", "0001-01", "2026-01-01"):
        assert month_range(bad) is None


def test_list_filters_by_owner_team_territory_month_status_and_text(sales_world):
    w = sales_world
    march = make(w, w.rep_a, "三月项目", expected_close="2026-03-15", amount="10")
    make(w, w.rep_a, "四月项目", expected_close="2026-04-01", amount="20")
    lost = make(w, w.rep_a, "丢单", amount="5")
    opportunity_move(actor=w.rep_a, opportunity=lost, stage=w.stages[5].pk, lost_reason="价格")
    admin = w.admin
    assert names(opportunity_list(actor=admin, filters=OpportunityFilters(close_month="2026-03"))) == {"三月项目"}
    assert names(opportunity_list(actor=admin, filters=OpportunityFilters(status="lost"))) == {"丢单"}
    assert "丢单" not in names(opportunity_list(actor=admin, filters=OpportunityFilters(status="open")))
    assert names(opportunity_list(actor=admin, filters=OpportunityFilters(owner_id=w.rep_d.pk))) == {"欧阳修 年度采购"}
    team_t1 = names(opportunity_list(actor=admin, filters=OpportunityFilters(team_id=w.teams["T1"].pk)))
    assert {"张三 年度采购", "曾小明 年度采购", "三月项目"} <= team_t1 and "单田芳 年度采购" not in team_t1
    # 华东 includes its child 上海, where 张三's deals sit
    east = names(opportunity_list(actor=admin, filters=OpportunityFilters(territory_id=w.territories["east"].pk)))
    assert "张三 年度采购" in east and "欧阳修 年度采购" not in east
    # text: the deal's name, the customer's name, or its pinyin initials
    assert names(opportunity_list(actor=admin, filters=OpportunityFilters(q="三月"))) == {"三月项目"}
    assert "单田芳 年度采购" in names(opportunity_list(actor=admin, filters=OpportunityFilters(q="stf")))
    assert march.pk in set(opportunity_list(actor=admin, filters=OpportunityFilters(stage_id=w.stages[0].pk))
                           .values_list("pk", flat=True))


def test_sorts_are_allow_listed(sales_world):
    w = sales_world
    make(w, w.rep_a, "大单", amount="99999")
    first = opportunity_list(actor=w.admin, sort="-amount").first()
    assert first.name == "大单"
    # an unknown sort falls back to the default, it never reaches ORDER BY
    assert opportunity_list(actor=w.admin, sort="customer__owner__password").count() == 5


def test_lists_show_only_reachable_opportunities(sales_world):
    w = sales_world
    assert names(opportunity_list(actor=w.rep_a)) == {"张三 年度采购", "曾小明 年度采购"}
    # rep_d: own deal plus 张三's through the territory rule
    assert names(opportunity_list(actor=w.rep_d)) == {"张三 年度采购", "欧阳修 年度采购"}
    assert names(opportunity_list(actor=w.users["admin_b"])) == {"Acme Ltd 年度采购"}
    with pytest.raises(Http404):
        access_opportunity(w.users["admin_b"], w.opportunities["own"].pk)
    with pytest.raises(Http404):
        access_opportunity(w.rep_a, "not-a-number")


def test_board_columns_count_sum_and_weight_per_stage(sales_world):
    w = sales_world
    make(w, w.rep_a, "a", amount="1000.00")  # stage 0 (10%)
    b = make(w, w.rep_a, "b", amount="333.33")
    opportunity_move(actor=w.rep_a, opportunity=b, stage=w.stages[1].pk)  # 30%
    columns = board_data(actor=w.rep_a, pipeline=w.pipeline)
    assert [c.stage.position for c in columns] == [0, 1, 2, 3, 4, 5]
    first = columns[0]
    # rep_a sees 张三's and 曾小明's deals (10000.00 each) plus "a"
    assert first.totals.count == 3 and first.totals.amount == Decimal("21000.00")
    assert first.totals.weighted == Decimal("2100.00")
    assert columns[1].totals.count == 1 and columns[1].totals.weighted == Decimal("100.00")  # 99.999 → 100.00
    assert [c.name for c in columns[1].cards] == ["b"]
    assert columns[4].totals.count == 0 and columns[4].totals.amount == Decimal("0.00")


def test_board_filters_by_owner_and_close_month(sales_world):
    w = sales_world
    make(w, w.rep_a, "五月", expected_close="2026-05-20", amount="1.00")
    cols = board_data(actor=w.admin, pipeline=w.pipeline, filters=OpportunityFilters(close_month="2026-05"))
    assert [c.name for c in cols[0].cards] == ["五月"]
    cols = board_data(actor=w.admin, pipeline=w.pipeline, filters=OpportunityFilters(owner_id=w.rep_c.pk))
    assert [c.name for c in cols[0].cards] == ["单田芳 年度采购"]


def _board_queries(actor, pipeline) -> int:
    with CaptureQueriesContext(connection) as ctx:
        columns = board_data(actor=actor, pipeline=pipeline)
        for column in columns:
            for card in column.cards:
                str(card.customer.name), str(card.owner)
    return len(ctx.captured_queries)


def test_board_query_count_does_not_grow_with_cards(sales_world):
    w = sales_world
    for i in range(3):  # with the 2 deals rep_a sees already: 5 cards
        make(w, w.rep_a, f"少{i}", amount="1")
    few = _board_queries(w.rep_a, w.pipeline)
    for i in range(25):  # 30 cards, over several stages
        opp = make(w, w.rep_a, f"多{i}", amount=str(i))
        if i % 3:
            opportunity_move(actor=w.rep_a, opportunity=opp, stage=w.stages[i % 4].pk)
    assert Opportunity.objects.filter(owner__team=w.teams["T1"]).count() == 30
    assert _board_queries(w.rep_a, w.pipeline) == few


def test_board_draws_at_most_the_card_limit_but_counts_all(sales_world, monkeypatch):
    from guanxi.sales.selectors import opportunities as sel

    w = sales_world
    monkeypatch.setattr(sel, "CARD_LIMIT", 2)
    for i in range(3):
        make(w, w.rep_a, f"限{i}", amount="1")
    first = board_data(actor=w.rep_a, pipeline=w.pipeline)[0]
    assert first.totals.count == 5 and len(first.cards) == 2 and first.hidden == 3


def test_cards_keep_the_order_they_were_dropped_in(sales_world):
    w = sales_world
    a, b = make(w, w.rep_a, "甲"), make(w, w.rep_a, "乙")
    opportunity_move(actor=w.rep_a, opportunity=a, stage=w.stages[1].pk)
    opportunity_move(actor=w.rep_a, opportunity=b, stage=w.stages[1].pk, before_id=a.pk)
    column = board_data(actor=w.rep_a, pipeline=w.pipeline)[1]
    assert [c.name for c in column.cards] == ["乙", "甲"]


def test_stage_history_and_time_in_stage(sales_world):
    w = sales_world
    start = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        opp = make(w, w.rep_a, "历史")
    with time_machine.travel(start + dt.timedelta(days=2), tick=False):
        opportunity_move(actor=w.rep_a, opportunity=opp, stage=w.stages[1].pk)
    with time_machine.travel(start + dt.timedelta(days=5, hours=12), tick=False):
        opportunity_update(actor=w.rep_a, opportunity=opp, data={"stage": w.stages[2].pk})
    with time_machine.travel(start + dt.timedelta(days=6), tick=False):
        opportunity_move(actor=w.rep_a, opportunity=opp, stage=w.stages[0].pk)  # back
    now = start + dt.timedelta(days=10)
    rows = stage_history(opportunity=opp, now=now)
    assert [r.stage.position for r in rows] == [0, 1, 2, 0]
    assert [r.seconds for r in rows] == [2 * 86400, int(3.5 * 86400), 12 * 3600, 4 * 86400]
    assert rows[-1].current and not rows[0].current and rows[1].days == Decimal("3.5")
    spent = time_in_stage(opportunity=opp, now=now)
    assert spent[w.stages[0].pk] == 6 * 86400  # two stays add up
    assert spent[w.stages[2].pk] == 12 * 3600


def test_conversion_rates_from_stage_history(sales_world):
    w = sales_world
    # the 4 deals of org A's rep... use the admin's view: 4 world deals sit in stage 0
    deals = [make(w, w.rep_a, f"漏斗{i}") for i in range(4)]
    opportunity_move(actor=w.rep_a, opportunity=deals[0], stage=w.stages[1].pk)
    opportunity_move(actor=w.rep_a, opportunity=deals[0], stage=w.stages[2].pk)
    opportunity_move(actor=w.rep_a, opportunity=deals[1], stage=w.stages[1].pk)
    opportunity_move(actor=w.rep_a, opportunity=deals[1], stage=w.stages[5].pk, lost_reason="预算")  # lost
    opportunity_move(actor=w.rep_a, opportunity=deals[2], stage=w.stages[3].pk)  # skips 1 and 2
    opportunity_move(actor=w.rep_a, opportunity=deals[2], stage=w.stages[4].pk)  # won
    opportunity_move(actor=w.rep_a, opportunity=deals[3], stage=w.stages[2].pk)
    opportunity_move(actor=w.rep_a, opportunity=deals[3], stage=w.stages[1].pk)  # went back: reached 2 still
    filters = OpportunityFilters(q="漏斗")
    steps = conversion_rates(actor=w.admin, pipeline=w.pipeline, filters=filters)
    assert [s.stage.position for s in steps] == [0, 1, 2, 3, 4]  # open stages, then won; lost is not a step
    assert [s.reached for s in steps] == [4, 4, 3, 1, 1]
    assert [s.rate for s in steps] == [Decimal("1.0000"), Decimal("0.7500"), Decimal("0.3333"), Decimal("1.0000"),
                                       None]
    assert steps[2].percent == Decimal("33.3")
    # a rep's figures only count the deals the rep sees
    assert conversion_rates(actor=w.rep_c, pipeline=w.pipeline, filters=filters)[0].reached == 0


def test_moving_into_lost_needs_a_reason(sales_world):
    w = sales_world
    opp = w.opportunities["own"]
    with pytest.raises(ValidationError) as exc:
        opportunity_move(actor=w.rep_a, opportunity=opp, stage=w.stages[5].pk)
    assert "lost_reason" in exc.value.message_dict
    assert Opportunity.objects.get(pk=opp.pk).stage == w.stages[0]
    opportunity_move(actor=w.rep_a, opportunity=opp, stage=w.stages[5].pk, lost_reason="  价格 太高 ")
    opp.refresh_from_db()
    assert opp.stage == w.stages[5] and opp.lost_reason == "价格 太高" and opp.probability == 0
