"""Quote pages (SAL-7). The detail page edits lines with htmx: every change posts one line and
the server re-renders the quote's body (status, actions, lines, totals, rule warnings), so the
totals on screen are always the stored, rounded ones. Without JavaScript the same forms post
and redirect back."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.pagination import paginate
from guanxi.core.permissions import CorePerm, has_perm, require
from guanxi.core.selectors import audit_for_object, store_list, user_list
from guanxi.customers.filters import PAGE_SIZES
from guanxi.customers.forms import apply_service_errors
from guanxi.sales.forms.quotes import (
    LINE_ALIASES,
    SETTINGS_ALIASES,
    LineForm,
    QuoteCreateForm,
    QuoteHeaderForm,
    QuoteSettingsForm,
    ReasonForm,
    SendForm,
    line_initial,
)
from guanxi.sales.models import Quote
from guanxi.sales.permissions import QuotePerm
from guanxi.sales.selectors import quotes as selectors
from guanxi.sales.selectors.catalog import product_choices
from guanxi.sales.services import quote_documents as documents
from guanxi.sales.services import quote_settings as settings_service
from guanxi.sales.services import quotes as services
from guanxi.sales.services.catalog import configure


def _can(user, perm, obj=None) -> bool:
    try:
        require(user, perm, obj)
    except PermissionDenied:
        return False
    return True


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _errors(exc: ValidationError) -> str:
    return " ".join(m for ms in getattr(exc, "message_dict", {"": exc.messages}).values() for m in ms)


# --- list --------------------------------------------------------------------------------

@login_required
def quote_list(request):
    require(request.user, QuotePerm.VIEW)
    p = request.GET
    filters = selectors.QuoteFilters(
        q=p.get("q", "").replace("\x00", "").strip()[:100],
        status=p.get("status") if p.get("status") in Quote.Status.values else "",
        owner_id=_int(p.get("owner")), store_id=_int(p.get("store")), customer_id=_int(p.get("customer")),
        opportunity_id=_int(p.get("opportunity")), all_versions=p.get("all_versions") in ("1", "on", "true"))
    sort = p.get("sort") if p.get("sort") in selectors.QUOTE_SORTS else selectors.DEFAULT_QUOTE_SORT
    page = paginate(request, selectors.quote_list(actor=request.user, filters=filters, sort=sort))
    context = {"page": page, "filters": filters, "sort": sort, "statuses": Quote.Status.choices,
               "owners": user_list(actor=request.user), "stores": store_list(actor=request.user),
               "page_sizes": PAGE_SIZES, "can_create": has_perm(request.user, QuotePerm.CREATE),
               "can_settings": settings_service.may_change_settings(request.user)}
    template = "sales/quotes/_table.html" if request.htmx and not request.htmx.boosted else "sales/quotes/list.html"
    return render(request, template, context)


@login_required
def quote_create(request):
    require(request.user, QuotePerm.CREATE)
    initial = {}
    for name in ("opportunity", "customer"):
        if _int(request.GET.get(name)):
            initial[name] = _int(request.GET.get(name))
    form = QuoteCreateForm(request.POST or None, actor=request.user, initial=initial).limit_choices()
    if request.method == "POST" and form.is_valid():
        try:
            quote = services.quote_create(actor=request.user, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Quote %(number)s created; add its lines.") % {"number": quote.number})
            return redirect("sales:quote_detail", quote.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/quotes/form.html", {"form": form, "creating": True}, status=status)


# --- detail and its htmx body --------------------------------------------------------------

def _body_context(request, quote: Quote, *, line_errors: dict | None = None, new_form: LineForm | None = None):
    user = request.user
    lines = selectors.quote_lines(quote=quote)
    can_change = quote.status not in services.LOCKED and _can(user, QuotePerm.CHANGE, quote)
    line_errors = line_errors or {}
    rows = []
    for line in lines:
        form = line_errors.get(line.pk) or LineForm(actor=user, initial=line_initial(line), prefix=f"l{line.pk}")
        rows.append({"line": line, "form": form})
    violations = configure([line.product for line in lines if line.product_id],
                           organization_id=quote.organization_id)
    return {
        "quote": quote, "rows": rows, "lines": lines, "can_change": can_change,
        "can_act": _can(user, QuotePerm.CHANGE, quote),
        "can_approve": quote.status == Quote.Status.PENDING_APPROVAL and _can(user, QuotePerm.APPROVE, quote),
        "approval_needed": services.approval_needed(quote), "can_send": services.can_send(quote),
        "threshold": selectors.sales_settings(quote.organization_id).quote_discount_threshold,
        "violations": violations, "net_total": quote.subtotal - quote.discount_total,
        "new_form": new_form or LineForm(actor=user, initial={"quantity": "1"}, prefix="new"),
        "products": product_choices(actor=user),
        "send_form": SendForm(initial={"to": documents.default_recipient(quote),
                                       "subject": documents.default_subject(quote)}),
        "reason_form": ReasonForm(),
    }


def _render_body(request, quote: Quote, status: int = 200, **kwargs):
    quote = selectors.access_quote(request.user, quote.pk)  # fresh totals and status
    context = _body_context(request, quote, **kwargs)
    return render(request, "sales/quotes/_body.html", context, status=status)


@login_required
def quote_detail(request, pk):
    quote = selectors.access_quote(request.user, pk)
    user = request.user
    context = _body_context(request, quote)
    context.update({
        "versions": selectors.quote_versions(actor=user, quote=quote),
        "can_delete": quote.status in (Quote.Status.DRAFT, Quote.Status.PENDING_APPROVAL) and not quote.sent_at
        and _can(user, QuotePerm.DELETE, quote),
        "history": list(audit_for_object(actor=user, obj=quote)[:20]) if has_perm(user, CorePerm.VIEW_AUDIT) else None,
    })
    return render(request, "sales/quotes/detail.html", context)


@login_required
def quote_update(request, pk):
    quote = selectors.access_quote(request.user, pk, QuotePerm.CHANGE)
    form = QuoteHeaderForm(request.POST or None, quote=quote)
    if request.method == "POST" and form.is_valid():
        try:
            services.quote_update(actor=request.user, quote=quote, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("sales:quote_detail", quote.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/quotes/form.html", {"form": form, "quote": quote}, status=status)


@login_required
@require_POST
def quote_delete(request, pk):
    quote = selectors.access_quote(request.user, pk, QuotePerm.DELETE)
    try:
        services.quote_delete(actor=request.user, quote=quote)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("sales:quote_detail", quote.pk)
    messages.success(request, _("Quote %(number)s deleted.") % {"number": quote.number})
    return redirect("sales:quote_list")


# --- lines ----------------------------------------------------------------------------------

def _line_result(request, quote, ok_message: str, *, error=None, line_errors=None, new_form=None):
    if request.htmx:
        if error is None:
            messages.success(request, ok_message)
        return _render_body(request, quote, status=422 if error is not None else 200, line_errors=line_errors,
                            new_form=new_form)
    if error is not None:
        messages.error(request, error)
    else:
        messages.success(request, ok_message)
    return redirect("sales:quote_detail", quote.pk)


@login_required
@require_POST
def line_add(request, pk):
    quote = selectors.access_quote(request.user, pk, QuotePerm.CHANGE)
    form = LineForm(request.POST, actor=request.user, prefix="new")
    error = None
    if form.is_valid():
        try:
            services.line_add(actor=request.user, quote=quote, data=form.service_data(creating=True))
        except ValidationError as exc:
            apply_service_errors(form, exc, LINE_ALIASES)
            error = _errors(exc)
    else:
        error = " ".join(e for errs in form.errors.values() for e in errs)
    return _line_result(request, quote, _("Line added."), error=error, new_form=form if error else None)


@login_required
@require_POST
def line_update(request, pk):
    line = selectors.access_line(request.user, pk, QuotePerm.CHANGE)
    form = LineForm(request.POST, actor=request.user, prefix=f"l{line.pk}")
    error = None
    if form.is_valid():
        try:
            services.line_update(actor=request.user, line=line, data=form.changed_data_for(line))
        except ValidationError as exc:
            apply_service_errors(form, exc, LINE_ALIASES)
            error = _errors(exc)
    else:
        error = " ".join(e for errs in form.errors.values() for e in errs)
    return _line_result(request, line.quote, _("Line saved."), error=error,
                        line_errors={line.pk: form} if error else None)


@login_required
@require_POST
def line_remove(request, pk):
    line = selectors.access_line(request.user, pk, QuotePerm.CHANGE)
    error = None
    try:
        services.line_remove(actor=request.user, line=line)
    except ValidationError as exc:
        error = _errors(exc)
    return _line_result(request, line.quote, _("Line removed."), error=error)


# --- status changes --------------------------------------------------------------------------

def _act(request, pk, perm, action, ok_message: str):
    quote = selectors.access_quote(request.user, pk, perm)
    try:
        result = action(quote)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("sales:quote_detail", quote.pk)
    messages.success(request, ok_message if isinstance(ok_message, str) else ok_message(result))
    target = result.pk if isinstance(result, Quote) else quote.pk
    return redirect("sales:quote_detail", target)


@login_required
@require_POST
def quote_submit(request, pk):
    return _act(request, pk, QuotePerm.CHANGE, lambda q: services.quote_submit(actor=request.user, quote=q),
                _("Submitted for approval."))


@login_required
@require_POST
def quote_approve(request, pk):
    return _act(request, pk, QuotePerm.APPROVE, lambda q: services.quote_approve(actor=request.user, quote=q),
                _("Discounts approved."))


@login_required
@require_POST
def quote_reject(request, pk):
    reason = ReasonForm(request.POST)
    text = reason.cleaned_data.get("reason", "") if reason.is_valid() else ""
    return _act(request, pk, QuotePerm.APPROVE,
                lambda q: services.quote_reject(actor=request.user, quote=q, reason=text),
                _("Sent back to draft."))


@login_required
@require_POST
def quote_new_version(request, pk):
    return _act(request, pk, QuotePerm.CHANGE, lambda q: services.quote_new_version(actor=request.user, quote=q),
                lambda new: _("Version %(v)s created.") % {"v": new.version})


@login_required
@require_POST
def quote_accept(request, pk):
    def accept(quote):
        return services.quote_accept(actor=request.user, quote=quote)

    def said(decision):
        if decision.opportunity_moved:
            return _("Quote accepted; the opportunity %(name)s was moved to won.") % {
                "name": decision.quote.opportunity.name}
        return _("Quote accepted.")

    return _act(request, pk, QuotePerm.CHANGE, accept, said)


@login_required
@require_POST
def quote_decline(request, pk):
    reason = ReasonForm(request.POST)
    text = reason.cleaned_data.get("reason", "") if reason.is_valid() else ""
    return _act(request, pk, QuotePerm.CHANGE,
                lambda q: services.quote_decline(actor=request.user, quote=q, reason=text),
                _("Marked as declined by the customer."))


@login_required
def quote_send(request, pk):
    quote = selectors.access_quote(request.user, pk, QuotePerm.CHANGE)
    form = SendForm(request.POST or None, initial={"to": documents.default_recipient(quote),
                                                   "subject": documents.default_subject(quote)})
    if request.method == "POST" and form.is_valid():
        try:
            documents.quote_send(actor=request.user, quote=quote, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Quote sent to %(to)s.") % {"to": form.cleaned_data["to"]})
            return redirect("sales:quote_detail", quote.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/quotes/send.html", {"form": form, "quote": quote,
                                                       "can_send": services.can_send(quote)}, status=status)


@login_required
def quote_pdf(request, pk):
    quote = selectors.access_quote(request.user, pk)
    response = HttpResponse(documents.quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True,
                                                                 filename=documents.quote_filename(quote))
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- settings ------------------------------------------------------------------------------

@login_required
def quote_settings(request):
    if not settings_service.may_change_settings(request.user):
        raise PermissionDenied
    settings = selectors.sales_settings(request.user.organization_id)
    form = QuoteSettingsForm(request.POST or None, settings=settings)
    if request.method == "POST" and form.is_valid():
        try:
            settings_service.quote_settings_update(actor=request.user, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc, SETTINGS_ALIASES)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("sales:quote_list")
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/quotes/settings.html", {"form": form}, status=status)

