"""The JSON API (PRT-5): one NinjaAPI at /api/v1/ mounting each domain's router.

Authentication is a personal token (`Authorization: Bearer gx_…`); the token's user becomes the
actor, and their organisation, language and time zone are activated exactly as for a page.
Errors always have the shape {"detail": str, "errors": {field: [messages]}}.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from guanxi.core import context
from guanxi.core.services import user_for_token


class BearerToken(HttpBearer):
    openapi_description = "A personal API token: `guanxi token USERNAME` or the Tokens page."

    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        context.activate_user(request, user)
        return user


api = NinjaAPI(
    title="Guanxi API",
    version="1.0.0",
    description="Customers, contacts and, as modules land, the rest of the CRM. Every route applies the "
    "same permissions and row rules as the pages.",
    auth=BearerToken(),
    urls_namespace="api",
)


def error(request, status: int, detail: str, errors: dict | None = None):
    return api.create_response(request, {"detail": detail, "errors": errors or {}}, status=status)


def _field_name(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "filters", "data")]
    return ".".join(parts) or "__all__"


@api.exception_handler(NinjaValidationError)
def on_schema_error(request, exc):
    errors: dict[str, list[str]] = {}
    for item in exc.errors:
        errors.setdefault(_field_name(item.get("loc", ())), []).append(str(item.get("msg", "invalid")))
    return error(request, 422, _("Some fields are not valid."), errors)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc):
    if hasattr(exc, "message_dict"):
        errors = {k: list(v) for k, v in exc.message_dict.items()}
    else:
        errors = {"__all__": list(exc.messages)}
    return error(request, 422, _("Some fields are not valid."), errors)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return error(request, 404, _("Not found."))


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return error(request, 403, _("You do not have permission to do that."))


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return error(request, 401, _("Authentication required: send Authorization: Bearer <token>."))


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    return error(request, exc.status_code, str(exc))


@api.get("/ping", auth=None, include_in_schema=False)
def ping(request):
    """A bare endpoint: the benchmark's yardstick for framework overhead."""
    return {"ok": True}


from guanxi.core.api import router as core_router  # noqa: E402
from guanxi.customers.api import contacts_router, customers_router  # noqa: E402

api.add_router("/", core_router)
api.add_router("/customers", customers_router)
api.add_router("/contacts", contacts_router)
