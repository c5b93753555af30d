"""The issue's sales journey in one browser session: rep_a converts a lead, drags the new deal
across two stages on the board, reloads and sees it stayed, quotes it and downloads the PDF,
whose text holds the customer's Chinese name and the total."""

import re
import subprocess

import pytest
from playwright.sync_api import expect

from guanxi.sales.models import Lead, Opportunity, Quote, StageChange
from guanxi.sales.services.catalog import product_create
from guanxi.sales.services.leads import lead_create
from tests.browser.test_board import column
from tests.browser.test_customer_journey import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def drag(page, card, target):
    """Like test_board.drag, but onto the top of the target column whatever the card's height on the page."""
    card.scroll_into_view_if_needed()
    box = card.bounding_box()
    to = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] - 8)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 10, box["y"] + box["height"] - 4, steps=5)
    page.mouse.move(to["x"] + to["width"] / 2, to["y"] + 20, steps=30)
    page.mouse.move(to["x"] + to["width"] / 2, to["y"] + 24, steps=5)
    page.mouse.up()


def test_convert_drag_quote_and_read_the_pdf(page, sales_world, tmp_path):
    w = sales_world
    product_create(actor=w.admin, data={"sku": "POS-9", "name": "收银一体机", "list_price": "2000.00"})
    lead = lead_create(actor=w.rep_a, data={"name": "黄月英", "company": "卧龙岗文创", "phone": "13766660000"})
    login(page, "rep_a")

    # convert the lead in one step
    page.goto(f"/leads/{lead.pk}/")
    page.locator("[data-testid=convert]").click()
    page.wait_for_url(re.compile(rf"/leads/{lead.pk}/convert/"))
    page.locator("#main form[novalidate] button[type=submit]").click()
    expect(page.locator("body")).to_contain_text("卧龙岗文创")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONVERTED
    opp = lead.converted_opportunity
    assert opp is not None and opp.customer.name == "卧龙岗文创"

    # drag it across two stages; a reload shows it where it was dropped
    page.goto("/opportunities/board/")
    expect(page.locator(f"[data-testid=card-{opp.pk}]")).to_be_visible()
    for target in (w.stages[1], w.stages[2]):
        card = page.locator(f"[data-testid=card-{opp.pk}]")
        with page.expect_response(re.compile(rf"/opportunities/{opp.pk}/move/")) as moved:
            drag(page, card, column(page, target))
        assert moved.value.status == 200
    page.reload()
    expect(column(page, w.stages[2]).locator(f"[data-id='{opp.pk}']")).to_have_count(1)
    assert Opportunity.objects.get(pk=opp.pk).stage == w.stages[2]
    assert StageChange.objects.filter(opportunity=opp).count() == 3

    # quote it and read the PDF
    page.goto(f"/quotes/new/?opportunity={opp.pk}")
    page.locator("#main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/quotes/\d+/$"))
    add = page.locator("[data-testid=add-line]")
    add.locator("select[name=new-product]").select_option(label="POS-9 收银一体机")
    add.locator("input[name=new-quantity]").fill("2")
    add.locator("[data-testid=add-line-button]").click()
    expect(page.locator("[data-testid=quote-total]")).to_have_text("CNY 4,520.00")  # 4,000.00 + 13 % tax
    quote = Quote.objects.get(opportunity=opp)
    with page.expect_download() as download_info:
        page.locator("[data-testid=pdf]").click()
    pdf_path = tmp_path / "quote.pdf"
    download_info.value.save_as(pdf_path)
    text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, check=True).stdout.decode()
    assert "卧龙岗文创" in text and "4,520.00" in text and quote.number in text
    assert page.console_errors == []
