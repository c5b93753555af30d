"""Product and price-list pages (SAL-6). Thin: parse → access → one service/selector → render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.pagination import paginate
from guanxi.core.permissions import has_perm, require
from guanxi.customers.filters import PAGE_SIZES
from guanxi.customers.forms import apply_service_errors
from guanxi.sales.forms.catalog import (
    SERVICE_ALIASES,
    BundleItemForm,
    PriceItemForm,
    PriceListForm,
    ProductForm,
    RuleForm,
)
from guanxi.sales.models import Product
from guanxi.sales.permissions import CatalogPerm
from guanxi.sales.selectors import catalog as selectors
from guanxi.sales.services import catalog as services


def _errors(exc: ValidationError) -> str:
    return " ".join(m for messages_ in getattr(exc, "message_dict", {"": exc.messages}).values() for m in messages_)


def _form_errors(form) -> str:
    return " ".join(e for errs in form.errors.values() for e in errs)


# --- products --------------------------------------------------------------------------

@login_required
def product_list(request):
    require(request.user, CatalogPerm.VIEW)
    params = request.GET
    active = {"1": True, "0": False}.get(params.get("active", "1"))
    kind = params.get("kind") if params.get("kind") in Product.Kind.values else ""
    q = params.get("q", "").replace("\x00", "").strip()[:100]
    sort = params.get("sort") if params.get("sort") in selectors.PRODUCT_SORTS else "sku"
    filters = selectors.ProductFilters(q=q, kind=kind, active=active)
    page = paginate(request, selectors.product_list(actor=request.user, filters=filters, sort=sort))
    context = {"page": page, "q": q, "kind": kind, "active": params.get("active", "1"), "sort": sort,
               "kinds": Product.Kind.choices, "page_sizes": PAGE_SIZES,
               "can_manage": has_perm(request.user, CatalogPerm.MANAGE)}
    template = "sales/catalog/_products.html" if request.htmx and not request.htmx.boosted \
        else "sales/catalog/products.html"
    return render(request, template, context)


@login_required
def product_create(request):
    require(request.user, CatalogPerm.MANAGE)
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(actor=request.user, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc, SERVICE_ALIASES)
        else:
            messages.success(request, _("Product %(name)s created.") % {"name": product.name})
            return redirect("sales:product_detail", product.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/catalog/product_form.html", {"form": form}, status=status)


@login_required
def product_detail(request, pk):
    product = selectors.access_product(request.user, pk)
    can_manage = has_perm(request.user, CatalogPerm.MANAGE)
    context = {
        "product": product, "can_manage": can_manage,
        "bundle_items": selectors.bundle_items(product=product), "rules": selectors.product_rules(product=product),
        "bundle_form": BundleItemForm(actor=request.user, bundle=product) if can_manage else None,
        "rule_form": RuleForm(actor=request.user, product=product) if can_manage else None,
    }
    return render(request, "sales/catalog/product_detail.html", context)


@login_required
def product_update(request, pk):
    product = selectors.access_product(request.user, pk, CatalogPerm.MANAGE)
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        try:
            services.product_update(actor=request.user, product=product, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc, SERVICE_ALIASES)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("sales:product_detail", product.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/catalog/product_form.html", {"form": form, "product": product}, status=status)


@login_required
@require_POST
def product_delete(request, pk):
    product = selectors.access_product(request.user, pk, CatalogPerm.MANAGE)
    try:
        services.product_delete(actor=request.user, product=product)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("sales:product_detail", product.pk)
    messages.success(request, _("Product %(name)s deleted.") % {"name": product.name})
    return redirect("sales:product_list")


@login_required
@require_POST
def bundle_item_add(request, pk):
    bundle = selectors.access_product(request.user, pk, CatalogPerm.MANAGE)
    form = BundleItemForm(request.POST, actor=request.user, bundle=bundle)
    if form.is_valid():
        try:
            services.bundle_item_set(actor=request.user, bundle=bundle, product=form.cleaned_data["product"],
                                     quantity=form.cleaned_data["quantity"])
            messages.success(request, _("Bundle updated."))
        except ValidationError as exc:
            messages.error(request, _errors(exc))
    else:
        messages.error(request, _form_errors(form))
    return redirect("sales:product_detail", bundle.pk)


@login_required
@require_POST
def bundle_item_remove(request, pk):
    item = selectors.access_bundle_item(request.user, pk)
    services.bundle_item_remove(actor=request.user, item=item)
    messages.success(request, _("Bundle updated."))
    return redirect("sales:product_detail", item.bundle_id)


@login_required
@require_POST
def rule_add(request, pk):
    product = selectors.access_product(request.user, pk, CatalogPerm.MANAGE)
    form = RuleForm(request.POST, actor=request.user, product=product)
    if form.is_valid():
        try:
            services.product_rule_add(actor=request.user, product=product, kind=form.cleaned_data["kind"],
                                      other=form.cleaned_data["other"])
            messages.success(request, _("Rule added."))
        except ValidationError as exc:
            messages.error(request, _errors(exc))
    else:
        messages.error(request, _form_errors(form))
    return redirect("sales:product_detail", product.pk)


@login_required
@require_POST
def rule_remove(request, pk):
    rule = selectors.access_rule(request.user, pk)
    services.product_rule_remove(actor=request.user, rule=rule)
    messages.success(request, _("Rule removed."))
    return redirect("sales:product_detail", rule.product_id)


# --- price lists -----------------------------------------------------------------------

@login_required
def price_list_list(request):
    require(request.user, CatalogPerm.VIEW)
    return render(request, "sales/catalog/price_lists.html", {
        "price_lists": list(selectors.price_list_list(actor=request.user)),
        "can_manage": has_perm(request.user, CatalogPerm.MANAGE)})


@login_required
def price_list_create(request):
    require(request.user, CatalogPerm.MANAGE)
    form = PriceListForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            price_list = services.price_list_create(actor=request.user, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Price list %(name)s created.") % {"name": price_list.name})
            return redirect("sales:price_list_detail", price_list.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/catalog/price_list_form.html", {"form": form}, status=status)


@login_required
def price_list_detail(request, pk):
    price_list = selectors.access_price_list(request.user, pk)
    can_manage = has_perm(request.user, CatalogPerm.MANAGE)
    return render(request, "sales/catalog/price_list_detail.html", {
        "price_list": price_list, "items": selectors.price_list_items(price_list=price_list),
        "can_manage": can_manage, "item_form": PriceItemForm(actor=request.user) if can_manage else None})


@login_required
def price_list_update(request, pk):
    price_list = selectors.access_price_list(request.user, pk, CatalogPerm.MANAGE)
    form = PriceListForm(request.POST or None, actor=request.user, instance=price_list)
    if request.method == "POST" and form.is_valid():
        try:
            services.price_list_update(actor=request.user, price_list=price_list, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("sales:price_list_detail", price_list.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/catalog/price_list_form.html", {"form": form, "price_list": price_list},
                  status=status)


@login_required
@require_POST
def price_list_delete(request, pk):
    price_list = selectors.access_price_list(request.user, pk, CatalogPerm.MANAGE)
    services.price_list_delete(actor=request.user, price_list=price_list)
    messages.success(request, _("Price list %(name)s deleted.") % {"name": price_list.name})
    return redirect("sales:price_list_list")


@login_required
@require_POST
def price_item_set(request, pk):
    price_list = selectors.access_price_list(request.user, pk, CatalogPerm.MANAGE)
    form = PriceItemForm(request.POST, actor=request.user)
    if form.is_valid():
        try:
            services.price_list_item_set(actor=request.user, price_list=price_list, data=form.service_data())
            messages.success(request, _("Price saved."))
        except ValidationError as exc:
            messages.error(request, _errors(exc))
    else:
        messages.error(request, _form_errors(form))
    return redirect("sales:price_list_detail", price_list.pk)


@login_required
@require_POST
def price_item_remove(request, pk):
    item = selectors.access_price_item(request.user, pk)
    services.price_list_item_remove(actor=request.user, item=item)
    messages.success(request, _("Price removed."))
    return redirect("sales:price_list_detail", item.price_list_id)
