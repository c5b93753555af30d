"""Core pages: today, global search, language, personal API tokens, the audit log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core import selectors, services
from guanxi.core.models import AuditEntry
from guanxi.core.pagination import paginate
from guanxi.core.permissions import CorePerm, has_perm
from guanxi.customers import selectors as customer_selectors


def root(request):
    return redirect("core:home")


@login_required
def home(request):
    return render(request, "core/home.html", customer_selectors.today_summary(actor=request.user))


@login_required
def search(request):
    q = request.GET.get("q", "")[:100]
    results = customer_selectors.global_search(actor=request.user, q=q, limit=8 if request.htmx else 50)
    template = "core/_search_results.html" if request.htmx else "core/search.html"
    return render(request, template, {"q": q, **results})


def _safe_next(request, fallback="core:home"):
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return redirect(fallback).url


@login_required
@require_POST
def set_language(request):
    try:
        services.user_set_language(actor=request.user, language=request.POST.get("language", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(_safe_next(request))


@login_required
def tokens(request):
    new_secret = None
    if request.method == "POST":
        label = (request.POST.get("name") or "").strip()[:100] or "api"
        try:
            _token, new_secret = services.token_create(actor=request.user, user=request.user, name=label)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return render(request, "core/tokens.html", {"tokens": selectors.token_list(actor=request.user), "new_secret": new_secret})


@login_required
@require_POST
def token_revoke(request, pk):
    token = selectors.token_list(actor=request.user).filter(pk=pk).first()
    if token is None:
        raise Http404
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, _("Token revoked."))
    return redirect("core:tokens")


@login_required
def audit_log(request):
    if not has_perm(request.user, CorePerm.VIEW_AUDIT):
        raise PermissionDenied
    filters = {k: request.GET.get(k, "").strip()[:50] for k in ("action", "object_type", "object_id")}
    if filters["action"] not in AuditEntry.Action.values:
        filters["action"] = ""
    actor_id = request.GET.get("actor", "")
    filters["actor_id"] = int(actor_id) if actor_id.isdigit() and len(actor_id) < 18 else ""
    page = paginate(request, selectors.audit_list(actor=request.user, filters=filters), default_size=50)
    return render(request, "core/audit.html", {
        "page": page, "filters": filters, "actions": AuditEntry.Action.choices,
        "users": selectors.user_list(actor=request.user),
    })





@login_required
def notifications(request):
    """The user's notifications, newest first; POST marks one (`id`) or all of them read."""
    from guanxi.core import notifications as notes

    if request.method == "POST":
        raw = request.POST.get("id", "")
        one = int(raw) if raw.isdigit() and len(raw) < 18 else None
        notes.mark_read(request.user, one)
        target = request.POST.get("next", "")
        if one is not None and url_has_allowed_host_and_scheme(target, allowed_hosts=None) and target.startswith("/"):
            return redirect(target)
        return redirect("core:notifications")
    page = paginate(request, notes.notifications_for(request.user), default_size=50)
    return render(request, "core/notifications.html", {"page": page})
