"""Queries compiled once and run with new values (core.prepared), as type-ahead uses them."""

import pytest
from django.db import connection
from django.db.models import F, Q, Value

from guanxi.core.prepared import Prepared, PreparedCache, Slots, fingerprint
from guanxi.customers import services
from guanxi.customers.models import Customer, SearchKey

pytestmark = pytest.mark.django_db


def test_fingerprint_is_equal_exactly_when_the_sql_would_be():
    assert fingerprint(Q(organization_id=1) & Q(owner_id=2)) == fingerprint(Q(organization_id=1) & Q(owner_id=2))
    assert fingerprint(Q(owner_id=2)) != fingerprint(Q(owner_id=3))
    assert fingerprint(Q(owner_id=1)) != fingerprint(Q(owner_id=True))
    assert fingerprint(Q(owner_id=2) | Q(team_id=1)) != fingerprint(Q(owner_id=2) & Q(team_id=1))
    assert fingerprint(~Q(owner_id=2)) != fingerprint(Q(owner_id=2))
    assert fingerprint(Q(pk__in=[1, 2])) != fingerprint(Q(pk__in=[2, 1]))
    assert fingerprint(Q(name=F("email"))) is None  # an expression: compiled each time
    first = SearchKey.objects.filter(organization_id=1, key="a").values("customer_id")
    same = SearchKey.objects.filter(organization_id=1, key="a").values("customer_id")
    other = SearchKey.objects.filter(organization_id=1, key="b").values("customer_id")
    assert fingerprint(Q(pk__in=first)) == fingerprint(Q(pk__in=same)) != fingerprint(Q(pk__in=other))


def _names_like(world, slots):
    return (Customer.objects.filter(organization_id=world.org.pk, name_pinyin__gte=slots["lo"], name_pinyin__lt=slots["hi"])
            .order_by("name_pinyin").values_list("name", "owner__username"))


def test_a_prepared_query_returns_what_its_queryset_returns(world):
    slots = Slots(text=("lo", "hi"))
    prepared = Prepared(_names_like(world, slots), slots)
    for lo, hi in (("z", "zz"), ("a", "zz"), ("x", "y")):
        expected = list(_names_like(world, {"lo": lo, "hi": hi}))
        assert prepared.run(lo=lo, hi=hi) == expected
    assert prepared.run(lo="z", hi="zz") == [("曾小明", "rep_b"), ("张三", "rep_a")]


def test_union_all_is_one_statement(world, django_assert_num_queries):
    first, second = Slots(text=("lo0", "hi0")), Slots(text=("lo1", "hi1"))
    parts = [Prepared(_names_like(world, {"lo": first["lo0"], "hi": first["hi0"]}), first),
             Prepared(_names_like(world, {"lo": second["lo1"], "hi": second["hi1"]}), second)]
    with django_assert_num_queries(1):
        rows = Prepared.union_all(parts).run(lo0="z", hi0="zz", lo1="ou", hi1="ov")
    assert sorted(rows) == sorted([("曾小明", "rep_b"), ("张三", "rep_a"), ("欧阳修", "rep_d")])


def test_what_cannot_be_prepared_is_refused(world):
    slots = Slots(text=("lo",))
    inlined = Customer.objects.extra(where=[f"name > '{slots['lo']}'"]).values_list("name")  # noqa: S610 - the test's point
    with pytest.raises(ValueError, match="slot"):
        Prepared(inlined, slots)
    unused = Customer.objects.values_list("name")
    with pytest.raises(ValueError, match="slot"):
        Prepared(unused, slots)
    converted = Customer.objects.filter(name__gte=slots["lo"]).annotate(one=Value(1)).values_list("one")
    with pytest.raises(ValueError, match="values_list"):
        Prepared(converted, slots)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="server-side prepared statements are PostgreSQL's")
def test_postgresql_plans_it_once_per_connection(world):
    slots = Slots(text=("lo", "hi"))
    prepared = Prepared(_names_like(world, slots), slots)
    for _ in range(3):
        prepared.run(lo="z", hi="zz")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                       ['%"customers_customer"."name_pinyin" >= $%'])
        assert cursor.fetchone()[0] == 1


def test_the_cache_keeps_the_most_recently_used(world):
    cache, built = PreparedCache(size=2), []

    def build(name):
        built.append(name)
        return name

    for key in ("a", "b", "a", "c", "a", "b"):
        cache.get(key, lambda key=key: build(key))
    assert built == ["a", "b", "c", "b"]  # "b" was the least recently used when "c" came


def test_row_rules_of_different_users_never_share_sql(world):
    """rep_a (team T1) and rep_c (team T2) type the same: each gets their own customers."""
    services.customer_create(actor=world.rep_c, data={"name": "张五", "kind": "person"})
    from guanxi.customers.selectors import global_search

    for _ in range(2):
        assert [c.name for c in global_search(actor=world.rep_a, q="张")["customers"]] == ["张三"]
        assert [c.name for c in global_search(actor=world.rep_c, q="张")["customers"]] == ["张五"]
