"""Per-request context (who, from where) that services read when they write audit entries."""

from __future__ import annotations

import contextvars
import secrets
import zoneinfo
from dataclasses import dataclass

from django.utils import timezone, translation

from guanxi.core import tenancy


@dataclass(frozen=True)
class RequestInfo:
    ip: str | None = None
    request_id: str = ""


_info: contextvars.ContextVar[RequestInfo] = contextvars.ContextVar("guanxi_request", default=RequestInfo())


def current() -> RequestInfo:
    return _info.get()


def client_ip(request) -> str | None:
    # Behind a proxy, configure it to overwrite REMOTE_ADDR; X-Forwarded-For is client-controlled.
    return request.META.get("REMOTE_ADDR") or None


def begin_request(request) -> list:
    """Start a clean context for this request; returns tokens for end_request."""
    info = RequestInfo(ip=client_ip(request), request_id=secrets.token_hex(8))
    request.request_id = info.request_id
    return [(_info, _info.set(info)), (tenancy._current, tenancy._current.set(None))]


def end_request(tokens: list) -> None:
    for var, token in reversed(tokens):
        var.reset(token)


def user_language(user) -> str:
    return user.language or user.organization.default_language


def user_timezone(user) -> str:
    if user.store_id:
        return user.store.timezone
    return user.organization.timezone


def activate_user(request, user) -> None:
    """Scope the request to the user's organisation, language and time zone."""
    tenancy.activate(user.organization_id)
    language = user_language(user)
    translation.activate(language)
    request.LANGUAGE_CODE = language
    try:
        timezone.activate(zoneinfo.ZoneInfo(user_timezone(user)))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        timezone.deactivate()
