"""The demo's sales side (issue 3): territories, a lively pipeline with history, and quotas.

Built through the sales services as the reps themselves; afterwards the timestamps are spread
over the past months (a bulk UPDATE, demo only) so the board, forecast and reports have a past.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

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
