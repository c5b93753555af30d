"""A small, fixed world of organisations, stores, teams and staff for tests (and nothing else).

Org A (zh-hans): HQ, store S1 (teams T1, T2), store S2 (team T3); one user per role and the
reps the permission matrix needs. Org B (en): an admin and a rep. One customer per ownership
case: own (rep_a), team (rep_b, same team), other_team (rep_c), other_store (rep_d), other_org.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from guanxi.core import services as core
from guanxi.core.models import Organization, Store, Team, User
from guanxi.core.roles import Role
from guanxi.core.tenancy import unscoped

PASSWORD = "Guanxi-test-2026!"


@dataclass
class World:
    org: Organization
    org_b: Organization
    stores: dict[str, Store] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    customers: dict = field(default_factory=dict)

    def __getattr__(self, name):
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)


# name: (org, role, store, team, active)
STAFF = {
    "owner": ("a", Role.OWNER, "HQ", None, True),
    "admin": ("a", Role.ADMIN, "HQ", None, True),
    "manager": ("a", Role.MANAGER, "S1", None, True),
    "manager_s2": ("a", Role.MANAGER, "S2", None, True),
    "rep_a": ("a", Role.SALES, "S1", "T1", True),
    "rep_b": ("a", Role.SALES, "S1", "T1", True),
    "rep_c": ("a", Role.SALES, "S1", "T2", True),
    "rep_d": ("a", Role.SALES, "S2", "T3", True),
    "service": ("a", Role.SERVICE, "S1", None, True),
    "cashier": ("a", Role.CASHIER, "S1", None, True),
    "marketing": ("a", Role.MARKETING, "HQ", None, True),
    "readonly": ("a", Role.READ_ONLY, "HQ", None, True),
    "deactivated": ("a", Role.SALES, "S1", "T1", False),
    "admin_b": ("b", Role.ADMIN, None, None, True),
    "rep_b2": ("b", Role.SALES, None, None, True),
}
CUSTOMERS = {
    # case: (owner, name, phone)
    "own": ("rep_a", "张三", "13800000001"),
    "team": ("rep_b", "曾小明", "13800000002"),
    "other_team": ("rep_c", "单田芳", "13800000003"),
    "other_store": ("rep_d", "欧阳修", "13800000004"),
    "other_org": ("rep_b2", "Acme Ltd", "+8613800000005"),
}


def build_world(with_customers: bool = True) -> World:
    with unscoped():
        org = core.organization_create(name="华彩连锁", slug="huacai", language="zh-hans")
        org_b = core.organization_create(name="Acme Trading", slug="acme", language="en", timezone_name="Europe/London",
                                         currency="GBP", phone_region="GB")
        w = World(org=org, org_b=org_b)
        w.stores["HQ"] = core.store_create(organization=org, code="HQ", name="总部", is_headquarters=True)
        w.stores["S1"] = core.store_create(organization=org, code="S1", name="上海店")
        w.stores["S2"] = core.store_create(organization=org, code="S2", name="北京店")
        w.teams["T1"] = core.team_create(organization=org, name="一组", store=w.stores["S1"])
        w.teams["T2"] = core.team_create(organization=org, name="二组", store=w.stores["S1"])
        w.teams["T3"] = core.team_create(organization=org, name="三组", store=w.stores["S2"])
        for name, (o, role, store, team, active) in STAFF.items():
            user = core.user_create(
                actor=None, organization=org if o == "a" else org_b, username=name, role=role, password=PASSWORD,
                store=w.stores.get(store), team=w.teams.get(team), email=f"{name}@example.com",
            )
            if not active:
                core.user_deactivate(actor=None, user=user)
            w.users[name] = user
        if with_customers:
            from guanxi.customers.services import customer_create

            for case, (owner, name, phone) in CUSTOMERS.items():
                actor = w.users[owner]
                w.customers[case] = customer_create(
                    actor=actor, data={"name": name, "kind": "person", "phone": phone}, allow_duplicate=True,
                )
    return w


def build_sales(w: World) -> World:
    """Sales on top of the world: the default pipeline of each organisation, a territory tree
    (华东 > 上海, 华北) with rep_d (store S2) a member of 华东, and one opportunity per ownership
    case, owned like the customers. The "own" customer (张三, rep_a) sits in 上海, so rep_d sees it
    and its opportunity through the territory rule only."""
    from guanxi.customers.services import customer_update
    from guanxi.sales.services.opportunities import opportunity_create
    from guanxi.sales.services.pipelines import pipeline_ensure_default
    from guanxi.sales.services.territories import place_customer, territory_create, territory_member_set

    with unscoped():
        w.pipeline = pipeline_ensure_default(w.org.pk)
        w.pipeline_b = pipeline_ensure_default(w.org_b.pk)
        w.stages = {s.position: s for s in w.pipeline.stages.all()}
        admin = w.users["admin"]
        east = territory_create(actor=admin, data={"name": "华东", "provinces": "上海\n江苏\n浙江"})
        shanghai = territory_create(actor=admin, data={"name": "上海", "parent": east.pk, "provinces": "上海"})
        north = territory_create(actor=admin, data={"name": "华北", "provinces": "北京\n天津"})
        w.territories = {"east": east, "shanghai": shanghai, "north": north}
        territory_member_set(actor=admin, territory=east, user=w.users["rep_d"], role="rep")
        own = customer_update(actor=w.users["rep_a"], customer=w.customers["own"], data={"province": "上海市"})
        place_customer(own)
        w.opportunities = {}
        for case, customer in w.customers.items():
            actor = customer.owner
            w.opportunities[case] = opportunity_create(
                actor=actor, data={"name": f"{customer.name} 年度采购", "customer": customer.pk, "amount": "10000.00"},
            )
    return w
