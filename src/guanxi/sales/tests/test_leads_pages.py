"""Lead pages: list (filters, sort, constant queries), detail, create, assign, convert with the
duplicate choice, notifications in the navbar, export and import through the shared engine."""

from __future__ import annotations

import csv
import io

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.core.models import Notification
from guanxi.customers.models import Customer
from guanxi.imports.models import ImportJob
from guanxi.sales.models import Lead, LeadScoreRule, WebForm
from guanxi.sales.services.leads import lead_create

pytestmark = pytest.mark.django_db


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_rows(sales_world, client_for):
    c = client_for("admin")
    lead_create(actor=sales_world.admin, data={"name": "第一", "owner": sales_world.rep_b.pk})
    few = _queries(c, "/leads/?page_size=100")
    for i in range(30):
        lead_create(actor=sales_world.admin, data={"name": f"批量{i}", "owner": sales_world.rep_a.pk,
                                                   "province": "上海"})
    assert _queries(c, "/leads/?page_size=100") == few


def test_list_filters_sort_and_htmx_fragment(sales_world, client_for):
    w = sales_world
    lead_create(actor=w.rep_a, data={"name": "甲线索", "status": "qualified", "rating": "hot", "source": "web"})
    lead_create(actor=w.rep_a, data={"name": "乙线索", "status": "new", "source": "event", "province": "北京"})
    c = client_for("rep_a")
    page = c.get("/leads/?status=qualified").content.decode()
    assert "甲线索" in page and "乙线索" not in page
    page = c.get(f"/leads/?territory={w.territories['north'].pk}").content.decode()
    assert "乙线索" in page and "甲线索" not in page
    page = c.get("/leads/?q=jiaxian").content.decode()  # pinyin prefix
    assert "甲线索" in page and "乙线索" not in page
    fragment = c.get("/leads/?sort=name", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and fragment.index("甲线索") < fragment.index("乙线索")


@pytest.mark.parametrize("query", ["sort=id;drop", "sort=-password", "status=bogus", "owner=abc", "territory=-1",
                                   "q=%00", "page=999999", "page_size=7"])
def test_odd_parameters_never_break_the_list(sales_world, client_for, query):
    assert client_for("manager").get(f"/leads/?{query}").status_code == 200


def test_navigation_shows_leads_to_those_who_may_see_them(sales_world, client_for):
    assert 'href="/leads/"' in client_for("rep_a").get("/today/").content.decode()
    assert 'href="/leads/"' not in client_for("cashier").get("/today/").content.decode()


def test_create_page_makes_the_creator_the_owner_and_shows_errors_inline(sales_world, client_for):
    c = client_for("rep_a")
    response = c.post("/leads/new/", {"name": "新线索", "phone": "12", "status": "new", "source": "other"})
    assert response.status_code == 422 and "invalid-feedback" in response.content.decode()
    assert not Lead.objects.filter(name="新线索").exists()
    response = c.post("/leads/new/", {"name": "新线索", "phone": "13911110000", "status": "new", "source": "other"})
    lead = Lead.objects.get(name="新线索")
    assert response.status_code == 302 and lead.owner == sales_world.rep_a


def test_assign_page_notifies_with_a_bell_and_mail(sales_world, client_for, django_capture_on_commit_callbacks):
    w = sales_world
    lead = lead_create(actor=w.manager, data={"name": "待分配"})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("manager").post(f"/leads/{lead.pk}/assign/", {"mode": "user", "owner": w.rep_b.pk})
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).owner == w.rep_b
    assert [m.to for m in mail.outbox] == [["rep_b@example.com"]]
    rep_b = client_for("rep_b")
    home = rep_b.get("/today/").content.decode()
    assert 'data-testid="unread-count">1<' in home
    listing = rep_b.get("/notifications/").content.decode()
    assert "待分配" in listing and f"/leads/{lead.pk}/" in listing
    note = Notification.objects.get(recipient=w.rep_b)
    response = rep_b.post("/notifications/", {"id": note.pk, "next": note.url})
    assert response.status_code == 302 and response["Location"] == note.url
    assert Notification.objects.get(pk=note.pk).read_at is not None
    assert 'data-testid="unread-count"' not in rep_b.get("/today/").content.decode()


def test_round_robin_and_territory_from_the_page(sales_world, client_for):
    w = sales_world
    lead = lead_create(actor=w.admin, data={"name": "轮转", "province": "上海"})
    c = client_for("admin")
    c.post(f"/leads/{lead.pk}/assign/", {"mode": "team", "team": w.teams["T1"].pk})
    assert Lead.objects.get(pk=lead.pk).owner == w.rep_a
    c.post(f"/leads/{lead.pk}/assign/", {"mode": "territory"})
    assert Lead.objects.get(pk=lead.pk).owner == w.rep_d  # the only rep of 华东


def test_convert_page_offers_the_duplicate_and_reuses_it(sales_world, client_for):
    w = sales_world
    own = w.customers["own"]
    lead = lead_create(actor=w.rep_a, data={"name": "张三", "phone": "13800000001"})
    c = client_for("rep_a")
    detail = c.get(f"/leads/{lead.pk}/").content.decode()
    assert f'href="/leads/{lead.pk}/convert/"' in detail
    before = Customer.objects.count()
    response = c.post(f"/leads/{lead.pk}/convert/", {"create_opportunity": "on", "opportunity_name": "张三 采购"})
    page = response.content.decode()
    assert response.status_code == 422 and 'data-testid="duplicates"' in page
    assert f'data-testid="use-customer-{own.pk}"' in page and Customer.objects.count() == before
    response = c.post(f"/leads/{lead.pk}/convert/", {"customer": own.pk, "create_opportunity": "on",
                                                    "opportunity_name": "张三 采购", "amount": "500"})
    assert response.status_code == 302 and response["Location"] == f"/customers/{own.pk}/"
    lead.refresh_from_db()
    assert lead.status == "converted" and lead.converted_customer == own
    assert lead.converted_opportunity.name == "张三 采购" and Customer.objects.count() == before
    detail = c.get(f"/leads/{lead.pk}/").content.decode()
    assert 'data-testid="converted"' in detail and "/convert/" not in detail
    # converting again is refused (the page is 403-free but the service says no)
    response = c.post(f"/leads/{lead.pk}/convert/", {"allow_duplicate": "on"})
    assert response.status_code == 422 and Customer.objects.count() == before


def test_score_rules_and_web_forms_pages(sales_world, client_for):
    c = client_for("marketing")
    response = c.post("/leads/scoring/", {"name": "展会", "field": "source", "operator": "equals", "value": "event",
                                          "points": "15", "is_active": "on"})
    assert response.status_code == 302
    rule = LeadScoreRule.objects.get(name="展会")
    lead = lead_create(actor=sales_world.rep_a, data={"name": "展会客", "source": "event"})
    assert lead.score == 15
    page = c.get("/leads/scoring/").content.decode()
    assert f'form="rule-{rule.pk}"' in page
    response = c.post("/leads/forms/", {"name": "官网", "source": "web", "owner": sales_world.rep_a.pk,
                                        "is_active": "on"})
    form = WebForm.objects.get(name="官网")
    assert response.status_code == 302
    page = c.get(f"/leads/forms/{form.pk}/").content.decode()
    assert f"/f/{form.key}/" in page and "&lt;iframe" in page
    response = c.post("/leads/forms/", {"name": "坏", "source": "web", "owner": sales_world.rep_a.pk,
                                        "allowed_origins": "javascript:alert(1)"})
    assert response.status_code == 422 and not WebForm.objects.filter(name="坏").exists()


def test_export_is_the_filtered_list_with_formulas_neutralised(sales_world, client_for):
    w = sales_world
    lead_create(actor=w.rep_a, data={"name": "=HYPERLINK(\"http://x\")", "company": "+cmd", "status": "qualified"})
    lead_create(actor=w.rep_a, data={"name": "别的", "status": "new"})
    response = client_for("manager").get("/leads/export/?format=csv&status=qualified")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][1] == "'=HYPERLINK(\"http://x\")" and rows[1][2] == "'+cmd"
    xlsx = client_for("manager").get("/leads/export/?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client_for("rep_a").get("/leads/export/?format=csv").status_code == 403


def _lead_csv(rows) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["姓名", "公司", "手机", "邮箱", "省份", "来源", "市场活动", "负责人"])
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def test_leads_import_through_the_shared_import_pages(sales_world, client_for, settings, tmp_path,
                                                     django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    LeadScoreRule.objects.create(organization=sales_world.org, name="展会", field="source", value="event", points=7)
    c = client_for("rep_a")  # a rep may import leads (for themselves), not customers
    assert 'value="leads"' in c.get("/imports/?kind=leads").content.decode()
    assert 'value="customers"' not in c.get("/imports/").content.decode()
    data = _lead_csv([["李四", "四方公司", "13912340001", "ls@example.com", "上海", "活动", "秋季展", ""],
                      ["王五", "", "13912340002", "", "北京", "", "", "rep_a"]])
    response = c.post("/imports/", {"kind": "leads", "key": "phone", "file": SimpleUploadedFile("l.csv", data)})
    job = ImportJob.objects.get(kind="leads")
    assert response.status_code == 302 and job.mapping == {"0": "name", "1": "company", "2": "phone", "3": "email",
                                                           "4": "province", "5": "source", "6": "campaign",
                                                           "7": "owner"}
    mapping = {f"column_{i}": f for i, f in job.mapping.items()}
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{job.pk}/check/", {**mapping, "key": "phone"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED, job.errors
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{job.pk}/start/")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created_count == 2
    li = Lead.objects.get(name="李四")
    assert (li.phone, li.source, li.campaign, li.owner, li.score) == ("+8613912340001", "event", "秋季展",
                                                                     sales_world.rep_a, 7)
    assert li.territory == sales_world.territories["shanghai"]
    assert Lead.objects.get(name="王五").source == "import"
    # the same file again matches by phone and updates instead of duplicating
    response = c.post("/imports/", {"kind": "leads", "key": "phone", "file": SimpleUploadedFile("l.csv", data)})
    again = ImportJob.objects.filter(kind="leads").order_by("-pk").first()
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{again.pk}/check/", {**mapping, "key": "phone"})
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{again.pk}/start/")
    again.refresh_from_db()
    assert (again.status, again.created_count, again.updated_count) == (ImportJob.Status.DONE, 0, 2)
    assert Lead.objects.filter(name__in=["李四", "王五"]).count() == 2
    # a customers file is still refused to a rep
    response = c.post("/imports/", {"kind": "customers", "key": "phone", "file": SimpleUploadedFile("c.csv", data)})
    assert response.status_code == 403


def test_a_bad_lead_file_is_rejected_whole(sales_world, tmp_path, settings):
    from guanxi.imports.services import import_file_sync

    settings.MEDIA_ROOT = tmp_path
    path = tmp_path / "bad.csv"
    path.write_bytes(_lead_csv([["好", "", "13912340003", "", "", "", "", ""],
                                ["", "", "12", "bad", "", "火星", "", "rep_b"]]))
    before = Lead.objects.count()
    job = import_file_sync(actor=sales_world.rep_a, kind="leads", path=str(path))
    assert job.status == ImportJob.Status.REJECTED
    assert {(e["row"], e["column"]) for e in job.errors} == {(3, "name"), (3, "phone"), (3, "email"), (3, "source"),
                                                             (3, "owner")}
    assert Lead.objects.count() == before
