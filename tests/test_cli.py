"""The guanxi command: createuser, token, demo, export — run in-process against the test database."""

import pytest

from guanxi import cli, demo
from guanxi.core.models import Organization, Store, User
from guanxi.core.services import user_for_token
from guanxi.customers.models import Contact, Customer, SearchKey


def test_createuser_with_bad_role_exits_2_and_creates_nothing(world, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["createuser", "newbie", "--role", "emperor", "--org", "huacai"])
    assert exc.value.code == 2 and "unknown role" in capsys.readouterr().err
    assert not User.objects.filter(username="newbie").exists()


def test_createuser_with_store_and_password_from_stdin(world, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("A-long-enough-pass-1\n"))
    cli.main(["createuser", "newbie", "--role", "cashier", "--store", "S1", "--org", "huacai", "--password-stdin"])
    user = User.objects.get(username="newbie")
    assert (user.role, user.store.code, user.organization.slug) == ("cashier", "S1", "huacai")
    assert user.check_password("A-long-enough-pass-1")


def test_createuser_unknown_store_exits_2(world):
    with pytest.raises(SystemExit) as exc:
        cli.main(["createuser", "newbie", "--role", "cashier", "--store", "NOPE", "--org", "huacai"])
    assert exc.value.code == 2 and not User.objects.filter(username="newbie").exists()


def test_token_prints_a_working_secret(world, capsys):
    cli.main(["token", "rep_a"])
    secret = capsys.readouterr().out.strip()
    assert user_for_token(secret) == world.rep_a


def test_export_writes_the_users_visible_customers(world, tmp_path, capsys):
    target = tmp_path / "out.csv"
    with pytest.raises(SystemExit) as exc:
        cli.main(["export", "customers", str(target), "--as", "rep_c"])  # sales reps may not export
    assert exc.value.code == 3 and "permission denied" in capsys.readouterr().err and not target.exists()
    cli.main(["export", "customers", str(target), "--as", "admin"])
    text = target.read_bytes().decode("utf-8-sig")
    assert "单田芳" in text and "欧阳修" in text and "Acme" not in text


def test_demo_builds_a_small_chain(db):
    assert demo.load(customers=40) is True
    org = Organization.objects.get(slug=demo.SLUG)
    assert Store.objects.filter(organization=org).count() == 4
    assert set(User.objects.filter(organization=org).values_list("role", flat=True)) == {
        "owner", "admin", "manager", "sales", "service", "cashier", "marketing", "read_only"}
    # 40 entered as customers; converting demo leads adds the customers they became
    assert Customer.objects.filter(organization=org, source_leads__isnull=True).count() == 40
    from guanxi.sales.models import Lead, Opportunity, Order

    converted = Lead.objects.filter(organization=org, status="converted").count()
    assert Customer.objects.filter(organization=org).count() == 40 + converted
    assert Opportunity.objects.filter(organization=org).exists() and Order.objects.filter(organization=org).exists()
    assert Contact.objects.filter(organization=org).exists()
    assert SearchKey.objects.filter(organization=org).count() > 40 * 5
    assert Organization.objects.filter(slug=demo.SLUG_EN, default_language="en").exists()
    assert demo.load(customers=40) is False
