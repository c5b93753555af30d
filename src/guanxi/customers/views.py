"""Customer and contact pages. Thin: parse → access_* → one service/selector → render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.pagination import paginate
from guanxi.core.permissions import CorePerm, has_perm, require
from guanxi.core.selectors import audit_for_object, store_list, user_list
from guanxi.customers import selectors, services
from guanxi.customers.access import access_attachment, access_contact, access_customer
from guanxi.customers.filters import PAGE_SIZES, filters_from_params
from guanxi.customers.forms import AttachmentForm, ContactForm, CustomerForm, NoteForm, apply_service_errors
from guanxi.customers.models import Customer
from guanxi.customers.permissions import CustomerPerm


def _without(params, *names) -> str:
    params = params.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def _can(user, perm, obj=None) -> bool:
    try:
        require(user, perm, obj)
    except PermissionDenied:
        return False
    return True


@login_required
def customer_list(request):
    require(request.user, CustomerPerm.VIEW)
    filters, sort = filters_from_params(request.GET)
    page = paginate(request, selectors.customer_list(actor=request.user, filters=filters, sort=sort))
    context = {
        "page": page, "filters": filters, "sort": sort, "kinds": Customer.Kind.choices, "stages": Customer.Stage.choices,
        "sources": Customer.Source.choices, "stores": store_list(actor=request.user), "owners": user_list(actor=request.user),
        "tags": selectors.tag_list(actor=request.user), "can_create": _can(request.user, CustomerPerm.CREATE),
        "can_export": _can(request.user, CustomerPerm.EXPORT), "query": _without(request.GET, "format", "page"),
        "page_sizes": PAGE_SIZES,
    }
    template = "customers/_table.html" if request.htmx and not request.htmx.boosted else "customers/list.html"
    return render(request, template, context)


@login_required
def customer_create(request):
    require(request.user, CustomerPerm.CREATE)
    form = CustomerForm(request.POST or None, actor=request.user)
    duplicates = None
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(actor=request.user, data=form.service_data(),
                                                allow_duplicate=form.cleaned_data.get("allow_duplicate", False))
        except services.DuplicateCustomer as exc:
            duplicates = exc.duplicates
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
            return redirect("customers:detail", customer.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "customers/form.html", {"form": form, "duplicates": duplicates, "creating": True}, status=status)


@login_required
def customer_detail(request, pk):
    customer = access_customer(request.user, pk)
    user = request.user
    context = {
        "customer": customer,
        "tags": list(customer.tags.all()),
        "contacts": list(selectors.contact_list(actor=user, customer=customer)),
        "org_chart": selectors.org_chart(customer=customer),
        "timeline": selectors.customer_timeline(customer=customer),
        "attachments": list(customer.attachments.select_related("uploaded_by")),
        "can_change": _can(user, CustomerPerm.CHANGE, customer),
        "can_delete": _can(user, CustomerPerm.DELETE, customer),
        "can_merge": _can(user, CustomerPerm.MERGE, customer),
        "note_form": NoteForm(), "attachment_form": AttachmentForm(),
        "history": list(audit_for_object(actor=user, obj=customer)[:20]) if has_perm(user, CorePerm.VIEW_AUDIT) else None,
    }
    return render(request, "customers/detail.html", context)


@login_required
def customer_update(request, pk):
    customer = access_customer(request.user, pk, CustomerPerm.CHANGE)
    form = CustomerForm(request.POST or None, actor=request.user, perm=CustomerPerm.CHANGE, instance=customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(actor=request.user, customer=customer, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("customers:detail", customer.pk)
        customer.refresh_from_db()
    status = 422 if request.method == "POST" else 200
    return render(request, "customers/form.html", {"form": form, "customer": customer}, status=status)


@login_required
@require_POST
def customer_delete(request, pk):
    customer = access_customer(request.user, pk, CustomerPerm.DELETE)
    name = customer.name
    try:
        services.customer_delete(actor=request.user, customer=customer)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("customers:detail", customer.pk)
    messages.success(request, _("Customer %(name)s deleted.") % {"name": name})
    return redirect("customers:list")


@login_required
def customer_merge(request, pk):
    target = access_customer(request.user, pk, CustomerPerm.MERGE)
    source = None
    source_id = request.POST.get("source") or request.GET.get("source")
    if source_id:
        source = access_customer(request.user, source_id, CustomerPerm.MERGE)
    if request.method == "POST" and source is not None:
        try:
            services.customer_merge(actor=request.user, target=target, source=source)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(source)s was merged into %(target)s.") % {"source": source.name, "target": target.name})
            return redirect("customers:detail", target.pk)
    q = request.GET.get("q", "")[:100]
    candidates = []
    if q:
        candidates = list(selectors.customer_list(actor=request.user, filters=selectors.CustomerFilters(q=q))
                          .exclude(pk=target.pk)[:20])
    return render(request, "customers/merge.html", {"customer": target, "source": source, "q": q, "candidates": candidates})


def _timeline_response(request, customer, form=None, status=200):
    context = {"customer": customer, "timeline": selectors.customer_timeline(customer=customer),
               "note_form": form or NoteForm(), "can_change": True}
    return render(request, "customers/_timeline.html", context, status=status)


@login_required
@require_POST
def note_add(request, pk):
    customer = access_customer(request.user, pk, CustomerPerm.CHANGE)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.note_add(actor=request.user, customer=customer, body=form.cleaned_data["body"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if request.htmx:
                messages.success(request, _("Note added."))
                return _timeline_response(request, customer)
            return redirect("customers:detail", customer.pk)
    if request.htmx:
        return _timeline_response(request, customer, form, status=422)
    messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("customers:detail", customer.pk)


@login_required
@require_POST
def attachment_add(request, pk):
    customer = access_customer(request.user, pk, CustomerPerm.CHANGE)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attachment_add(actor=request.user, customer=customer, upload=form.cleaned_data["file"])
            messages.success(request, _("File attached."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("customers:detail", customer.pk)


@login_required
def attachment_download(request, pk):
    attachment = access_attachment(request.user, pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name,
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@login_required
def contact_list(request):
    require(request.user, CustomerPerm.VIEW)
    q = request.GET.get("q", "")[:100].replace("\x00", "")
    page = paginate(request, selectors.contact_list(actor=request.user, q=q))
    return render(request, "customers/contacts.html", {"page": page, "q": q})


@login_required
def contact_create(request, pk):
    customer = access_customer(request.user, pk, CustomerPerm.CHANGE)
    form = ContactForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(actor=request.user, customer=customer, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Contact %(name)s added.") % {"name": contact.name})
            return redirect("customers:detail", customer.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "customers/contact_form.html", {"form": form, "customer": customer}, status=status)


@login_required
def contact_update(request, pk):
    contact = access_contact(request.user, pk, CustomerPerm.CHANGE)
    form = ContactForm(request.POST or None, customer=contact.customer, instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(actor=request.user, contact=contact, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("customers:detail", contact.customer_id)
    status = 422 if request.method == "POST" else 200
    return render(request, "customers/contact_form.html", {"form": form, "customer": contact.customer, "contact": contact},
                  status=status)


@login_required
@require_POST
def contact_delete(request, pk):
    contact = access_contact(request.user, pk, CustomerPerm.CHANGE)
    customer_id = contact.customer_id
    services.contact_delete(actor=request.user, contact=contact)
    messages.success(request, _("Contact removed."))
    return redirect("customers:detail", customer_id)


@login_required
def customer_export(request):
    """The list the user is looking at (same filters and sort), as CSV or XLSX."""
    from django.http import HttpResponse

    from guanxi.customers.exports import export_customers

    filters, sort = filters_from_params(request.GET)
    fmt = request.GET.get("format", "csv")
    try:
        content, content_type, filename = export_customers(actor=request.user, filters=filters, sort=sort, fmt=fmt)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("customers:list")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
