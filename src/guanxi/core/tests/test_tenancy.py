"""The tenancy guard: unscoped queries fail loudly, scoped ones see one organisation only."""

import pytest
from django.apps import apps
from django.core.checks import run_checks

from guanxi.core import tenancy
from guanxi.core.checks import NOT_TENANT_OWNED
from guanxi.core.tenancy import TenantManager, TenantModel, TenantScopeError
from guanxi.customers.models import Customer


def test_query_outside_any_scope_raises(world):
    token = tenancy._current.set(None)
    try:
        with pytest.raises(TenantScopeError):
            list(Customer.objects.all())
    finally:
        tenancy.reset(token)


def test_scope_limits_rows_to_one_organisation(world):
    with tenancy.tenant_scope(world.org_b):
        assert [c.name for c in Customer.objects.all()] == ["Acme Ltd"]
        # Even a primary-key lookup of another organisation's row finds nothing.
        assert not Customer.objects.filter(pk=world.customers["own"].pk).exists()
    with tenancy.tenant_scope(world.org):
        assert Customer.objects.count() == 4


def test_every_guanxi_model_is_tenant_owned_or_allowlisted():
    offenders = []
    for model in apps.get_models():
        if not model.__module__.startswith("guanxi."):
            continue
        label = model._meta.label_lower
        if label in NOT_TENANT_OWNED:
            continue
        has_org = any(f.name == "organization" for f in model._meta.get_fields())
        if not has_org or not isinstance(model._default_manager, TenantManager):
            offenders.append(label)
    assert offenders == [], f"models without organization/tenant manager: {offenders}"


def test_system_check_flags_a_model_without_organization(db):
    from django.db import models

    class Stray(models.Model):
        name = models.CharField(max_length=10)

        class Meta:
            app_label = "customers"

    try:
        errors = [e for e in run_checks() if e.id == "guanxi.E001"]
        assert any("customers.stray" in e.msg for e in errors)
    finally:
        apps.all_models["customers"].pop("stray", None)
        apps.clear_cache()


def test_unique_constraint_without_organization_is_flagged(db):
    from django.db import models

    class Loose(TenantModel):
        code = models.CharField(max_length=10)

        class Meta:
            app_label = "customers"
            constraints = [models.UniqueConstraint(fields=["code"], name="loose_code_unique")]

    try:
        assert any(e.id == "guanxi.E003" and "loose" in e.msg for e in run_checks())
    finally:
        apps.all_models["customers"].pop("loose", None)
        apps.clear_cache()


def test_saving_a_row_into_another_organisation_inside_a_scope_is_refused(world):
    from guanxi.customers.models import Tag

    with tenancy.tenant_scope(world.org):
        with pytest.raises(TenantScopeError):
            Tag.objects.create(organization=world.org_b, name="smuggled")
    assert not Tag.objects.filter(name="smuggled").exists()
