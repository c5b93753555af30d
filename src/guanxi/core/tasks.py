"""Background jobs of the core: ids in, services called, nothing else."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


# Hourly: SQLite's planner statistics follow the tables as they grow (PostgreSQL: autovacuum does it).
@db_periodic_task(crontab(minute="35"))
def refresh_planner_statistics() -> None:
    from django.db import connection

    from guanxi.core.dbstats import refresh_statistics

    if connection.vendor == "sqlite":
        refresh_statistics()
