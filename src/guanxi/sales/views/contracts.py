"""Contract pages (SAL-7). Thin: parse → access → one service or selector → render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.pagination import paginate
from guanxi.core.permissions import CorePerm, has_perm, require
from guanxi.core.selectors import audit_for_object, user_list
from guanxi.customers.access import access_customer
from guanxi.customers.filters import PAGE_SIZES, _int, _text
from guanxi.customers.forms import apply_service_errors
from guanxi.customers.views import _can, _without
from guanxi.sales.forms.contracts import ContractFileForm, ContractForm, TerminateForm
from guanxi.sales.models import Contract
from guanxi.sales.permissions import OrderPerm, QuotePerm
from guanxi.sales.selectors import contracts as selectors
from guanxi.sales.selectors.orders import access_quote, order_visible
from guanxi.sales.services import contracts as services
from guanxi.sales.views.orders import _back_to_quote, customer_picker

DUE_CHOICES = (7, 30, 60, 90)


def filters_from_params(params) -> tuple[selectors.ContractFilters, str]:
    status = params.get("status")
    due = _int(params.get("due"))
    filters = selectors.ContractFilters(
        status=status if status in Contract.Status.values else "", customer_id=_int(params.get("customer")),
        owner_id=_int(params.get("owner")), q=_text(params.get("q"), 100),
        renewal_due_days=min(due, selectors.MAX_DUE_DAYS) if due is not None else None,
    )
    sort = params.get("sort") if params.get("sort") in selectors.CONTRACT_SORTS else selectors.DEFAULT_CONTRACT_SORT
    return filters, sort


@login_required
def contract_list(request):
    require(request.user, QuotePerm.VIEW)
    filters, sort = filters_from_params(request.GET)
    page = paginate(request, selectors.contract_list(actor=request.user, filters=filters, sort=sort))
    context = {
        "page": page, "filters": filters, "sort": sort, "statuses": Contract.Status.choices,
        "owners": user_list(actor=request.user), "due_choices": DUE_CHOICES, "page_sizes": PAGE_SIZES,
        "can_create": _can(request.user, QuotePerm.CREATE), "query": _without(request.GET, "page"),
    }
    template = ("sales/contracts/_table.html" if request.htmx and not request.htmx.boosted
                else "sales/contracts/list.html")
    return render(request, template, context)


@login_required
def contract_create(request):
    require(request.user, QuotePerm.CREATE)
    customer_id = request.POST.get("customer") or request.GET.get("customer")
    if not customer_id:
        return customer_picker(request, title=_("New contract"), url_name="sales:contract_create")
    customer = access_customer(request.user, customer_id)
    form = ContractForm(request.POST or None, actor=request.user, customer=customer,
                        reminder_days=services.default_reminder_days(request.user.organization_id))
    if request.method == "POST" and form.is_valid():
        try:
            contract = services.contract_create(actor=request.user, data={**form.service_data(),
                                                                          "customer": customer.pk})
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Contract %(number)s created.") % {"number": contract.number})
            return redirect("sales:contract_detail", contract.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/contracts/form.html", {"form": form, "customer": customer}, status=status)


@login_required
def contract_detail(request, pk):
    contract = selectors.access_contract(request.user, pk)
    user = request.user
    can_change = _can(user, QuotePerm.CHANGE, contract) and contract.status != Contract.Status.TERMINATED
    context = {
        "contract": contract, "files": selectors.contract_files(contract=contract), "can_change": can_change,
        "file_form": ContractFileForm(), "terminate_form": TerminateForm(),
        "orders": list(order_visible(user).filter(contract=contract).order_by("-created_at")[:20])
        if has_perm(user, OrderPerm.VIEW) else [],
        "history": list(audit_for_object(actor=user, obj=contract)[:20]) if has_perm(user, CorePerm.VIEW_AUDIT)
        else None,
    }
    return render(request, "sales/contracts/detail.html", context)


@login_required
def contract_update(request, pk):
    contract = selectors.access_contract(request.user, pk, QuotePerm.CHANGE)
    form = ContractForm(request.POST or None, actor=request.user, customer=contract.customer, instance=contract)
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_update(actor=request.user, contract=contract, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("sales:contract_detail", contract.pk)
        contract.refresh_from_db()
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/contracts/form.html", {"form": form, "customer": contract.customer,
                                                         "contract": contract}, status=status)


@login_required
@require_POST
def contract_activate(request, pk):
    contract = selectors.access_contract(request.user, pk, QuotePerm.CHANGE)
    try:
        services.contract_activate(actor=request.user, contract=contract)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Contract %(number)s is active.") % {"number": contract.number})
    return redirect("sales:contract_detail", contract.pk)


@login_required
@require_POST
def contract_terminate(request, pk):
    contract = selectors.access_contract(request.user, pk, QuotePerm.CHANGE)
    form = TerminateForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors)
        services.contract_terminate(actor=request.user, contract=contract, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Contract %(number)s terminated.") % {"number": contract.number})
    return redirect("sales:contract_detail", contract.pk)


@login_required
@require_POST
def contract_file_add(request, pk):
    contract = selectors.access_contract(request.user, pk, QuotePerm.CHANGE)
    form = ContractFileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.contract_file_add(actor=request.user, contract=contract, upload=form.cleaned_data["file"])
            messages.success(request, _("File attached."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("sales:contract_detail", contract.pk)


@login_required
def contract_file_download(request, pk):
    item = selectors.access_contract_file(request.user, pk)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=item.original_name,
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@login_required
@require_POST
def contract_from_quote(request, quote_id):
    require(request.user, QuotePerm.CREATE)
    quote = access_quote(request.user, quote_id)
    try:
        contract = services.contract_create_from_quote(request.user, quote)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back_to_quote(quote.pk) or redirect("sales:contract_list")
    messages.success(request, _("Contract %(number)s created from quote %(quote)s.") % {
        "number": contract.number, "quote": quote.number})
    return redirect("sales:contract_detail", contract.pk)
