"""Search-as-you-type (CUS-6): hanzi, full pinyin, initials, surnames with special readings, phone, email."""

import pytest

from guanxi.core.pinyin import full_and_initials
from guanxi.customers import selectors, services


@pytest.mark.parametrize(
    "name, full, initials",
    [("张三", "zhangsan", "zs"), ("曾小明", "zengxiaoming", "zxm"), ("单田芳", "shantianfang", "stf"),
     ("仇晓", "qiuxiao", "qx"), ("欧阳修", "ouyangxiu", "oyx"), ("解放", "xiefang", "xf"), ("查良镛", "zhaliangyong", "zly")],
)
def test_person_names_use_surname_readings(name, full, initials):
    assert full_and_initials(name, person=True) == (full, initials)


def test_company_names_use_ordinary_readings():
    assert full_and_initials("重庆单车厂", person=False)[0] == "chongqingdanchechang"


@pytest.mark.parametrize(
    "q, expected",
    [("张", ["张三"]), ("张三", ["张三"]), ("三", ["张三"]), ("zhangsan", ["张三"]), ("zhang", ["张三"]), ("zs", ["张三"]),
     ("ZS", ["张三"]), ("zeng", ["曾小明"]), ("xiaoming", ["曾小明"]), ("zxm", ["曾小明"]), ("shantian", ["单田芳"]),
     ("138 0000 0004", ["欧阳修"]), ("0004", ["欧阳修"]), ("+86 1380000000", ["单田芳", "张三", "曾小明", "欧阳修"]),
     ("nobody", [])],
)
def test_global_search_kinds(world, q, expected):
    found = selectors.global_search(actor=world.admin, q=q)["customers"]
    assert sorted(c.name for c in found) == sorted(expected)


def test_search_respects_row_rules_and_organisations(world):
    assert [c.name for c in selectors.global_search(actor=world.rep_c, q="zs")["customers"]] == []
    assert [c.name for c in selectors.global_search(actor=world.rep_b, q="zs")["customers"]] == ["张三"]
    assert selectors.global_search(actor=world.admin_b, q="zs")["customers"] == []
    assert [c.name for c in selectors.global_search(actor=world.admin_b, q="acme")["customers"]] == ["Acme Ltd"]


def test_contacts_found_by_name_phone_email_and_list_filter(world):
    services.contact_create(actor=world.rep_a, customer=world.customers["own"],
                            data={"name": "王经理", "phone": "13566667777", "email": "wang@corp.cn"})
    for q in ("wjl", "wang", "7777", "wang@corp", "王经"):
        assert [c.name for c in selectors.global_search(actor=world.rep_a, q=q)["contacts"]] == ["王经理"], q
    assert selectors.global_search(actor=world.rep_c, q="wjl")["contacts"] == []
    # Customer list search also finds a customer through its contact.
    filters = selectors.CustomerFilters(q="wjl")
    assert [c.name for c in selectors.customer_list(actor=world.rep_a, filters=filters)] == ["张三"]


def test_latin_names_by_word_prefix(world):
    services.customer_create(actor=world.admin_b, data={"name": "John Smith", "kind": "person"})
    for q in ("john", "john sm", "smi"):
        assert [c.name for c in selectors.global_search(actor=world.admin_b, q=q)["customers"]] == ["John Smith"], q


def test_rep_sees_only_visible_matches_when_many_hidden_ones_come_first(world):
    """Hundreds of customers of other teams match "单" before rep_c's own 单田芳 in key order
    ("单一…" < "单田芳"); the rep still gets exactly the visible one, the admin the first 8."""
    for i in range(300):
        services.customer_create(actor=world.admin, data={"name": f"单一{i:03d}", "kind": "person", "owner": world.rep_a.pk},
                                 allow_duplicate=True)
    assert [c.name for c in selectors.global_search(actor=world.rep_c, q="单")["customers"]] == ["单田芳"]
    assert [c.name for c in selectors.global_search(actor=world.rep_c, q="shan")["customers"]] == ["单田芳"]
    assert [c.name for c in selectors.global_search(actor=world.admin, q="单")["customers"]] == [
        f"单一{i:03d}" for i in range(8)]
    assert len(selectors.global_search(actor=world.admin, q="单", limit=500)["customers"]) == 301


def test_contacts_of_hidden_customers_never_appear(world):
    """Contacts follow their customer: rep_c (team T2) sees the contact of 单田芳 only, although the
    contacts of rep_a's customer match the same prefix first."""
    for i in range(30):
        services.contact_create(actor=world.rep_a, customer=world.customers["own"],
                                data={"name": f"王一{i:02d}", "phone": f"1356666{i:04d}"})
    services.contact_create(actor=world.rep_c, customer=world.customers["other_team"], data={"name": "王经理"})
    for q in ("王", "wang", "wjl"):
        assert [c.name for c in selectors.global_search(actor=world.rep_c, q=q)["contacts"]] == ["王经理"], q
    assert [c.name for c in selectors.global_search(actor=world.rep_c, q="13566")["contacts"]] == []
    assert [c.name for c in selectors.global_search(actor=world.rep_d, q="王")["contacts"]] == []
    assert len(selectors.global_search(actor=world.rep_a, q="王")["contacts"]) == 8
    assert selectors.global_search(actor=world.admin_b, q="王")["contacts"] == []


def test_best_match_first(world):
    """The closest key first: exactly what was typed, then the shortest completions in key order."""
    for name in ("张三丰", "张三丰年", "李张三"):
        services.customer_create(actor=world.admin, data={"name": name, "kind": "person"}, allow_duplicate=True)
    names = lambda q: [c.name for c in selectors.global_search(actor=world.admin, q=q)["customers"]]  # noqa: E731
    assert names("张三") == ["张三", "李张三", "张三丰", "张三丰年"]  # "张三" is a whole key of both 张三 and 李张三 (by age)
    assert names("zhangsanfeng") == ["张三丰", "张三丰年"]
    assert names("zsf") == ["张三丰", "张三丰年"]
    assert names("张三丰") == ["张三丰", "张三丰年"]
    assert names("张")[:2] == ["张三", "李张三"]


def test_a_record_matching_under_several_keys_counts_once(world):
    """王王 matches "王" under two keys ("王", "王王"), the first two in key order; it is listed
    once, by its closest key, and the next record is still found after the page of its duplicates."""
    for name in ("王五", "王王"):
        services.customer_create(actor=world.admin, data={"name": name, "kind": "person"}, allow_duplicate=True)
    for limit in (1, 2, 8):
        assert [c.name for c in selectors.global_search(actor=world.admin, q="王", limit=limit)["customers"]] == [
            "王王", "王五"][:limit]
    assert [c.name for c in selectors.global_search(actor=world.admin, q="wang", limit=2)["customers"]] == ["王王", "王五"]


def test_type_ahead_is_one_query(world, django_assert_num_queries):
    """Customers and contacts in one statement, the row rules inside, whatever the number of matches."""
    services.contact_create(actor=world.rep_a, customer=world.customers["own"], data={"name": "张秘书"})
    selectors.global_search(actor=world.rep_a, q="张")  # the rep's territory reach is looked up once per user object
    # The admin's rule has no lookups; a team rep's rule reads the team's member ids fresh (one small
    # indexed query per rule: customers and contacts), then the one search statement.
    for actor, queries in ((world.admin, 1), (world.rep_a, 3)):
        with django_assert_num_queries(queries):
            found = selectors.global_search(actor=actor, q="张")
        assert [c.name for c in found["customers"]] == ["张三"]
        assert [c.name for c in found["contacts"]] == ["张秘书"]
        assert [(c.owner_name, c.kind, c.pk) for c in found["customers"]] == [("rep_a", "person", world.customers["own"].pk)]
        assert [(ct.customer_name, ct.customer_id) for ct in found["contacts"]] == [("张三", world.customers["own"].pk)]


def test_territory_reach_applies_to_type_ahead(sales_world, django_assert_max_num_queries):
    """rep_d (store S2) sees 张三 only through the 华东 territory: type-ahead finds it, with its
    contact, and nothing of the other teams; the rule is kept compiled like any other."""
    w = sales_world
    services.contact_create(actor=w.rep_a, customer=w.customers["own"], data={"name": "张秘书"})
    services.contact_create(actor=w.rep_b, customer=w.customers["team"], data={"name": "曾秘书"})
    for _ in range(2):
        with django_assert_max_num_queries(5):  # team ids and territory lookups per rule, then the search
            found = selectors.global_search(actor=w.rep_d, q="张")
        assert [c.name for c in found["customers"]] == ["张三"]
        assert [ct.name for ct in found["contacts"]] == ["张秘书"]
    assert selectors.global_search(actor=w.rep_d, q="zxm")["customers"] == []
    assert selectors.global_search(actor=w.rep_d, q="曾")["contacts"] == []
    assert [c.name for c in selectors.global_search(actor=w.rep_d, q="oyx")["customers"]] == ["欧阳修"]
