"""Checking and running an import job. The batch is the whole file: any bad row rejects it and
nothing is written; a clean file is written in one transaction, exactly once.

The run reads the file once, inside its transaction: each row is checked and, while no row has
failed, handed to the kind's writer in batches of BATCH. The first bad row stops the writing (the
rest is still checked, for the report) and the transaction is rolled back at the end. Memory holds
one batch and what dedupe needs (the keys seen so far), never the whole file.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.dbstats import refresh_statistics
from guanxi.core.pinyin import full_and_initials
from guanxi.customers.importers import SPECS
from guanxi.customers.models import Contact, Customer, CustomerTag, SearchKey, Tag, TimelineEvent
from guanxi.customers.search import contact_keys, customer_keys
from guanxi.imports.models import ImportJob
from guanxi.imports.readers import open_rows
from guanxi.imports.writers import adapt_datetime, insert_rows, reserve_ids, update_rows

MAX_STORED_ERRORS = 5000
PROGRESS_EVERY = 1000
STALE_AFTER = timedelta(minutes=10)
BATCH = 5000

Status = ImportJob.Status
REPORT_FIELDS = ["total_rows", "processed_rows", "error_count", "errors", "to_create", "to_update"]


def _rows(job: ImportJob):
    """(row number as the user sees it — header is row 1 —, {field: cell})."""
    _header, body = open_rows(job.file.path)
    columns = [(int(i), f) for i, f in job.mapping.items()]
    for number, cells in enumerate(body, start=2):
        yield number, {f: (cells[i] if i < len(cells) else "") for i, f in columns}


def check(job: ImportJob, *, persist_progress: bool = True, write=None) -> bool:
    """Validate every row and store the report on `job` (not saved); True when the file is clean.

    With `write`, clean rows go to write(batch) in batches for as long as no row has failed: the
    caller runs this inside a transaction and rolls it back when the answer is False."""
    _fields, spec = SPECS[job.kind]
    rows = spec.prepare(actor=job.created_by, key=job.key)
    errors, total, clean, to_update, batch = [], 0, 0, 0, []
    try:
        for number, cells in _rows(job):
            total += 1
            rec, row_errors = rows.clean(number, cells)
            if row_errors:
                for column, message in row_errors:
                    errors.append({"row": number, "column": column, "message": str(message)})
                batch = []
            else:
                clean += 1
                to_update += rec["_match"] is not None
                if write is not None and not errors:
                    batch.append(rec)
                    if len(batch) >= BATCH:
                        write(batch)
                        batch = []
            if persist_progress and total % PROGRESS_EVERY == 0:
                ImportJob.objects.filter(pk=job.pk).update(processed_rows=total, heartbeat_at=timezone.now())
    except UnicodeDecodeError:
        errors.append({"row": total + 2, "column": "", "message": _("The file has bytes that are not valid text here.")})
    if batch and not errors:
        write(batch)
    job.total_rows = job.processed_rows = total
    job.error_count = len({e["row"] for e in errors})
    job.errors = errors[:MAX_STORED_ERRORS]
    job.to_update = to_update if not errors else 0
    job.to_create = clean - to_update if not errors else 0
    if total == 0:
        job.errors = [{"row": 1, "column": "", "message": _("The file has no rows below the header.")}]
        job.error_count = 1
    return not job.error_count


def validate_job(job_id: int) -> ImportJob:
    """The dry run: check rows, keep the report, change no customer."""
    job = ImportJob.objects.select_related("created_by", "created_by__organization", "created_by__store").get(pk=job_id)
    if job.status not in (Status.UPLOADED, Status.VALIDATING, Status.CHECKED, Status.REJECTED):
        return job
    job.status = Status.CHECKED if check(job) else Status.REJECTED
    job.save(update_fields=["status", *REPORT_FIELDS])
    return job


def _claim(job_id: int, resume: bool) -> bool:
    """Only one runner gets a job: queued/checked → running, or a stale running job when resuming."""
    now = timezone.now()
    claimable = ImportJob.objects.filter(pk=job_id, status__in=[Status.QUEUED, Status.CHECKED])
    if resume:
        claimable = ImportJob.objects.filter(pk=job_id).filter(
            status__in=[Status.QUEUED, Status.CHECKED, Status.RUNNING, Status.FAILED]
        ).exclude(status=Status.RUNNING, heartbeat_at__gt=now - STALE_AFTER)
    from django.db.models import F

    return bool(claimable.update(status=Status.RUNNING, heartbeat_at=now, attempts=F("attempts") + 1))


def run_job(job_id: int, *, resume: bool = False) -> ImportJob:
    """Write a checked job. A second call for the same job does nothing; a crash writes nothing.

    The file is checked again while it is written (the database may have changed since the dry
    run): a row that fails now rejects the job and the transaction is rolled back."""
    if not _claim(job_id, resume):
        return ImportJob.objects.get(pk=job_id)
    job = ImportJob.objects.select_related("created_by", "created_by__organization", "created_by__store").get(pk=job_id)
    writer, counts = WRITERS[job.kind], [0, 0]

    def write(batch):
        created, updated = writer(job, batch)
        counts[0] += created
        counts[1] += updated

    try:
        with transaction.atomic():
            clean = check(job, write=write)
            if not clean:
                transaction.set_rollback(True)
            else:
                created, updated = counts
                job.status, job.created_count, job.updated_count = Status.DONE, created, updated
                job.finished_at = timezone.now()
                job.save(update_fields=["status", "created_count", "updated_count", "finished_at", *REPORT_FIELDS])
                audit.record(actor=job.created_by, action=audit.Action.IMPORT, obj=job,
                             changes={"file": [None, job.original_name], "kind": [None, job.kind],
                                      "created": [None, created], "updated": [None, updated]})
    except Exception as exc:
        ImportJob.objects.filter(pk=job.pk).update(status=Status.FAILED, message=str(exc)[:500])
        raise
    if not clean:
        job.status, job.finished_at = Status.REJECTED, timezone.now()
        job.save(update_fields=["status", "finished_at", *REPORT_FIELDS])
    else:
        refresh_statistics([m._meta.db_table for m in WRITTEN_MODELS.get(job.kind, ())])
    return job


# --- writers ---------------------------------------------------------------------

CUSTOMER_COLUMNS = ["id", "organization", "kind", "name", "name_pinyin", "name_initials", "owner", "store", "source",
                    "industry", "province", "city", "address", "phone", "phone2", "email", "website", "stage", "notes",
                    "external_id", "created_by", "created_at", "updated_at"]
UPDATABLE = ["kind", "name", "owner", "store", "source", "industry", "province", "city", "address", "phone", "phone2",
             "email", "website", "stage", "notes", "external_id"]


def _tags(org_id: int, records) -> dict[str, int]:
    names = {t for r in records for t in r["tags"]}
    tags = dict(Tag.objects.filter(organization_id=org_id, name__in=names).values_list("name", "pk"))
    missing = [Tag(organization_id=org_id, name=n) for n in names if n not in tags]
    if missing:
        Tag.objects.bulk_create(missing)
        tags.update(Tag.objects.filter(organization_id=org_id, name__in=[t.name for t in missing]).values_list("name", "pk"))
    return tags


class _KeySource:
    __slots__ = ("name", "kind", "phone", "phone2", "email")

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)


def write_customers(job: ImportJob, records: list[dict]) -> tuple[int, int]:
    """One batch of checked rows, inside the run's transaction: (created, updated)."""
    org, actor = job.organization_id, job.created_by
    now = adapt_datetime(timezone.now())
    tags = _tags(org, records)
    mapped = set(job.mapping.values())
    creates = [r for r in records if r["_match"] is None]
    updates = [r for r in records if r["_match"] is not None]
    ids = reserve_ids(Customer, len(creates))
    summary, data = "Imported", json.dumps({"job_id": job.pk, "file": job.original_name}, ensure_ascii=False)

    for start in range(0, len(creates), BATCH):
        chunk = list(zip(ids[start:start + BATCH], creates[start:start + BATCH], strict=True))
        rows, keys, tag_rows, events = [], [], [], []
        for pk, r in chunk:
            full, initials = full_and_initials(r["name"], r["kind"] == "person")
            rows.append((pk, org, r["kind"], " ".join(r["name"].split()), full, initials,
                         r["owner"].pk if r["owner"] else None, r["store"].pk if r["store"] else None, r["source"],
                         r.get("industry", ""), r.get("province", ""), r.get("city", ""), r.get("address", ""),
                         r["phone"], r["phone2"], r["email"], r.get("website", ""), r["stage"], r.get("notes", ""),
                         r.get("external_id", ""), actor.pk, now, now))
            src = _KeySource(name=r["name"], kind=r["kind"], phone=r["phone"], phone2=r["phone2"], email=r["email"])
            keys.extend((org, pk, k) for k in customer_keys(src))
            tag_rows.extend((org, pk, tags[t]) for t in dict.fromkeys(r["tags"]))
            events.append((org, pk, TimelineEvent.Kind.IMPORTED.value, actor.pk, summary, "", data, now))
        insert_rows(Customer, CUSTOMER_COLUMNS, rows)
        insert_rows(SearchKey, ["organization", "customer", "key"], keys)
        insert_rows(CustomerTag, ["organization", "customer", "tag"], tag_rows)
        insert_rows(TimelineEvent, ["organization", "customer", "kind", "actor", "summary", "body", "data", "at"], events)

    if updates:
        _write_updates(org, updates, mapped, tags, now)
    return len(creates), len(updates)


def _write_updates(org, updates, mapped, tags, now):
    fields = [f for f in UPDATABLE if f in mapped and f not in ("owner", "store")] + ["owner", "store"]
    current = {c.pk: c for c in Customer.objects.filter(pk__in=[r["_match"] for r in updates])}
    rows, keys, reindex = [], [], []
    for r in updates:
        c = current[r["_match"]]
        for f in fields:
            value = r.get(f)
            if f in ("owner", "store"):
                if f in mapped and value is not None:
                    setattr(c, f"{f}_id", value.pk)
            elif value not in ("", None):  # an empty cell keeps what we have
                setattr(c, f, value)
        c.name_pinyin, c.name_initials = full_and_initials(c.name, c.kind == "person")
        rows.append(tuple(getattr(c, f"{f}_id" if f in ("owner", "store") else f) for f in fields)
                    + (c.name_pinyin, c.name_initials, now, c.pk))
        reindex.append(c.pk)
        keys.extend((org, c.pk, k) for k in customer_keys(c))
    update_rows(Customer, fields + ["name_pinyin", "name_initials", "updated_at"], rows)
    SearchKey.objects.filter(customer_id__in=reindex, contact__isnull=True).delete()
    insert_rows(SearchKey, ["organization", "customer", "key"], keys)
    tag_rows = [(org, r["_match"], tags[t]) for r in updates for t in dict.fromkeys(r["tags"])]
    if tag_rows:
        have = set(CustomerTag.objects.filter(customer_id__in=reindex).values_list("customer_id", "tag_id"))
        insert_rows(CustomerTag, ["organization", "customer", "tag"], [t for t in tag_rows if (t[1], t[2]) not in have])


def write_contacts(job: ImportJob, records: list[dict]) -> tuple[int, int]:
    """One batch of checked rows, inside the run's transaction: (created, updated)."""
    org = job.organization_id
    contacts = []
    for r in records:
        full, initials = full_and_initials(r["name"], person=True)
        contacts.append(Contact(organization_id=org, customer_id=r["customer_id"], name=r["name"], name_pinyin=full[:200],
                                name_initials=initials[:50], title=r["title"], department=r["department"], role=r["role"],
                                phone=r["phone"], email=r["email"], notes=r["notes"], external_id=r["external_id"]))
    Contact.objects.bulk_create(contacts, batch_size=2000)
    keys = [SearchKey(organization_id=org, customer_id=c.customer_id, contact=c, key=k)
            for c in contacts for k in contact_keys(c)]
    SearchKey.objects.bulk_create(keys, batch_size=5000)
    return len(contacts), 0


# kind → writer(job, batch of checked records) → (created, updated), called inside the run's transaction.
WRITERS = {"customers": write_customers, "contacts": write_contacts}
# kind → the models its writer fills, whose planner statistics are refreshed after a run (core.dbstats).
WRITTEN_MODELS = {"customers": [Customer, SearchKey, CustomerTag, TimelineEvent],
                  "contacts": [Contact, SearchKey, TimelineEvent]}
