"""Background jobs for imports: ids in, services called, nothing else."""

from django.tasks import task

from guanxi.core.tenancy import tenant_scope


@task
def validate_import(job_id: int, organization_id: int) -> None:
    from guanxi.imports import engine

    with tenant_scope(organization_id):
        engine.validate_job(job_id)


@task
def run_import(job_id: int, organization_id: int) -> None:
    from guanxi.imports import engine

    with tenant_scope(organization_id):
        engine.run_job(job_id)
