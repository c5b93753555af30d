"""Customer pages: what a user sees, what the database holds, and constant query counts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.customers import services
from guanxi.customers.models import Customer, TimelineEvent


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_customer_list_query_count_does_not_grow_with_rows(world, client_for):
    c = client_for("admin")
    few = _queries(c, "/customers/?page_size=100")
    for i in range(30):
        services.customer_create(actor=world.admin, data={"name": f"批量{i}", "tags": ["甲", "乙"],
                                                          "owner": world.rep_a.pk}, allow_duplicate=True)
    assert _queries(c, "/customers/?page_size=100") == few


def test_customer_page_query_count_does_not_grow_with_contacts_and_events(world, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    c = client_for("admin")
    customer = world.customers["own"]
    url = f"/customers/{customer.pk}/"
    services.contact_create(actor=world.admin, customer=customer, data={"name": "甲"})
    services.attachment_add(actor=world.admin, customer=customer, upload=SimpleUploadedFile("a.txt", b"a"))
    one = _queries(c, url)
    boss = services.contact_create(actor=world.admin, customer=customer, data={"name": "老板"})
    for i in range(10):
        services.contact_create(actor=world.admin, customer=customer, data={"name": f"员工{i}", "reports_to": boss.pk})
        services.note_add(actor=world.admin, customer=customer, body=f"备注{i}")
        services.attachment_add(actor=world.admin, customer=customer, upload=SimpleUploadedFile(f"{i}.txt", b"a"))
    assert _queries(c, url) == one


def test_customer_page_shows_details_contacts_org_chart_and_timeline(world, client_for):
    customer = world.customers["own"]
    boss = services.contact_create(actor=world.rep_a, customer=customer, data={"name": "王总", "title": "总经理"})
    services.contact_create(actor=world.rep_a, customer=customer, data={"name": "李助理", "reports_to": boss.pk})
    services.note_add(actor=world.rep_a, customer=customer, body="第一次拜访")
    html = client_for("rep_a").get(f"/customers/{customer.pk}/").content.decode()
    assert "张三" in html and "+86 138 0000 0001" in html and "第一次拜访" in html
    chart = html.split('data-testid="org-chart"')[1].split("</div>")[0]
    assert chart.index("王总") < chart.index("李助理") and chart.count("<ul") == 2  # 李助理 is nested under 王总
    assert "新增联系人：王总" in html  # timeline line in the reader's language


def test_create_shows_duplicates_then_creates_anyway(world, client_for):
    c = client_for("manager")
    data = {"kind": "person", "name": "张三", "stage": "lead", "source": "other", "phone": "13800000001"}
    r = c.post("/customers/new/", data)
    assert r.status_code == 422 and 'data-testid="duplicates"' in r.content.decode()
    assert Customer.objects.filter(name="张三").count() == 1
    r = c.post("/customers/new/", {**data, "allow_duplicate": "on"})
    assert r.status_code == 302 and Customer.objects.filter(name="张三").count() == 2


def test_bad_input_is_shown_inline_and_writes_nothing(world, client_for):
    before = Customer.objects.count()
    r = client_for("rep_a").post("/customers/new/", {"kind": "person", "name": "王五", "stage": "lead",
                                                     "source": "other", "phone": "12345"})
    html = r.content.decode()
    assert r.status_code == 422 and "invalid-feedback" in html and "请输入有效的电话号码" in html
    assert Customer.objects.count() == before


def test_note_via_htmx_returns_the_timeline_fragment(world, client_for):
    customer = world.customers["own"]
    r = client_for("rep_a").post(f"/customers/{customer.pk}/notes/", {"body": "电话回访"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'id="timeline"' in r.content.decode() and "<html" not in r.content.decode()
    assert TimelineEvent.objects.filter(customer=customer, kind="note", body="电话回访").exists()
    r = client_for("rep_a").post(f"/customers/{customer.pk}/notes/", {"body": ""}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422


def test_attachment_is_served_as_a_download_with_nosniff(world, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    att = services.attachment_add(actor=world.rep_a, customer=world.customers["own"],
                                  upload=SimpleUploadedFile("x.html", b"<script>alert(1)</script>"))
    r = client_for("rep_b").get(f"/attachments/{att.pk}/download/")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    assert r["X-Content-Type-Options"] == "nosniff" and r["Content-Type"] == "application/octet-stream"
    assert "sandbox" in r["Content-Security-Policy"]
    assert client_for("rep_c").get(f"/attachments/{att.pk}/download/").status_code == 404


def test_language_switch_is_stored_and_pages_follow_it(world, client_for):
    c = client_for("rep_a")
    assert '<html lang="zh-hans">' in c.get("/customers/").content.decode()
    c.post("/account/language/", {"language": "en", "next": "/customers/"})
    world.rep_a.refresh_from_db()
    assert world.rep_a.language == "en"
    html = c.get("/customers/").content.decode()
    assert '<html lang="en">' in html and ">Customers<" in html.replace(" ", "")
    r = c.post("/account/language/", {"language": "en", "next": "https://evil.example/"})
    assert r["Location"] == "/today/"


def test_times_are_shown_in_the_users_store_time_zone(world, client_for):
    from guanxi.core.models import Store

    Store.objects.filter(pk=world.stores["S1"].pk).update(timezone="Europe/London")
    customer = world.customers["own"]
    html = client_for("rep_a").get(f"/customers/{customer.pk}/").content.decode()
    from zoneinfo import ZoneInfo

    london = customer.created_at.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%d %H:%M")
    assert london in html


@pytest.mark.parametrize("sort", ["name", "-name", "owner", "stage", "-created", "'; DROP TABLE x;--", "name__id"])
def test_sort_and_filters_are_allow_listed(world, client_for, sort):
    r = client_for("admin").get("/customers/", {"sort": sort, "stage": "nope", "owner": "99999999999999999999",
                                                "page": "abc", "page_size": "7"})
    assert r.status_code == 200 and "张三" in r.content.decode()


@pytest.mark.parametrize("q", ["\x00", "zs\x00", "%", "_", "\\", "' OR 1=1 --", "\U0010ffff", "张" * 500])
def test_odd_search_input_never_breaks_the_pages(world, client_for, q):
    c = client_for("admin")
    assert c.get("/search/", {"q": q}).status_code == 200
    assert c.get("/search/", {"q": q}, HTTP_HX_REQUEST="true").status_code == 200
    assert c.get("/customers/", {"q": q}).status_code == 200
    assert c.get("/contacts/", {"q": q}).status_code == 200


def test_edit_forms_open_with_the_current_values(world, client_for):
    customer = world.customers["own"]
    html = client_for("rep_a").get(f"/customers/{customer.pk}/edit/").content.decode()
    assert 'value="张三"' in html and 'value="+8613800000001"' in html
    contact = services.contact_create(actor=world.rep_a, customer=customer, data={"name": "王秘书", "title": "秘书"})
    html = client_for("rep_a").get(f"/contacts/{contact.pk}/edit/").content.decode()
    assert 'value="王秘书"' in html and 'value="秘书"' in html
