"""The JSON API (PRT-5): one NinjaAPI at /api/v1/ mounting each domain's router.

Authentication is a personal token (`Authorization: Bearer gx_…`); the token's user becomes the
actor, and their organisation, language and time zone are activated exactly as for a page.
Errors always have the shape {"detail": str, "errors": {field: [messages]}}.
"""

from __future__ import annotations

import json
import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.templatetags.static import static
from django.utils.html import escape
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import Swagger
from ninja.security import HttpBearer

from guanxi.core import context
from guanxi.core.permissions import CorePerm, has_perm
from guanxi.core.services import user_for_token

logger = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    openapi_description = "A personal API token: `guanxi token USERNAME` or the Tokens page."

    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is None or not has_perm(user, CorePerm.USE_API):
            return None
        request.user = user
        context.activate_user(request, user)
        return user


class StrictSwagger(Swagger):
    """Swagger UI with no inline script at all, so it runs under the site's strict CSP
    (script-src 'self' + nonce): the bundle and ninja's init file come from static, and the
    settings that ninja puts in a <script type="application/json"> sit in a hidden element."""

    def render_page(self, request, api, **kwargs):
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        html = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(api.title)}</title>
<link rel="stylesheet" href="{escape(static("ninja/swagger-ui.css"))}">
<link rel="icon" href="{escape(static("ninja/favicon.svg"))}" type="image/svg+xml">
</head>
<body data-csrf-token="" data-api-csrf="">
<div id="swagger-settings" hidden>{escape(json.dumps(settings))}</div>
<div id="swagger-ui"></div>
<script src="{escape(static("ninja/swagger-ui-bundle.js"))}"></script>
<script src="{escape(static("ninja/swagger-ui-init.js"))}"></script>
</body>
</html>"""
        return HttpResponse(html)


api = NinjaAPI(
    title="Guanxi API",
    version="1.0.0",
    description="Customers, contacts and, as modules land, the rest of the CRM. Every route applies the "
    "same permissions and row rules as the pages.",
    auth=BearerToken(),
    urls_namespace="api",
    docs=StrictSwagger({"deepLinking": True, "persistAuthorization": False, "validatorUrl": None}),
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


@api.exception_handler(IntegrityError)
def on_conflict(request, exc):
    """A write that hit a constraint the service could not pre-check (an external id already used,
    two requests racing for the same new tag): the service's transaction rolled it back, so it is
    a conflict, not a crash. On a read it can only be a bug, and stays one."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        raise exc
    logger.warning("API write refused by a database constraint: %s", exc, exc_info=not hasattr(exc, "api_errors"))
    return error(request, 409, _("This conflicts with an existing record."), getattr(exc, "api_errors", None))


@api.exception_handler(RequestDataTooBig)
def on_too_big(request, exc):
    return error(request, 413, _("The request body is too large."))


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    return error(request, exc.status_code, str(exc))


@api.get("/ping", auth=None, include_in_schema=False)
def ping(request):
    """A bare endpoint: the benchmark's yardstick for framework overhead."""
    return {"ok": True}


from guanxi.core.api import router as core_router  # noqa: E402
from guanxi.customers.api import contacts_router, customers_router  # noqa: E402
from guanxi.sales.api.commission import router as commission_router  # noqa: E402
from guanxi.sales.api.expenses import router as expenses_router  # noqa: E402
from guanxi.sales.api.reports import router as reports_router  # noqa: E402

api.add_router("/", core_router)
api.add_router("/customers", customers_router)
api.add_router("/contacts", contacts_router)
from guanxi.sales.api.leads import router as leads_router  # noqa: E402

api.add_router("/leads", leads_router)
from guanxi.sales.api.opportunities import forecast_router, opportunities_router, pipelines_router, territories_router  # noqa: E402,E501
api.add_router("/opportunities", opportunities_router)
api.add_router("/pipelines", pipelines_router)
api.add_router("/territories", territories_router)
api.add_router("/forecast", forecast_router)
api.add_router("/products", "guanxi.sales.api.catalog.products_router")
api.add_router("/price-lists", "guanxi.sales.api.catalog.price_lists_router")
api.add_router("/quotes", "guanxi.sales.api.quotes.quotes_router")
from guanxi.sales.api.contracts import router as contracts_router  # noqa: E402
api.add_router("/contracts", contracts_router)
from guanxi.sales.api.orders import router as orders_router  # noqa: E402
api.add_router("/orders", orders_router)
api.add_router("/commission", commission_router)
api.add_router("/expenses", expenses_router)
api.add_router("/reports", reports_router)

# Last: any other path under /api/v1/ is a JSON 404 (not the site's HTML page), with or without a token.
_unknown = Router()


@_unknown.api_operation(["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:path}", auth=None, include_in_schema=False)
def unknown_route(request, path: str):
    return error(request, 404, _("No such API route."))


api.add_router("/", _unknown)
