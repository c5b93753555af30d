"""Quotes (SAL-7): totals with Decimal rounding, pricing, configurator, approval, versions,
the customer's decision, PDF and e-mail."""

from __future__ import annotations

import subprocess
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEvent
from guanxi.customers.services import contact_create
from guanxi.sales.models import Quote, QuoteLine, SalesSettings, StageChange
from guanxi.sales.selectors.quotes import quote_list, sales_settings
from guanxi.sales.services.catalog import (
    price_list_create,
    price_list_item_set,
    product_create,
    product_rule_add,
)
from guanxi.sales.services.quote_documents import quote_html, quote_pdf, quote_send
from guanxi.sales.services.quotes import (
    line_add,
    line_remove,
    line_update,
    quote_accept,
    quote_approve,
    quote_create,
    quote_decline,
    quote_new_version,
    quote_reject,
    quote_submit,
    quote_update,
)

pytestmark = pytest.mark.django_db
D = Decimal


def product(w, sku, price="100.00", **extra):
    return product_create(actor=w.admin, data={"sku": sku, "name": extra.pop("name", f"产品 {sku}"),
                                               "list_price": price, **extra})


def new_quote(w, case="own", actor=None):
    opp = w.opportunities[case]
    return quote_create(actor=actor or opp.owner, data={"opportunity": opp.pk})


def totals(quote):
    quote.refresh_from_db()
    return quote.subtotal, quote.discount_total, quote.tax_total, quote.total


def pdftotext(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


# --- creation ----------------------------------------------------------------------------

def test_quote_from_an_opportunity_copies_its_people_and_places(sales_world):
    w = sales_world
    quote = new_quote(w)
    opp = w.opportunities["own"]
    assert quote.number.startswith("Q-") and quote.version == 1 and quote.status == "draft"
    assert (quote.customer, quote.owner, quote.store, quote.territory) == (opp.customer, w.rep_a, w.stores["S1"],
                                                                          w.territories["shanghai"])
    assert quote.currency == "CNY"
    assert (quote.valid_until - timezone.localdate(quote.created_at)).days == 30  # the local date (Shanghai)
    second = quote_create(actor=w.rep_a, data={"customer": w.customers["own"].pk})
    assert second.number != quote.number and second.opportunity is None and second.owner == w.rep_a
    assert TimelineEvent.objects.filter(customer=opp.customer, kind=TimelineEvent.Kind.QUOTE).count() == 2
    assert AuditEntry.objects.filter(object_type="sales.quote", object_id=str(quote.pk), action="create").exists()


def test_quote_create_refuses_what_the_actor_cannot_reach(sales_world):
    w = sales_world
    with pytest.raises(ValidationError) as err:
        quote_create(actor=w.rep_a, data={"customer": w.customers["other_team"].pk})
    assert "customer" in err.value.message_dict
    with pytest.raises(ValidationError):
        quote_create(actor=w.rep_a, data={"opportunity": w.opportunities["other_store"].pk})
    with pytest.raises(PermissionDenied):  # the team's deal is visible, but not the rep's to quote
        quote_create(actor=w.rep_a, data={"opportunity": w.opportunities["team"].pk})
    with pytest.raises(ValidationError):
        quote_create(actor=w.rep_a, data={"opportunity": w.opportunities["own"].pk,
                                          "customer": w.customers["team"].pk})
    with pytest.raises(PermissionDenied):
        quote_create(actor=w.readonly, data={"customer": w.customers["own"].pk})
    with pytest.raises(ValidationError):
        quote_create(actor=w.rep_a, data={})


# --- totals ------------------------------------------------------------------------------

def test_line_totals_are_rounded_half_up_per_line(sales_world):
    w = sales_world
    quote = new_quote(w)
    line = line_add(actor=w.rep_a, quote=quote, data={"description": "咨询", "quantity": "33.333",
                                                      "unit_price": "3.00", "discount_percent": "10",
                                                      "tax_rate": "0.13"})
    # 33.333 × 3.00 = 99.999 → gross 100.00; × 0.9 = 89.9991 → net 90.00; tax 90.00 × 0.13 = 11.70
    assert (line.net_amount, line.tax_amount) == (D("90.00"), D("11.70"))
    assert totals(quote) == (D("100.00"), D("10.00"), D("11.70"), D("101.70"))
    line_update(actor=w.rep_a, line=line, data={"quantity": "3", "unit_price": "33.33"})
    # 3 × 33.33 = 99.99; × 0.9 = 89.991 → 89.99; tax 11.6987 → 11.70
    assert totals(quote) == (D("99.99"), D("10.00"), D("11.70"), D("101.69"))
    with pytest.raises(ValidationError) as err:  # a unit price is money: two places at most
        line_add(actor=w.rep_a, quote=quote, data={"description": "x", "quantity": "3", "unit_price": "33.333"})
    assert "unit_price" in err.value.message_dict


def test_quote_totals_are_sums_of_rounded_lines(sales_world):
    w = sales_world
    quote = new_quote(w)
    for _ in range(3):
        line_add(actor=w.rep_a, quote=quote, data={"description": "件", "quantity": "1", "unit_price": "10.05",
                                                   "discount_percent": "10", "tax_rate": "0.13"})
    # each line: net 9.045 → 9.05, tax 9.05 × 0.13 = 1.1765 → 1.18. Rounding the exact sums instead
    # would give net 27.135 → 27.14 and tax 3.52755 → 3.53: a cent less on each.
    assert totals(quote) == (D("30.15"), D("3.00"), D("3.54"), D("30.69"))
    assert sum(line.net_amount for line in quote.lines.all()) == D("27.15")


def test_line_validation(sales_world):
    w = sales_world
    quote = new_quote(w)
    for data, field in (({"description": "x", "quantity": "0", "unit_price": "1"}, "quantity"),
                        ({"description": "x", "quantity": "-1", "unit_price": "1"}, "quantity"),
                        ({"description": "x", "quantity": "1", "unit_price": "1", "discount_percent": "100.5"},
                         "discount_percent"),
                        ({"description": "x", "quantity": "1", "unit_price": "-1"}, "unit_price"),
                        ({"description": "x", "quantity": "1"}, "unit_price"),
                        ({"quantity": "1", "unit_price": "1"}, "description"),
                        ({"description": "x", "quantity": 1.5, "unit_price": "1"}, "quantity"),
                        ({"product": 999999, "quantity": "1"}, "product")):
        with pytest.raises(ValidationError) as err:
            line_add(actor=w.rep_a, quote=quote, data=data)
        assert field in err.value.message_dict, (data, err.value.message_dict)
    assert not QuoteLine.objects.filter(quote=quote).exists()
    with pytest.raises(PermissionDenied):
        line_add(actor=w.rep_b, quote=quote, data={"description": "x", "quantity": "1", "unit_price": "1"})


def test_product_lines_take_description_price_tier_and_tax(sales_world):
    w = sales_world
    p = product(w, "SKU-1", "200.00", name="企业版许可", tax_rate="0.06")
    default = price_list_create(actor=w.admin, data={"name": "标准价", "is_default": True})
    price_list_item_set(actor=w.admin, price_list=default, data={"product": p.pk, "price": "190.00"})
    price_list_item_set(actor=w.admin, price_list=default, data={"product": p.pk, "price": "180.00",
                                                                 "min_quantity": "10"})
    quote = new_quote(w)
    line = line_add(actor=w.rep_a, quote=quote, data={"product": p.pk, "quantity": "2"})
    assert (line.description, line.unit_price, line.tax_rate) == ("企业版许可", D("190.00"), D("0.0600"))
    line = line_update(actor=w.rep_a, line=line, data={"quantity": "12"})  # the list price follows the tier
    assert line.unit_price == D("180.00")
    line = line_update(actor=w.rep_a, line=line, data={"unit_price": "175.00"})
    line = line_update(actor=w.rep_a, line=line, data={"quantity": "2"})  # a typed price stays
    assert line.unit_price == D("175.00")
    assert totals(quote)[3] == D("371.00")  # 350.00 + 6 % tax 21.00


# --- configurator --------------------------------------------------------------------------

def test_configurator_rules_on_quote_lines(sales_world):
    w = sales_world
    server, licence, cloud = product(w, "SRV", name="服务器"), product(w, "LIC", name="许可"), product(w, "CLD", name="云")
    product_rule_add(actor=w.admin, product=server, kind="requires", other=licence.pk)
    product_rule_add(actor=w.admin, product=server, kind="excludes", other=cloud.pk)
    quote = new_quote(w)
    line_add(actor=w.rep_a, quote=quote, data={"product": cloud.pk, "quantity": "1"})
    with pytest.raises(ValidationError) as err:
        line_add(actor=w.rep_a, quote=quote, data={"product": server.pk, "quantity": "1"})
    assert "服务器 (SRV)" in err.value.message_dict["product"][0] and "云 (CLD)" in err.value.message_dict["product"][0]
    assert quote.lines.count() == 1  # the refused line was not kept
    line_remove(actor=w.rep_a, line=quote.lines.get())
    line_add(actor=w.rep_a, quote=quote, data={"product": server.pk, "quantity": "1"})  # requires: checked later
    with pytest.raises(ValidationError) as err:
        quote_send(actor=w.rep_a, quote=quote, to="buyer@example.com")
    assert "许可 (LIC)" in err.value.message_dict["lines"][0]
    assert mail.outbox == []
    line_add(actor=w.rep_a, quote=quote, data={"product": licence.pk, "quantity": "1"})
    quote_send(actor=w.rep_a, quote=quote, to="buyer@example.com")
    assert len(mail.outbox) == 1


# --- approval ------------------------------------------------------------------------------

def test_discount_above_threshold_needs_a_managers_approval(sales_world):
    w = sales_world
    quote = new_quote(w)
    line = line_add(actor=w.rep_a, quote=quote, data={"description": "x", "quantity": "1", "unit_price": "100",
                                                      "discount_percent": "15"})
    with pytest.raises(ValidationError):  # 15 % is not above the default threshold of 15 %
        quote_submit(actor=w.rep_a, quote=quote)
    line_update(actor=w.rep_a, line=line, data={"discount_percent": "20"})
    with pytest.raises(ValidationError) as err:
        quote_send(actor=w.rep_a, quote=quote, to="buyer@example.com")
    assert "status" in err.value.message_dict
    quote = quote_submit(actor=w.rep_a, quote=quote)
    assert quote.status == "pending_approval"
    for name in ("rep_a", "rep_b", "manager_s2", "readonly"):
        with pytest.raises(PermissionDenied):
            quote_approve(actor=w.users[name], quote=quote)
    quote = quote_reject(actor=w.manager, quote=quote, reason="折扣太高")
    assert quote.status == "draft" and quote.approved_by is None
    quote = quote_submit(actor=w.rep_a, quote=quote)
    quote = quote_approve(actor=w.manager, quote=quote)
    assert (quote.status, quote.approved_by) == ("approved", w.manager)
    # changing a line voids the approval
    line_update(actor=w.rep_a, line=line, data={"discount_percent": "25"})
    quote.refresh_from_db()
    assert (quote.status, quote.approved_by) == ("draft", None)
    quote_submit(actor=w.rep_a, quote=quote)
    quote = quote_approve(actor=w.admin, quote=quote)
    quote_send(actor=w.rep_a, quote=quote, to="buyer@example.com")
    quote.refresh_from_db()
    assert quote.status == "sent"
    # the manager sets the threshold
    settings = sales_settings(w.org.pk)
    SalesSettings.objects.filter(pk=settings.pk).update(quote_discount_threshold=D("30"))
    other = new_quote(w)
    line_add(actor=w.rep_a, quote=other, data={"description": "x", "quantity": "1", "unit_price": "1",
                                               "discount_percent": "25"})
    quote_send(actor=w.rep_a, quote=other, to="buyer@example.com")  # no approval needed under 30 %


def test_sent_quotes_are_locked(sales_world):
    w = sales_world
    quote = new_quote(w)
    line = line_add(actor=w.rep_a, quote=quote, data={"description": "x", "quantity": "1", "unit_price": "1"})
    quote_send(actor=w.rep_a, quote=quote, to="buyer@example.com")
    for call in (lambda: line_update(actor=w.rep_a, line=line, data={"quantity": "2"}),
                 lambda: line_remove(actor=w.rep_a, line=line),
                 lambda: quote_update(actor=w.rep_a, quote=quote, data={"terms": "x"})):
        with pytest.raises(ValidationError):
            call()


# --- versions and decisions ------------------------------------------------------------------

def test_new_version_copies_lines_and_supersedes_the_old(sales_world):
    w = sales_world
    quote = new_quote(w)
    quote_update(actor=w.rep_a, quote=quote, data={"terms": "款到发货"})
    for price in ("10.05", "20.00"):
        line_add(actor=w.rep_a, quote=quote, data={"description": f"件 {price}", "quantity": "3",
                                                   "unit_price": price, "discount_percent": "5"})
    quote_send(actor=w.rep_a, quote=quote, to="buyer@example.com")
    new = quote_new_version(actor=w.rep_a, quote=quote)
    quote.refresh_from_db()
    assert (new.number, new.version, new.status, new.terms) == (quote.number, 2, "draft", "款到发货")
    assert quote.status == "superseded"
    assert totals(new) == totals(quote)
    old_lines = list(quote.lines.values_list("description", "quantity", "unit_price", "net_amount"))
    assert list(new.lines.values_list("description", "quantity", "unit_price", "net_amount")) == old_lines
    with pytest.raises(ValidationError):
        quote_new_version(actor=w.rep_a, quote=quote)  # superseded
    listed = list(quote_list(actor=w.rep_a))
    assert new in listed and quote not in listed
    line_update(actor=w.rep_a, line=new.lines.first(), data={"quantity": "4"})
    assert quote.lines.first().quantity == D("3.000")  # the old version's lines are untouched


def test_accepting_moves_an_open_opportunity_to_won(sales_world):
    w = sales_world
    quote = new_quote(w)
    line_add(actor=w.rep_a, quote=quote, data={"description": "x", "quantity": "1", "unit_price": "1"})
    quote_send(actor=w.rep_a, quote=quote, to="buyer@example.com")
    decision = quote_accept(actor=w.rep_a, quote=quote)
    assert decision.opportunity_moved and decision.quote.status == "accepted" and decision.quote.decided_at
    opp = w.opportunities["own"]
    opp.refresh_from_db()
    assert opp.stage.is_won
    assert StageChange.objects.filter(opportunity=opp, to_stage=opp.stage).exists()
    with pytest.raises(ValidationError):
        quote_new_version(actor=w.rep_a, quote=quote)
    # a second quote for the (now won) deal: accepted, nothing to move
    second = new_quote(w)
    line_add(actor=w.rep_a, quote=second, data={"description": "x", "quantity": "1", "unit_price": "1"})
    assert quote_accept(actor=w.rep_a, quote=second).opportunity_moved is False


def test_declining(sales_world):
    w = sales_world
    quote = new_quote(w)
    with pytest.raises(ValidationError):
        quote_accept(actor=w.rep_a, quote=quote)  # no lines
    line_add(actor=w.rep_a, quote=quote, data={"description": "x", "quantity": "1", "unit_price": "1"})
    quote = quote_decline(actor=w.rep_a, quote=quote, reason="预算不足")
    assert quote.status == Quote.Status.REJECTED
    with pytest.raises(ValidationError):
        quote_accept(actor=w.rep_a, quote=quote)


# --- PDF and e-mail ------------------------------------------------------------------------

def _priced_quote(w):
    contact = contact_create(actor=w.rep_a, customer=w.customers["own"],
                             data={"name": "李秘书", "email": "li@example.com"})
    quote = quote_create(actor=w.rep_a, data={"opportunity": w.opportunities["own"].pk, "contact": contact.pk,
                                               "terms": "报价含税，三十天内有效。"})
    p = product(w, "ERP-1", "1000.00", name="企业资源计划系统")
    line_add(actor=w.rep_a, quote=quote, data={"product": p.pk, "quantity": "3", "discount_percent": "10"})
    quote.refresh_from_db()
    return quote


def test_pdf_has_chinese_text_with_an_embedded_cjk_font(sales_world):
    quote = _priced_quote(sales_world)
    assert quote.total == D("3051.00")  # 2700.00 + 13 % 351.00
    pdf = quote_pdf(quote)
    assert pdf.startswith(b"%PDF")
    text = pdftotext(pdf)
    for expected in ("张三", "华彩连锁", quote.number, "李秘书", "企业资源计划系统", "CNY 3,051.00", "2,700.00",
                     "报价含税", "报价"):
        assert expected in text, expected
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=False).stdout.decode()
    if not fonts:  # older poppler reads only files
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
            f.write(pdf)
            f.flush()
            fonts = subprocess.run(["pdffonts", f.name], capture_output=True, check=True).stdout.decode()
    rows = fonts.splitlines()[2:]
    cjk = [row for row in rows if "NotoSansCJK" in row.replace("-", "").replace(" ", "")]
    assert cjk, fonts
    assert all(row.split()[-5] == "yes" for row in rows), fonts  # every font embedded ("emb" column)


def test_pdf_is_in_the_organisations_language(sales_world):
    w = sales_world
    quote = _priced_quote(w)
    from django.utils import translation

    seen = []
    real = translation.override

    class spy(real):
        def __enter__(self):
            seen.append(self.language)
            return super().__enter__()

    from unittest import mock

    with translation.override("en"), mock.patch("guanxi.sales.services.quote_documents.translation.override", spy):
        html = quote_html(quote)
    # org A works in Chinese, whatever the reader's language
    assert seen == ["zh-hans"] and '<html lang="zh-hans">' in html


def test_send_by_email_attaches_the_pdf_and_stamps_the_quote(sales_world, smtp):
    """Through Django's SMTP backend to a real listener on loopback: what a mail server receives."""
    w = sales_world
    quote = _priced_quote(w)
    quote_send(actor=w.rep_a, quote=quote, to="li@example.com", subject="报价单", message="请查收。")
    message, = smtp.wait(1)
    assert smtp.inbox[0][0] == ["li@example.com"]
    assert message["Subject"] == "报价单" and message["Reply-To"] == "rep_a@example.com"
    assert "请查收" in message.get_body(preferencelist=("plain",)).get_content()
    attachment, = list(message.iter_attachments())
    assert attachment.get_filename() == f"{quote.number}-v1.pdf" and attachment.get_content_type() == "application/pdf"
    content = attachment.get_content()
    assert content.startswith(b"%PDF") and "张三" in pdftotext(content)
    quote.refresh_from_db()
    assert quote.status == "sent" and quote.sent_to == "li@example.com" and quote.sent_at is not None
    assert TimelineEvent.objects.filter(customer=quote.customer, kind="quote", data__status="sent").exists()


def test_send_refuses_bad_input_and_sends_nothing(sales_world):
    w = sales_world
    quote = _priced_quote(w)
    for to, subject in (("not-an-address", ""), ("a@example.com", "x" * 201), ("a@example.com\nBcc: x@y.z", "")):
        with pytest.raises(ValidationError):
            quote_send(actor=w.rep_a, quote=quote, to=to, subject=subject)
    with pytest.raises(PermissionDenied):
        quote_send(actor=w.rep_b, quote=quote, to="a@example.com")
    assert mail.outbox == []
    quote.refresh_from_db()
    assert quote.status == "draft" and quote.sent_at is None
