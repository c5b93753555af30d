"""Order pages (SAL-8). Thin: parse → access → one service or selector → render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.pagination import paginate
from guanxi.core.permissions import CorePerm, has_perm, require
from guanxi.core.selectors import audit_for_object, user_list
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.access import access_customer
from guanxi.customers.filters import PAGE_SIZES, _int, _text
from guanxi.customers.forms import apply_service_errors
from guanxi.customers.views import _can, _without
from guanxi.sales.forms.orders import CancelForm, OrderForm, PaymentForm, line_formset
from guanxi.sales.models import Order
from guanxi.sales.permissions import OrderPerm
from guanxi.sales.selectors import orders as selectors
from guanxi.sales.services import orders as services


def filters_from_params(params) -> tuple[selectors.OrderFilters, str]:
    """Unknown or malformed values are dropped, never passed to the database."""
    status = params.get("status")
    month = _text(params.get("month"), 7)
    filters = selectors.OrderFilters(
        status=status if status in Order.Status.values else "",
        customer_id=_int(params.get("customer")), owner_id=_int(params.get("owner")),
        month=month if selectors.parse_month(month) else "", q=_text(params.get("q"), 30),
    )
    sort = params.get("sort") if params.get("sort") in selectors.ORDER_SORTS else selectors.DEFAULT_ORDER_SORT
    return filters, sort


@login_required
def order_list(request):
    require(request.user, OrderPerm.VIEW)
    filters, sort = filters_from_params(request.GET)
    page = paginate(request, selectors.order_list(actor=request.user, filters=filters, sort=sort))
    customer = None
    if filters.customer_id:
        customer = customer_selectors.customer_visible(request.user).filter(pk=filters.customer_id).first()
    context = {
        "page": page, "filters": filters, "sort": sort, "statuses": Order.Status.choices,
        "owners": user_list(actor=request.user), "customer": customer, "page_sizes": PAGE_SIZES,
        "can_create": _can(request.user, OrderPerm.CREATE), "query": _without(request.GET, "page"),
    }
    template = "sales/orders/_table.html" if request.htmx and not request.htmx.boosted else "sales/orders/list.html"
    return render(request, template, context)


def customer_picker(request, *, title: str, url_name: str):
    """Step one of a new order or contract: find the customer (by name, pinyin, phone)."""
    q = _text(request.GET.get("q"), 100)
    found = list(customer_selectors.customer_list(actor=request.user,
                                                  filters=customer_selectors.CustomerFilters(q=q))[:20]) if q else []
    return render(request, "sales/orders/customer_picker.html",
                  {"title": title, "q": q, "found": found, "next_url": reverse(url_name)})


@login_required
def order_create(request):
    require(request.user, OrderPerm.CREATE)
    customer_id = request.POST.get("customer") or request.GET.get("customer")
    if not customer_id:
        return customer_picker(request, title=_("New order"), url_name="sales:order_create")
    customer = access_customer(request.user, customer_id)
    data = request.POST if request.method == "POST" else None
    form = OrderForm(data, actor=request.user, customer=customer)
    lines = line_formset(data, organization_id=request.user.organization_id)
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            order = services.order_create(actor=request.user, data={
                **form.service_data(), "customer": customer.pk, "lines": lines.lines()})
        except ValidationError as exc:
            _apply_line_errors(form, lines, exc)
        else:
            messages.success(request, _("Order %(number)s created.") % {"number": order.number})
            return redirect("sales:order_detail", order.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/orders/form.html", {"form": form, "lines": lines, "customer": customer},
                  status=status)


def _apply_line_errors(form, lines, exc: ValidationError) -> None:
    """lines.<n>.<field> errors go on the n-th filled-in row; the rest on the order form."""
    rows = lines.line_forms()
    other = {}
    for key, errors in exc.message_dict.items():
        parts = key.split(".")
        if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
            row = rows[int(parts[1])]
            row.add_error(parts[2] if parts[2] in row.fields else None, errors)
        else:
            other[key if key != "lines" else "__all__"] = errors
    if other:
        apply_service_errors(form, ValidationError(other))


@login_required
def order_detail(request, pk):
    order = selectors.access_order(request.user, pk)
    return render(request, "sales/orders/detail.html", _detail_context(request, order))


def _detail_context(request, order, *, payment_form=None, cancel_form=None) -> dict:
    user = request.user
    perms = {action: _can(user, perm, order) for action, (_s, _t, perm) in services.TRANSITIONS.items()}
    actions = [a for a in services.allowed_actions(order) if perms[a]]
    can_pay = order.status in services.PAYABLE and _can(user, OrderPerm.RECORD_PAYMENT, order)
    return {
        "order": order, "lines": list(order.lines.select_related("product")),
        "payments": selectors.order_payments(order=order),
        "actions": [a for a in actions if a != "cancel"], "can_cancel": "cancel" in actions,
        "can_pay": can_pay, "can_refund": _can(user, OrderPerm.RECORD_PAYMENT, order) and order.paid_amount > 0,
        "payment_form": payment_form or PaymentForm(order=order), "cancel_form": cancel_form or CancelForm(),
        "margin": order.total - order.tax_total - order.cost_total,
        "history": list(audit_for_object(actor=user, obj=order)[:20]) if has_perm(user, CorePerm.VIEW_AUDIT) else None,
    }


def _transition(request, pk, action: str):
    _sources, _target, perm = services.TRANSITIONS[action]
    order = selectors.access_order(request.user, pk, perm)
    try:
        services.order_transition(actor=request.user, order=order, action=action)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Order %(number)s is now %(status)s.") % {
            "number": order.number, "status": order.get_status_display()})
    return redirect("sales:order_detail", order.pk)


@login_required
@require_POST
def order_confirm(request, pk):
    return _transition(request, pk, "confirm")


@login_required
@require_POST
def order_deliver(request, pk):
    return _transition(request, pk, "deliver")


@login_required
@require_POST
def order_cancel(request, pk):
    order = selectors.access_order(request.user, pk, OrderPerm.CANCEL)
    form = CancelForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.order_cancel(actor=request.user, order=order, reason=data["reason"],
                                  refund_amount=data.get("refund_amount"), refund_method=data.get("refund_method"),
                                  refund_reference=data.get("refund_reference"))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Order %(number)s cancelled.") % {"number": order.number})
            return redirect("sales:order_detail", order.pk)
    order = selectors.access_order(request.user, pk)
    return render(request, "sales/orders/detail.html", _detail_context(request, order, cancel_form=form), status=422)


@login_required
@require_POST
def order_payment_add(request, pk):
    order = selectors.access_order(request.user, pk, OrderPerm.RECORD_PAYMENT, related=())
    form = PaymentForm(request.POST, order=order)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.payment_record(request.user, order, data["amount"], data["method"], data["paid_on"],
                                    data["reference"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Payment recorded."))
            return redirect("sales:order_detail", order.pk)
    order = selectors.access_order(request.user, pk)
    return render(request, "sales/orders/detail.html", _detail_context(request, order, payment_form=form), status=422)


def _back_to_quote(quote_pk):
    try:
        return redirect(reverse("sales:quote_detail", args=[quote_pk]))
    except NoReverseMatch:  # the quote pages are another module's
        return None


@login_required
@require_POST
def order_from_quote(request, quote_id):
    require(request.user, OrderPerm.CREATE)
    quote = selectors.access_quote(request.user, quote_id)
    try:
        order = services.order_create_from_quote(request.user, quote, contract=request.POST.get("contract") or None)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back_to_quote(quote.pk) or redirect("sales:order_list")
    messages.success(request, _("Order %(number)s created from quote %(quote)s.") % {
        "number": order.number, "quote": quote.number})
    return redirect("sales:order_detail", order.pk)

