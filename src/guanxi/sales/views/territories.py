"""Territory pages (SAL-5): the tree, create/edit, members, re-territorying.
Everyone with TerritoryPerm.VIEW reads them; TerritoryPerm.MANAGE changes them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.models import User
from guanxi.core.permissions import has_perm, require
from guanxi.customers.forms import apply_service_errors
from guanxi.sales.forms.territories import MemberForm, TerritoryForm
from guanxi.sales.permissions import TerritoryPerm
from guanxi.sales.selectors import territories as selectors
from guanxi.sales.selectors.opportunities import _pk
from guanxi.sales.services import territories as services


@login_required
def territory_tree(request):
    require(request.user, TerritoryPerm.VIEW)
    rows = selectors.flatten(selectors.territory_tree(actor=request.user))
    return render(request, "sales/territories/tree.html",
                  {"rows": rows, "can_manage": has_perm(request.user, TerritoryPerm.MANAGE)})


@login_required
def territory_create(request):
    require(request.user, TerritoryPerm.MANAGE)
    form = TerritoryForm(request.POST or None, actor=request.user, initial={"parent": request.GET.get("parent")})
    if request.method == "POST" and form.is_valid():
        try:
            territory = services.territory_create(actor=request.user, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Territory %(name)s created.") % {"name": territory.name})
            return redirect("sales:territory_detail", territory.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/territories/form.html", {"form": form}, status=status)


@login_required
def territory_detail(request, pk):
    territory = selectors.territory_get(actor=request.user, pk=pk)
    can_manage = has_perm(request.user, TerritoryPerm.MANAGE)
    context = {
        "territory": territory, "members": selectors.territory_members(territory=territory),
        "can_manage": can_manage,
        "member_form": MemberForm(users=selectors.member_candidates(actor=request.user)) if can_manage else None,
        "rules": [(label, services._lines(getattr(territory, name))) for name, label in (
            ("provinces", _("Provinces")), ("cities", _("Cities")), ("postcode_prefixes", _("Postcode prefixes")),
            ("industries", _("Industries")))],
    }
    return render(request, "sales/territories/detail.html", context)


@login_required
def territory_update(request, pk):
    require(request.user, TerritoryPerm.MANAGE)
    territory = selectors.territory_get(actor=request.user, pk=pk)
    form = TerritoryForm(request.POST or None, actor=request.user, instance=territory)
    if request.method == "POST" and form.is_valid():
        try:
            services.territory_update(actor=request.user, territory=territory, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved. Re-territory to apply changed rules to existing records."))
            return redirect("sales:territory_detail", territory.pk)
        territory.refresh_from_db()
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/territories/form.html", {"form": form, "territory": territory}, status=status)


@login_required
@require_POST
def territory_member_add(request, pk):
    require(request.user, TerritoryPerm.MANAGE)
    territory = selectors.territory_get(actor=request.user, pk=pk)
    form = MemberForm(request.POST, users=selectors.member_candidates(actor=request.user))
    if form.is_valid():
        try:
            services.territory_member_set(actor=request.user, territory=territory, user=form.cleaned_data["user"],
                                          role=form.cleaned_data["role"])
            messages.success(request, _("Member saved."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("sales:territory_detail", territory.pk)


@login_required
@require_POST
def territory_member_remove(request, pk, user_id):
    require(request.user, TerritoryPerm.MANAGE)
    territory = selectors.territory_get(actor=request.user, pk=pk)
    user = User.objects.filter(organization_id=request.user.organization_id, pk=_pk(user_id)).first()
    if user is None or not territory.members.filter(user=user).exists():
        raise Http404
    try:
        services.territory_member_set(actor=request.user, territory=territory, user=user, role=None)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Member removed."))
    return redirect("sales:territory_detail", territory.pk)


@login_required
@require_POST
def territory_realign(request):
    require(request.user, TerritoryPerm.MANAGE)
    moved = services.territory_realign(actor=request.user)
    messages.success(request, _("Re-territorying done: %(customers)d customers, %(leads)d leads and "
                                "%(opportunities)d open opportunities moved.") % moved)
    return redirect("sales:territories")
