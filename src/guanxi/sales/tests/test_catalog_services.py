"""Products, bundles, configurator rules, price lists and which price applies (SAL-6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from guanxi.core.models import AuditEntry
from guanxi.customers.services import customer_update
from guanxi.sales.models import Product
from guanxi.sales.services.catalog import (
    bundle_item_set,
    configure,
    price_for,
    price_list_create,
    price_list_item_set,
    price_list_update,
    product_create,
    product_delete,
    product_rule_add,
    product_update,
)

pytestmark = pytest.mark.django_db

D = Decimal


def make(w, sku, price="100.00", **extra):
    return product_create(actor=w.admin, data={"sku": sku, "name": extra.pop("name", f"产品 {sku}"),
                                               "list_price": price, **extra})


def test_product_create_defaults_validation_and_audit(world):
    product = make(world, "CRM-01", "1999.90", cost="800", unit="套")
    assert product.list_price == D("1999.90") and product.cost == D("800.00")
    assert product.currency == "CNY" and product.tax_rate == D("0.1300")
    assert AuditEntry.objects.filter(object_type="sales.product", object_id=str(product.pk), action="create").exists()
    with pytest.raises(ValidationError) as err:
        make(world, "crm-01")
    assert "sku" in err.value.message_dict  # unique per organisation, case-insensitively
    with pytest.raises(ValidationError) as err:
        make(world, "X1", "-1")
    assert "list_price" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        make(world, "X2", "1.234")
    assert "list_price" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        product_create(actor=world.admin, data={"sku": "X3", "name": "n", "tax_rate": "1.5", "organization": 9})
    assert set(err.value.message_dict) == {"organization"}
    with pytest.raises(ValidationError) as err:
        product_create(actor=world.admin, data={"sku": "X3", "name": "n", "tax_rate": "1.5"})
    assert set(err.value.message_dict) == {"tax_rate"}
    # the same SKU in another organisation is fine
    product_create(actor=world.admin_b, data={"sku": "CRM-01", "name": "CRM", "list_price": "10"})


def test_only_catalogue_managers_write(world):
    for name in ("manager", "rep_a", "readonly", "marketing"):
        with pytest.raises(PermissionDenied):
            product_create(actor=world.users[name], data={"sku": "N", "name": "n"})
    product = make(world, "A")
    with pytest.raises(PermissionDenied):
        product_update(actor=world.manager, product=product, data={"name": "x"})
    updated = product_update(actor=world.owner, product=product, data={"name": "改名", "list_price": "120"})
    assert updated.name == "改名" and updated.list_price == D("120.00")
    product_delete(actor=world.admin, product=updated)
    assert not Product.objects.filter(pk=product.pk).exists()


def test_bundle_items_and_rules_validation(world):
    bundle = make(world, "B", kind="bundle")
    a, b = make(world, "A"), make(world, "BB")
    item = bundle_item_set(actor=world.admin, bundle=bundle, product=a.pk, quantity="2")
    assert item.quantity == D("2.000")
    with pytest.raises(ValidationError):
        bundle_item_set(actor=world.admin, bundle=a, product=b.pk, quantity="1")  # not a bundle
    with pytest.raises(ValidationError):
        bundle_item_set(actor=world.admin, bundle=bundle, product=bundle.pk, quantity="1")
    with pytest.raises(ValidationError):
        bundle_item_set(actor=world.admin, bundle=bundle, product=b.pk, quantity="0")
    product_rule_add(actor=world.admin, product=a, kind="requires", other=b.pk)
    with pytest.raises(ValidationError):
        product_rule_add(actor=world.admin, product=b, kind="excludes", other=a.pk)  # the opposite rule exists
    with pytest.raises(ValidationError):
        product_rule_add(actor=world.admin, product=a, kind="requires", other=a.pk)
    with pytest.raises(ValidationError):
        product_delete(actor=world.admin, product=a)  # in a bundle


def test_configurator_requires_and_excludes_in_the_users_language(world):
    server = make(world, "SRV", name="服务器")
    licence = make(world, "LIC", name="系统许可")
    cloud = make(world, "CLD", name="云托管")
    bundle = make(world, "KIT", name="套装", kind="bundle")
    bundle_item_set(actor=world.admin, bundle=bundle, product=licence.pk, quantity="1")
    product_rule_add(actor=world.admin, product=server, kind="requires", other=licence.pk)
    product_rule_add(actor=world.admin, product=server, kind="excludes", other=cloud.pk)
    assert configure([licence]) == []
    with translation.override("en"):
        broken = configure([server, cloud])
    assert [v.kind for v in broken] == ["excludes", "requires"]
    assert broken[0].message == "服务器 (SRV) cannot be combined with 云托管 (CLD)."
    assert broken[1].message == "服务器 (SRV) requires 系统许可 (LIC); add it too."
    # a bundle brings its items: the licence inside the kit satisfies "requires"
    assert configure([server, bundle]) == []
    with translation.override("zh-hans"):
        message = configure([server])[0].message
    assert "服务器 (SRV)" in message and "系统许可 (LIC)" in message


def test_price_for_tiers_groups_dates_and_list_price(world):
    w = world
    product = make(w, "P", "100.00")
    customer = w.customers["own"]
    assert price_for(customer, product, 1).unit_price == D("100.00")  # no list: the list price
    default = price_list_create(actor=w.admin, data={"name": "标准价", "is_default": True})
    for qty, price in (("1", "95.00"), ("10", "90.00"), ("100", "80.00")):
        price_list_item_set(actor=w.admin, price_list=default, data={"product": product.pk, "price": price,
                                                                     "min_quantity": qty})
    assert price_for(customer, product, D("9.999")).unit_price == D("95.00")
    assert price_for(customer, product, 10).unit_price == D("90.00")
    assert price_for(customer, product, 99).unit_price == D("90.00")
    assert price_for(customer, product, 1000).unit_price == D("80.00")
    # a customer group (tag) list wins over the default for members of the group only
    vip = price_list_create(actor=w.admin, data={"name": "VIP"})
    customer_update(actor=w.rep_a, customer=customer, data={"tags": ["VIP"]})
    tag = customer.tags.get()
    price_list_update(actor=w.admin, price_list=vip, data={"customer_tag": tag.pk})
    price_list_item_set(actor=w.admin, price_list=vip, data={"product": product.pk, "price": "100.00",
                                                             "discount_percent": "20"})
    price = price_for(customer, product, 10)
    assert (price.unit_price, price.discount_percent, price.price_list) == (D("100.00"), D("20.00"), vip)
    assert price.net_unit_price == D("80.00")
    other = w.customers["team"]
    assert price_for(other, product, 10).price_list == default
    # below the group list's lowest tier the default list applies
    price_list_item_set(actor=w.admin, price_list=vip, data={"product": product.pk, "price": "70.00",
                                                             "min_quantity": "50"})
    assert price_for(customer, product, 60).unit_price == D("70.00")
    # validity dates: an expired group list no longer applies
    price_list_update(actor=w.admin, price_list=vip, data={"valid_until": "2020-12-31"})
    assert price_for(customer, product, 10).price_list == default
    assert price_for(customer, product, 10, dt.date(2020, 6, 1)).price_list == vip
    price_list_update(actor=w.admin, price_list=default, data={"is_active": False})
    assert price_for(customer, product, 10).unit_price == D("100.00")


def test_price_list_validation(world):
    w = world
    price_list_create(actor=w.admin, data={"name": "标准价", "is_default": True})
    with pytest.raises(ValidationError) as err:
        price_list_create(actor=w.admin, data={"name": "二号", "is_default": True})
    assert "is_default" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        price_list_create(actor=w.admin, data={"name": "标准价"})
    assert "name" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        price_list_create(actor=w.admin, data={"name": "x", "valid_from": "2026-02-01", "valid_until": "2026-01-01"})
    assert "valid_until" in err.value.message_dict
    pl = price_list_create(actor=w.admin, data={"name": "y"})
    product = make(w, "P")
    with pytest.raises(ValidationError) as err:
        price_list_item_set(actor=w.admin, price_list=pl, data={"product": product.pk, "price": "1",
                                                                "discount_percent": "101"})
    assert "discount_percent" in err.value.message_dict
    with pytest.raises(PermissionDenied):
        price_list_create(actor=w.rep_a, data={"name": "z"})
