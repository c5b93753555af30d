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


def test_type_ahead_falls_back_when_row_rules_hide_the_first_candidates(world, monkeypatch):
    """rep_c sees only 单田芳; with a tiny candidate window full of others' matches it is still found."""
    monkeypatch.setattr(selectors, "CANDIDATES", 2)
    for i in range(4):
        services.customer_create(actor=world.admin, data={"name": f"单{i}号", "kind": "person", "owner": world.rep_a.pk},
                                 allow_duplicate=True)
    assert [c.name for c in selectors.global_search(actor=world.rep_c, q="单")["customers"]] == ["单田芳"]
    assert len(selectors.global_search(actor=world.admin, q="单")["customers"]) == 5
