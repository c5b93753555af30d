from guanxi.customers import selectors


def test_world_builds_and_rules_apply(world):
    names = lambda user: sorted(c.name for c in selectors.customer_list(actor=world.users[user]))  # noqa: E731
    assert names("rep_a") == sorted(["张三", "曾小明"])
    assert names("rep_c") == ["单田芳"]
    assert names("manager") == sorted(["张三", "曾小明", "单田芳"])
    assert names("manager_s2") == ["欧阳修"]
    assert names("admin") == sorted(["张三", "曾小明", "单田芳", "欧阳修"])
    assert names("admin_b") == ["Acme Ltd"]
    assert names("deactivated") == []
    found = selectors.global_search(actor=world.users["admin"], q="zs")
    assert [c.name for c in found["customers"]] == ["张三"]
    assert [c.name for c in selectors.global_search(actor=world.users["admin"], q="zengxiao")["customers"]] == ["曾小明"]
    assert [c.name for c in selectors.global_search(actor=world.users["admin"], q="0003")["customers"]] == ["单田芳"]
