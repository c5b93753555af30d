"""Import (CORE-8): all-or-nothing per file, a report naming each bad row, exactly once."""

import csv
import io
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from guanxi.core.models import AuditEntry
from guanxi.customers import selectors
from guanxi.customers.models import Contact, Customer, SearchKey
from guanxi.imports import engine, services
from guanxi.imports.models import ImportJob

HEADER = ["客户名称", "手机", "邮箱", "负责人", "标签", "城市"]


def _csv(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def _clean_rows(n, start=0):
    return [[f"客户{i:05d}", f"139{i + start:08d}", f"c{i + start}@example.com", "rep_a", "导入,VIP", "上海"] for i in range(n)]


def _import(world, user, data: bytes, name="customers.csv", kind="customers", key="phone", dry_run=False, tmp_path=None):
    path = tmp_path / name
    path.write_bytes(data)
    return services.import_file_sync(actor=world.users[user], kind=kind, path=str(path), key=key, dry_run=dry_run)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_ten_thousand_rows_with_bad_rows_are_rejected_and_named(world, tmp_path):
    rows = _clean_rows(10_000)
    rows[10][1] = "12345"              # row 12: bad phone
    rows[500][0] = ""                  # row 502: no name
    rows[7000][3] = "nobody"           # row 7002: unknown owner
    rows[9999][1] = rows[20][1]        # row 10001: same phone as row 22
    before = Customer.objects.count()
    job = _import(world, "manager", _csv(rows), tmp_path=tmp_path)
    assert job.status == ImportJob.Status.REJECTED
    bad = {(e["row"], e["column"]) for e in job.errors}
    assert {(12, "phone"), (502, "name"), (7002, "owner"), (10001, "phone")} <= bad
    assert job.error_count == 4 and job.total_rows == 10_000
    assert Customer.objects.count() == before


def test_clean_ten_thousand_rows_import_once_with_keys_tags_and_batch_audit(world, tmp_path):
    before = Customer.objects.count()
    job = _import(world, "manager", _csv(_clean_rows(10_000)), tmp_path=tmp_path)
    assert job.status == ImportJob.Status.DONE and job.created_count == 10_000
    assert Customer.objects.count() == before + 10_000
    c = Customer.objects.get(name="客户00042")
    assert (c.phone, c.email, c.owner, c.store, c.city) == ("+8613900000042", "c42@example.com", world.rep_a,
                                                            world.stores["S1"], "上海")
    assert sorted(t.name for t in c.tags.all()) == ["VIP", "导入"]
    assert c.timeline.filter(kind="imported").count() == 1
    assert [x.name for x in selectors.global_search(actor=world.rep_a, q="00000042")["customers"]] == ["客户00042"]
    assert SearchKey.objects.filter(customer=c, key="kehu00042").exists()
    entries = AuditEntry.objects.filter(action="import")
    assert entries.count() == 1 and entries.get().changes["created"] == [None, 10_000]
    # Running the same job again (a retry of the task) changes nothing.
    again = engine.run_job(job.pk)
    again2 = engine.run_job(job.pk, resume=True)
    assert again.status == again2.status == ImportJob.Status.DONE
    assert Customer.objects.count() == before + 10_000


def test_crash_inside_the_write_leaves_nothing_and_resume_imports_once(world, tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(_csv(_clean_rows(3000)))
    job = services.import_file_sync(actor=world.manager, kind="customers", path=str(path), key="phone", dry_run=True)
    assert job.status == ImportJob.Status.CHECKED
    before = Customer.objects.count()
    real = engine.insert_rows

    def crash_on_tags(model, fields, rows):
        if model.__name__ == "CustomerTag":
            raise RuntimeError("power cut")
        return real(model, fields, rows)

    with mock.patch.object(engine, "insert_rows", crash_on_tags), pytest.raises(RuntimeError):
        engine.run_job(job.pk)
    assert Customer.objects.count() == before and not SearchKey.objects.filter(key="kehu00001").exists()
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.FAILED
    engine.run_job(job.pk, resume=True)
    engine.run_job(job.pk, resume=True)
    assert Customer.objects.count() == before + 3000
    assert ImportJob.objects.get(pk=job.pk).created_count == 3000


def test_upsert_by_phone_updates_instead_of_creating(world, tmp_path):
    own = world.customers["own"]  # 张三, 13800000001
    job = _import(world, "manager", _csv([["张三丰", "138 0000 0001", "zs@example.com", "", "武当", "杭州"]]), tmp_path=tmp_path)
    assert (job.status, job.created_count, job.updated_count) == ("done", 0, 1)
    own.refresh_from_db()
    assert (own.name, own.email, own.city, own.name_pinyin) == ("张三丰", "zs@example.com", "杭州", "zhangsanfeng")
    assert [t.name for t in own.tags.all()] == ["武当"]
    assert [x.name for x in selectors.global_search(actor=world.admin, q="zsf")["customers"]] == ["张三丰"]


def test_duplicate_of_an_existing_customer_by_email_is_an_error(world, tmp_path):
    from guanxi.customers.services import customer_update

    customer_update(actor=world.admin, customer=world.customers["team"], data={"email": "dup@example.com"})
    job = _import(world, "manager", _csv([["新客户", "13911112222", "dup@example.com", "", "", ""]]), tmp_path=tmp_path)
    assert job.status == "rejected" and "#%d" % world.customers["team"].pk in job.errors[0]["message"]


def test_xlsx_and_gb18030_files(world, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.append(HEADER)
    ws.append(["表格客户", 13912340000, "x@example.com", "rep_a", "", "北京"])  # Excel keeps phones as numbers
    book.save(tmp_path / "c.xlsx")
    job = services.import_file_sync(actor=world.manager, kind="customers", path=str(tmp_path / "c.xlsx"), key="phone")
    assert job.status == "done" and Customer.objects.get(name="表格客户").phone == "+8613912340000"
    job = _import(world, "manager", _csv([["国标客户", "13912340001", "", "", "", "广州"]], encoding="gb18030"),
                  name="gb.csv", tmp_path=tmp_path)
    assert job.status == "done" and Customer.objects.filter(name="国标客户", city="广州").exists()


def test_contacts_attach_to_customers_by_the_key(world, tmp_path):
    data = _csv([["13800000001", "王秘书", "秘书", "13677778888"], ["13800000009", "无主", "", ""]],
                header=["客户电话", "姓名", "职务", "手机"])
    job = _import(world, "manager", data, kind="contacts", tmp_path=tmp_path)
    assert job.status == "rejected" and job.errors[0]["row"] == 3
    job = _import(world, "manager", _csv([["13800000001", "王秘书", "秘书", "13677778888"]],
                                         header=["客户电话", "姓名", "职务", "手机"]), kind="contacts", tmp_path=tmp_path)
    assert job.status == "done"
    contact = Contact.objects.get(name="王秘书")
    assert contact.customer == world.customers["own"] and contact.phone == "+8613677778888"
    assert [c.name for c in selectors.global_search(actor=world.rep_a, q="wms")["contacts"]] == ["王秘书"]


def test_exported_phone_with_formula_guard_round_trips(world, tmp_path, client_for):
    response = client_for("manager").get("/customers/export/?format=csv")
    text = response.content.decode("utf-8-sig")
    assert "'+8613800000001" in text  # the exporter guarded the leading +
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    name_col, phone_col = header.index("名称"), header.index("电话")
    data = _csv([[r[name_col], r[phone_col]] for r in body], header=["名称", "电话"])
    before = Customer.objects.count()
    job = _import(world, "manager", data, tmp_path=tmp_path)
    assert job.status == "done" and job.updated_count == len(body) and job.created_count == 0
    assert Customer.objects.count() == before


def test_pages_upload_map_check_and_start(world, client_for, django_capture_on_commit_callbacks):
    c = client_for("manager")
    upload = SimpleUploadedFile("c.csv", _csv(_clean_rows(30)), content_type="text/csv")
    r = c.post("/imports/", {"kind": "customers", "key": "phone", "file": upload})
    job = ImportJob.objects.get()
    assert r.status_code == 302 and job.mapping == {"0": "name", "1": "phone", "2": "email", "3": "owner", "4": "tags", "5": "city"}
    page = c.get(f"/imports/{job.pk}/").content.decode()
    assert "客户名称" in page
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{job.pk}/check/", {f"column_{i}": f for i, f in job.mapping.items()} | {"key": "phone"})
    job.refresh_from_db()
    assert job.status == "checked" and Customer.objects.filter(name__startswith="客户").count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{job.pk}/start/")
    job.refresh_from_db()
    assert job.status == "done" and Customer.objects.filter(name__startswith="客户").count() == 30
    assert 'data-testid="done"' in c.get(f"/imports/{job.pk}/").content.decode()


def test_import_permissions(world, client_for, tmp_path):
    r = client_for("rep_a").post("/imports/", {"kind": "customers", "file": SimpleUploadedFile("c.csv", _csv(_clean_rows(2)))})
    assert r.status_code == 403 and not ImportJob.objects.exists()
    job = _import(world, "manager", _csv(_clean_rows(2)), dry_run=True, tmp_path=tmp_path)
    assert client_for("admin_b").get(f"/imports/{job.pk}/").status_code in (403, 404)
    assert client_for("admin").get(f"/imports/{job.pk}/").status_code == 404  # another user's job
    assert client_for("admin_b").post(f"/imports/{job.pk}/start/").status_code in (403, 404)
    assert ImportJob.objects.get(pk=job.pk).status == "checked"


def test_manager_cannot_import_for_another_store(world, tmp_path):
    job = _import(world, "manager", _csv([["外店客户", "13912349999", "", "rep_d", "", ""]]), tmp_path=tmp_path)
    assert job.status == "rejected" and job.errors[0]["column"] == "owner"


def test_a_bad_row_after_written_batches_rolls_them_back(world, tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "BATCH", 500)  # several batches are written before the bad row is read
    rows = _clean_rows(3000)
    rows[2900][1] = "12345"  # row 2902
    before = (Customer.objects.count(), SearchKey.objects.count(), AuditEntry.objects.filter(action="import").count())
    job = _import(world, "manager", _csv(rows), tmp_path=tmp_path)
    assert job.status == ImportJob.Status.REJECTED and [(e["row"], e["column"]) for e in job.errors] == [(2902, "phone")]
    assert (job.total_rows, job.created_count) == (3000, 0)
    after = (Customer.objects.count(), SearchKey.objects.count(), AuditEntry.objects.filter(action="import").count())
    assert after == before


def test_batches_write_every_row_once(world, tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "BATCH", 700)
    job = _import(world, "manager", _csv(_clean_rows(2000)), tmp_path=tmp_path)
    assert (job.status, job.created_count) == (ImportJob.Status.DONE, 2000)
    assert Customer.objects.filter(name__startswith="客户").count() == 2000
    assert Customer.objects.filter(name="客户01999", timeline__kind="imported").count() == 1


def test_xlsx_rows_read_as_openpyxl_reads_them(tmp_path):
    import datetime

    from openpyxl import Workbook, load_workbook
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    from guanxi.imports.xlsx import iter_values

    book = Workbook()
    ws = book.active
    ws.append(["名称", "电话", "日期", "布尔", "公式", "空", "小数"])
    ws.append(["王伟", 13812345678, datetime.datetime(2024, 5, 1, 12, 30), True, "=1+2", None, 1.5])
    ws.append([CellRichText("富", TextBlock(InlineFont(b=True), "文本")), "138 1234 5678", datetime.date(2024, 1, 2),
               False, "#N/A", "", 2.0])
    ws["J7"] = "远处"
    ws["C10"] = datetime.time(12, 0)
    book.save(tmp_path / "t.xlsx")
    theirs = load_workbook(tmp_path / "t.xlsx", read_only=True, data_only=True)
    ours = load_workbook(tmp_path / "t.xlsx", read_only=True, data_only=True)
    expected = list(theirs.worksheets[0].iter_rows(values_only=True))
    assert list(iter_values(ours, ours.worksheets[0])) == expected and len(expected) == 10
