"""Expense pages: the form with its receipt, approval, cost per deal and the receipt download."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from guanxi.sales.models import ExpenseClaim
from guanxi.sales.services import expenses as expense_services
from guanxi.sales.tests import money_helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(sales_world, settings, tmp_path):
    return h.page_world(sales_world, settings, tmp_path)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


# --- expense pages ---------------------------------------------------------------------------

def test_claim_with_receipt_from_the_form_then_approval(pages):
    w = pages
    rep = w.client("rep_a")
    r = rep.post("/expenses/new/", {"category": "meals", "amount": "128.80", "spent_on": "2026-03-02",
                                    "description": "客户午餐", "opportunity": w.opportunities["own"].pk,
                                    "receipt": SimpleUploadedFile("午餐发票.png", PNG, content_type="image/png")})
    assert r.status_code == 302, r.content[:500]
    claim = ExpenseClaim.objects.get(description="客户午餐")
    assert claim.receipt and claim.receipt_name == "午餐发票.png" and claim.amount == Decimal("128.80")
    assert rep.post(f"/expenses/{claim.pk}/submit/").status_code == 302
    assert rep.post(f"/expenses/{claim.pk}/approve/").status_code == 403  # not their own
    queue = w.client("manager").get("/expenses/approvals/").content.decode()
    assert "客户午餐" in queue
    assert w.client("manager").post(f"/expenses/{claim.pk}/approve/", {"next": "queue"}).status_code == 302
    claim.refresh_from_db()
    assert claim.status == "approved" and claim.decided_by == w.manager
    deals = w.client("manager").get("/expenses/deals/").content.decode()
    assert "张三 年度采购" in deals and "128.80" in deals


def test_a_bad_receipt_saves_no_claim(pages):
    r = pages.client("rep_a").post("/expenses/new/", {
        "category": "meals", "amount": "10.00", "spent_on": "2026-03-02", "description": "带病毒的票",
        "receipt": SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")})
    assert r.status_code == 422 and "PDF" in r.content.decode()
    assert not ExpenseClaim.objects.exists()


def test_receipt_download_is_an_attachment_that_is_never_sniffed(pages):
    w = pages
    claim = expense_services.expense_create(actor=w.rep_a, data={
        "category": "travel", "amount": "9.00", "spent_on": dt.date(2026, 3, 2), "description": "打车"})
    expense_services.expense_attach_receipt(actor=w.rep_a, claim=claim,
                                            upload=SimpleUploadedFile("<script>.png", PNG))
    r = w.client("manager").get(f"/expenses/{claim.pk}/receipt/download/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == PNG
    assert r["Content-Type"] == "application/octet-stream" and r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Disposition"].startswith("attachment;") and "sandbox" in r["Content-Security-Policy"]
    assert w.client("rep_b").get(f"/expenses/{claim.pk}/receipt/download/").status_code == 404
    assert w.client("cashier").get(f"/expenses/{claim.pk}/receipt/download/").status_code == 404
    detail = w.client("rep_a").get(f"/expenses/{claim.pk}/").content.decode()
    assert "&lt;script&gt;.png" in detail and "<script>.png" not in detail


def test_the_claims_list_and_the_statement_take_a_constant_number_of_queries(pages, django_assert_max_num_queries):
    w = pages
    for i in range(3):
        expense_services.expense_create(actor=w.rep_a, data={
            "category": "travel", "amount": "9.00", "spent_on": dt.date(2026, 3, 2), "description": f"第{i}次",
            "opportunity": w.opportunities["own"].pk})
    c = w.client("manager")
    c.get("/expenses/")  # warm the session and the user's caches
    with django_assert_max_num_queries(12) as few:
        assert c.get("/expenses/").status_code == 200
    for i in range(20):
        expense_services.expense_create(actor=w.rep_b, data={
            "category": "meals", "amount": "1.00", "spent_on": dt.date(2026, 3, 3), "description": f"更多{i}",
            "opportunity": w.opportunities["team"].pk})
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert c.get("/expenses/").status_code == 200
