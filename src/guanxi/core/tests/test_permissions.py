"""The role policy and row rules: what each role reaches, and that lists and single checks agree."""

import pytest
from django.core.exceptions import PermissionDenied

from guanxi.core.permissions import Scope, policy_table, require, row_filter, scope_for
from guanxi.core.roles import Role
from guanxi.customers.models import Customer
from guanxi.customers.permissions import CustomerPerm


def test_every_role_has_a_customer_view_rule():
    table = policy_table()
    assert set(table[CustomerPerm.VIEW]) == set(Role)


@pytest.mark.parametrize(
    "user, perm, scope",
    [
        ("rep_a", CustomerPerm.VIEW, Scope.TEAM),
        ("rep_a", CustomerPerm.CHANGE, Scope.OWN),
        ("rep_a", CustomerPerm.DELETE, Scope.NONE),
        ("manager", CustomerPerm.DELETE, Scope.STORE),
        ("admin", CustomerPerm.MERGE, Scope.ALL),
        ("marketing", CustomerPerm.EXPORT, Scope.ALL),
        ("readonly", CustomerPerm.CHANGE, Scope.NONE),
        ("deactivated", CustomerPerm.VIEW, Scope.NONE),
    ],
)
def test_scope_for(world, user, perm, scope):
    assert scope_for(world.users[user], perm) == scope


def test_single_record_check_agrees_with_list_filter_for_every_user_and_customer(world):
    """require(obj) and row_filter are one rule: check every (user, customer, perm) combination."""
    customers = list(Customer.objects.all())
    for user in world.users.values():
        for perm in (CustomerPerm.VIEW, CustomerPerm.CHANGE, CustomerPerm.DELETE, CustomerPerm.MERGE):
            in_list = set(Customer.objects.filter(row_filter(user, perm)).values_list("pk", flat=True))
            for customer in customers:
                try:
                    require(user, perm, customer)
                    allowed = True
                except PermissionDenied:
                    allowed = False
                assert allowed == (customer.pk in in_list), (user.username, perm, customer.name)


def test_headquarters_manager_reaches_every_store(world):
    from guanxi.core import services

    hq_manager = services.user_create(actor=None, organization=world.org, username="hq_manager", role=Role.MANAGER,
                                      store=world.stores["HQ"])
    names = set(Customer.objects.filter(row_filter(hq_manager, CustomerPerm.VIEW)).values_list("name", flat=True))
    assert names == {"张三", "曾小明", "单田芳", "欧阳修"}


def test_row_filter_never_crosses_organisations(world):
    for user in world.users.values():
        orgs = set(Customer.objects.filter(row_filter(user, CustomerPerm.VIEW)).values_list("organization_id", flat=True))
        assert orgs <= {user.organization_id}


def test_team_rule_follows_team_changes_at_once_and_for_any_team_size(world, monkeypatch):
    """The team rule is "owner in my team, or me": read afresh on every call (no stale team list on
    the user object), and the same rows whether the team comes as a literal id list or, for an
    outsized team, as a subquery."""
    from guanxi.core import permissions

    rep_a, rep_c = world.users["rep_a"], world.users["rep_c"]
    visible = lambda: set(Customer.objects.filter(row_filter(rep_a, CustomerPerm.VIEW))  # noqa: E731
                          .values_list("name", flat=True))
    assert visible() == {"张三", "曾小明"}
    rep_c.team = rep_a.team
    rep_c.save()
    assert visible() == {"张三", "曾小明", "单田芳"}
    monkeypatch.setattr(permissions, "TEAM_LIST_MAX", 1)
    assert visible() == {"张三", "曾小明", "单田芳"}
    rep_c.team = world.teams["T2"]
    rep_c.save()
    assert visible() == {"张三", "曾小明"}
