"""Deals pages: the board and its move endpoint, list, detail, forms; what users see and what the DB holds."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.customers.services import contact_create
from guanxi.sales.models import Opportunity, StageChange
from guanxi.sales.services.opportunities import opportunity_create, opportunity_move
from guanxi.sales.services.playbook import playbook_entry_create, tip_create

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def make(w, name, **data):
    return opportunity_create(actor=w.rep_a, data={"name": name, "customer": w.customers["own"].pk, **data})


def test_board_shows_columns_with_counts_sums_and_the_reps_cards(sales_world, client_for):
    w = sales_world
    make(w, "看板项目", amount="333.33")
    page = client_for("rep_a").get("/opportunities/board/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "看板项目" in html and "张三 年度采购" in html and "单田芳 年度采购" not in html
    assert 'id="board-head-%d"' % w.stages[0].pk in html
    assert "20,333.33" in html  # 10000.00 + 10000.00 + 333.33 in the first column
    assert "guanxi/board.js" in html and "vendor/Sortable.min.js" in html
    assert "<script>" not in html  # nothing inline (strict CSP)


def test_board_marks_cards_the_user_cannot_move(sales_world, client_for):
    w = sales_world
    html = client_for("rep_d").get("/opportunities/board/").content.decode()
    own = w.opportunities["own"]
    # rep_d sees rep_a's deal through the territory, but may not move it
    assert f'data-id="{own.pk}"' in html
    card = html.split(f'data-id="{own.pk}"')[0].rsplit("<article", 1)[1]
    assert "locked" in card
    mine = html.split(f'data-id="{w.opportunities["other_store"].pk}"')[0].rsplit("<article", 1)[1]
    assert "locked" not in mine


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_board_page_query_count_is_the_same_for_5_and_30_cards(sales_world, client_for):
    w = sales_world
    c = client_for("rep_a")
    for i in range(3):
        make(w, f"五{i}")
    five = _queries(c, "/opportunities/board/")
    for i in range(25):
        opp = make(w, f"三十{i}", amount=str(i))
        if i % 2:
            opportunity_move(actor=w.rep_a, opportunity=opp, stage=w.stages[1 + i % 3].pk)
    assert _queries(c, "/opportunities/board/") == five


def test_dropping_a_card_moves_it_and_rerenders_the_column_heads(sales_world, client_for):
    w = sales_world
    opp = w.opportunities["own"]
    response = client_for("rep_a").post(f"/opportunities/{opp.pk}/move/", {"stage": w.stages[2].pk}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="board-head-{w.stages[2].pk}" hx-swap-oob="true"' in html
    assert f'id="board-head-{w.stages[0].pk}" hx-swap-oob="true"' in html
    assert "toast" in html
    opp.refresh_from_db()
    assert opp.stage == w.stages[2]
    assert StageChange.objects.filter(opportunity=opp).count() == 2


def test_a_refused_drop_answers_422_with_the_reason_and_changes_nothing(sales_world, client_for):
    w = sales_world
    opp = w.opportunities["own"]
    c = client_for("rep_a")
    lost = c.post(f"/opportunities/{opp.pk}/move/", {"stage": w.stages[5].pk}, **HTMX)
    assert lost.status_code == 422
    with translation.override("zh-hans"):
        assert translation.gettext("Say why the deal was lost.") in lost.content.decode()
    foreign = w.pipeline_b.stages.first()
    assert c.post(f"/opportunities/{opp.pk}/move/", {"stage": foreign.pk}, **HTMX).status_code == 422
    assert c.post(f"/opportunities/{opp.pk}/move/", {"stage": "x"}, **HTMX).status_code == 422
    assert Opportunity.objects.get(pk=opp.pk).stage == w.stages[0]
    ok = c.post(f"/opportunities/{opp.pk}/move/", {"stage": w.stages[5].pk, "lost_reason": "预算取消"}, **HTMX)
    assert ok.status_code == 200
    opp.refresh_from_db()
    assert opp.stage == w.stages[5] and opp.lost_reason == "预算取消"


def test_move_with_board_filters_sums_only_the_filtered_cards(sales_world, client_for):
    w = sales_world
    make(w, "六月", expected_close="2026-06-10", amount="5.00")
    opp = w.opportunities["own"]
    html = client_for("rep_a").post(f"/opportunities/{opp.pk}/move/",
                                    {"stage": w.stages[1].pk, "close_month": "2026-06"}, **HTMX).content.decode()
    head = html.split(f'id="board-head-{w.stages[0].pk}"')[1].split("</header>")[0]
    assert "5.00" in head and "10,005.00" not in head


def test_move_without_htmx_redirects_back_to_the_deal(sales_world, client_for):
    w = sales_world
    opp = w.opportunities["own"]
    response = client_for("rep_a").post(f"/opportunities/{opp.pk}/move/", {"stage": w.stages[1].pk})
    assert response.status_code == 302 and response["Location"] == f"/opportunities/{opp.pk}/"
    evil = client_for("rep_a").post(f"/opportunities/{opp.pk}/move/", {"stage": w.stages[2].pk,
                                                                      "next": "https://evil.example/"})
    assert evil["Location"] == f"/opportunities/{opp.pk}/"


def test_list_filters_and_sorts(sales_world, client_for):
    w = sales_world
    make(w, "大额", amount="88888")
    c = client_for("admin")
    html = c.get("/opportunities/?sort=-amount&page_size=100").content.decode()
    assert html.index("大额") < html.index("张三 年度采购")
    html = c.get(f"/opportunities/?owner={w.rep_c.pk}").content.decode()
    assert "单田芳 年度采购" in html and "张三 年度采购" not in html
    assert c.get("/opportunities/?close_month=garbage&sort=;drop&status=zzz&owner=x").status_code == 200


def test_detail_shows_history_durations_playbook_and_tips(sales_world, client_for):
    w = sales_world
    opp = w.opportunities["own"]
    playbook_entry_create(actor=w.admin, data={"stage": w.stages[1].pk, "title": "确认需求三问", "body": "预算、时间、决策人"})
    tip_create(actor=w.rep_b, data={"title": "需求阶段的小技巧", "body": "先问预算", "stage": w.stages[1].pk})
    tip_create(actor=w.rep_b, data={"title": "别的阶段", "body": "…", "stage": w.stages[3].pk})
    opportunity_move(actor=w.rep_a, opportunity=opp, stage=w.stages[1].pk)
    html = client_for("rep_a").get(f"/opportunities/{opp.pk}/").content.decode()
    assert "确认需求三问" in html and "需求阶段的小技巧" in html and "别的阶段" not in html
    history = html.split('data-testid="stage-history"')[1].split("</table>")[0]
    assert history.count("<tr") == 3  # header + two stays
    assert "min" in history or "分钟" in history


def test_create_form_limits_customers_and_contacts_to_what_the_user_sees(sales_world, client_for):
    w = sales_world
    c = client_for("rep_a")
    form = c.get("/opportunities/new/").content.decode()
    assert "张三" in form and "单田芳" not in form
    hidden = c.post("/opportunities/new/", {"name": "偷看", "customer": w.customers["other_team"].pk,
                                            "stage": w.stages[0].pk, "amount": "1", "owner": w.rep_a.pk})
    assert hidden.status_code == 422 and not Opportunity.objects.filter(name="偷看").exists()
    other_contact = contact_create(actor=w.rep_b, customer=w.customers["team"], data={"name": "别家联系人"})
    wrong = c.post("/opportunities/new/", {"name": "错联系人", "customer": w.customers["own"].pk,
                                           "contact": other_contact.pk, "stage": w.stages[0].pk, "amount": "1",
                                           "owner": w.rep_a.pk})
    assert wrong.status_code == 422 and not Opportunity.objects.filter(name="错联系人").exists()
    mine = contact_create(actor=w.rep_a, customer=w.customers["own"], data={"name": "王经理"})
    ok = c.post("/opportunities/new/", {"name": "新商机", "customer": w.customers["own"].pk, "contact": mine.pk,
                                        "stage": w.stages[1].pk, "amount": "1,234.565", "owner": w.rep_a.pk,
                                        "expected_close": "2026-07-01"})
    assert ok.status_code == 302
    opp = Opportunity.objects.get(name="新商机")
    assert opp.contact == mine and opp.amount == Decimal("1234.57") and opp.probability == 30
    options = c.get(f"/opportunities/contact-options/?customer={w.customers['own'].pk}").content.decode()
    assert "王经理" in options
    assert "别家联系人" not in c.get(f"/opportunities/contact-options/?customer={w.customers['other_team'].pk}") \
        .content.decode()
    found = c.get("/opportunities/customer-options/?customer_q=zs").content.decode()
    assert "张三" in found
    assert "单田芳" not in c.get("/opportunities/customer-options/?customer_q=stf").content.decode()


def test_edit_form_keeps_values_and_can_clear_a_hand_set_probability(sales_world, client_for):
    w = sales_world
    opp = w.opportunities["own"]
    c = client_for("rep_a")
    form = c.get(f"/opportunities/{opp.pk}/edit/").content.decode()
    assert "张三 年度采购" in form and "10000.00" in form
    data = {"name": "改名", "customer": w.customers["own"].pk, "stage": w.stages[0].pk, "amount": "10000.00",
            "owner": w.rep_a.pk, "probability": "55"}
    assert c.post(f"/opportunities/{opp.pk}/edit/", data).status_code == 302
    opp.refresh_from_db()
    assert opp.name == "改名" and opp.probability == 55 and opp.probability_overridden
    data["probability"] = ""
    assert c.post(f"/opportunities/{opp.pk}/edit/", data).status_code == 302
    opp.refresh_from_db()
    assert opp.probability == 10 and not opp.probability_overridden


def test_detail_offers_a_new_quote_to_who_may_quote_the_deal(sales_world, client_for):
    w = sales_world
    opp = w.opportunities["own"]
    html = client_for("rep_a").get(f"/opportunities/{opp.pk}/").content.decode()
    assert f'data-testid="new-quote" href="/quotes/new/?opportunity={opp.pk}"' in html
    form = client_for("rep_a").get(f"/quotes/new/?opportunity={opp.pk}").content.decode()
    assert f'<option value="{opp.pk}" selected>' in form
    # rep_d sees the deal through the territory rule but may not change it, so may not quote it.
    seen = client_for("rep_d").get(f"/opportunities/{opp.pk}/")
    assert seen.status_code == 200 and 'data-testid="new-quote"' not in seen.content.decode()
    won = next(s for s in w.stages.values() if s.is_won)
    opportunity_move(actor=w.rep_a, opportunity=opp, stage=won)
    assert 'data-testid="new-quote"' not in client_for("rep_a").get(f"/opportunities/{opp.pk}/").content.decode()
