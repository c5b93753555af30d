"""The public lead form at /f/<key>/ (CUS-10): no login, embeddable in an iframe, spam-resistant.

Defences, cheapest first, each answering before anything is written: the form must exist and be
active (404); the body must be small (413) and a browser's form of known fields, no files (400);
ten submissions a minute per address and form (429); the honeypot must be empty and the signed
token at least MIN_FILL_SECONDS old (400); then the fields are checked like any lead (400 with
the field errors). Only the POST is CSRF-exempt (a visitor has no session); the page has no
inline script, so it runs under the site's CSP, which here lets the listed websites frame it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils import translation
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from guanxi.core.context import client_ip
from guanxi.core.tenancy import tenant_scope, unscoped
from guanxi.customers.forms import apply_service_errors
from guanxi.sales.forms.leads import PublicLeadForm
from guanxi.sales.services import web_forms

ALLOWED_KEYS = set(PublicLeadForm.base_fields)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")  # what a browser's form sends


def _render(request, web_form, form, *, status=200, problem="", done=False):
    response = render(request, "sales/leads/public_form.html", {
        "web_form": web_form, "form": form, "problem": problem, "done": done,
        "action": request.path,
    }, status=status)
    origins = web_form.allowed_origins.split()
    response._csp_config = {**settings.SECURE_CSP, "frame-ancestors": origins or ["*"],
                            "form-action": [CSP.SELF]}
    response["Cache-Control"] = "no-store"
    return response


def _fresh(web_form) -> PublicLeadForm:
    return PublicLeadForm(initial={"token": web_forms.issue_token(web_form)})


def _refuse(request, web_form, status: int, problem: str, form: PublicLeadForm | None = None):
    return _render(request, web_form, form or _fresh(web_form), status=status, problem=problem)


def _submit(request, web_form):
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = web_forms.MAX_BODY_BYTES + 1
    if length > web_forms.MAX_BODY_BYTES:
        return _refuse(request, web_form, 413, _("That is more text than this form takes."))
    if request.content_type not in FORM_TYPES:
        return _refuse(request, web_form, 400, _("Send the form from the page."))
    if web_forms.rate_limited(web_form, client_ip(request)):
        return _refuse(request, web_form, 429, _("Too many submissions from your network; try again in a minute."))
    try:
        post, files = request.POST, request.FILES
    except MultiPartParserError:
        return _refuse(request, web_form, 400, _("Send the form from the page."))
    if files or set(post) - ALLOWED_KEYS or any(len(post.getlist(key)) > 1 for key in post):
        return _refuse(request, web_form, 400, _("Send the form from the page."))
    form = PublicLeadForm(post)
    if post.get("website"):
        return _refuse(request, web_form, 400, _("Send the form from the page."))
    problem = web_forms.token_problem(web_form, post.get("token", ""))
    if problem:
        return _refuse(request, web_form, 400, problem, form=PublicLeadForm(
            {**post.dict(), "token": web_forms.issue_token(web_form)}))
    if form.is_valid():
        data = {name: form.cleaned_data[name] for name in PublicLeadForm.LEAD_FIELDS}
        try:
            web_forms.web_form_submit(form=web_form, data=data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _render(request, web_form, None, done=True)
    return _render(request, web_form, form, status=400, problem=_("Please check the fields below."))


@csrf_exempt  # a visitor of another website has no session with us; the token and limits stand in
@xframe_options_exempt
def web_form_public(request, key: str):
    with unscoped():
        web_form = web_forms.public_form(key)
    if web_form is None:
        raise Http404
    with tenant_scope(web_form.organization_id), translation.override(web_form.organization.default_language):
        if request.method == "POST":
            return _submit(request, web_form)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "POST"])
        return _render(request, web_form, _fresh(web_form))
