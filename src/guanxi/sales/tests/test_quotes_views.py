"""Quote, product and price-list pages: what a person sees and what the database holds afterwards."""

from __future__ import annotations

import subprocess
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import translation

from guanxi.customers.services import contact_create
from guanxi.sales.models import (
    PriceList,
    PriceListItem,
    Product,
    ProductRule,
    Quote,
    SalesSettings,
)
from guanxi.sales.services.catalog import (
    price_list_create,
    price_list_item_set,
    product_create,
)
from guanxi.sales.services.quotes import line_add, quote_create

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def login(w, name) -> Client:
    c = Client()
    c.force_login(w.users[name])
    return c


@pytest.fixture
def world_q(sales_world):
    w = sales_world
    w.product = product_create(actor=w.admin, data={"sku": "ERP-1", "name": "企业资源计划系统",
                                                    "list_price": "1000.00"})
    w.contact = contact_create(actor=w.rep_a, customer=w.customers["own"], data={"name": "李秘书",
                                                                              "email": "li@example.com"})
    w.quote = quote_create(actor=w.rep_a, data={"opportunity": w.opportunities["own"].pk, "contact": w.contact.pk})
    return w


def test_nav_lists_and_filters(world_q):
    w = world_q
    c = login(w, "rep_a")
    home = c.get("/today/").content.decode()
    assert "/products/" in home and "/quotes/" in home
    page = c.get("/quotes/").content.decode()
    assert w.quote.number in page and "张三" in page
    assert w.quote.number not in c.get("/quotes/?status=sent").content.decode()
    assert w.quote.number in c.get("/quotes/?q=zs", **HTMX).content.decode()  # customer initials
    assert c.get("/quotes/?owner=abc&store=-1&sort=;drop").status_code == 200
    products = c.get("/products/?q=ERP").content.decode()
    assert "企业资源计划系统" in products and "/products/new/" not in products  # reps do not manage the catalogue
    assert "/products/new/" in login(w, "admin").get("/products/").content.decode()


def test_product_and_price_list_pages(world_q):
    w = world_q
    admin = login(w, "admin")
    r = admin.post("/products/new/", {"sku": "erp-1", "name": "重复", "kind": "product", "list_price": "1"})
    with translation.override("zh-hans"):  # the page speaks the organisation's language
        message = translation.gettext("Another product already uses this SKU.")
    assert r.status_code == 422 and message in r.content.decode()
    assert not Product.objects.filter(name="重复").exists()
    r = admin.post("/products/new/", {"sku": "SRV", "name": "服务器", "kind": "product", "list_price": "5000",
                                      "tax_percent": "13", "is_active": "on"})
    assert r.status_code == 302
    srv = Product.objects.get(sku="SRV")
    assert srv.tax_rate == Decimal("0.1300") and srv.list_price == Decimal("5000.00")
    r = admin.post(f"/products/{srv.pk}/rules/", {"kind": "requires", "other": w.product.pk})
    assert r.status_code == 302 and ProductRule.objects.filter(product=srv, other=w.product).exists()
    assert "企业资源计划系统" in admin.get(f"/products/{srv.pk}/").content.decode()
    r = admin.post("/price-lists/new/", {"name": "标准价", "is_default": "on", "is_active": "on"})
    pl = PriceList.objects.get(name="标准价")
    r = admin.post(f"/price-lists/{pl.pk}/items/", {"product": w.product.pk, "price": "950.00",
                                                    "min_quantity": "1", "discount_percent": "0"})
    assert r.status_code == 302 and PriceListItem.objects.get(price_list=pl).price == Decimal("950.00")
    assert "950.00" in admin.get(f"/price-lists/{pl.pk}/").content.decode()
    assert login(w, "rep_a").post(f"/price-lists/{pl.pk}/items/", {"product": w.product.pk, "price": "1"}) \
        .status_code == 403


def test_create_quote_from_the_page(world_q):
    w = world_q
    c = login(w, "rep_a")
    form = c.get(f"/quotes/new/?opportunity={w.opportunities['own'].pk}").content.decode()
    assert "张三 年度采购" in form
    r = c.post("/quotes/new/", {"opportunity": w.opportunities["own"].pk, "terms": "款到发货"})
    assert r.status_code == 302
    quote = Quote.objects.exclude(pk=w.quote.pk).get()
    assert quote.terms == "款到发货" and quote.owner == w.rep_a
    r = c.post("/quotes/new/", {})
    assert r.status_code == 422


def test_htmx_lines_rerender_totals_from_the_server(world_q):
    w = world_q
    price_list = price_list_create(actor=w.admin, data={"name": "标准价", "is_default": True})
    price_list_item_set(actor=w.admin, price_list=price_list, data={"product": w.product.pk, "price": "900.00",
                                                                    "min_quantity": "10"})
    c = login(w, "rep_a")
    q = w.quote
    r = c.post(f"/quotes/{q.pk}/lines/", {"new-product": w.product.pk, "new-quantity": "3",
                                           "new-discount_percent": "10"}, **HTMX)
    assert r.status_code == 200
    body = r.content.decode()
    assert 'id="quote-body"' in body and "<html" not in body
    assert "CNY 3,051.00" in body  # 2,700.00 + 351.00 tax
    line = q.lines.get()
    # change the quantity: the untouched list price follows the tier, totals come back re-rendered
    data = {f"l{line.pk}-product": w.product.pk, f"l{line.pk}-description": line.description,
            f"l{line.pk}-quantity": "10", f"l{line.pk}-unit_price": "1000.00",
            f"l{line.pk}-discount_percent": "10", f"l{line.pk}-tax_percent": "13"}
    r = c.post(f"/quote-lines/{line.pk}/", data, **HTMX)
    assert r.status_code == 200, r.content
    line.refresh_from_db()
    assert line.unit_price == Decimal("900.00")
    assert "CNY 9,153.00" in r.content.decode()  # 10 × 900 × 0.9 = 8,100.00 + 1,053.00
    # bad input: 422 with the message in the row, nothing stored
    r = c.post(f"/quote-lines/{line.pk}/", {**data, f"l{line.pk}-quantity": "0"}, **HTMX)
    assert r.status_code == 422 and 'data-testid="line-error"' in r.content.decode()
    line.refresh_from_db()
    assert line.quantity == Decimal("10.000")
    r = c.post(f"/quotes/{q.pk}/lines/", {"new-quantity": "1"}, **HTMX)
    assert r.status_code == 422 and 'data-testid="new-line-error"' in r.content.decode()
    r = c.post(f"/quote-lines/{line.pk}/delete/", **HTMX)
    assert r.status_code == 200 and "CNY 0.00" in r.content.decode()
    assert not q.lines.exists()
    # without JavaScript the same posts redirect back
    r = c.post(f"/quotes/{q.pk}/lines/", {"new-description": "咨询", "new-quantity": "1", "new-unit_price": "10"})
    assert r.status_code == 302


def test_approval_flow_through_the_pages(world_q):
    w = world_q
    line_add(actor=w.rep_a, quote=w.quote, data={"product": w.product.pk, "quantity": "1", "discount_percent": "30"})
    rep, manager = login(w, "rep_a"), login(w, "manager")
    page = rep.get(f"/quotes/{w.quote.pk}/").content.decode()
    assert 'data-testid="submit"' in page and 'data-testid="send-form"' not in page
    r = rep.post(f"/quotes/{w.quote.pk}/send/", {"to": "li@example.com"})
    assert r.status_code == 422 and mail.outbox == []
    rep.post(f"/quotes/{w.quote.pk}/submit/")
    assert rep.post(f"/quotes/{w.quote.pk}/approve/").status_code == 403
    page = manager.get(f"/quotes/{w.quote.pk}/").content.decode()
    assert 'data-testid="approve"' in page
    manager.post(f"/quotes/{w.quote.pk}/approve/")
    w.quote.refresh_from_db()
    assert w.quote.status == "approved"
    page = rep.get(f"/quotes/{w.quote.pk}/").content.decode()
    assert 'data-testid="send-form"' in page and "li@example.com" in page  # the contact's address by default
    r = rep.post(f"/quotes/{w.quote.pk}/send/", {"to": "li@example.com", "subject": "报价", "message": "请查收"})
    assert r.status_code == 302
    (_name, content, mimetype), = mail.outbox[0].attachments
    assert mimetype == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()
    assert "张三" in text
    r = rep.post(f"/quotes/{w.quote.pk}/new-version/")
    new = Quote.objects.get(number=w.quote.number, version=2)
    assert r.status_code == 302 and r["Location"] == f"/quotes/{new.pk}/"
    r = rep.post(f"/quotes/{new.pk}/decline/", {"reason": "太贵"})
    new.refresh_from_db()
    assert r.status_code == 302 and new.status == "draft"  # v2 keeps 30 %: not sendable, so not decidable


def test_accept_says_the_opportunity_moved(world_q):
    w = world_q
    line_add(actor=w.rep_a, quote=w.quote, data={"product": w.product.pk, "quantity": "1"})
    c = login(w, "rep_a")
    r = c.post(f"/quotes/{w.quote.pk}/accept/", follow=True)
    assert "张三 年度采购" in r.content.decode()
    w.opportunities["own"].refresh_from_db()
    assert w.opportunities["own"].stage.is_won


def test_pdf_download(world_q):
    w = world_q
    line_add(actor=w.rep_a, quote=w.quote, data={"product": w.product.pk, "quantity": "2"})
    r = login(w, "rep_b").get(f"/quotes/{w.quote.pk}/pdf/")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"].startswith("attachment") and f"{w.quote.number}-v1.pdf" in r["Content-Disposition"]
    text = subprocess.run(["pdftotext", "-", "-"], input=r.content, capture_output=True, check=True).stdout.decode()
    assert "张三" in text and "CNY 2,260.00" in text
    assert login(w, "rep_c").get(f"/quotes/{w.quote.pk}/pdf/").status_code == 404


def test_settings_page_sets_the_threshold(world_q):
    w = world_q
    assert login(w, "rep_a").get("/quotes/settings/").status_code == 403
    r = login(w, "manager").post("/quotes/settings/", {"quote_discount_threshold": "25", "quote_validity_days": "45",
                                                       "default_tax_percent": "6"})
    assert r.status_code == 302
    s = SalesSettings.objects.get(organization=w.org)
    assert (s.quote_discount_threshold, s.quote_validity_days, s.default_tax_rate) == (Decimal("25.00"), 45,
                                                                                       Decimal("0.0600"))
    r = login(w, "manager").post("/quotes/settings/", {"quote_discount_threshold": "101", "quote_validity_days": "45",
                                                       "default_tax_percent": "6"})
    assert r.status_code == 422


def test_list_pages_run_a_constant_number_of_queries(world_q):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = world_q
    c = login(w, "manager")

    def count(path):
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(path).status_code == 200
        return len(ctx.captured_queries)

    few_quotes, few_products = count("/quotes/"), count("/products/")
    for i in range(5):
        quote_create(actor=w.rep_a, data={"customer": w.customers["own"].pk})
        product_create(actor=w.admin, data={"sku": f"X-{i}", "name": f"产品{i}", "list_price": "1"})
    assert count("/quotes/") == few_quotes
    assert count("/products/") == few_products
