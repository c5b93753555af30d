"""The board journey: rep_a drags a deal across two stages with the real mouse (SortableJS fires),
the column heads follow, a reload shows the card where it was dropped, and the stage history in
the database holds both moves. Also: a drop into "lost" asks for a reason, a locked card stays,
and a drop the server refuses puts the card back with a message."""

import re

import pytest
from playwright.sync_api import expect

from guanxi.sales.models import Opportunity, StageChange
from tests.browser.test_customer_journey import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def drag(page, card, target):
    """Press on the card (not its link), move in small steps onto the target column, release."""
    box = card.locator(".small").last.bounding_box()
    to = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 10, box["y"] + box["height"] / 2 + 10, steps=5)
    page.mouse.move(to["x"] + to["width"] / 2, to["y"] + min(to["height"] / 2, 40), steps=25)
    page.mouse.up()


def column(page, stage):
    return page.locator(f".board-cards[data-stage='{stage.pk}']")


def test_drag_a_deal_across_two_stages_and_it_stays(page, sales_world):
    w = sales_world
    opp = w.opportunities["own"]
    login(page, "rep_a")
    page.goto("/opportunities/board/")
    card = page.locator(f"[data-testid=card-{opp.pk}]")
    expect(card).to_be_visible()
    expect(column(page, w.stages[0]).locator(f"[data-id='{opp.pk}']")).to_have_count(1)

    with page.expect_response(re.compile(rf"/opportunities/{opp.pk}/move/")) as first:
        drag(page, card, column(page, w.stages[1]))
    assert first.value.status == 200
    expect(page.locator(f"#board-head-{w.stages[1].pk} [data-testid=count]")).to_have_text("1")
    expect(page.locator(f"#board-head-{w.stages[1].pk} [data-testid=sum]")).to_have_text("10,000.00")

    card = page.locator(f"[data-testid=card-{opp.pk}]")
    with page.expect_response(re.compile(rf"/opportunities/{opp.pk}/move/")) as second:
        drag(page, card, column(page, w.stages[3]))
    assert second.value.status == 200
    expect(page.locator(f"#board-head-{w.stages[3].pk} [data-testid=count]")).to_have_text("1")
    expect(page.locator(f"#board-head-{w.stages[1].pk} [data-testid=count]")).to_have_text("0")

    page.reload()
    expect(column(page, w.stages[3]).locator(f"[data-id='{opp.pk}']")).to_have_count(1)
    expect(column(page, w.stages[0]).locator(f"[data-id='{opp.pk}']")).to_have_count(0)
    assert Opportunity.objects.get(pk=opp.pk).stage == w.stages[3]
    moves = list(StageChange.objects.filter(opportunity=opp).order_by("at", "id")
                 .values_list("from_stage_id", "to_stage_id"))
    assert moves == [(None, w.stages[0].pk), (w.stages[0].pk, w.stages[1].pk), (w.stages[1].pk, w.stages[3].pk)]
    page.screenshot(path="/tmp/board.png", full_page=True)
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors


def test_lost_asks_for_a_reason_and_a_refused_drop_goes_back(page, sales_world):
    w = sales_world
    opp = w.opportunities["own"]
    login(page, "rep_a")
    page.goto("/opportunities/board/")
    card = page.locator(f"[data-testid=card-{opp.pk}]")
    drag(page, card, column(page, w.stages[5]))
    modal = page.locator("#lost-modal")
    expect(modal).to_be_visible()
    page.fill("#lost-reason", "客户预算取消")
    with page.expect_response(re.compile(rf"/opportunities/{opp.pk}/move/")) as moved:
        modal.locator("button[type=submit]").click()
    assert moved.value.status == 200
    opp.refresh_from_db()
    assert opp.stage == w.stages[5] and opp.lost_reason == "客户预算取消"

    # a card rep_a may not move (rep_b's) is locked: it does not leave its column
    other = w.opportunities["team"]
    locked = page.locator(f"[data-testid=card-{other.pk}]")
    expect(locked).to_have_class(re.compile("locked"))
    drag(page, locked, column(page, w.stages[2]))
    expect(column(page, w.stages[0]).locator(f"[data-id='{other.pk}']")).to_have_count(1)
    assert Opportunity.objects.get(pk=other.pk).stage == w.stages[0]


def test_a_drop_the_server_refuses_puts_the_card_back_with_a_message(page, sales_world):
    w = sales_world
    opp = w.opportunities["own"]
    login(page, "rep_a")
    page.goto("/opportunities/board/")
    card = page.locator(f"[data-testid=card-{opp.pk}]")
    expect(card).to_be_visible()
    # meanwhile the deal is handed to a teammate: rep_a still sees it but may no longer move it
    Opportunity.objects.filter(pk=opp.pk).update(owner=w.rep_b)
    with page.expect_response(re.compile(rf"/opportunities/{opp.pk}/move/")) as refused:
        drag(page, card, column(page, w.stages[2]))
    assert refused.value.status == 403
    expect(column(page, w.stages[0]).locator(f"[data-id='{opp.pk}']")).to_have_count(1)
    expect(page.locator("#toasts .text-bg-danger")).to_be_visible()
    expect(page.locator(f"#board-head-{w.stages[2].pk} [data-testid=count]")).to_have_text("0")
    assert Opportunity.objects.get(pk=opp.pk).stage == w.stages[0]
    # cancelling the lost-reason dialog puts the card back too, and nothing is sent
    Opportunity.objects.filter(pk=opp.pk).update(owner=w.rep_a)
    page.reload()
    drag(page, page.locator(f"[data-testid=card-{opp.pk}]"), column(page, w.stages[5]))
    expect(page.locator("#lost-modal")).to_be_visible()
    page.locator("#lost-modal .btn-link").click()
    expect(page.locator("#lost-modal")).to_be_hidden()
    expect(column(page, w.stages[0]).locator(f"[data-id='{opp.pk}']")).to_have_count(1)
    assert StageChange.objects.filter(opportunity=opp).count() == 1
