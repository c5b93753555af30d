"""Login lockout, no username enumeration, deactivation, hashed API tokens (CORE-11)."""

import re

from django.test import Client

from guanxi.core import services
from guanxi.core.models import ApiToken
from guanxi.testing import PASSWORD

LOGIN = "/accounts/login/"


def _post_login(client, username, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"login": username, "password": password}, REMOTE_ADDR=ip)


def test_login_with_username_and_password(world):
    c = Client()
    r = _post_login(c, "rep_a", PASSWORD)
    assert r.status_code == 302
    assert c.get("/customers/", follow=False).status_code in (200, 404)  # signed in (page may not exist yet)
    assert "_auth_user_id" in c.session


def test_lockout_after_five_failures_per_user_and_ip(world):
    c = Client()
    for _ in range(5):
        assert "_auth_user_id" not in _post_login(c, "rep_a", "wrong-password").client.session
    locked = _post_login(c, "rep_a", PASSWORD)  # the right password no longer helps
    assert "_auth_user_id" not in c.session
    assert locked.status_code == 429
    assert "15" in locked.content.decode()  # the locked page says how long the pause is
    # The same user from another address is not locked out (no lockout of victims by strangers).
    other = Client()
    assert _post_login(other, "rep_a", PASSWORD, ip="10.0.0.2").status_code == 302


def _normalise(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


def test_unknown_and_known_usernames_get_the_same_answer(world):
    known = _post_login(Client(), "rep_a", "wrong-password")
    unknown = _post_login(Client(), "no_such_user", "wrong-password")
    assert known.status_code == unknown.status_code
    assert _normalise(known.content.decode()).replace("rep_a", "X") == _normalise(unknown.content.decode()).replace("no_such_user", "X")


def test_deactivation_ends_sessions_and_tokens(world):
    c = Client()
    assert _post_login(c, "rep_b", PASSWORD).status_code == 302
    _token, secret = services.token_create(actor=None, user=world.rep_b)
    assert services.user_for_token(secret) == world.rep_b
    services.user_deactivate(actor=world.admin, user=world.rep_b)
    r = c.get("/today/")
    assert r.status_code == 302 and r.url.startswith(LOGIN)
    assert services.user_for_token(secret) is None
    again = Client()
    r = _post_login(again, "rep_b", PASSWORD)
    assert "_auth_user_id" not in again.session and (r.status_code != 302 or "inactive" in r.url)


def test_tokens_are_stored_hashed_and_revocable(world):
    token, secret = services.token_create(actor=None, user=world.rep_a, name="laptop")
    assert secret.startswith("gx_") and secret not in {token.key_hash, token.key_prefix}
    assert not ApiToken.objects.filter(key_hash=secret).exists()
    assert services.user_for_token(secret) == world.rep_a
    services.token_revoke(actor=world.rep_a, token=token)
    assert services.user_for_token(secret) is None
    assert services.user_for_token("gx_" + "x" * 43) is None


def test_only_admins_manage_other_users_tokens(world):
    import pytest
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.token_create(actor=world.rep_a, user=world.rep_b)
    assert not ApiToken.objects.filter(user=world.rep_b).exists()
    _t, secret = services.token_create(actor=world.admin, user=world.rep_b)
    assert services.user_for_token(secret) == world.rep_b
