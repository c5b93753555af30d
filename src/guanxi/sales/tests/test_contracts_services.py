"""Contracts (SAL-7): creation (direct, from an accepted quote), changes, status, files, renewal reminders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEvent
from guanxi.sales.models import Contract, ContractFile, Quote, SalesSettings
from guanxi.sales.services import contracts as svc
from guanxi.sales.tasks import contracts_due_for_renewal
from guanxi.sales.tests.order_helpers import make_quote

pytestmark = pytest.mark.django_db
D = Decimal
C = Contract.Status


def rows():
    return (list(Contract.objects.order_by("pk").values()), list(ContractFile.objects.values()),
            AuditEntry.objects.count(), TimelineEvent.objects.count())


def new(w, actor="rep_a", case="own", **data):
    return svc.contract_create(actor=w.users[actor], data={"title": "年度维保合同", "customer": w.customers[case].pk,
                                                          **data})


def test_a_direct_contract(sales_world):
    w = sales_world
    contract = new(w, value="120000.00", start_date="2026-01-01", end_date="2026-12-31", renewal_date="2026-12-01",
                   opportunity=w.opportunities["own"].pk, terms="按季度付款")
    assert contract.number.startswith("HT-") and contract.status == C.DRAFT
    assert (contract.value, contract.renewal_date, contract.reminder_days) == (
        D("120000.00"), dt.date(2026, 12, 1), 30)
    assert contract.owner == w.rep_a and contract.territory == w.territories["shanghai"]
    event = TimelineEvent.objects.get(customer=w.customers["own"], kind="contract")
    assert contract.number in event.text() and "年度维保合同" in event.text()
    assert AuditEntry.objects.filter(object_type="sales.contract", action="create").count() == 1


def test_the_reminder_period_defaults_from_the_sales_settings(sales_world):
    w = sales_world
    SalesSettings.objects.create(organization=w.org, contract_reminder_days=45)
    assert new(w).reminder_days == 45


@pytest.mark.parametrize("data, field", [
    ({"title": ""}, "title"),
    ({"value": "-1"}, "value"),
    ({"value": "1.234"}, "value"),
    ({"start_date": "2026-02-01", "end_date": "2026-01-01"}, "end_date"),
    ({"renewal_date": "2026-02-30"}, "renewal_date"),
    ({"reminder_days": 400}, "reminder_days"),
    ({"reminder_days": True}, "reminder_days"),
    ({"status": "active"}, "status"),
    ({"opportunity": "team"}, "opportunity"),
])
def test_bad_contract_input_is_refused_and_nothing_written(sales_world, data, field):
    w = sales_world
    if data.get("opportunity") == "team":
        data = {"opportunity": w.opportunities["team"].pk}
    before = rows()
    with pytest.raises(ValidationError) as exc:
        new(w, **data)
    assert field in exc.value.message_dict and rows() == before


def test_an_accepted_quote_becomes_a_contract_worth_its_total(sales_world):
    w = sales_world
    quote = make_quote(w)
    contract = svc.contract_create_from_quote(w.rep_a, quote)
    assert contract.value == quote.total == D("1066.98")
    assert (contract.customer, contract.opportunity, contract.owner, contract.store_id, contract.territory_id,
            contract.quote, contract.terms) == (quote.customer, quote.opportunity, quote.owner, quote.store_id,
                                               quote.territory_id, quote, "货到付款")
    assert quote.number in contract.title
    with pytest.raises(ValidationError):
        svc.contract_create_from_quote(w.rep_a, quote)  # one live contract per quote


@pytest.mark.parametrize("status", [s for s in Quote.Status.values if s != Quote.Status.ACCEPTED])
def test_only_an_accepted_quote_becomes_a_contract(sales_world, status):
    w = sales_world
    quote = make_quote(w, status=status)
    before = rows()
    with pytest.raises(ValidationError):
        svc.contract_create_from_quote(w.rep_a, quote)
    assert rows() == before


def test_status_changes_and_who_may_make_them(sales_world):
    w = sales_world
    contract = new(w)
    for name in ("rep_b", "rep_d", "readonly"):
        with pytest.raises(PermissionDenied):
            svc.contract_activate(actor=w.users[name], contract=contract)
    svc.contract_activate(actor=w.rep_a, contract=contract)
    assert contract.status == C.ACTIVE and contract.start_date is not None
    with pytest.raises(ValidationError):
        svc.contract_activate(actor=w.rep_a, contract=contract)
    svc.contract_terminate(actor=w.manager, contract=contract, reason="客户违约")
    assert contract.status == C.TERMINATED
    for call in (lambda: svc.contract_terminate(actor=w.rep_a, contract=contract),
                 lambda: svc.contract_activate(actor=w.rep_a, contract=contract),
                 lambda: svc.contract_update(actor=w.rep_a, contract=contract, data={"title": "改"})):
        with pytest.raises(ValidationError):
            call()
    texts = [e.text() for e in TimelineEvent.objects.filter(kind="contract").order_by("id")]
    assert len(texts) == 3 and "客户违约" in texts[-1]


def test_update_changes_only_what_was_sent_and_moving_the_renewal_rearms_the_reminder(sales_world):
    w = sales_world
    contract = new(w, value="100.00", renewal_date="2026-06-01")
    Contract.objects.filter(pk=contract.pk).update(reminded_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
    contract.refresh_from_db()
    svc.contract_update(actor=w.rep_a, contract=contract, data={"title": "改名"})
    contract.refresh_from_db()
    assert contract.title == "改名" and contract.value == D("100.00") and contract.reminded_at is not None
    svc.contract_update(actor=w.rep_a, contract=contract, data={"renewal_date": "2027-06-01"})
    contract.refresh_from_db()
    assert contract.renewal_date == dt.date(2027, 6, 1) and contract.reminded_at is None
    entry = AuditEntry.objects.filter(object_type="sales.contract", action="update").order_by("id").last()
    assert entry.changes == {"renewal_date": ["2026-06-01", "2027-06-01"]}
    with pytest.raises(ValidationError) as exc:
        svc.contract_update(actor=w.rep_a, contract=contract, data={"customer": w.customers["team"].pk})
    assert "customer" in exc.value.message_dict


def test_files_are_limited_in_size_and_stored_under_random_names(sales_world, settings, tmp_path):
    w = sales_world
    settings.MEDIA_ROOT = tmp_path
    settings.ATTACHMENT_MAX_BYTES = 10
    contract = new(w)
    with pytest.raises(ValidationError):
        svc.contract_file_add(actor=w.rep_a, contract=contract, upload=SimpleUploadedFile("big.pdf", b"x" * 11))
    item = svc.contract_file_add(actor=w.rep_a, contract=contract,
                                 upload=SimpleUploadedFile("../../签字版.pdf", b"%PDF-1"))
    assert item.original_name.endswith("签字版.pdf") and "/" not in item.original_name
    assert "签字版" not in item.file.name and item.file.name.endswith(".pdf")
    assert item.file.name.startswith(f"contracts/{w.org.pk}/")
    with pytest.raises(PermissionDenied):
        svc.contract_file_add(actor=w.rep_b, contract=contract, upload=SimpleUploadedFile("a.pdf", b"a"))


# --- renewal reminders -------------------------------------------------------------------------

@pytest.fixture
def due_world(sales_world):
    """At 2026-03-01 (Shanghai): an active contract renewing 2026-04-10 with 30 days' notice (due
    2026-03-11), a draft one and a terminated one with the same dates."""
    w = sales_world
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        w.active = new(w, renewal_date="2026-04-10", reminder_days=30, value="5000.00")
        svc.contract_activate(actor=w.rep_a, contract=w.active)
        w.draft = new(w, renewal_date="2026-04-10", reminder_days=30)
        w.ended = new(w, renewal_date="2026-04-10", reminder_days=30)
        svc.contract_terminate(actor=w.rep_a, contract=w.ended)
    mail.outbox.clear()
    return w


def run_job_at(when: dt.datetime) -> int:
    with time_machine.travel(when, tick=False):
        return contracts_due_for_renewal.call()


def test_the_owner_is_reminded_once_when_the_reminder_is_due(due_world):
    w = due_world
    assert run_job_at(dt.datetime(2026, 3, 10, 15, 59, tzinfo=dt.UTC)) == 0  # 23:59 on the 10th in Shanghai
    assert mail.outbox == []
    assert run_job_at(dt.datetime(2026, 3, 10, 16, 1, tzinfo=dt.UTC)) == 1  # 00:01 on the 11th in Shanghai
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rep_a@example.com"] and w.active.number in message.subject
    assert "2026-04-10" in message.subject and "张三" in message.body and "5,000.00" in message.body
    w.active.refresh_from_db()
    assert w.active.reminded_at is not None
    assert run_job_at(dt.datetime(2026, 3, 12, 2, tzinfo=dt.UTC)) == 0
    assert run_job_at(dt.datetime(2026, 4, 20, 2, tzinfo=dt.UTC)) == 0
    assert len(mail.outbox) == 1
    assert TimelineEvent.objects.filter(kind="contract", data__contract=w.active.pk).count() == 3  # created, activated, due


def test_a_new_renewal_date_is_reminded_again(due_world):
    w = due_world
    run_job_at(dt.datetime(2026, 3, 12, 2, tzinfo=dt.UTC))
    with time_machine.travel(dt.datetime(2026, 3, 13, 2, tzinfo=dt.UTC), tick=False):
        svc.contract_update(actor=w.rep_a, contract=w.active, data={"renewal_date": "2027-04-10"})
    assert run_job_at(dt.datetime(2026, 3, 14, 2, tzinfo=dt.UTC)) == 0
    assert run_job_at(dt.datetime(2027, 3, 11, 2, tzinfo=dt.UTC)) == 1
    assert len(mail.outbox) == 2


def test_a_failed_send_leaves_the_reminder_for_the_next_run(due_world, monkeypatch):
    w = due_world

    def broken(*args, **kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr(svc, "send_mail", broken)
    with pytest.raises(OSError):
        run_job_at(dt.datetime(2026, 3, 12, 2, tzinfo=dt.UTC))
    w.active.refresh_from_db()
    assert w.active.reminded_at is None
    monkeypatch.undo()
    assert run_job_at(dt.datetime(2026, 3, 12, 3, tzinfo=dt.UTC)) == 1


def test_other_organisations_are_reminded_in_their_own_scope(due_world):
    w = due_world
    contract = svc.contract_create(actor=w.admin_b, data={"title": "UK support", "customer": w.customers["other_org"].pk,
                                                         "renewal_date": "2026-03-20", "reminder_days": 5})
    svc.contract_activate(actor=w.admin_b, contract=contract)
    assert run_job_at(dt.datetime(2026, 3, 16, 9, tzinfo=dt.UTC)) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["admin_b@example.com", "rep_a@example.com"]


def test_active_contracts_expire_after_their_end_date_once(sales_world):
    w = sales_world
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        ending = new(w, start_date="2026-01-01", end_date="2026-03-31")
        svc.contract_activate(actor=w.rep_a, contract=ending)
        draft = new(w, end_date="2026-03-31")
        open_ended = new(w, start_date="2026-01-01")
        svc.contract_activate(actor=w.rep_a, contract=open_ended)
    run_job_at(dt.datetime(2026, 3, 31, 15, 59, tzinfo=dt.UTC))  # 23:59 on the 31st in Shanghai: still running
    ending.refresh_from_db()
    assert ending.status == "active"
    run_job_at(dt.datetime(2026, 3, 31, 16, 1, tzinfo=dt.UTC))  # 00:01 on 1 April in Shanghai
    run_job_at(dt.datetime(2026, 4, 1, 17, tzinfo=dt.UTC))  # a later run changes nothing more
    statuses = dict(Contract.objects.filter(pk__in=[ending.pk, draft.pk, open_ended.pk]).values_list("pk", "status"))
    assert statuses == {ending.pk: "expired", draft.pk: "draft", open_ended.pk: "active"}
    expiries = AuditEntry.objects.filter(object_id=str(ending.pk), changes__status=["active", "expired"])
    assert expiries.count() == 1
    names = TimelineEvent.objects.filter(kind="contract", data__contract=ending.pk).values_list("data__name", flat=True)
    assert [n for n in names if "2026-03-31" in n] == [f"{ending.number} 已到期 2026-03-31"]
