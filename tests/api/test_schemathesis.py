"""The API against its own OpenAPI document (PRT-5): schemathesis generates requests for every
operation and sends them in-process through the WSGI app, authenticated as an administrator and
as a sales rep with real tokens, on a database seeded with the test world.

- Each role is a schema loaded with its own `Authorization` header in the schemathesis config, so
  schemathesis knows the header is fixed and never "negates" it (its `ignored_auth` check still
  tries requests without it).
- Every case runs inside a savepoint that is rolled back: each request meets the same seeded
  world (a DELETE in one case does not starve the next), and a database error cannot poison the
  rest of the run (PostgreSQL aborts the whole transaction after one).
- In positive cases about three quarters of the drawn ids are swapped for ids of real rows, so success
  paths run too, not only 404s.
- Checks: every built-in check except positive_data_acceptance, which assumes that whatever a
  JSON schema accepts the server must accept; the services rightly refuse more than a schema can
  say (an invalid phone number, an owner the caller may not assign, a duplicate name → 409).

The numbers of cases, requests, 5xx and statuses per operation are printed in the terminal summary.
"""

from __future__ import annotations

from unittest import mock

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from config.wsgi import application
from tests.api.conftest import BY_OPERATION, STATS

# Marks the module as a database user, so pytest-django creates the test database; each test then
# runs in a savepoint inside the module's transaction (see `seeded`).
pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 30
SECRETS = {"admin": "gx_schemathesis-admin-" + "0" * 24, "rep_a": "gx_schemathesis-rep-a-" + "0" * 24}
ID_FIELDS = {
    "customer_id": "customers", "source_id": "customers", "contact_id": "contacts", "reports_to_id": "contacts",
    "owner_id": "users", "store_id": "stores", "lead_id": "leads",
    "opportunity_id": "opportunities", "before_id": "opportunities", "stage_id": "stages", "pipeline_id": "pipelines",
    "territory_id": "territories", "team_id": "teams",
}


def _schema(role: str):
    config = SchemathesisConfig.from_dict({
        "seed": 20260101,
        "headers": {"Authorization": f"Bearer {SECRETS[role]}"},
        "checks": {"positive_data_acceptance": {"enabled": False}},
        "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
    })
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=config)


as_admin = _schema("admin")
as_rep = _schema("rep_a")


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One world for the module, inside a transaction rolled back at the end; the ids of its rows."""
    from guanxi.core import services as core
    from guanxi.core.models import ApiToken
    from guanxi.core.tenancy import unscoped
    from guanxi.customers import services as customers
    from guanxi.testing import build_sales, build_world

    # Django's own test client unhooks these as well: closing the connection between requests
    # would end the transaction the world lives in.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock(), unscoped(), transaction.atomic():
            world = build_sales(build_world())
            own = world.customers["own"]
            boss = customers.contact_create(actor=world.rep_a, customer=own,
                                            data={"name": "王总", "role": "decision_maker", "phone": "13900000001"})
            customers.contact_create(actor=world.rep_a, customer=own, data={"name": "李工", "reports_to": boss.pk})
            customers.contact_create(actor=world.rep_c, customer=world.customers["other_team"], data={"name": "赵工"})
            customers.note_add(actor=world.rep_a, customer=own, body="first visit")
            from guanxi.sales.services.leads import lead_create

            leads = [lead_create(actor=world.rep_a, data={"name": "线索甲", "phone": "13911112222"}),
                     lead_create(actor=world.rep_a, data={"name": "张三", "phone": "13800000001"}),
                     lead_create(actor=world.rep_c, data={"name": "线索丙", "province": "上海"})]
            for role, secret in SECRETS.items():
                # Real tokens through the service; only the secret is fixed so the config can carry it.
                with mock.patch.object(ApiToken, "new_secret", return_value=secret):
                    core.token_create(actor=None, user=world.users[role], name="schemathesis")
            yield {
                "customers": sorted(c.pk for c in world.customers.values()),
                "contacts": sorted(own.contacts.values_list("pk", flat=True)),
                "users": sorted(u.pk for u in world.users.values()),
                "stores": sorted(s.pk for s in world.stores.values()),
                "leads": sorted(lead.pk for lead in leads),
                "opportunities": sorted(o.pk for o in world.opportunities.values()),
                "stages": sorted(s.pk for s in world.stages.values()),
                "pipelines": [world.pipeline.pk, world.pipeline_b.pk],
                "territories": sorted(t.pk for t in world.territories.values()),
                "teams": sorted(t.pk for t in world.teams.values()),
            }
            transaction.set_rollback(True)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _real_ids(case, ids) -> None:
    """In positive cases, swap about three quarters of the drawn ids for ids of rows that exist."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        STATS["ids kept (negative case)"] += 1
        return

    def swap(container: dict) -> None:
        for name, pool in ID_FIELDS.items():
            value = container.get(name)
            if isinstance(value, str) and value.isascii() and value.isdigit():  # the coverage phase's path values
                value = int(value)
            if isinstance(value, int) and not isinstance(value, bool) and value % 4 != 3:
                real = ids[pool][value % len(ids[pool])]
                container[name] = str(real) if isinstance(container[name], str) else real

    if case.path_parameters:
        swap(case.path_parameters)
    if isinstance(case.query, dict):
        swap(case.query)
    if isinstance(case.body, dict):
        swap(case.body)


def _run(case, ids) -> None:
    STATS["cases"] += 1
    _real_ids(case, ids)
    with transaction.atomic():
        try:
            response = case.call()
            STATS["requests"] += 1
            BY_OPERATION[case.operation.label][response.status_code] += 1
            if response.status_code >= 500:
                STATS["server_errors"] += 1
            case.validate_response(response)
        except BaseException:
            STATS["failures"] += 1
            raise
        finally:
            transaction.set_rollback(True)


HYPOTHESIS = settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))


@as_admin.parametrize()
@HYPOTHESIS
def test_api_as_admin(case, seeded):
    _run(case, seeded)


@as_rep.parametrize()
@HYPOTHESIS
def test_api_as_sales_rep(case, seeded):
    _run(case, seeded)
