"""Token authentication of the JSON API and GET /api/v1/me."""

import pytest
from django.test import Client

from guanxi.core import services
from guanxi.core.models import ApiToken, AuditEntry, Organization


def bearer(secret: str, scheme: str = "Bearer") -> Client:
    return Client(headers={"Authorization": f"{scheme} {secret}"})


def test_me_describes_the_user_behind_the_token(world):
    _t, secret = services.token_create(actor=None, user=world.rep_a)
    r = bearer(secret).get("/api/v1/me")
    assert r.status_code == 200
    assert r.json() == {
        "id": world.rep_a.pk, "username": "rep_a", "name": "rep_a", "role": "sales",
        "organization_id": world.org.pk, "store_id": world.stores["S1"].pk, "team_id": world.teams["T1"].pk,
        "language": "zh-hans",
    }
    # Answers carrying a user's data must not sit in shared caches.
    assert "no-store" in r["Cache-Control"] and "private" in r["Cache-Control"]


def test_me_of_another_organisation(world):
    _t, secret = services.token_create(actor=None, user=world.admin_b)
    body = bearer(secret).get("/api/v1/me").json()
    assert (body["organization_id"], body["role"], body["language"], body["store_id"]) == (
        world.org_b.pk, "admin", "en", None)


def test_scheme_is_case_insensitive_and_use_updates_last_used(world):
    token, secret = services.token_create(actor=None, user=world.rep_a)
    assert token.last_used_at is None
    assert bearer(secret, scheme="bearer").get("/api/v1/me").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Token {secret}", "Basic cmVwX2E6eA==", "Bearer {secret}x", "Bearer x{secret}",
     "Bearer gx_" + "a" * 500, "{secret}"],
)
def test_bad_or_missing_credentials_are_401_in_the_error_shape(world, header):
    _t, secret = services.token_create(actor=None, user=world.rep_a)
    client = Client(headers={"Authorization": header.format(secret=secret)}) if header is not None else Client()
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    assert r.json()["errors"] == {} and "Bearer" in r.json()["detail"]


def test_revoked_token_is_401(world):
    token, secret = services.token_create(actor=None, user=world.rep_a)
    services.token_revoke(actor=world.rep_a, token=token)
    assert bearer(secret).get("/api/v1/me").status_code == 401


def test_deactivated_user_is_401(world):
    _t, secret = services.token_create(actor=None, user=world.rep_b)
    client = bearer(secret)
    assert client.get("/api/v1/me").status_code == 200
    services.user_deactivate(actor=world.admin, user=world.rep_b)
    assert client.get("/api/v1/me").status_code == 401
    assert ApiToken.objects.get(user=world.rep_b).revoked_at is not None


def test_inactive_organisation_is_401(world):
    _t, secret = services.token_create(actor=None, user=world.admin_b)
    Organization.objects.filter(pk=world.org_b.pk).update(is_active=False)
    assert bearer(secret).get("/api/v1/me").status_code == 401


def test_a_browser_session_is_not_an_api_credential(world, client_for):
    assert client_for("admin").get("/api/v1/me").status_code == 401


def test_failed_authentication_writes_nothing(world):
    audits, tokens = AuditEntry.objects.count(), ApiToken.objects.count()
    for _ in range(3):
        assert bearer("gx_wrong").get("/api/v1/me").status_code == 401
    assert (AuditEntry.objects.count(), ApiToken.objects.count()) == (audits, tokens)


def test_unknown_api_routes_are_json_404(world):
    _t, secret = services.token_create(actor=None, user=world.rep_a)
    for client in (bearer(secret), Client()):
        for path in ("/api/v1/nothing", "/api/v1/customers/", "/api/v1/customers/1/nothing"):
            r = client.get(path)
            assert r.status_code == 404 and r.json()["errors"] == {}, path


def test_oversized_body_is_413_in_the_error_shape(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    _t, secret = services.token_create(actor=None, user=world.rep_a)
    r = bearer(secret).post("/api/v1/customers", '{"name": "%s"}' % ("x" * 2000), content_type="application/json")
    assert r.status_code == 413 and set(r.json()) == {"detail", "errors"}
