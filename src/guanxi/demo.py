"""The demo chain loaded by `guanxi demo` (and `make run` on first run). Deterministic (fixed seed).

Built through the real services, so the demo has the same audit trail, search keys and timelines
as data entered by hand; the whole load is one transaction, which keeps it fast on SQLite.
"""

from __future__ import annotations

import random

from django.core.exceptions import ValidationError
from django.db import transaction
from faker import Faker

from guanxi.core import services as core
from guanxi.core.models import Organization, User
from guanxi.core.phones import normalize_phone
from guanxi.core.roles import Role
from guanxi.core.tenancy import tenant_scope
from guanxi.customers import services as customers

PASSWORD = "guanxi-demo-2026"
SLUG, SLUG_EN = "huacai", "northwind"

STORES = [("HQ", "总部", True), ("SH", "上海徐汇店", False), ("BJ", "北京朝阳店", False), ("GZ", "广州天河店", False)]
TEAMS = {"SH": ["上海一组", "上海二组"], "BJ": ["北京一组"], "GZ": ["广州一组"]}
STAFF = [
    # username, role, store, team, full name
    ("boss", Role.OWNER, "HQ", None, "王建国"),
    ("hq_admin", Role.ADMIN, "HQ", None, "李敏"),
    ("sh_manager", Role.MANAGER, "SH", None, "陈静"),
    ("bj_manager", Role.MANAGER, "BJ", None, "刘洋"),
    ("gz_manager", Role.MANAGER, "GZ", None, "黄磊"),
    ("sh_rep1", Role.SALES, "SH", "上海一组", "张伟"),
    ("sh_rep2", Role.SALES, "SH", "上海一组", "曾小红"),
    ("sh_rep3", Role.SALES, "SH", "上海二组", "周杰"),
    ("bj_rep1", Role.SALES, "BJ", "北京一组", "赵磊"),
    ("bj_rep2", Role.SALES, "BJ", "北京一组", "单丽"),
    ("gz_rep1", Role.SALES, "GZ", "广州一组", "林海"),
    ("sh_service", Role.SERVICE, "SH", None, "吴芳"),
    ("sh_cashier", Role.CASHIER, "SH", None, "孙丽"),
    ("marketing", Role.MARKETING, "HQ", None, "郑爽"),
    ("auditor", Role.READ_ONLY, "HQ", None, "冯涛"),
]
REGIONS = {
    "SH": [("上海", "上海")], "BJ": [("北京", "北京"), ("河北", "廊坊")],
    "GZ": [("广东", "广州"), ("广东", "深圳"), ("广东", "佛山")],
}
OTHER_REGIONS = [("浙江", "杭州"), ("江苏", "南京"), ("四川", "成都"), ("湖北", "武汉")]
INDUSTRIES = ["零售", "餐饮", "美容美发", "教育培训", "制造业", "信息技术", "物流", "医疗健康", "房地产", "金融"]
TAGS = ["VIP", "老客户", "会员", "团购", "转介绍", "线上", "高潜力", "价格敏感"]
TITLES = ["总经理", "采购经理", "财务总监", "行政主管", "店长", "技术负责人", "市场经理"]
NOTES = ["电话沟通，客户对新品感兴趣，下周再跟进。", "到店体验，反馈服务很好。", "报价已发送，等待回复。",
         "客户要求提供团购方案。", "生日当天送了优惠券。", "上门拜访，见到了采购负责人。"]


SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
            "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单欧阳")
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文辉力鹏宇浩然晨阳子轩梓涵一诺欣怡佳琪雨婷思远博文俊杰嘉怡心怡志强海燕红梅春生秋菊冬梅晓东晓明晓红"


def _person_name(rng) -> str:
    surname = "欧阳" if rng.random() < 0.01 else rng.choice(SURNAMES[:-2])
    return surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _phone(fake, region="CN") -> str:
    for _ in range(8):
        try:
            return normalize_phone(fake.phone_number(), region)
        except ValidationError:
            continue
    return ""


def _staff(org, stores, teams, staff, language=""):
    users = {}
    for username, role, store, team, name in staff:
        users[username] = core.user_create(
            actor=None, organization=org, username=username, role=role, password=PASSWORD, store=stores.get(store),
            team=teams.get(team), email=f"{username}@demo.guanxi.local", first_name=name, language=language,
        )
    return users


@transaction.atomic
def _build_chinese(n_customers: int) -> None:
    rng = random.Random(2026)
    fake = Faker("zh_CN")
    fake.seed_instance(2026)
    org = core.organization_create(name="华彩生活连锁", slug=SLUG, language="zh-hans")
    with tenant_scope(org):
        stores = {code: core.store_create(organization=org, code=code, name=name, is_headquarters=hq)
                  for code, name, hq in STORES}
        teams = {name: core.team_create(organization=org, name=name, store=stores[code])
                 for code, names in TEAMS.items() for name in names}
        users = _staff(org, stores, teams, STAFF)
        reps = [u for u in users.values() if u.role == Role.SALES]
        for i in range(n_customers):
            owner = rng.choice(reps)
            province, city = rng.choice(REGIONS[owner.store.code] * 3 + OTHER_REGIONS)
            company = rng.random() < 0.4
            data = {
                "kind": "company" if company else "person",
                "name": city + fake.company() if company else _person_name(rng),
                "phone": _phone(fake),
                "email": fake.email() if rng.random() < 0.5 else "",
                "province": province, "city": city,
                "industry": rng.choice(INDUSTRIES) if company else "",
                "source": rng.choice(["store_visit", "referral", "web", "phone", "event", "social", "ecommerce"]),
                "stage": rng.choices(["lead", "prospect", "customer", "loyal", "churned"], [3, 3, 5, 2, 1])[0],
                "tags": rng.sample(TAGS, rng.randint(0, 3)),
                "address": fake.street_address() if rng.random() < 0.6 else "",
            }
            customer = None
            for _attempt in range(6):  # the name pool is small: a duplicate gets a fresh name, as a user would
                try:
                    customer = customers.customer_create(actor=owner, data=data)
                    break
                except customers.DuplicateCustomer:
                    data["name"] = city + fake.company() if company else _person_name(rng)
                    data["phone"], data["email"] = _phone(fake), ""
            if customer is None:
                continue
            if company:
                boss = None
                for j in range(rng.randint(1, 3)):
                    contact = customers.contact_create(actor=owner, customer=customer, data={
                        "name": _person_name(rng), "title": TITLES[j] if j else "总经理", "phone": _phone(fake),
                        "role": "decision_maker" if j == 0 else rng.choice(["influencer", "user", "purchaser"]),
                        "reports_to": boss.pk if boss else None,
                    })
                    boss = boss or contact
            if rng.random() < 0.3:
                customers.note_add(actor=owner, customer=customer, body=rng.choice(NOTES))
        from guanxi import demo_sales

        demo_sales.build(org, users, n_opportunities=max(20, n_customers // 4))
        demo_sales.build_more(org, users, n_leads=max(10, n_customers // 12))


@transaction.atomic
def _build_english(n_customers: int) -> None:
    rng = random.Random(2027)
    fake = Faker("en_GB")
    fake.seed_instance(2027)
    org = core.organization_create(name="Northwind Trading", slug=SLUG_EN, language="en",
                                   timezone_name="Europe/London", currency="GBP", phone_region="GB")
    with tenant_scope(org):
        hq = core.store_create(organization=org, code="LDN", name="London", is_headquarters=True)
        team = core.team_create(organization=org, name="Key accounts", store=hq)
        users = _staff(org, {"LDN": hq}, {"Key accounts": team}, [
            ("nw_admin", Role.ADMIN, "LDN", None, "Margaret Peacock"),
            ("nw_rep", Role.SALES, "LDN", "Key accounts", "Andrew Fuller"),
        ], language="en")
        for _ in range(n_customers):
            company = rng.random() < 0.6
            try:
                customers.customer_create(actor=users["nw_rep"], data={
                    "kind": "company" if company else "person",
                    "name": fake.company() if company else fake.name(),
                    "phone": _phone(fake, "GB"), "email": fake.company_email() if company else fake.email(),
                    "city": fake.city(), "stage": rng.choice(["lead", "prospect", "customer"]),
                })
            except customers.DuplicateCustomer:
                continue


def is_loaded() -> bool:
    return Organization.objects.filter(slug=SLUG).exists()


def load(customers: int = 2000) -> bool:
    """Builds the demo once; returns False when it was already there."""
    if is_loaded():
        return False
    _build_chinese(customers)
    _build_english(max(10, customers // 40))
    return True


def logins_text() -> str:
    lines = [f"Demo logins (password for all: {PASSWORD}) — http://127.0.0.1:8000/accounts/login/"]
    users = User.objects.filter(organization__slug__in=[SLUG, SLUG_EN]).select_related("organization", "store")
    for u in users.order_by("organization_id", "pk"):
        lines.append(f"  {u.username:<12} {u.get_role_display():<16} {u.store.name if u.store else '':<10} {u.organization.name}")
    return "\n".join(lines)
