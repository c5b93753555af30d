"""A quote in the browser: create it for a deal, add a product line and a free line with htmx,
change a quantity and see the totals the server computed, download the PDF and read the
customer's Chinese name and the total in it."""

import os
import re
import subprocess

import pytest
from playwright.sync_api import expect

from guanxi.sales.models import Quote
from guanxi.sales.services.catalog import product_create
from tests.browser.test_customer_journey import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_quote_lines_totals_and_pdf(page, sales_world, tmp_path):
    w = sales_world
    product_create(actor=w.admin, data={"sku": "ERP-1", "name": "企业资源计划系统", "list_price": "1000.00"})
    login(page, "rep_a")

    page.goto(f"/quotes/new/?opportunity={w.opportunities['own'].pk}")
    page.locator("#main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/quotes/\d+/$"))
    quote = Quote.objects.get()

    add = page.locator("[data-testid=add-line]")
    add.locator("select[name=new-product]").select_option(label="ERP-1 企业资源计划系统")
    add.locator("input[name=new-quantity]").fill("3")
    add.locator("input[name=new-discount_percent]").fill("10")
    add.locator("[data-testid=add-line-button]").click()
    total = page.locator("[data-testid=quote-total]")
    expect(total).to_have_text("CNY 3,051.00")  # 3 × 1,000 × 0.9 = 2,700.00 + 13 % tax 351.00

    add = page.locator("[data-testid=add-line]")
    add.locator("input[name=new-description]").fill("实施服务")
    add.locator("input[name=new-quantity]").fill("2")
    add.locator("input[name=new-unit_price]").fill("500")
    add.locator("[data-testid=add-line-button]").click()
    expect(total).to_have_text("CNY 4,181.00")
    expect(page.locator("[data-testid=line-row]")).to_have_count(2)

    first = quote.lines.order_by("position").first()
    quantity = page.locator(f"input[name=l{first.pk}-quantity]")
    quantity.fill("4")
    quantity.press("Tab")  # change → the row posts, the body comes back re-rendered
    expect(total).to_have_text("CNY 5,198.00")  # 3,600.00 + 468.00 + 1,000.00 + 130.00
    quote.refresh_from_db()
    assert str(quote.total) == "5198.00"
    if os.environ.get("GUANXI_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["GUANXI_SCREENSHOTS"], "quote.png"), full_page=True)

    with page.expect_download() as download_info:
        page.locator("[data-testid=pdf]").click()
    download = download_info.value
    assert download.suggested_filename == f"{quote.number}-v1.pdf"
    pdf_path = tmp_path / "quote.pdf"
    download.save_as(pdf_path)
    text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, check=True).stdout.decode()
    assert "张三" in text and "CNY 5,198.00" in text
    assert page.console_errors == []
