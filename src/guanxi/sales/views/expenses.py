"""Expense claim pages: my claims, the form, one claim with its receipt, the approval queue and the
cost of each deal."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.pagination import paginate
from guanxi.core.permissions import has_perm, require
from guanxi.customers.forms import apply_service_errors
from guanxi.sales.forms.expenses import DecisionForm, ExpenseForm, ReceiptForm
from guanxi.sales.models import ExpenseClaim
from guanxi.sales.permissions import ExpensePerm
from guanxi.sales.selectors import expenses as selectors
from guanxi.sales.services import expenses as services


def _may(user, perm, claim=None) -> bool:
    try:
        require(user, perm, claim)
    except PermissionDenied:
        return False
    return True


@login_required
def expense_list(request):
    require(request.user, ExpensePerm.VIEW)
    status = request.GET.get("status", "")
    mine = request.GET.get("mine") == "1"
    opportunity = request.GET.get("opportunity", "")
    opportunity_id = int(opportunity) if opportunity.isdigit() and len(opportunity) < 19 else None
    page = paginate(request, selectors.expense_list(actor=request.user, status=status, mine=mine,
                                                    opportunity_id=opportunity_id))
    context = {"page": page, "status": status, "mine": mine, "statuses": ExpenseClaim.Status.choices,
               "opportunity_id": opportunity_id,
               "can_create": has_perm(request.user, ExpensePerm.CREATE),
               "can_approve": has_perm(request.user, ExpensePerm.APPROVE)}
    return render(request, "sales/expenses/list.html", context)


def _save_receipt(request, claim, upload):
    if upload:
        services.expense_attach_receipt(actor=request.user, claim=claim, upload=upload)


@login_required
def expense_create(request):
    require(request.user, ExpensePerm.CREATE)
    form = ExpenseForm(request.POST or None, request.FILES or None, actor=request.user)
    if request.method == "GET" and request.GET.get("opportunity"):
        form.initial["opportunity"] = request.GET["opportunity"][:20]
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # the claim and its receipt, or neither
                claim = services.expense_create(actor=request.user, data=form.service_data())
                _save_receipt(request, claim, form.cleaned_data.get("receipt"))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Expense claim saved as a draft."))
            return redirect("sales:expense_detail", claim.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/expenses/form.html", {"form": form}, status=status)


@login_required
def expense_detail(request, pk):
    claim = selectors.access_expense(request.user, pk)
    user = request.user
    is_claimant = claim.owner_id == user.pk and _may(user, ExpensePerm.CHANGE, claim)
    editable = is_claimant and claim.status in services.EDITABLE
    context = {
        "claim": claim, "editable": editable,
        "can_submit": is_claimant and claim.status == ExpenseClaim.Status.DRAFT,
        "can_delete": is_claimant and claim.status == ExpenseClaim.Status.DRAFT,
        "can_decide": (claim.status == ExpenseClaim.Status.SUBMITTED and claim.owner_id != user.pk
                       and _may(user, ExpensePerm.APPROVE, claim)),
        "receipt_form": ReceiptForm(), "decision_form": DecisionForm(),
    }
    return render(request, "sales/expenses/detail.html", context)


@login_required
def expense_update(request, pk):
    claim = selectors.access_expense(request.user, pk, ExpensePerm.CHANGE)
    if claim.owner_id != request.user.pk:
        raise PermissionDenied
    form = ExpenseForm(request.POST or None, request.FILES or None, actor=request.user, instance=claim)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                claim = services.expense_update(actor=request.user, claim=claim, data=form.service_data())
                _save_receipt(request, claim, form.cleaned_data.get("receipt"))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("sales:expense_detail", claim.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/expenses/form.html", {"form": form, "claim": claim}, status=status)


def _act(request, pk, perm, action, done: str):
    claim = selectors.access_expense(request.user, pk, perm)
    try:
        action(claim)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return claim


@login_required
@require_POST
def expense_submit(request, pk):
    claim = _act(request, pk, ExpensePerm.CHANGE,
                 lambda c: services.expense_submit(actor=request.user, claim=c), _("Submitted for approval."))
    return redirect("sales:expense_detail", claim.pk)


@login_required
@require_POST
def expense_delete(request, pk):
    claim = selectors.access_expense(request.user, pk, ExpensePerm.CHANGE)
    try:
        services.expense_delete(actor=request.user, claim=claim)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sales:expense_detail", claim.pk)
    messages.success(request, _("Expense claim deleted."))
    return redirect("sales:expenses")


def _decision(request, pk, decide, done):
    form = DecisionForm(request.POST)
    note = form.cleaned_data.get("note", "") if form.is_valid() else request.POST.get("note", "")[:300]
    _act(request, pk, ExpensePerm.APPROVE, lambda c: decide(actor=request.user, claim=c, note=note), done)
    if request.POST.get("next") == "queue":
        return redirect("sales:expense_approvals")
    return redirect("sales:expense_detail", pk)


@login_required
@require_POST
def expense_approve(request, pk):
    return _decision(request, pk, services.expense_approve, _("Expense claim approved."))


@login_required
@require_POST
def expense_reject(request, pk):
    return _decision(request, pk, services.expense_reject, _("Expense claim rejected."))


@login_required
@require_POST
def expense_receipt_upload(request, pk):
    claim = selectors.access_expense(request.user, pk, ExpensePerm.CHANGE)
    form = ReceiptForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.expense_attach_receipt(actor=request.user, claim=claim, upload=form.cleaned_data["receipt"])
            messages.success(request, _("Receipt attached."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("sales:expense_detail", claim.pk)


@login_required
def expense_receipt(request, pk):
    """The receipt, always as a download: never rendered by the browser from our origin."""
    claim = selectors.access_expense(request.user, pk)
    if not claim.receipt:
        raise Http404
    try:
        handle = claim.receipt.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=claim.receipt_name or "receipt",
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@login_required
def expense_approvals(request):
    require(request.user, ExpensePerm.APPROVE)
    page = paginate(request, selectors.approval_queue(actor=request.user))
    return render(request, "sales/expenses/approvals.html", {"page": page, "decision_form": DecisionForm()})


@login_required
def expense_deals(request):
    require(request.user, ExpensePerm.VIEW)
    page = paginate(request, selectors.cost_per_deal(actor=request.user))
    page.object_list = selectors.deal_cost_rows(page.object_list)
    return render(request, "sales/expenses/deals.html",
                  {"page": page, "perms_approve": has_perm(request.user, ExpensePerm.APPROVE)})
