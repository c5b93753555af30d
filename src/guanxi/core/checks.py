"""System checks for the tenancy rules, so a model that breaks them fails `manage.py check`."""

from django.apps import apps
from django.core.checks import Error, register

from guanxi.core.tenancy import TenantManager

# Models that are deliberately not tenant-owned, and why.
NOT_TENANT_OWNED = {
    "core.organization": "the tenant itself",
    "core.user": "login finds the user before the organisation is known; it carries organization",
}


def tenant_models():
    for model in apps.get_models():
        if model._meta.app_label in ("core", "customers") or model.__module__.startswith("guanxi."):
            yield model


@register()
def check_tenancy(app_configs=None, **kwargs):
    errors = []
    for model in tenant_models():
        label = model._meta.label_lower
        if label in NOT_TENANT_OWNED:
            continue
        names = {f.name for f in model._meta.get_fields()}
        if "organization" not in names:
            errors.append(Error(f"{label} has no organization field", id="guanxi.E001",
                                hint="Derive it from TenantModel or list it in core.checks.NOT_TENANT_OWNED."))
            continue
        if not isinstance(model._default_manager, TenantManager):
            errors.append(Error(f"{label}'s default manager is not tenant-scoped", id="guanxi.E002"))
        for constraint in model._meta.constraints:
            fields = getattr(constraint, "fields", ())
            if fields and "organization" not in fields:
                errors.append(Error(f"{label}.{constraint.name} does not include organization", id="guanxi.E003"))
        for field in model._meta.local_fields:
            if field.unique and not field.primary_key and label != "core.apitoken":
                errors.append(Error(f"{label}.{field.name} is unique across organisations", id="guanxi.E004"))
    return errors
