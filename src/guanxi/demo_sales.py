"""The demo's sales side (issue 3): territories, a lively pipeline with history, and quotas.

Built through the sales services as the reps themselves; afterwards the timestamps are spread
over the past months (a bulk UPDATE, demo only) so the board, forecast and reports have a past.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from guanxi.core.models import User
from guanxi.core.roles import Role
from guanxi.customers.models import Customer
from guanxi.sales.models import Opportunity, Quota, StageChange
from guanxi.sales.services import opportunities as opps
from guanxi.sales.services.pipelines import pipeline_ensure_default
from guanxi.sales.services.territories import territory_create, territory_member_set, territory_realign

TERRITORIES = [
    # name, parent, provinces, member usernames (rep/manager)
    ("华东", None, "上海\n浙江\n江苏", [("sh_manager", "manager")]),
    ("上海", "华东", "上海", [("sh_rep1", "rep"), ("sh_rep2", "rep"), ("sh_rep3", "rep")]),
    ("浙江", "华东", "浙江", [("sh_rep3", "rep")]),
    ("华北", None, "北京\n河北\n天津", [("bj_manager", "manager"), ("bj_rep1", "rep"), ("bj_rep2", "rep")]),
    ("华南", None, "广东", [("gz_manager", "manager"), ("gz_rep1", "rep")]),
    ("华中西部", None, "湖北\n四川", []),
]
PRODUCTS_OF_INTEREST = ["会员年卡团购", "门店装修方案", "收银系统升级", "员工培训课程", "年度礼品采购", "储值卡批量采购",
                        "美容护理套餐", "企业福利计划", "节日营销活动", "连锁加盟咨询"]
COMPETITORS = ["", "", "有赞", "微盟", "客如云", "本地同行"]
NEXT_STEPS = ["约见决策人", "发送报价", "安排到店体验", "确认预算", "签订合同", "回访确认需求"]
LOST_REASONS = ["价格太高", "选择了竞争对手", "预算取消", "需求不匹配"]


def build(org, users: dict[str, User], *, n_opportunities: int = 500, seed: int = 2026) -> None:
    rng = random.Random(seed)
    admin = users["hq_admin"]
    pipeline = pipeline_ensure_default(org.pk)
    stages = list(pipeline.stages.order_by("position"))
    open_stages = [s for s in stages if not s.is_closed]
    won = next(s for s in stages if s.is_won)
    lost = next(s for s in stages if s.is_lost)

    created = {}
    for name, parent, provinces, members in TERRITORIES:
        territory = territory_create(actor=admin, data={"name": name, "provinces": provinces,
                                                        "parent": created[parent].pk if parent else None})
        created[name] = territory
        for username, role in members:
            territory_member_set(actor=admin, territory=territory, user=users[username], role=role)
    territory_realign(actor=admin)

    reps = [u for u in users.values() if u.role == Role.SALES]
    now = timezone.now()
    pool = {rep.pk: list(Customer.objects.filter(organization=org, owner=rep).values_list("pk", flat=True))
            for rep in reps}
    for _ in range(n_opportunities):
        rep = rng.choice(reps)
        if not pool[rep.pk]:
            continue
        customer_id = rng.choice(pool[rep.pk])
        age_days = rng.randint(3, 270)
        amount = Decimal(rng.choice([3800, 5000, 8800, 12000, 18800, 26000, 50000, 88000, 120000, 260000]))
        amount += Decimal(rng.randint(0, 99)) * 100
        opp = opps.opportunity_create(actor=rep, data={
            "name": rng.choice(PRODUCTS_OF_INTEREST), "customer": customer_id, "amount": str(amount),
            "expected_close": (timezone.localdate() + dt.timedelta(days=rng.randint(-60, 150))),
            "next_step": rng.choice(NEXT_STEPS), "competitors": rng.choice(COMPETITORS),
            "source": rng.choice(["referral", "web", "store_visit", "event", "phone"]),
        })
        # walk it forward: older deals have moved further, a share of them closed
        steps = min(len(open_stages) - 1, int(rng.random() * (age_days / 45 + 1)))
        for stage in open_stages[1:steps + 1]:
            opps.opportunity_move(actor=rep, opportunity=opp, stage=stage.pk)
        if age_days > 40 and rng.random() < 0.45:
            closing = won if rng.random() < 0.55 else lost
            opps.opportunity_move(actor=rep, opportunity=opp, stage=closing.pk,
                                  lost_reason=rng.choice(LOST_REASONS) if closing == lost else None)
        _spread_history(opp, now - dt.timedelta(days=age_days), now)

    this_month = timezone.localdate().replace(day=1)
    for rep in reps:
        for back in range(-1, 6):
            month = (this_month - dt.timedelta(days=31 * back)).replace(day=1) if back >= 0 else \
                (this_month + dt.timedelta(days=32)).replace(day=1)
            Quota.objects.get_or_create(organization=org, user=rep, period=month,
                                        defaults={"amount": Decimal(rng.choice([150000, 200000, 300000])),
                                                  "currency": org.currency})


def _spread_history(opp: Opportunity, start: dt.datetime, end: dt.datetime) -> None:
    """Re-time an opportunity's stage history evenly between `start` and `end` (demo only)."""
    changes = list(StageChange.objects.filter(opportunity=opp).order_by("at", "id"))
    span = (end - start) / max(len(changes), 1)
    previous = None
    for i, change in enumerate(changes):
        at = start + span * i
        seconds = int((at - previous).total_seconds()) if previous else None
        StageChange.objects.filter(pk=change.pk).update(at=at, seconds_in_previous=seconds)
        previous = at
    closed = Q(stage__is_won=True) | Q(stage__is_lost=True)
    Opportunity.objects.filter(pk=opp.pk).update(created_at=start, stage_entered_at=previous or start)
    Opportunity.objects.filter(closed, pk=opp.pk).update(closed_at=previous or start)


# --- leads, catalogue, documents, money (built after the pipeline) ------------------------------

CATALOGUE = [
    # sku, name, kind, unit, list price, cost
    ("CARD-Y", "会员年卡", "product", "张", "1280.00", "300.00"),
    ("CARD-S", "储值卡（5000元）", "product", "张", "4800.00", "4500.00"),
    ("POS-2", "收银系统升级", "service", "套", "26000.00", "12000.00"),
    ("TRAIN", "员工培训课程", "service", "人次", "1800.00", "600.00"),
    ("GIFT-B", "节日礼盒", "product", "盒", "368.00", "210.00"),
    ("CARE-P", "美容护理套餐", "product", "套", "2980.00", "900.00"),
    ("DESIGN", "门店装修方案", "service", "项", "88000.00", "52000.00"),
    ("INSTALL", "上门安装", "option", "次", "800.00", "300.00"),
]
LEAD_NAMES = ["林", "陈", "黄", "周", "吴", "孙", "马", "朱", "胡", "郭"]
CAMPAIGNS = ["", "", "2026春季展会", "官网咨询", "老客户转介绍", "抖音直播"]
PLAYBOOK = {
    0: ("首次接触", "24 小时内回电；确认决策人、预算和时间表。"),
    1: ("需求确认", "到店或上门了解门店数量、会员规模和现有系统；记录竞争对手。"),
    2: ("方案报价", "报价前与经理确认折扣；超过阈值的折扣需审批。"),
    3: ("商务谈判", "准备两套付款方案；合同条款提前交法务审核。"),
}


def build_more(org, users: dict[str, User], *, n_leads: int = 150, seed: int = 2027) -> None:
    from guanxi.sales.services import catalog, commission, contracts, expenses, leads, orders, playbook, quotes
    from guanxi.sales.services.lead_conversion import lead_convert

    rng = random.Random(seed)
    admin, manager = users["hq_admin"], users["sh_manager"]
    reps = [u for u in users.values() if u.role == Role.SALES]
    stages = list(pipeline_ensure_default(org.pk).stages.order_by("position"))

    products = [catalog.product_create(actor=admin, data={
        "sku": sku, "name": name, "kind": kind, "unit": unit, "list_price": price, "cost": cost})
        for sku, name, kind, unit, price, cost in CATALOGUE]
    catalog.product_rule_add(actor=admin, product=products[2], kind="requires", other=products[7])
    commission.commission_rule_create(actor=admin, data={"name": "全员 3% 收入", "basis": "revenue", "rate": "0.03"})
    commission.commission_rule_create(actor=admin, data={"name": "装修方案 8% 毛利", "basis": "margin", "rate": "0.08",
                                                         "product": products[6].pk})
    leads.score_rule_create(actor=admin, data={"name": "转介绍", "field": "source", "operator": "equals",
                                               "value": "referral", "points": 30})
    leads.score_rule_create(actor=admin, data={"name": "留了邮箱", "field": "email", "operator": "not_empty",
                                               "points": 10})
    for position, (title, body) in PLAYBOOK.items():
        playbook.playbook_entry_create(actor=admin, data={"stage": stages[position].pk, "title": title, "body": body})
    playbook.tip_create(actor=users["sh_rep1"], data={
        "title": "连锁客户先谈试点门店", "body": "先拿下一家试点门店，三个月后用数据谈全部门店，成功率高很多。",
        "stage": stages[1].pk})

    for i in range(n_leads):
        rep = rng.choice(reps)
        province, city = rng.choice([("上海", "上海"), ("北京", "北京"), ("广东", "广州"), ("浙江", "杭州")])
        lead = leads.lead_create(actor=rep, data={
            "name": rng.choice(LEAD_NAMES) + rng.choice(["先生", "女士", "总", "经理"]),
            "company": f"{city}{rng.choice(['优品', '鲜丰', '悦享', '美家', '乐活'])}{rng.choice(['超市', '餐饮', '美容', '书店'])}"
                       f"{i:03d}",
            "phone": f"139{rng.randint(10000000, 99999999)}", "province": province, "city": city,
            "source": rng.choice(["web", "referral", "event", "phone", "social"]),
            "campaign": rng.choice(CAMPAIGNS),
            "rating": rng.choice(["hot", "warm", "cold", ""]),
        })
        roll = rng.random()
        if roll < 0.25:
            try:
                lead_convert(actor=rep, lead=lead, allow_duplicate=True,
                             amount=str(rng.choice([5000, 12000, 26000, 88000])))
            except ValidationError:
                pass
        elif roll < 0.55:
            leads.lead_update(actor=rep, lead=lead, data={"status": rng.choice(["contacted", "qualified",
                                                                                  "unqualified"])})

    won = Opportunity.objects.filter(organization=org, stage__is_won=True).select_related("owner", "customer")
    for opp in won.order_by("id")[:80]:
        rep = opp.owner
        quote = quotes.quote_create(actor=rep, data={"opportunity": opp.pk})
        for product in rng.sample(products[:2] + products[3:6], rng.randint(1, 2)):
            quotes.line_add(actor=rep, quote=quote, data={"product": product.pk,
                                                          "quantity": str(rng.randint(1, 20)),
                                                          "discount_percent": str(rng.choice([0, 0, 5, 10]))})
        decision = quotes.quote_accept(actor=rep, quote=quote)
        contract = contracts.contract_create_from_quote(rep, decision.quote)
        order = orders.order_create_from_quote(rep, decision.quote, contract)
        orders.order_confirm(actor=rep, order=order)
        order.refresh_from_db()
        if rng.random() < 0.7:
            orders.payment_record(rep, order, str(order.total), rng.choice(["bank", "wechat", "alipay"]))
        elif rng.random() < 0.5:
            orders.payment_record(rep, order, str((order.total / 2).quantize(Decimal("0.01"))), "bank")
    for opp in Opportunity.objects.filter(organization=org, closed_at__isnull=True).order_by("id")[:60]:
        rep = opp.owner
        quote = quotes.quote_create(actor=rep, data={"opportunity": opp.pk})
        quotes.line_add(actor=rep, quote=quote, data={"product": rng.choice(products[:6]).pk,
                                                      "quantity": str(rng.randint(1, 10))})
    for opp in Opportunity.objects.filter(organization=org, owner__store__code="SH").order_by("id")[:30]:
        claim = expenses.expense_create(actor=opp.owner, data={
            "opportunity": opp.pk, "category": rng.choice(["travel", "meals", "gifts", "samples"]),
            "amount": str(rng.choice([88, 128, 260, 480, 1200])), "spent_on": timezone.localdate() - dt.timedelta(
                days=rng.randint(1, 60)), "description": rng.choice(["拜访客户交通费", "客户午餐", "样品寄送", "节日礼品"])})
        expenses.expense_submit(actor=opp.owner, claim=claim)
        if rng.random() < 0.6:
            expenses.expense_approve(actor=manager, claim=claim)
