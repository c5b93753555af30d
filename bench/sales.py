"""Sales workloads 5–7 (issue 4), run inside bench.runner; each against hand-written SQL in the same run.

The world (fixed seed, its own organisation): an admin, two stores with a manager each, 5 teams of 5
reps (3 teams in store SA, 2 in SB), a territory tree (华东 > 上海, 浙江; 华北; 华南) with the first rep of
every team a member of one territory, rows/4 customers owned by the reps round-robin and placed in
their territory, and `rows` opportunities of the default pipeline (≈75 % open over the four open
stages, ≈13 % won, ≈12 % lost, closed over the last ~14 months), each owned by its customer's rep.
That starting state is written with bulk_create (one creation row of stage history per opportunity);
every measured write goes through the real services.

5. Board moves: MOVES open opportunities moved one stage on (or to won, or to lost with a reason) as
   their owner rep through `access_opportunity` + `opportunity_move` (what the board's drop and the
   API do: row rule, row lock, stage change with seconds in the previous stage, probability, audit,
   timeline), vs. another MOVES opportunities moved with the same writes in plain SQL
   (`sales_raw.move`, one transaction each). Then the board read: `board_data` for the default
   pipeline as a rep (every rep in turn) and as a store manager vs. the raw grouped query + cards.
6. Payments: ORDERS (2,000; rows/4 below 8,000 opportunities) confirmed orders, 1–4 lines each from an
   8-product catalogue, paid in 1–3 payments as the owner rep through `access_order` +
   `payment_record` (the payment that completes an order makes it paid and writes the commission
   ledger) vs. an identical second set of orders paid with the same rows in plain SQL. Afterwards
   every order must be paid and its ledger equal the commission this module works out on its own
   from the rules (`expected_line`); otherwise the workload stops (LedgerCheckFailed).
7. Reports: `pipeline_by_stage` and `won_lost_by_month` as the admin (all `rows` opportunities) and as
   a store manager vs. their raw grouped SQL.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from dataclasses import dataclass, field
from decimal import Decimal

SEED = 2031
MOVES = 2_000
ORDERS = 2_000
BOARD_SAMPLES = 40
REPORT_SAMPLES = 30
TEAMS, PER_TEAM = 5, 5
BATCH = 5_000
PROVINCES = ["上海", "江苏", "浙江", "北京", "天津", "广东", "四川", "湖北"]
CITY_OF = {"上海": "上海", "江苏": "南京", "浙江": "杭州", "北京": "北京", "天津": "天津", "广东": "广州",
           "四川": "成都", "湖北": "武汉"}
DEALS = ["会员年卡团购", "门店装修方案", "收银系统升级", "员工培训课程", "年度礼品采购", "储值卡批量采购"]
AMOUNTS = [3800, 5000, 8800, 12000, 18800, 26000, 50000, 88000, 120000, 260000]
LOST_REASONS = ["价格太高", "选择了竞争对手", "预算取消", "需求不匹配"]
CATALOGUE = [  # sku, name, list price, cost
    ("CARD-Y", "会员年卡", "1280.00", "300.00"), ("CARD-S", "储值卡（5000元）", "4800.00", "4500.00"),
    ("POS-2", "收银系统升级", "26000.00", "12000.00"), ("TRAIN", "员工培训课程", "1800.00", "600.00"),
    ("GIFT-B", "节日礼盒", "368.00", "210.00"), ("CARE-P", "美容护理套餐", "2980.00", "900.00"),
    ("DESIGN", "门店装修方案", "88000.00", "52000.00"), ("INSTALL", "上门安装", "800.00", "300.00"),
]
# Commission rules: everyone 3 % of revenue; the star rep 5 %; the design service 8 % of margin when
# the margin is at least 30 % (and nothing below it: no falling through); an inactive 50 % rule.
RATE_ALL, RATE_STAR, RATE_DESIGN, DESIGN_MIN_MARGIN = Decimal("0.03"), Decimal("0.05"), Decimal("0.08"), Decimal(30)


class LedgerCheckFailed(RuntimeError):
    """The commission ledger the payments wrote is not the commission the rules give."""


@dataclass
class World:
    org: object
    admin: object
    managers: list
    reps: list
    pipeline: object
    stages: list
    territories: dict
    products: dict = field(default_factory=dict)
    rules: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    orders: dict = field(default_factory=dict)  # side ("service" / "raw") → [(order_id, owner_id, plan)]
    expected: dict = field(default_factory=dict)  # order id → [(line_id, user_id, rule_id, basis, rate, amount)]

    @property
    def won(self):
        return next(s for s in self.stages if s.is_won)

    @property
    def lost(self):
        return next(s for s in self.stages if s.is_lost)

    @property
    def open_stages(self) -> list:
        return [s for s in self.stages if not s.is_closed]


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=20)[18] if q == 95 else statistics.median(values)


def fresh(user):
    """Forget what an earlier 'request' cached on the user (its territories): each operation pays for it."""
    user.__dict__.pop("_sales_territory_ids", None)
    return user


# --- the starting state --------------------------------------------------------------------------

def build(rows: int, orders: int | None = None) -> World:
    from guanxi.core import services as core
    from guanxi.core.roles import Role
    from guanxi.core.tenancy import tenant_scope
    from guanxi.sales.services import catalog, commission
    from guanxi.sales.services.pipelines import pipeline_ensure_default
    from guanxi.sales.services.territories import territory_create, territory_member_set

    rng = random.Random(SEED)
    org = core.organization_create(name="销售基准", slug="sales-bench")
    with tenant_scope(org.pk):
        hq = core.store_create(organization=org, code="SHQ", name="总部", is_headquarters=True)
        admin = core.user_create(actor=None, organization=org, username="sb_admin", role=Role.ADMIN, store=hq)
        stores = [core.store_create(organization=org, code=code, name=name) for code, name in (("SA", "华东店"),
                                                                                               ("SB", "华北店"))]
        managers = [core.user_create(actor=None, organization=org, username=f"sb_manager_{s.code.lower()}",
                                     role=Role.MANAGER, store=s) for s in stores]
        reps = []
        for t in range(TEAMS):
            store = stores[0] if t < 3 else stores[1]
            team = core.team_create(organization=org, name=f"销售{t + 1}组", store=store)
            reps += [core.user_create(actor=None, organization=org, username=f"sb_rep{t * PER_TEAM + k + 1:02d}",
                                      role=Role.SALES, store=store, team=team) for k in range(PER_TEAM)]
        east = territory_create(actor=admin, data={"name": "华东", "provinces": "上海\n江苏\n浙江"})
        territories = {"华东": east,
                       "上海": territory_create(actor=admin, data={"name": "上海", "parent": east.pk, "provinces": "上海"}),
                       "浙江": territory_create(actor=admin, data={"name": "浙江", "parent": east.pk, "provinces": "浙江"}),
                       "华北": territory_create(actor=admin, data={"name": "华北", "provinces": "北京\n天津"}),
                       "华南": territory_create(actor=admin, data={"name": "华南", "provinces": "广东"})}
        for t, name in enumerate(["上海", "浙江", "华北", "华南", "上海"]):
            territory_member_set(actor=admin, territory=territories[name], user=reps[t * PER_TEAM], role="rep")
        pipeline = pipeline_ensure_default(org.pk)
        w = World(org=org, admin=admin, managers=managers, reps=reps, pipeline=pipeline,
                  stages=list(pipeline.stages.order_by("position")), territories=territories)
        w.users = {u.pk: u for u in [admin, *managers, *reps]}
        for sku, name, price, cost in CATALOGUE:
            w.products[sku] = catalog.product_create(actor=admin, data={
                "sku": sku, "name": name, "kind": "product", "unit": "件", "list_price": price, "cost": cost,
                "tax_rate": "0.1300"})
        w.rules["all"] = commission.commission_rule_create(actor=admin, data={
            "name": "全员 3% 收入", "basis": "revenue", "rate": str(RATE_ALL)})
        w.rules["star"] = commission.commission_rule_create(actor=admin, data={
            "name": "金牌销售 5% 收入", "basis": "revenue", "rate": str(RATE_STAR), "user": reps[0].pk})
        w.rules["design"] = commission.commission_rule_create(actor=admin, data={
            "name": "装修方案 8% 毛利", "basis": "margin", "rate": str(RATE_DESIGN), "product": w.products["DESIGN"].pk,
            "min_margin_percent": str(DESIGN_MIN_MARGIN)})
        commission.commission_rule_create(actor=admin, data={
            "name": "停用：储值卡 50%", "basis": "revenue", "rate": "0.5", "product": w.products["CARD-S"].pk,
            "is_active": False})
        customers = _customers(w, max(rows // 4, 10), rng)
        _opportunities(w, rows, customers, rng)
        n = orders if orders is not None else min(ORDERS, max(rows // 4, 10))
        _orders(w, n, customers, rng)
    return w


def _customers(w: World, n: int, rng: random.Random) -> list[tuple[int, int, int | None]]:
    """[(customer id, owner id, territory id)], placed by the territory rules."""
    from guanxi.customers.models import Customer
    from guanxi.sales.models import CustomerTerritory, Territory
    from guanxi.sales.services.territories import Place, territory_match

    rules = list(Territory.objects.filter(organization_id=w.org.pk, is_active=True))
    made = []
    for start in range(0, n, BATCH):
        batch = []
        for i in range(start, min(n, start + BATCH)):
            rep = w.reps[i % len(w.reps)]
            province = rng.choice(PROVINCES)
            batch.append(Customer(organization_id=w.org.pk, kind="company", name=f"{CITY_OF[province]}客户{i:06d}",
                                  owner=rep, store_id=rep.store_id, province=province, city=CITY_OF[province],
                                  phone=f"+86139{i:08d}", created_by=rep))
        made += Customer.objects.bulk_create(batch)
    out, links = [], []
    for c in made:
        territory = territory_match(w.org.pk, Place(province=c.province), rules)
        out.append((c.pk, c.owner_id, territory.pk if territory else None))
        if territory:
            links.append(CustomerTerritory(organization_id=w.org.pk, customer_id=c.pk, territory_id=territory.pk))
    CustomerTerritory.objects.bulk_create(links, batch_size=BATCH)
    return out


def _opportunities(w: World, n: int, customers: list, rng: random.Random) -> None:
    from django.utils import timezone

    from guanxi.sales.models import Opportunity, StageChange

    now = timezone.now()
    weights = [30, 20, 15, 10, 13, 12]  # the four open stages, won, lost
    position = {s.pk: 0 for s in w.stages}
    for start in range(0, n, BATCH):
        batch = []
        for i in range(start, min(n, start + BATCH)):
            customer_id, owner_id, territory_id = customers[i % len(customers)]
            stage = rng.choices(w.stages, weights)[0]
            position[stage.pk] += 1
            entered = now - dt.timedelta(days=rng.uniform(0.5, 420), seconds=rng.randint(0, 86399))
            amount = Decimal(rng.choice(AMOUNTS)) + Decimal(rng.randint(0, 99)) * 100
            owner = w.users[owner_id]
            batch.append(Opportunity(
                organization_id=w.org.pk, name=f"{rng.choice(DEALS)} {i:06d}", customer_id=customer_id,
                pipeline=w.pipeline, stage=stage, amount=amount, currency="CNY", probability=stage.probability,
                expected_close=(now + dt.timedelta(days=rng.randint(-60, 150))).date(), owner_id=owner_id,
                store_id=owner.store_id, territory_id=territory_id, created_by_id=owner_id, position=position[stage.pk],
                stage_entered_at=entered, closed_at=entered if stage.is_closed else None,
                lost_reason=rng.choice(LOST_REASONS) if stage.is_lost else ""))
        made = Opportunity.objects.bulk_create(batch)
        StageChange.objects.bulk_create([StageChange(
            organization_id=w.org.pk, opportunity_id=o.pk, to_stage_id=o.stage_id, actor_id=o.owner_id,
            amount=o.amount, probability=o.probability) for o in made])


def expected_line(w: World, owner_id: int, product_id: int | None, net: Decimal, cost: Decimal):
    """The commission one paid order line earns, worked out here from the four rules above (not by the
    service's rule picker): (rule id, basis, rate, amount) or None."""
    from guanxi.core.money import to_cents

    if product_id == w.products["DESIGN"].pk:  # the product rule beats the rep rule
        if net <= 0 or (net - cost) * 100 / net < DESIGN_MIN_MARGIN:
            return None
        rule, basis, rate = w.rules["design"], net - cost, RATE_DESIGN
    elif owner_id == w.reps[0].pk:
        rule, basis, rate = w.rules["star"], net, RATE_STAR
    else:
        rule, basis, rate = w.rules["all"], net, RATE_ALL
    amount = to_cents(basis * rate)
    return (rule.pk, to_cents(basis), rate, amount) if amount > 0 else None


def _orders(w: World, n: int, customers: list, rng: random.Random) -> None:
    """n order specs (customer, 1–4 lines, a payment plan), each written twice: once for the service,
    once for the raw side, so both pay exactly the same amounts."""
    from django.utils import timezone

    from guanxi.core.money import to_cents
    from guanxi.sales.models import Order, OrderLine
    from guanxi.sales.services.orders import line_amounts

    products = list(w.products.values())
    specs = []
    for _ in range(n):
        customer_id, owner_id, territory_id = rng.choice(customers)
        lines = [(p, Decimal(rng.randint(1, 20)), Decimal(rng.choice([0, 0, 5, 10, 20])))
                 for p in rng.sample(products, rng.randint(1, 4))]
        k = rng.choice((1, 2, 2, 3))
        specs.append((customer_id, owner_id, territory_id, lines, k, rng.choice(["bank", "wechat", "alipay"])))
    now = timezone.now()
    for side in ("service", "raw"):
        w.orders[side] = []
        for start in range(0, n, BATCH):
            orders, all_lines = [], []
            for i, (customer_id, owner_id, territory_id, lines, _k, _m) in enumerate(specs[start:start + BATCH], start):
                values = [(p, q, d, line_amounts(q, p.list_price, d, p.tax_rate, p.cost)) for p, q, d in lines]
                net = sum((v["net"] for *_x, v in values), Decimal("0.00"))
                tax = sum((v["tax"] for *_x, v in values), Decimal("0.00"))
                gross = sum((v["gross"] for *_x, v in values), Decimal("0.00"))
                orders.append(Order(
                    organization_id=w.org.pk, number=f"SB-{side[0].upper()}{i + 1:06d}", customer_id=customer_id,
                    owner_id=owner_id, store_id=w.users[owner_id].store_id, territory_id=territory_id,
                    status=Order.Status.CONFIRMED, currency="CNY", subtotal=gross, discount_total=gross - net,
                    tax_total=tax, total=net + tax, cost_total=sum((v["cost"] for *_x, v in values), Decimal("0.00")),
                    confirmed_at=now, created_by_id=owner_id))
                all_lines.append([OrderLine(organization_id=w.org.pk, position=j, product=p, description=p.name,
                                            quantity=q, unit_price=p.list_price, discount_percent=d, tax_rate=p.tax_rate,
                                            net_amount=v["net"], tax_amount=v["tax"], cost=v["cost"])
                                  for j, (p, q, d, v) in enumerate(values)])
            Order.objects.bulk_create(orders)
            for order, lines in zip(orders, all_lines, strict=True):
                for line in lines:
                    line.order_id = order.pk
            OrderLine.objects.bulk_create([line for lines in all_lines for line in lines])
            for (order, lines), spec in zip(zip(orders, all_lines, strict=True), specs[start:start + BATCH],
                                            strict=True):
                k, method = spec[4], spec[5]
                parts = [to_cents(order.total * Decimal("0.3")) for _ in range(k - 1)]
                plan = [(amount, method) for amount in [*parts, order.total - sum(parts, Decimal("0.00"))]]
                w.orders[side].append((order.pk, order.owner_id, plan))
                w.expected[order.pk] = [(line.pk, order.owner_id, *e) for line in lines
                                        if (e := expected_line(w, order.owner_id, line.product_id, line.net_amount,
                                                               line.cost)) is not None]


# --- workload 5: board moves and the board read --------------------------------------------------

def _move_targets(w: World, n: int, rng: random.Random) -> list[tuple[int, int, object, str | None]]:
    """2n distinct open opportunities with where each goes: the next open stage (80 %), won (10 %) or
    lost with a reason (10 %); from the last open stage, won or lost."""
    from guanxi.sales.models import Opportunity

    open_ids = {s.pk: i for i, s in enumerate(w.open_stages)}
    rows = list(Opportunity.objects.filter(organization_id=w.org.pk, stage_id__in=list(open_ids))
                .order_by("id").values_list("id", "owner_id", "stage_id"))
    picked = rng.sample(rows, min(2 * n, len(rows) - len(rows) % 2))
    out = []
    for opp_id, owner_id, stage_id in picked:
        roll, i = rng.random(), open_ids[stage_id]
        if roll < 0.1 or (i == len(w.open_stages) - 1 and roll < 0.55):
            out.append((opp_id, owner_id, w.won, None))
        elif roll < 0.2 or i == len(w.open_stages) - 1:
            out.append((opp_id, owner_id, w.lost, rng.choice(LOST_REASONS)))
        else:
            out.append((opp_id, owner_id, w.open_stages[i + 1], None))
    return out


def bench_moves(w: World, n: int = MOVES) -> dict:
    from bench import sales_raw
    from guanxi.sales.permissions import OpportunityPerm
    from guanxi.sales.selectors.opportunities import access_opportunity
    from guanxi.sales.services.opportunities import opportunity_move

    moves = _move_targets(w, n, random.Random(SEED + 5))
    half = len(moves) // 2
    names = {s.pk: s.name for s in w.stages}
    ours, raw = [], []
    for (opp_id, owner_id, target, reason), (raw_id, raw_owner, raw_target, raw_reason) in zip(
            moves[:half], moves[half:], strict=True):
        actor = fresh(w.users[owner_id])
        start = time.perf_counter()
        opp = access_opportunity(actor, opp_id, OpportunityPerm.CHANGE, related=())  # as the move view and API
        opportunity_move(actor=actor, opportunity=opp, stage=target.pk, lost_reason=reason)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        sales_raw.move(w.org.pk, raw_id, w.users[raw_owner], raw_target, names, raw_reason)
        raw.append(time.perf_counter() - start)
    _check_moves(w, moves)
    return _write_figures(ours, raw, "moves")


def _check_moves(w: World, moves: list) -> None:
    from guanxi.sales.models import Opportunity, StageChange

    ids = [m[0] for m in moves]
    landed = dict(Opportunity.objects.filter(pk__in=ids).values_list("pk", "stage_id"))
    wrong = [m[0] for m in moves if landed.get(m[0]) != m[2].pk]
    history = StageChange.objects.filter(opportunity_id__in=ids, from_stage__isnull=False).count()
    if wrong or history != len(ids):
        raise RuntimeError(f"sales bench: board moves did not land (wrong stage: {wrong[:5]}, "
                           f"history rows {history} of {len(ids)})")


def _write_figures(ours: list[float], raw: list[float], unit: str) -> dict:
    return {unit: len(ours), "ours_per_s": len(ours) / sum(ours), "raw_per_s": len(raw) / sum(raw),
            "ratio": sum(raw) / sum(ours), "ours_p50": pct(ours, 50) * 1000, "ours_p95": pct(ours, 95) * 1000,
            "raw_p50": pct(raw, 50) * 1000, "raw_p95": pct(raw, 95) * 1000}


def _territory_ids(user) -> list[int]:
    from guanxi.sales.permissions import territory_ids_for

    return list(territory_ids_for(fresh(user)))


def _reads(pairs: list, samples: int) -> dict:
    """pairs: [(ours(), raw(), check(ours result, raw result))], called in turn `samples` times, alternating."""
    ours, raw = [], []
    for i in range(samples):
        run_ours, run_raw, check = pairs[i % len(pairs)]
        start = time.perf_counter()
        mine = run_ours()
        ours.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        theirs = run_raw()
        raw.append((time.perf_counter() - start) * 1000)
        check(mine, theirs)
    return {"samples": samples, "ours_p50": pct(ours, 50), "ours_p95": pct(ours, 95), "raw_p50": pct(raw, 50),
            "raw_p95": pct(raw, 95)}


def _same(what: str, mine, theirs) -> None:
    if mine != theirs:
        raise RuntimeError(f"sales bench: {what} — ours gives {mine}, the raw SQL {theirs}: not the same question")


def bench_board(w: World, samples: int = BOARD_SAMPLES) -> dict:
    from bench import sales_raw
    from guanxi.sales.selectors.opportunities import CARD_LIMIT, board_data

    seen: dict[str, list[int]] = {"rep": [], "manager": []}

    def pair(user):
        vis = sales_raw.visibility(user, _territory_ids(user))
        role = "rep" if user in w.reps else "manager"

        def ours():
            return board_data(actor=fresh(user), pipeline=w.pipeline)

        def raw():
            return sales_raw.board(w.org.pk, w.pipeline.pk, vis, CARD_LIMIT)

        def check(columns, result):
            totals, cards = result
            _same(f"board of {user.username}", (sum(c.totals.count for c in columns), sum(len(c.cards) for c in columns)),
                  (sum(r[1] for r in totals), len(cards)))
            seen[role].append(sum(r[1] for r in totals))
        return ours, raw, check

    out = {"rep": {**_reads([pair(rep) for rep in w.reps], samples), "users": len(w.reps)},
           "manager": {**_reads([pair(m) for m in w.managers], samples), "users": len(w.managers)}}
    for role, counts in seen.items():  # how many opportunities the board adds up for that user
        out[role]["visible_median"] = statistics.median(counts)
    return out


# --- workload 6: payments and the commission ledger ----------------------------------------------

def bench_payments(w: World) -> dict:
    from django.utils import timezone

    from bench import sales_raw
    from guanxi.sales.periods import month_of, org_tz
    from guanxi.sales.permissions import OrderPerm
    from guanxi.sales.selectors.orders import access_order
    from guanxi.sales.services.orders import payment_record

    period = month_of(timezone.now(), org_tz(w.org.pk))
    ours, raw = [], []
    rounds = max(len(plan) for _o, _u, plan in w.orders["service"])
    for k in range(rounds):  # the first payment of every order, then the second ones, …
        for (order_id, owner_id, plan), (raw_id, raw_owner, raw_plan) in zip(w.orders["service"], w.orders["raw"],
                                                                              strict=True):
            if k >= len(plan):
                continue
            amount, method = plan[k]
            actor = fresh(w.users[owner_id])
            start = time.perf_counter()
            order = access_order(actor, order_id, OrderPerm.RECORD_PAYMENT, related=())  # as the view and API
            payment_record(actor, order, str(amount), method, None, "", idempotency_key=f"sb-{order_id}-{k}")
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            sales_raw.payment(w.org.pk, raw_id, w.users[raw_owner], raw_plan[k][0], raw_plan[k][1],
                              f"sb-{raw_id}-{k}", w.expected[raw_id], period)
            raw.append(time.perf_counter() - start)
    result = _write_figures(ours, raw, "payments")
    result["orders"] = len(w.orders["service"])
    result["ledger_check"] = check_ledger(w)
    return result


def check_ledger(w: World) -> dict:
    """Every order of both sides is paid in full and its ledger is exactly the commission worked out
    by `expected_line`; LedgerCheckFailed names the first orders that differ."""
    from django.db.models import Count, Sum

    from guanxi.sales.models import CommissionEntry, Order

    summary = {}
    for side, orders in w.orders.items():
        ids = [o[0] for o in orders]
        status = dict(Order.objects.filter(pk__in=ids).values_list("pk", "status"))
        unpaid = [i for i in ids if status.get(i) != Order.Status.PAID]
        got = {r["order_id"]: (r["n"], r["total"]) for r in CommissionEntry.objects.filter(order_id__in=ids)
               .values("order_id").order_by("order_id").annotate(n=Count("id"), total=Sum("amount"))}
        wrong = []
        for i in ids:
            entries = w.expected[i]
            want = (len(entries), sum((e[5] for e in entries), Decimal("0.00")))
            n, total = got.get(i, (0, Decimal("0.00")))
            if (n, Decimal(total).quantize(Decimal("0.01"))) != want:
                wrong.append(f"order {i}: ledger {n} entries / {total}, expected {want[0]} / {want[1]}")
        if unpaid or wrong:
            raise LedgerCheckFailed(f"sales bench ({side} side): {len(unpaid)} orders not paid in full {unpaid[:5]}, "
                                    f"{len(wrong)} ledgers differ from the commission rules: {wrong[:3]}")
        summary[side] = {"orders": len(ids), "entries": sum(len(w.expected[i]) for i in ids),
                         "total": str(sum((e[5] for i in ids for e in w.expected[i]), Decimal("0.00")))}
    summary["passed"] = True
    return summary


# --- workload 7: the sales reports ---------------------------------------------------------------

def bench_reports(w: World, samples: int = REPORT_SAMPLES) -> dict:
    from django.utils import timezone

    from bench import sales_raw
    from guanxi.sales.periods import org_tz, year_bounds
    from guanxi.sales.selectors.reports import pipeline_by_stage, won_lost_by_month

    tz = org_tz(w.org.pk)
    year = timezone.localtime(timezone.now(), tz).year
    start, end = year_bounds(year, tz)
    out = {}
    for who, users in (("admin", [w.admin]), ("manager", w.managers)):
        def pipeline_pair(user):
            vis = sales_raw.visibility(user, [])
            return (lambda: pipeline_by_stage(actor=fresh(user)),
                    lambda: sales_raw.pipeline_report(w.org.pk, w.pipeline.pk, vis),
                    lambda mine, rows: _same(f"pipeline report of {user.username}", mine.totals["count"],
                                             sum(r[2] or 0 for r in rows)))

        def won_lost_pair(user):
            vis = sales_raw.visibility(user, [])
            return (lambda: won_lost_by_month(actor=fresh(user), year=year),
                    lambda: sales_raw.won_lost_report(w.org.pk, str(w.org.timezone), start, end, vis),
                    lambda mine, rows: _same(f"won/lost report of {user.username}",
                                             mine.totals["won_count"] + mine.totals["lost_count"],
                                             sum(r[2] for r in rows)))
        out[f"pipeline {who}"] = _reads([pipeline_pair(u) for u in users], samples)
        out[f"won-lost {who}"] = {**_reads([won_lost_pair(u) for u in users], samples), "year": year}
    return out


# --- the whole workload and its report lines -----------------------------------------------------

def measure(rows: int, *, orders: int | None = None, moves: int = MOVES, samples: int | None = None) -> dict:
    from guanxi.core.tenancy import tenant_scope

    start = time.perf_counter()
    w = build(rows, orders)
    seeded = time.perf_counter() - start
    with tenant_scope(w.org.pk):
        out = {"opportunities": rows, "seed_s": seeded,
               "moves": bench_moves(w, min(moves, rows // 10)),
               "board": bench_board(w, samples or BOARD_SAMPLES),
               "payments": bench_payments(w),
               "reports": bench_reports(w, samples or REPORT_SAMPLES)}
    return out


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report_lines(db: str, r: dict) -> list[str]:
    """Rows of the bench report table for workloads 5–7."""
    s = r.get("sales")
    if not s:
        return []
    n = s["opportunities"]
    lines = []
    m = s["moves"]
    lines.append(f"| board move as the owner rep ({m['moves']:,} moves, {n:,} opportunities) | {db} "
                 f"| {m['ours_per_s']:,.0f} moves/s, p50 {m['ours_p50']:.1f} / p95 {m['ours_p95']:.1f} ms "
                 f"| {m['raw_per_s']:,.0f} moves/s, p50 {m['raw_p50']:.1f} / p95 {m['raw_p95']:.1f} ms | {m['ratio']:.2f}× "
                 f"| p95 < 100 ms, ≥ 0.25× {_verdict(m['ours_p95'] < 100 and m['ratio'] >= 0.25)} |")
    for who, label in (("rep", "a rep (each of 25 in turn)"), ("manager", "a store manager")):
        b = s["board"][who]
        lines.append(_read_line(f"board read as {label}, sees a median {b.get('visible_median', 0):,.0f}", db, b, 100))
    p = s["payments"]
    check = p["ledger_check"]
    lines.append(f"| payments as the owner rep ({p['payments']:,} payments, {p['orders']:,} orders paid in full; ledger "
                 f"{check['service']['entries']:,} entries = {Decimal(check['service']['total']):,.2f} as the rules "
                 f"give) | {db} | {p['ours_per_s']:,.0f} payments/s, p50 {p['ours_p50']:.1f} / p95 {p['ours_p95']:.1f} ms "
                 f"| {p['raw_per_s']:,.0f} payments/s, p50 {p['raw_p50']:.1f} / p95 {p['raw_p95']:.1f} ms "
                 f"| {p['ratio']:.2f}× | p95 < 100 ms, ≥ 0.25×, ledger exact "
                 f"{_verdict(p['ours_p95'] < 100 and p['ratio'] >= 0.25 and check['passed'])} |")
    for key, label in (("pipeline admin", "report pipeline by stage, admin (all)"),
                       ("pipeline manager", "report pipeline by stage, store manager"),
                       ("won-lost admin", "report won/lost by month, admin (all)"),
                       ("won-lost manager", "report won/lost by month, store manager")):
        lines.append(_read_line(f"{label}, {n:,} opportunities", db, s["reports"][key], 200))
    return lines


def _read_line(label: str, db: str, x: dict, budget: int) -> str:
    ratio = x["ours_p95"] / max(x["raw_p95"], 0.001)
    ok = x["ours_p95"] < budget and ratio <= 3
    return (f"| {label} | {db} | p50 {x['ours_p50']:.1f} / p95 {x['ours_p95']:.1f} ms "
            f"| p50 {x['raw_p50']:.2f} / p95 {x['raw_p95']:.2f} ms | {ratio:.1f}× "
            f"| p95 < {budget} ms, ≤ 3× {_verdict(ok)} |")
