"""Authorisation matrix for the sales JSON API (leads … reports): the sales rows of the T8 table.

Same actors and objects as tests/security/test_api_matrix.py. On top of that world (build_sales:
pipelines, territories 华东 > 上海 with rep_d a member of 华东, one opportunity per case) each case
gets, owned like its customer and made through the sales services: a lead, a draft quote with a
line, a quote waiting for approval, a quote ready to send/accept, an accepted quote, a draft and a
confirmed order, a draft and an active contract, a draft and a submitted expense claim. The
catalogue (products, price lists) and commission rules belong to an organisation: objects of org A
use organisation A's, "other_org" uses organisation B's.

Expectations are written out from the role policy in src/guanxi/sales/permissions.py, not computed:

  leads / opportunities / quotes / contracts / orders: view sales = team, manager = store,
      admin = all, plus the territory rule — the "own" customer 张三 (rep_a) sits in 上海, under
      华东, so rep_d SEES rep_a's lead, opportunity, quote, contract and order but may change none.
  change (incl. convert, move, quote lines/submit/send/accept, order confirm/deliver/payments):
      sales = own, manager = store, admin = all.
  delete (lead, opportunity, quote), lead assign, quote approve/reject, order cancel:
      manager = store, admin = all (sales hold none of these).
  create on a named customer/quote: the id must be visible to the caller, else 422 on that field.
  expenses: view sales = own, manager = store, admin = all; edit/delete/submit: the claimant
      only; approve/reject: manager = store, admin = all.
  catalogue: every signed-in member of the organisation reads; admin manages (manager none).
  commission rules: admin only (CommissionPerm.MANAGE); statements: sales own, manager store.
  pipelines, territories, forecast, reports: every signed-in user (scoped answers).
Other organisation → 404 (or 422 for an id in a body), signed out or deactivated → 401.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import Client

from tests.live import figure
from tests.security.fingerprint import db_fingerprint
from tests.security.test_api_matrix import (  # noqa: F401 - api_world is a fixture used below
    ACTORS,
    CHANGE,
    DELETE,
    EXPORTERS,
    OBJECTS,
    ORG_A,
    SIGNED_OUT,
    VIEW,
    Op,
    api_world,
    call,
    signed_in,
)

# The territory rule: rep_d (华东) sees what sits in 上海 — rep_a's customer and what hangs off it.
SEE = {**VIEW, "rep_d": {"other_store", "own"}}
CLAIMANT = {"rep_a": {"own"}, "rep_b": {"team"}, "rep_c": {"other_team"}, "rep_d": {"other_store"},
            "rep_b2": {"other_org"}}
EXPENSE_SEE = CHANGE  # expenses.view: sales own, manager store, admin all — no territory rule
APPROVERS = DELETE  # manager store, admin all (and admin_b in organisation B)
ADMINS = {"admin", "admin_b"}  # catalog.manage, commission.manage
ORG_B_ACTORS = {"admin_b", "rep_b2"}


def rule(allowed: dict[str, set], ok: int, visible: dict[str, set] = SEE, hidden: int = 404):
    """Allowed → ok; visible but not allowed → 403; not visible → hidden; signed out → 401."""
    def expect(actor: str, obj: str) -> int:
        if actor in SIGNED_OUT:
            return 401
        if obj in allowed.get(actor, set()):
            return ok
        return 403 if obj in visible.get(actor, set()) else hidden
    return expect


def create_on(visible: dict[str, set] = SEE, ok: int = 201):
    """A create naming the object's customer/quote in the body: everyone signed in holds the create
    right over their own records, so it turns on whether the named id is visible (else 422)."""
    def expect(actor: str, obj: str) -> int:
        if actor in SIGNED_OUT:
            return 401
        return ok if obj in visible.get(actor, set()) else 422
    return expect


def org_rule(ok: int, managers: set[str] | None = None):
    """An organisation-wide object (product, price list, commission rule) of the object's
    organisation: its members read (or, for `managers`, change); another organisation → 404."""
    def expect(actor: str, obj: str) -> int:
        if actor in SIGNED_OUT:
            return 401
        if (actor in ORG_B_ACTORS) != (obj == "other_org"):
            return 404
        return ok if managers is None or actor in managers else 403
    return expect


def same_org_body(ok: int):
    """An organisation-wide id in the body: the caller's own organisation's → ok, another's → 422."""
    def expect(actor: str, obj: str) -> int:
        if actor in SIGNED_OUT:
            return 401
        return 422 if (actor in ORG_B_ACTORS) != (obj == "other_org") else ok
    return expect


def in_items(attr: str, visible: dict[str, set] = SEE):
    def check(response, w, actor, obj):
        ids = {item["id"] for item in response.json()["items"]}
        should = obj in visible.get(actor, set())
        target = getattr(w, attr)[obj].pk
        assert (target in ids) == should, f"{attr} of {obj} {'missing from' if should else 'leaked into'} the list"
    return check


def _export_has_lead(response, w, actor, obj):
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
    should = obj in SEE.get(actor, set()) and obj in EXPORT_REACH.get(actor, set())
    assert (w.leads[obj].name in text) == should, f"export {'misses' if should else 'leaks'} the lead of {obj}"


EXPORT_REACH = {"manager": {"own", "team", "other_team"}, "admin": ORG_A, "admin_b": {"other_org"}}


def _today() -> str:
    return dt.date.today().isoformat()


def by(attr):
    """Path parameter builder: {name: w.<attr>[obj].pk}."""
    def build(name):
        return lambda w, obj: {name: getattr(w, attr)[obj].pk}
    return build


lead, opp = by("leads")("lead_id"), by("opportunities")("opportunity_id")
quote, pending, plain = by("quotes")("quote_id"), by("pending")("quote_id"), by("plain")("quote_id")
contract, active_contract = by("contracts")("contract_id"), by("active_contracts")("contract_id")
draft_order, confirmed = by("draft_orders")("order_id"), by("confirmed_orders")("order_id")
claim, submitted = by("claims")("expense_id"), by("submitted_claims")("expense_id")
product, loose, price_list = by("products")("product_id"), by("loose")("product_id"), by("price_lists")("price_list_id")
commission_rule = by("commission_rules")("rule_id")


def _line(w, obj):
    return {"quote_id": w.quotes[obj].pk, "line_id": w.quote_lines[obj].pk}


def _bundle_item(w, obj):
    return {"product_id": w.bundles[obj].pk, "item_product_id": w.lics[obj].pk}


def _product_rule(w, obj):
    return {"product_id": w.products[obj].pk, "rule_id": w.product_rules[obj].pk}


def _price_item(w, obj):
    return {"price_list_id": w.price_lists[obj].pk, "item_id": w.price_items[obj].pk}


def _stage(w, obj):
    pipeline = w.pipeline_b if obj == "other_org" else w.pipeline
    return {"stage_id": pipeline.stages.order_by("position")[1].pk}


ORDER_LINES = [{"description": "矩阵订单", "quantity": "1", "unit_price": "10.00"}]

OPERATIONS: dict[str, Op] = {
    # --- leads (LeadPerm)
    "leads_list": Op("get", "/api/v1/leads", signed_in(200), query=lambda w, o: {"page_size": 200},
                     check=in_items("leads")),
    "leads_create": Op("post", "/api/v1/leads", signed_in(201), body=lambda w, o: {"name": "矩阵线索"},
                       notes="leads.create: sales own (the caller owns it), manager, admin"),
    "leads_export": Op("get", "/api/v1/leads/export", signed_in(200, EXPORTERS), query=lambda w, o: {"format": "csv"},
                       check=_export_has_lead, notes="leads.export: managers and admins only"),
    "leads_get": Op("get", "/api/v1/leads/{lead_id}", rule(SEE, 200), params=lead),
    "leads_update": Op("patch", "/api/v1/leads/{lead_id}", rule(CHANGE, 200), params=lead,
                       body=lambda w, o: {"notes": "矩阵修改"}),
    "leads_delete": Op("delete", "/api/v1/leads/{lead_id}", rule(DELETE, 204), params=lead),
    "leads_assign": Op("post", "/api/v1/leads/{lead_id}/assign", rule(DELETE, 200), params=lead,
                       body=lambda w, o: {"owner_id": w.leads[o].owner_id},
                       notes="leads.assign: manager store, admin all; assigned back to its owner"),
    "leads_convert": Op("post", "/api/v1/leads/{lead_id}/convert", rule(CHANGE, 200), params=lead,
                        body=lambda w, o: {"allow_duplicate": True, "create_opportunity": False}),
    # --- opportunities, pipelines, territories, forecast (OpportunityPerm, TerritoryPerm)
    "opportunities_list": Op("get", "/api/v1/opportunities", signed_in(200), query=lambda w, o: {"page_size": 200},
                             check=in_items("opportunities")),
    "opportunities_create": Op("post", "/api/v1/opportunities", create_on(),
                               body=lambda w, o: {"name": "矩阵商机", "customer_id": w.customers[o].pk},
                               notes="an invisible customer_id is a 422; rep_d sees 张三 through 华东"),
    "opportunities_get": Op("get", "/api/v1/opportunities/{opportunity_id}", rule(SEE, 200), params=opp),
    "opportunities_update": Op("patch", "/api/v1/opportunities/{opportunity_id}", rule(CHANGE, 200), params=opp,
                               body=lambda w, o: {"next_step": "矩阵下一步"}),
    "opportunities_delete": Op("delete", "/api/v1/opportunities/{opportunity_id}", rule(DELETE, 204),
                               params=by("bare_opportunities")("opportunity_id"),
                               notes="an opportunity without quotes or orders (those are marked lost instead)"),
    "opportunities_move": Op("post", "/api/v1/opportunities/{opportunity_id}/move", rule(CHANGE, 200), params=opp,
                             body=_stage, notes="to the second stage of its own pipeline"),
    "opportunities_history": Op("get", "/api/v1/opportunities/{opportunity_id}/history", rule(SEE, 200), params=opp),
    "pipelines_list": Op("get", "/api/v1/pipelines", signed_in(200)),
    "territories_list": Op("get", "/api/v1/territories", signed_in(200)),
    "territories_tree": Op("get", "/api/v1/territories/tree", signed_in(200)),
    "forecast": Op("get", "/api/v1/forecast", signed_in(200), notes="view_forecast: sales own, manager store"),
    # --- catalogue (CatalogPerm: everyone views, admin manages)
    "products_list": Op("get", "/api/v1/products", signed_in(200), query=lambda w, o: {"page_size": 200}),
    "products_create": Op("post", "/api/v1/products", signed_in(201, ADMINS),
                          body=lambda w, o: {"sku": "MX-NEW", "name": "矩阵产品", "list_price": "1.00"}),
    "products_configure": Op("post", "/api/v1/products/configure", same_org_body(200),
                             body=lambda w, o: {"items": [{"product_id": w.products[o].pk, "quantity": "1"}]},
                             notes="a product of another organisation in the body is a 422"),
    "products_get": Op("get", "/api/v1/products/{product_id}", org_rule(200), params=product),
    "products_update": Op("patch", "/api/v1/products/{product_id}", org_rule(200, ADMINS), params=product,
                          body=lambda w, o: {"name": "改名产品"}),
    "products_delete": Op("delete", "/api/v1/products/{product_id}", org_rule(204, ADMINS), params=loose,
                          notes="a product nothing refers to"),
    "products_price": Op("get", "/api/v1/products/{product_id}/price", org_rule(200), params=product,
                         query=lambda w, o: {"quantity": "1"}),
    "products_bundle_item_set": Op("put", "/api/v1/products/{product_id}/bundle-items/{item_product_id}",
                                   org_rule(200, ADMINS), params=_bundle_item, body=lambda w, o: {"quantity": "2"}),
    "products_bundle_item_remove": Op("delete", "/api/v1/products/{product_id}/bundle-items/{item_product_id}",
                                      org_rule(200, ADMINS), params=_bundle_item),
    "products_rule_add": Op("post", "/api/v1/products/{product_id}/rules", org_rule(201, ADMINS), params=product,
                            body=lambda w, o: {"kind": "excludes", "other_id": w.loose[o].pk}),
    "products_rule_remove": Op("delete", "/api/v1/products/{product_id}/rules/{rule_id}", org_rule(204, ADMINS),
                               params=_product_rule),
    "price_lists_list": Op("get", "/api/v1/price-lists", signed_in(200), query=lambda w, o: {"page_size": 200}),
    "price_lists_create": Op("post", "/api/v1/price-lists", signed_in(201, ADMINS),
                             body=lambda w, o: {"name": "矩阵价目表"}),
    "price_lists_get": Op("get", "/api/v1/price-lists/{price_list_id}", org_rule(200), params=price_list),
    "price_lists_update": Op("patch", "/api/v1/price-lists/{price_list_id}", org_rule(200, ADMINS),
                             params=price_list, body=lambda w, o: {"name": "改名价目表"}),
    "price_lists_delete": Op("delete", "/api/v1/price-lists/{price_list_id}", org_rule(204, ADMINS),
                             params=price_list),
    "price_lists_item_set": Op("post", "/api/v1/price-lists/{price_list_id}/items", org_rule(200, ADMINS),
                               params=price_list,
                               body=lambda w, o: {"product_id": w.loose[o].pk, "price": "3.00"}),
    "price_lists_item_remove": Op("delete", "/api/v1/price-lists/{price_list_id}/items/{item_id}",
                                  org_rule(204, ADMINS), params=_price_item),
    # --- quotes (QuotePerm)
    "quotes_list": Op("get", "/api/v1/quotes", signed_in(200), query=lambda w, o: {"page_size": 200},
                      check=in_items("quotes")),
    "quotes_create": Op("post", "/api/v1/quotes", create_on(), body=lambda w, o: {"customer_id": w.customers[o].pk},
                        notes="an invisible customer_id is a 422"),
    "quotes_get": Op("get", "/api/v1/quotes/{quote_id}", rule(SEE, 200), params=quote),
    "quotes_update": Op("patch", "/api/v1/quotes/{quote_id}", rule(CHANGE, 200), params=quote,
                        body=lambda w, o: {"terms": "矩阵条款"}),
    "quotes_delete": Op("delete", "/api/v1/quotes/{quote_id}", rule(DELETE, 204), params=quote),
    "quotes_pdf": Op("get", "/api/v1/quotes/{quote_id}/pdf", rule(SEE, 200), params=quote),
    "quotes_line_add": Op("post", "/api/v1/quotes/{quote_id}/lines", rule(CHANGE, 201), params=quote,
                          body=lambda w, o: {"description": "矩阵行", "quantity": "1", "unit_price": "10.00"}),
    "quotes_line_update": Op("patch", "/api/v1/quotes/{quote_id}/lines/{line_id}", rule(CHANGE, 200), params=_line,
                             body=lambda w, o: {"quantity": "2"}),
    "quotes_line_remove": Op("delete", "/api/v1/quotes/{quote_id}/lines/{line_id}", rule(CHANGE, 200), params=_line),
    "quotes_submit": Op("post", "/api/v1/quotes/{quote_id}/submit", rule(CHANGE, 200),
                        params=by("to_submit")("quote_id"), notes="a draft with a 30% discount (needs approval)"),
    "quotes_approve": Op("post", "/api/v1/quotes/{quote_id}/approve", rule(APPROVERS, 200), params=pending,
                         notes="a quote waiting for approval (30% discount)"),
    "quotes_reject": Op("post", "/api/v1/quotes/{quote_id}/reject", rule(APPROVERS, 200), params=pending,
                        body=lambda w, o: {"reason": "折扣太高"}),
    "quotes_send": Op("post", "/api/v1/quotes/{quote_id}/send", rule(CHANGE, 200), params=plain,
                      body=lambda w, o: {"to": "li@example.com", "subject": "报价", "message": "请查收"}),
    "quotes_new_version": Op("post", "/api/v1/quotes/{quote_id}/new-version", rule(CHANGE, 201), params=quote),
    "quotes_accept": Op("post", "/api/v1/quotes/{quote_id}/accept", rule(CHANGE, 200), params=plain),
    "quotes_decline": Op("post", "/api/v1/quotes/{quote_id}/decline", rule(CHANGE, 200), params=plain,
                         body=lambda w, o: {"reason": "预算"}),
    # --- contracts (QuotePerm)
    "contracts_list": Op("get", "/api/v1/contracts", signed_in(200), query=lambda w, o: {"page_size": 200},
                         check=in_items("contracts")),
    "contracts_create": Op("post", "/api/v1/contracts", create_on(),
                           body=lambda w, o: {"customer_id": w.customers[o].pk, "title": "矩阵合同"}),
    "contracts_from_quote": Op("post", "/api/v1/contracts/from-quote", create_on(CHANGE),
                               body=lambda w, o: {"quote_id": w.accepted[o].pk},
                               notes="an accepted quote; the new record keeps the quote's owner, so a rep may only use their own "
                                     "(sales create = own): else 422, as for an invisible quote_id"),
    "contracts_get": Op("get", "/api/v1/contracts/{contract_id}", rule(SEE, 200), params=contract),
    "contracts_update": Op("patch", "/api/v1/contracts/{contract_id}", rule(CHANGE, 200), params=contract,
                           body=lambda w, o: {"title": "改名合同"}),
    "contracts_activate": Op("post", "/api/v1/contracts/{contract_id}/activate", rule(CHANGE, 200), params=contract),
    "contracts_terminate": Op("post", "/api/v1/contracts/{contract_id}/terminate", rule(CHANGE, 200),
                              params=active_contract, body=lambda w, o: {"reason": "矩阵"}),
    "contracts_files_list": Op("get", "/api/v1/contracts/{contract_id}/files", rule(SEE, 200), params=contract),
    # --- orders (OrderPerm)
    "orders_list": Op("get", "/api/v1/orders", signed_in(200), query=lambda w, o: {"page_size": 200},
                      check=in_items("draft_orders")),
    "orders_create": Op("post", "/api/v1/orders", create_on(),
                        body=lambda w, o: {"customer_id": w.customers[o].pk, "lines": ORDER_LINES}),
    "orders_from_quote": Op("post", "/api/v1/orders/from-quote", create_on(CHANGE),
                            body=lambda w, o: {"quote_id": w.accepted[o].pk},
                            notes="an accepted quote; the new record keeps the quote's owner, so a rep may only use their own "
                                     "(sales create = own): else 422, as for an invisible quote_id"),
    "orders_get": Op("get", "/api/v1/orders/{order_id}", rule(SEE, 200), params=draft_order),
    "orders_confirm": Op("post", "/api/v1/orders/{order_id}/confirm", rule(CHANGE, 200), params=draft_order),
    "orders_deliver": Op("post", "/api/v1/orders/{order_id}/deliver", rule(CHANGE, 200), params=confirmed),
    "orders_cancel": Op("post", "/api/v1/orders/{order_id}/cancel", rule(APPROVERS, 200), params=confirmed,
                        body=lambda w, o: {"reason": "矩阵"}, notes="orders.cancel: manager store, admin all"),
    "orders_payments_list": Op("get", "/api/v1/orders/{order_id}/payments", rule(SEE, 200), params=confirmed),
    "orders_payments_create": Op("post", "/api/v1/orders/{order_id}/payments", rule(CHANGE, 201), params=confirmed,
                                 body=lambda w, o: {"amount": "10.00", "method": "cash", "paid_on": _today()}),
    # --- commission (CommissionPerm)
    "commission_rules_list": Op("get", "/api/v1/commission/rules", signed_in(200),
                                notes="commission.view (sales own, manager store) reads the rules that apply"),
    "commission_rules_create": Op("post", "/api/v1/commission/rules", signed_in(201, ADMINS),
                                  body=lambda w, o: {"name": "矩阵提成", "rate": "0.0300"}),
    "commission_rules_get": Op("get", "/api/v1/commission/rules/{rule_id}", org_rule(200),
                               params=commission_rule),
    "commission_rules_update": Op("patch", "/api/v1/commission/rules/{rule_id}", org_rule(200, ADMINS),
                                  params=commission_rule, body=lambda w, o: {"name": "改名提成"}),
    "commission_rules_delete": Op("delete", "/api/v1/commission/rules/{rule_id}", org_rule(204, ADMINS),
                                  params=commission_rule),
    "commission_statement": Op("get", "/api/v1/commission/statement", rule(CHANGE, 200, visible={}),
                               query=lambda w, o: {"user": w.customers[o].owner_id, "month": "2026-04"},
                               notes="the statement of the object's owner: sales own, manager store, admin all"),
    # --- expenses (ExpensePerm)
    "expenses_list": Op("get", "/api/v1/expenses", signed_in(200), query=lambda w, o: {"page_size": 200},
                        check=in_items("claims", EXPENSE_SEE)),
    "expenses_create": Op("post", "/api/v1/expenses", signed_in(201),
                          body=lambda w, o: {"category": "meals", "amount": "66.60", "spent_on": "2026-03-01",
                                             "description": "矩阵报销"}),
    "expenses_cost_per_deal": Op("get", "/api/v1/expenses/deals", signed_in(200)),
    "expenses_get": Op("get", "/api/v1/expenses/{expense_id}", rule(EXPENSE_SEE, 200, EXPENSE_SEE), params=claim),
    "expenses_update": Op("patch", "/api/v1/expenses/{expense_id}", rule(CLAIMANT, 200, EXPENSE_SEE), params=claim,
                          body=lambda w, o: {"description": "改过的"}, notes="the claimant only"),
    "expenses_delete": Op("delete", "/api/v1/expenses/{expense_id}", rule(CLAIMANT, 204, EXPENSE_SEE), params=claim),
    "expenses_submit": Op("post", "/api/v1/expenses/{expense_id}/submit", rule(CLAIMANT, 200, EXPENSE_SEE),
                          params=claim),
    "expenses_approve": Op("post", "/api/v1/expenses/{expense_id}/approve", rule(APPROVERS, 200, EXPENSE_SEE),
                           params=submitted, body=lambda w, o: {"note": "同意"}),
    "expenses_reject": Op("post", "/api/v1/expenses/{expense_id}/reject", rule(APPROVERS, 200, EXPENSE_SEE),
                          params=submitted, body=lambda w, o: {"note": "不合规"}),
    # --- reports (SalesReportPerm: sales own, manager store, admin all)
    "reports_run": Op("get", "/api/v1/reports/{name}", signed_in(200), params=lambda w, o: {"name": "pipeline"}),
}


# --- the world ------------------------------------------------------------------------------------

def world_extra(w):
    """Sales objects per case, owned like the customers, made through the sales services."""
    from guanxi.core.tenancy import unscoped
    from guanxi.customers.services import contact_create
    from guanxi.sales.models import CommissionRule
    from guanxi.sales.selectors.quotes import sales_settings
    from guanxi.sales.services import catalog, contracts, expenses, orders
    from guanxi.sales.services import quotes as quote_services
    from guanxi.sales.services.leads import lead_create
    from guanxi.sales.services.opportunities import opportunity_create
    from guanxi.testing import build_sales

    build_sales(w)
    names = ["leads", "quotes", "quote_lines", "pending", "plain", "accepted", "contracts", "active_contracts",
             "draft_orders", "confirmed_orders", "claims", "submitted_claims", "products", "loose", "lics", "bundles",
             "product_rules", "price_lists", "price_items", "commission_rules", "bare_opportunities", "to_submit"]
    for name in names:
        setattr(w, name, {})
    with unscoped():
        catalogs = {}
        for org, admin in ((w.org, w.users["admin"]), (w.org_b, w.users["admin_b"])):
            sales_settings(org.pk)  # the settings row exists before any request, so reads never write it
            p = catalog.product_create(actor=admin, data={"sku": "ERP", "name": "企业资源计划系统", "list_price": "1000.00"})
            lo = catalog.product_create(actor=admin, data={"sku": "LOOSE", "name": "散件", "list_price": "5"})
            lic = catalog.product_create(actor=admin, data={"sku": "LIC", "name": "许可", "list_price": "5"})
            kit = catalog.product_create(actor=admin, data={"sku": "KIT", "name": "套装", "kind": "bundle"})
            catalog.bundle_item_set(actor=admin, bundle=kit, product=lic.pk, quantity="1")
            prule = catalog.product_rule_add(actor=admin, product=p, kind="requires", other=lic.pk)
            pl = catalog.price_list_create(actor=admin, data={"name": "标准价", "is_default": True})
            item = catalog.price_list_item_set(actor=admin, price_list=pl, data={"product": p.pk, "price": "900.00"})
            crule = CommissionRule.objects.create(organization=org, name="全员", rate="0.0500")
            catalogs[org.pk] = (p, lo, lic, kit, prule, pl, item, crule)
        for case, customer in w.customers.items():
            owner = customer.owner
            (w.products[case], w.loose[case], w.lics[case], w.bundles[case], w.product_rules[case],
             w.price_lists[case], w.price_items[case], w.commission_rules[case]) = catalogs[customer.organization_id]
            province = {"province": "上海市"} if case == "own" else {}
            w.bare_opportunities[case] = opportunity_create(actor=owner, data={
                "name": f"空商机{case}", "customer": customer.pk, "amount": "500.00"})
            w.leads[case] = lead_create(actor=owner, data={"name": f"线索{case}", "company": "矩阵公司", **province})
            contact = contact_create(actor=owner, customer=customer, data={"name": f"秘书{case}",
                                                                          "email": "li@example.com"})

            def new_quote(discount):
                q = quote_services.quote_create(actor=owner, data={"opportunity": w.opportunities[case].pk,
                                                                   "contact": contact.pk})
                line = quote_services.line_add(actor=owner, quote=q, data={
                    "description": "咨询", "quantity": "1", "unit_price": "100", "discount_percent": discount})
                return q, line

            w.quotes[case], w.quote_lines[case] = new_quote("0")
            w.pending[case], _ = new_quote("30")
            w.to_submit[case], _ = new_quote("30")
            quote_services.quote_submit(actor=owner, quote=w.pending[case])
            w.plain[case], _ = new_quote("0")
            accepted, _ = new_quote("0")
            quote_services.quote_accept(actor=owner, quote=accepted)
            accepted.refresh_from_db()
            w.accepted[case] = accepted
            w.contracts[case] = contracts.contract_create(actor=owner, data={
                "title": f"年度合同{case}", "customer": customer.pk, "renewal_date": "2027-01-01"})
            active = contracts.contract_create(actor=owner, data={"title": f"生效合同{case}", "customer": customer.pk})
            w.active_contracts[case] = contracts.contract_activate(actor=owner, contract=active)
            lines = [{"description": "年度服务", "quantity": "2", "unit_price": "500.00", "tax_rate": "0.13"}]
            w.draft_orders[case] = orders.order_create(actor=owner, data={"customer": customer.pk, "lines": lines})
            w.confirmed_orders[case] = orders.order_confirm(actor=owner, order=orders.order_create(
                actor=owner, data={"customer": customer.pk, "lines": lines}))
            claim_data = {"category": "travel", "amount": "88.00", "spent_on": dt.date(2026, 3, 2),
                          "opportunity": w.opportunities[case].pk}
            w.claims[case] = expenses.expense_create(actor=owner, data={**claim_data, "description": f"草稿报销{case}"})
            w.submitted_claims[case] = expenses.expense_submit(actor=owner, claim=expenses.expense_create(
                actor=owner, data={**claim_data, "description": f"已提交报销{case}"}))
    return w


@pytest.fixture
def sales_api_world(api_world, settings, tmp_path):
    from guanxi.core.models import ApiToken
    from django.utils import timezone

    settings.MEDIA_ROOT = tmp_path
    w = world_extra(api_world)
    ApiToken.objects.update(last_used_at=timezone.now())
    return w


CASES = {"run": 0, "denied": 0}


# 86 operations × 10 actors × 5 objects = 4,300 requests (~8 min on 2 cores): part of `make test-full`.
# `make test` keeps the classification check (every operation has a row) and the customer matrix.
@pytest.mark.slow
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_sales_api_operation_for_every_actor_and_object(sales_api_world, operation):
    op = OPERATIONS[operation]
    w, client = sales_api_world, Client()
    wrong = []
    for actor in ACTORS:
        for obj in OBJECTS:
            expected = op.expect(actor, obj)
            with transaction.atomic():
                before = db_fingerprint() if expected >= 400 else None
                response = call(client, w, actor, op, obj)
                CASES["run"] += 1
                problem = None
                if response.status_code != expected:
                    body = b"" if getattr(response, "streaming", False) else response.content[:200]
                    problem = f"{actor} × {obj}: {response.status_code} (expected {expected}) {body.decode(errors='replace')}"
                elif before is not None:
                    CASES["denied"] += 1
                    if db_fingerprint() != before:
                        problem = f"{actor} × {obj}: denied with {expected} but the database changed"
                    target = w.customers[obj]
                    if (obj not in SEE.get(actor, set()) and
                            (target.name.encode() in response.content or target.phone.encode() in response.content)):
                        problem = f"{actor} × {obj}: the {expected} answer names the customer"
                elif op.check:
                    try:
                        op.check(response, w, actor, obj)
                    except AssertionError as exc:
                        problem = f"{actor} × {obj}: {exc}"
                if problem:
                    wrong.append(problem)
                transaction.set_rollback(True)
    figure(f"T8 sales API matrix {operation}: {len(ACTORS) * len(OBJECTS)} cases, {len(wrong)} wrong "
           f"(total so far: {CASES['run']} cases, {CASES['denied']} denials with an unchanged database)")
    assert not wrong, "\n".join(wrong)
