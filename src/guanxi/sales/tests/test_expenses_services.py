"""Expense claims (SAL-10): drafting, receipts, submission, approval by the store manager (never by
the claimant), the cost of a deal, and who sees what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from guanxi.core.models import AuditEntry
from guanxi.sales.models import ExpenseClaim
from guanxi.sales.selectors.expenses import (
    access_expense,
    approval_queue,
    cost_per_deal,
    deal_cost_rows,
    expense_list,
    expenses_for_opportunity,
)
from guanxi.sales.services import expenses as svc

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DAY = dt.date(2026, 3, 2)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def claim(w, user="rep_a", opp="own", amount="120.50", **extra):
    data = {"category": "travel", "amount": amount, "spent_on": DAY, "description": "高铁 上海—杭州",
            "opportunity": w.opportunities[opp].pk if opp else None, **extra}
    return svc.expense_create(actor=w.users[user], data=data)


def test_a_claim_is_a_draft_of_the_claimant_in_their_store(sales_world):
    w = sales_world
    c = claim(w)
    assert (c.owner, c.store, c.status, c.amount, c.currency) == (w.rep_a, w.stores["S1"], "draft",
                                                                   Decimal("120.50"), "CNY")
    assert AuditEntry.objects.filter(object_type="sales.expenseclaim", object_id=str(c.pk), action="create").exists()


@pytest.mark.parametrize("data, field", [
    ({"amount": "0"}, "amount"),
    ({"amount": "-5"}, "amount"),
    ({"amount": "abc"}, "amount"),
    ({"amount": "10000000"}, "amount"),
    ({"spent_on": "2999-01-01"}, "spent_on"),
    ({"spent_on": "yesterday"}, "spent_on"),
    ({"description": "  "}, "description"),
    ({"description": "x" * 301}, "description"),
    ({"category": "yacht"}, "category"),
    ({"owner": 1}, "owner"),
    ({"status": "approved"}, "status"),
])
def test_bad_claims_are_refused_with_the_field_named(sales_world, data, field):
    w = sales_world
    with pytest.raises(ValidationError) as exc:
        claim(w, **data)
    assert field in exc.value.message_dict
    assert not ExpenseClaim.objects.exists()


def test_a_claim_names_only_an_opportunity_the_claimant_can_see(sales_world):
    w = sales_world
    with pytest.raises(ValidationError) as exc:
        claim(w, opp="other_team")  # rep_c's deal in team T2: rep_a cannot see it
    assert "opportunity" in exc.value.message_dict
    assert claim(w, opp="team").opportunity == w.opportunities["team"]  # same team: visible
    assert claim(w, user="rep_d", opp="own").opportunity == w.opportunities["own"]  # the territory rule
    assert claim(w, opp=None).opportunity is None


def test_flow_submit_then_the_store_manager_approves(sales_world):
    w = sales_world
    c = claim(w)
    c = svc.expense_update(actor=w.rep_a, claim=c, data={"amount": "99.99"})
    c = svc.expense_submit(actor=w.rep_a, claim=c)
    assert c.status == "submitted"
    with pytest.raises(ValidationError):
        svc.expense_update(actor=w.rep_a, claim=c, data={"amount": "1.00"})  # submitted: frozen
    assert list(approval_queue(actor=w.manager)) == [c]
    assert list(approval_queue(actor=w.manager_s2)) == []
    c = svc.expense_approve(actor=w.manager, claim=c, note="ok")
    assert (c.status, c.decided_by, c.decision_note) == ("approved", w.manager, "ok") and c.decided_at
    with pytest.raises(ValidationError):
        svc.expense_reject(actor=w.admin, claim=c, note="too late")  # decided claims stay decided
    assert list(approval_queue(actor=w.manager)) == []


def test_nobody_approves_their_own_claim(sales_world):
    w = sales_world
    own = svc.expense_submit(actor=w.manager, claim=claim(w, user="manager", opp=None))
    with pytest.raises(PermissionDenied):
        svc.expense_approve(actor=w.manager, claim=own)
    assert own not in approval_queue(actor=w.manager)
    assert svc.expense_approve(actor=w.admin, claim=own).status == "approved"
    admin_claim = svc.expense_submit(actor=w.admin, claim=claim(w, user="admin", opp=None))
    with pytest.raises(PermissionDenied):
        svc.expense_approve(actor=w.admin, claim=admin_claim)
    assert svc.expense_approve(actor=w.owner, claim=admin_claim).status == "approved"


@pytest.mark.parametrize("actor", ["rep_b", "rep_c", "manager_s2", "service", "marketing", "readonly"])
def test_only_an_approver_over_the_claim_decides_it(sales_world, actor):
    w = sales_world
    c = svc.expense_submit(actor=w.rep_a, claim=claim(w))
    with pytest.raises(PermissionDenied):
        svc.expense_approve(actor=w.users[actor], claim=c)
    c.refresh_from_db()
    assert c.status == "submitted"


def test_rejection_needs_a_reason_and_a_fixed_claim_goes_round_again(sales_world):
    w = sales_world
    c = svc.expense_submit(actor=w.rep_a, claim=claim(w))
    with pytest.raises(ValidationError) as exc:
        svc.expense_reject(actor=w.manager, claim=c, note=" ")
    assert "note" in exc.value.message_dict
    c = svc.expense_reject(actor=w.manager, claim=c, note="缺发票")
    assert c.status == "rejected"
    c = svc.expense_update(actor=w.rep_a, claim=c, data={"description": "高铁（补发票）"})
    assert c.status == "draft"
    assert svc.expense_submit(actor=w.rep_a, claim=c).status == "submitted"


def test_only_the_claimant_changes_submits_or_deletes(sales_world):
    w = sales_world
    c = claim(w)
    for actor in ("manager", "admin", "rep_b"):
        with pytest.raises(PermissionDenied):
            svc.expense_update(actor=w.users[actor], claim=c, data={"amount": "1.00"})
        with pytest.raises(PermissionDenied):
            svc.expense_submit(actor=w.users[actor], claim=c)
        with pytest.raises(PermissionDenied):
            svc.expense_delete(actor=w.users[actor], claim=c)
    svc.expense_delete(actor=w.rep_a, claim=c)
    assert not ExpenseClaim.objects.filter(pk=c.pk).exists()
    submitted = svc.expense_submit(actor=w.rep_a, claim=claim(w))
    with pytest.raises(ValidationError):
        svc.expense_delete(actor=w.rep_a, claim=submitted)


def test_receipts_are_images_or_pdfs_stored_under_a_random_name(sales_world, media, settings,
                                                                 django_capture_on_commit_callbacks):
    w = sales_world
    c = claim(w)
    c = svc.expense_attach_receipt(actor=w.rep_a, claim=c, upload=SimpleUploadedFile("../../发票 3月.PNG", PNG,
                                                                                      content_type="image/png"))
    assert c.receipt_name == "发票 3月.PNG"
    assert c.receipt.name.startswith(f"receipts/{w.org.pk}/") and c.receipt.name.endswith(".png")
    assert "发票" not in c.receipt.name and len(c.receipt.name.rsplit("/", 1)[1]) == 32 + 4
    first = c.receipt.name
    with django_capture_on_commit_callbacks(execute=True):
        c = svc.expense_attach_receipt(actor=w.rep_a, claim=c, upload=SimpleUploadedFile("invoice.pdf", PDF))
    assert c.receipt.name.endswith(".pdf") and c.receipt.name != first
    assert not (media / first).exists()  # the replaced file is gone once committed
    for name, content in (("x.png", b"<svg onload=alert(1)>"), ("x.html", b"<html>"), ("x.png", b"")):
        with pytest.raises(ValidationError) as exc:
            svc.expense_attach_receipt(actor=w.rep_a, claim=c, upload=SimpleUploadedFile(name, content))
        assert "receipt" in exc.value.message_dict
    settings.RECEIPT_MAX_BYTES = 50
    with pytest.raises(ValidationError):
        svc.expense_attach_receipt(actor=w.rep_a, claim=c, upload=SimpleUploadedFile("big.pdf", PDF + b"x" * 50))
    with pytest.raises(PermissionDenied):
        svc.expense_attach_receipt(actor=w.manager, claim=c, upload=SimpleUploadedFile("m.pdf", PDF))


def test_who_sees_which_claims(sales_world):
    w = sales_world
    mine = claim(w)
    rep_c = claim(w, user="rep_c", opp="other_team")
    rep_d = claim(w, user="rep_d", opp="other_store")
    def seen(actor):
        return set(expense_list(actor=w.users[actor]))
    assert seen("rep_a") == {mine} and seen("rep_b") == set() and seen("rep_c") == {rep_c}
    assert seen("manager") == {mine, rep_c} and seen("manager_s2") == {rep_d}
    assert seen("admin") == seen("readonly") == {mine, rep_c, rep_d}
    assert seen("admin_b") == set()
    with pytest.raises(Http404):
        access_expense(w.rep_b, mine.pk)
    with pytest.raises(PermissionDenied):
        expense_list(actor=w.service)


def test_cost_per_deal_adds_up_approved_claims_only(sales_world):
    w = sales_world
    a1 = svc.expense_submit(actor=w.rep_a, claim=claim(w, amount="100.10"))
    a2 = svc.expense_submit(actor=w.rep_a, claim=claim(w, amount="0.25"))
    b1 = svc.expense_submit(actor=w.rep_b, claim=claim(w, user="rep_b", opp="own", amount="50.00"))
    pending = svc.expense_submit(actor=w.rep_a, claim=claim(w, amount="999.00"))
    claim(w, amount="888.00")  # a draft
    rejected = svc.expense_submit(actor=w.rep_a, claim=claim(w, amount="777.00"))
    svc.expense_reject(actor=w.manager, claim=rejected, note="no")
    for c in (a1, a2, b1):
        svc.expense_approve(actor=w.manager, claim=c)
    rows = deal_cost_rows(cost_per_deal(actor=w.manager))
    assert [(r["name"], r["claims"], r["cost"], r["share"]) for r in rows] == [
        ("张三 年度采购", 3, Decimal("150.35"), Decimal("1.5")),  # of 10,000.00
    ]
    # a rep sees the cost of their own claims only
    assert [(r["claims"], r["cost"]) for r in deal_cost_rows(cost_per_deal(actor=w.rep_a))] == [(2, Decimal("100.35"))]
    for_opp = expenses_for_opportunity(w.manager, w.opportunities["own"])
    assert (for_opp.approved_total, for_opp.approved_count, for_opp.pending_total) == (Decimal("150.35"), 3,
                                                                                       Decimal("999.00"))
    assert pending in for_opp.claims and len(for_opp.claims) == 6
    assert expenses_for_opportunity(w.rep_a, w.opportunities["own"]).approved_total == Decimal("100.35")
    assert expenses_for_opportunity(w.service, w.opportunities["own"]).claims == []
