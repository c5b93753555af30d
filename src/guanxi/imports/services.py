"""Import jobs: upload, map columns, dry run, run (CORE-8). Checking and writing live in engine.py."""

from __future__ import annotations

import os
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core.permissions import Perm, has_perm, require
from guanxi.customers.importers import SPECS, guess_mapping
from guanxi.customers.permissions import CustomerPerm
from guanxi.imports import engine, tasks
from guanxi.imports.models import ImportJob
from guanxi.imports.readers import open_rows

Status = ImportJob.Status
# Who may import each kind, and which fields a mapping must cover. Other domains add their
# kinds with register_kind (the sales app registers "leads").
KIND_PERMS: dict[str, Perm] = {"customers": CustomerPerm.IMPORT, "contacts": CustomerPerm.IMPORT}
REQUIRED_FIELDS: dict[str, set[str]] = {"customers": {"name"}, "contacts": {"name", "customer"}}


def register_kind(kind: str, *, fields: dict, rows, writer, perm: Perm, required: set[str], models=()) -> None:
    """Let the engine import `kind` (a value of ImportJob.Kind): its column spec and row checker
    (like customers.importers), the writer the engine calls with each batch of checked rows inside
    the run's transaction (returning (created, updated)), the permission, the required fields, and
    the models the writer fills (their planner statistics are refreshed after a run)."""
    SPECS[kind] = (fields, rows)
    engine.WRITERS[kind] = writer
    engine.WRITTEN_MODELS[kind] = list(models)
    KIND_PERMS[kind] = perm
    REQUIRED_FIELDS[kind] = set(required)


def may_import(user) -> bool:
    return any(has_perm(user, perm) for perm in KIND_PERMS.values())


def kinds_for(user) -> list[tuple[str, str]]:
    return [(value, label) for value, label in ImportJob.Kind.choices
            if value in KIND_PERMS and has_perm(user, KIND_PERMS[value])]


def require_import(user, kind: str | None = None) -> None:
    """PermissionDenied unless `user` may import at all (or, given a kind, that kind)."""
    if kind is None:
        if not may_import(user):
            raise PermissionDenied("import")
        return
    require(user, KIND_PERMS[kind])


def _check_kind_and_key(kind: str, key: str) -> None:
    if kind not in ImportJob.Kind.values or kind not in KIND_PERMS:
        raise ValidationError({"kind": [_("Choose what to import.")]})
    if key not in ImportJob.Key.values:
        raise ValidationError({"key": [_("Choose phone, email or external id.")]})


@transaction.atomic
def import_create(*, actor, kind: str, upload, key: str = "phone") -> ImportJob:
    """Store the file and read its header; the mapping is guessed from the column names."""
    require_import(actor)
    _check_kind_and_key(kind, key)
    require_import(actor, kind)
    name = os.path.basename(getattr(upload, "name", "") or "upload.csv").replace("\x00", "")[-200:]
    if not name.lower().endswith((".csv", ".xlsx")):
        raise ValidationError({"file": [_("Upload a .csv or .xlsx file.")]})
    if upload.size > settings.IMPORT_MAX_BYTES:
        raise ValidationError({"file": [_("The file is larger than %(mb)s MB.") % {"mb": settings.IMPORT_MAX_BYTES // 2**20}]})
    job = ImportJob(organization_id=actor.organization_id, created_by=actor, kind=kind, key=key, original_name=name)
    job.file.save(name, upload, save=False)
    try:
        header, _rows = open_rows(job.file.path)
    except ValidationError:
        job.file.delete(save=False)
        raise
    job.headers = header
    job.mapping = guess_mapping(header, SPECS[kind][0])
    job.save()
    return job


def _check_mapping(kind: str, headers: list[str], mapping: dict) -> dict[str, str]:
    fields = SPECS[kind][0]
    clean, seen = {}, set()
    for column, field in mapping.items():
        if not field:
            continue
        if field not in fields or not str(column).isdigit() or int(column) >= len(headers):
            raise ValidationError({"mapping": [_("Unknown column or field.")]})
        if field in seen:
            raise ValidationError({"mapping": [_("%(field)s is mapped twice.") % {"field": fields[field][0]}]})
        seen.add(field)
        clean[str(int(column))] = field
    required = REQUIRED_FIELDS[kind]
    if not required <= seen:
        raise ValidationError({"mapping": [_("Map a column to every required field: %(fields)s.")
                                           % {"fields": ", ".join(str(fields[f][0]) for f in sorted(required))}]})
    return clean


def _job_for(actor, job: ImportJob) -> None:
    require_import(actor, job.kind)
    if job.created_by_id != actor.pk or job.organization_id != actor.organization_id:
        raise ValidationError({"job": [_("Unknown import.")]})


@transaction.atomic
def import_check(*, actor, job: ImportJob, mapping: dict, key: str) -> ImportJob:
    """Save the mapping and start the dry run in the background."""
    _job_for(actor, job)
    if job.status not in (Status.UPLOADED, Status.CHECKED, Status.REJECTED):
        raise ValidationError({"job": [_("This import is already running or finished.")]})
    _check_kind_and_key(job.kind, key)
    job.mapping = _check_mapping(job.kind, job.headers, mapping)
    job.key, job.status, job.processed_rows, job.errors, job.error_count = key, Status.VALIDATING, 0, [], 0
    job.save(update_fields=["mapping", "key", "status", "processed_rows", "errors", "error_count"])
    transaction.on_commit(partial(tasks.validate_import.enqueue, job.pk, job.organization_id))
    return job


@transaction.atomic
def import_start(*, actor, job: ImportJob) -> ImportJob:
    """After a clean dry run: write it, in the background, once."""
    _job_for(actor, job)
    updated = ImportJob.objects.filter(pk=job.pk, status=Status.CHECKED).update(status=Status.QUEUED)
    if not updated:
        raise ValidationError({"job": [_("Only a checked import without errors can be started.")]})
    job.status = Status.QUEUED
    transaction.on_commit(partial(tasks.run_import.enqueue, job.pk, job.organization_id))
    return job


def import_file_sync(*, actor, kind: str, path: str, key: str = "phone", mapping: dict | None = None,
                     dry_run: bool = False) -> ImportJob:
    """The command line's import: the same checks and writer, run in this process. Without a dry
    run the file is checked once, by the run itself (a bad row rejects it and nothing is written)."""
    with open(path, "rb") as fh:
        upload = File(fh, name=os.path.basename(path))
        upload.size = os.path.getsize(path)
        job = import_create(actor=actor, kind=kind, upload=upload, key=key)
    job.mapping = _check_mapping(kind, job.headers, mapping if mapping is not None else job.mapping)
    job.status = Status.VALIDATING if dry_run else Status.QUEUED
    job.save(update_fields=["mapping", "status"])
    if dry_run:
        return engine.validate_job(job.pk)
    return engine.run_job(job.pk)
