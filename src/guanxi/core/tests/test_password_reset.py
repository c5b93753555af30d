"""Password reset (T14): the link arrives by real SMTP, works once, expires, and the form answers
the same for known and unknown addresses."""

import re

import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from guanxi.core.models import User

RESET = "/accounts/password/reset/"
NEW_PASSWORD = "Neu-Passwort-2026!"


def _request_link(smtp, email: str, count: int) -> str:
    r = Client().post(RESET, {"email": email})
    assert r.status_code == 302
    message = smtp.wait(count)[-1]
    assert message["To"] == email
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", body).group(1)


def _use_link(path: str, password: str = NEW_PASSWORD) -> Client:
    c = Client()
    form = c.get(path, follow=True)  # allauth moves the key from the URL into the session first
    assert form.status_code == 200
    c.post(form.redirect_chain[-1][0] if form.redirect_chain else path,
           {"password1": password, "password2": password})
    return c


def _password_ok(user: User, password: str) -> bool:
    user.refresh_from_db()
    return user.check_password(password)


def test_reset_link_arrives_by_smtp_and_works_once(world, smtp):
    rep = world.rep_a
    link = _request_link(smtp, rep.email, 1)
    _use_link(link)
    assert _password_ok(rep, NEW_PASSWORD)
    # The same link again: refused, the password stays what the first use set.
    _use_link(link, "Another-Pass-2026!")
    assert _password_ok(rep, NEW_PASSWORD)
    assert not _password_ok(rep, "Another-Pass-2026!")


def test_reset_link_expires(world, smtp):
    rep = world.rep_a
    link = _request_link(smtp, rep.email, 1)
    # A day past the limit (the token clock is local naive time, the travel target UTC: keep a margin).
    later = timezone.now() + timezone.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 86_400)
    with time_machine.travel(later, tick=False):
        _use_link(link)
    assert not _password_ok(rep, NEW_PASSWORD)


def test_known_and_unknown_addresses_get_the_same_answer(world, smtp):
    known = Client().post(RESET, {"email": world.rep_a.email})
    unknown = Client().post(RESET, {"email": "nobody-here@example.com"})
    assert (known.status_code, known.get("Location")) == (unknown.status_code, unknown.get("Location"))
    smtp.wait(1)
    assert [m["To"] for m in smtp.messages] == [world.rep_a.email]  # nothing was sent to the stranger
