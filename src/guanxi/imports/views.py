"""Import pages: upload, map columns, see the dry-run report, start, watch progress."""

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.exports import neutralise
from guanxi.customers.importers import SPECS
from guanxi.imports import services
from guanxi.imports.models import ImportJob


def _jobs(user):
    return ImportJob.objects.filter(organization_id=user.organization_id, created_by=user)


def _job(user, pk) -> ImportJob:
    """403 without the right to import this job's kind; 404 when it is not the user's own job."""
    services.require_import(user)
    job = (ImportJob.objects.filter(organization_id=user.organization_id, pk=pk).first()
           if 0 < pk < 2**63 else None)
    if job is not None:
        services.require_import(user, job.kind)
    if job is None or job.created_by_id != user.pk:
        raise Http404
    return job


@login_required
def import_list(request):
    services.require_import(request.user)
    errors = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors = [_("Choose a file.")]
        else:
            try:
                job = services.import_create(actor=request.user, kind=request.POST.get("kind", ""), upload=upload,
                                             key=request.POST.get("key", "phone"))
            except ValidationError as exc:
                errors = exc.messages
            else:
                return redirect("customers:import_detail", job.pk)
    return render(request, "imports/list.html", {
        "jobs": _jobs(request.user)[:20], "errors": errors, "kinds": services.kinds_for(request.user),
        "keys": ImportJob.Key.choices, "chosen_kind": request.POST.get("kind") or request.GET.get("kind", ""),
    }, status=422 if errors else 200)


def _detail_context(job, errors=None):
    fields = SPECS[job.kind][0]
    columns = [{"index": str(i), "header": h, "field": job.mapping.get(str(i), "")} for i, h in enumerate(job.headers)]
    return {"job": job, "columns": columns, "fields": [(k, v[0]) for k, v in fields.items()],
            "keys": ImportJob.Key.choices, "form_errors": errors or [], "shown_errors": job.errors[:200]}


@login_required
def import_detail(request, pk):
    job = _job(request.user, pk)
    return render(request, "imports/detail.html", _detail_context(job))


@login_required
@require_POST
def import_check(request, pk):
    job = _job(request.user, pk)
    mapping = {str(i): request.POST.get(f"column_{i}", "") for i in range(len(job.headers))}
    try:
        services.import_check(actor=request.user, job=job, mapping=mapping, key=request.POST.get("key", job.key))
    except ValidationError as exc:
        return render(request, "imports/detail.html", _detail_context(job, exc.messages), status=422)
    return redirect("customers:import_detail", job.pk)


@login_required
@require_POST
def import_start(request, pk):
    job = _job(request.user, pk)
    try:
        services.import_start(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("customers:import_detail", job.pk)


@login_required
def import_progress(request, pk):
    job = _job(request.user, pk)
    response = render(request, "imports/_progress.html", _detail_context(job))
    if not job.busy and request.htmx:
        response["HX-Refresh"] = "true"  # show the full report once the job settles
    return response


@login_required
def import_errors(request, pk):
    job = _job(request.user, pk)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([_("Row"), _("Column"), _("Message")])
    for e in job.errors:
        writer.writerow([e["row"], neutralise(e["column"]), neutralise(e["message"])])
    response = HttpResponse("\ufeff" + buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response
