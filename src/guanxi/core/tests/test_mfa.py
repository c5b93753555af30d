"""Two-factor login (CORE-11): with TOTP on, a password alone does not sign in."""

import time

from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.test import Client

from guanxi.testing import PASSWORD


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_totp_is_required_after_the_password(world):
    secret = generate_totp_secret()
    TOTP.activate(world.rep_a, secret)
    c = Client()
    r = c.post("/accounts/login/", {"login": "rep_a", "password": PASSWORD})
    assert r.status_code == 302 and "/accounts/2fa/authenticate/" in r.url
    assert "_auth_user_id" not in c.session

    r = c.post("/accounts/2fa/authenticate/", {"code": "000000" if _code(secret) != "000000" else "111111"})
    assert "_auth_user_id" not in c.session

    r = c.post("/accounts/2fa/authenticate/", {"code": _code(secret)})
    assert r.status_code == 302
    assert c.session["_auth_user_id"] == str(world.rep_a.pk)


def test_user_without_totp_signs_in_with_password_only(world):
    c = Client()
    r = c.post("/accounts/login/", {"login": "rep_b", "password": PASSWORD})
    assert r.status_code == 302 and "2fa" not in r.url
