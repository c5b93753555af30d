"""Authentication events recorded in the audit log. Django and allauth announce logins only through
signals, so this is the one place the project listens to them."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from guanxi.core import audit, tenancy


@receiver(user_logged_in, dispatch_uid="guanxi-audit-login")
def record_login(sender, request, user, **kwargs):
    if not getattr(user, "organization_id", None):
        return
    with tenancy.tenant_scope(user.organization_id):
        audit.record(actor=user, action=audit.Action.LOGIN, obj=user, organization_id=user.organization_id)
