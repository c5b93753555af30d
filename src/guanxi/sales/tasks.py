"""Background jobs for sales: ids in, services called, nothing else."""

from django.tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.core.tenancy import tenant_scope


@task
def contracts_due_for_renewal(organization_id: int | None = None) -> int:
    """E-mail the owners of active contracts whose renewal reminder is due (renewal date minus
    reminder days is today, in the organisation's time zone, or past) and stamp them: each contract
    is reminded once. Active contracts whose end date has passed become expired in the same run.
    Without an id, every active organisation. Returns how many reminders were sent."""
    from guanxi.core.models import Organization
    from guanxi.sales.services.contracts import expire_ended_contracts, send_renewal_reminders

    orgs = Organization.objects.filter(is_active=True)
    if organization_id is not None:
        orgs = orgs.filter(pk=organization_id)
    sent = 0
    for org_id in orgs.values_list("pk", flat=True):
        with tenant_scope(org_id):
            sent += send_renewal_reminders(org_id)
            expire_ended_contracts(org_id)
    return sent


# Hourly, so each organisation's morning comes round whatever its time zone; reminding twice is
# impossible (the service claims each contract with a conditional update).
@db_periodic_task(crontab(minute="5"))
def schedule_contract_renewal_reminders() -> None:
    contracts_due_for_renewal.enqueue()
