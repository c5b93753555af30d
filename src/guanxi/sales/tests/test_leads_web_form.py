"""The public lead form /f/<key>/: a real submission, and every way a bad one is refused
without creating anything."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from guanxi.core.models import Notification
from guanxi.sales.models import Lead
from guanxi.sales.services.web_forms import RATE_LIMIT, issue_token, web_form_create, web_form_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def web_form(sales_world):
    w = sales_world
    return web_form_create(actor=w.marketing, data={
        "name": "官网咨询", "campaign": "2026 官网", "owner": w.manager.pk, "team": w.teams["T1"].pk,
        "thank_you": "谢谢，我们会尽快联系您。"})


def aged(form, seconds=30):
    return issue_token(form, now=time.time() - seconds)


def valid(form, **extra):
    return {"name": "访客甲", "phone": "13955556666", "email": "visitor@example.com", "company": "访客公司",
            "city": "上海", "notes": "想了解报价", "token": aged(form), **extra}


def post(form, data, client=None, **kwargs):
    return (client or Client()).post(f"/f/{form.key}/", data, **kwargs)


def test_the_form_renders_alone_and_is_embeddable(web_form):
    response = Client().get(f"/f/{web_form.key}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="token"' in html and 'name="website"' in html and "官网咨询" in html
    assert "navbar" not in html and "<script" not in html
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert "csrfmiddlewaretoken" not in html


def test_listed_websites_alone_may_frame_it(sales_world, web_form):
    web_form_update(actor=sales_world.marketing, form=web_form,
                    data={"allowed_origins": "https://www.example.com\nhttps://shop.example.com/"})
    csp = Client().get(f"/f/{web_form.key}/")["Content-Security-Policy"]
    assert "frame-ancestors https://www.example.com https://shop.example.com" in csp


def test_a_good_submission_becomes_a_lead_of_the_teams_next_rep(sales_world, web_form):
    w = sales_world
    response = post(web_form, valid(web_form))
    assert response.status_code == 200, response.content.decode()[:500]
    assert "谢谢，我们会尽快联系您。" in response.content.decode()
    lead = Lead.objects.get(web_form=web_form)
    assert (lead.name, lead.phone, lead.source, lead.campaign) == ("访客甲", "+8613955556666", "web", "2026 官网")
    assert lead.owner == w.rep_a and lead.store == w.stores["S1"] and lead.created_by is None
    assert Notification.objects.filter(recipient=w.rep_a, url=f"/leads/{lead.pk}/").exists()
    post(web_form, valid(web_form, phone="13955557777", name="访客乙"))
    assert Lead.objects.get(name="访客乙").owner == w.rep_b  # round-robin within team T1


def test_without_a_team_the_owner_gets_the_lead(sales_world, web_form):
    web_form_update(actor=sales_world.marketing, form=web_form, data={"team": None})
    assert post(web_form, valid(web_form)).status_code == 200
    assert Lead.objects.get(web_form=web_form).owner == sales_world.manager


def _refused(form, data, status, **kwargs):
    before = Lead.objects.count()
    response = post(form, data, **kwargs)
    assert response.status_code == status, (response.status_code, response.content.decode()[:300])
    assert Lead.objects.count() == before
    return response


def test_the_honeypot_refuses(web_form):
    _refused(web_form, valid(web_form, website="http://spam.example"), 400)


def test_faster_than_a_person_refuses(web_form):
    response = _refused(web_form, valid(web_form, token=issue_token(web_form)), 400)
    assert 'name="token"' in response.content.decode()  # a fresh form to send again


@pytest.mark.parametrize("token", ["", "garbage", "a" * 600])
def test_missing_or_forged_token_refuses(web_form, token):
    _refused(web_form, valid(web_form, token=token), 400)


def test_another_forms_token_refuses(sales_world, web_form):
    other = web_form_create(actor=sales_world.marketing, data={"name": "另一个", "owner": sales_world.manager.pk})
    _refused(web_form, valid(web_form, token=aged(other)), 400)


def test_stale_token_refuses(web_form):
    _refused(web_form, valid(web_form, token=aged(web_form, seconds=2 * 24 * 3600)), 400)


def test_more_than_the_rate_limit_per_minute_is_429(web_form):
    client = Client()
    for _ in range(RATE_LIMIT):
        assert post(web_form, valid(web_form, website="x"), client).status_code == 400
    _refused(web_form, valid(web_form), 429, client=client)
    other_address = Client(REMOTE_ADDR="10.0.0.9")
    assert post(web_form, valid(web_form), other_address).status_code == 200


def test_an_oversize_body_is_413(web_form):
    _refused(web_form, valid(web_form, notes="长" * 10000), 413)


def test_an_oversize_field_is_400_with_the_field_error(web_form):
    response = _refused(web_form, valid(web_form, name="名" * 101), 400)
    assert "is-invalid" in response.content.decode()


@pytest.mark.parametrize("changes", [
    {"email": "not an email"}, {"phone": "12"}, {"name": ""}, {"phone": "", "email": ""},
    {"name": "a\x00b"}, {"unexpected": "field"}, {"organization": "1"},
])
def test_garbage_is_400_and_creates_nothing(web_form, changes):
    data = valid(web_form)
    data.update(changes)
    _refused(web_form, data, 400)


def test_a_repeated_field_or_a_non_form_body_is_400(web_form):
    data = valid(web_form)
    _refused(web_form, {**data, "name": ["甲", "乙"]}, 400)
    _refused(web_form, '{"name": "json"}', 400, content_type="application/json")
    _refused(web_form, b"\xff\xfe\x00garbage", 400, content_type="application/octet-stream")
    _refused(web_form, b"--x\r\nnot a part", 400, content_type="multipart/form-data; boundary=BoUnDaRy")
    _refused(web_form, {**data, "name": SimpleUploadedFile("a.txt", b"file")}, 400)


def test_binary_junk_in_a_url_encoded_body_is_400(web_form):
    _refused(web_form, b"name=%FF%FE&phone=%00%00&token=x", 400,
             content_type="application/x-www-form-urlencoded")


def test_unknown_or_inactive_forms_are_404(sales_world, web_form):
    assert Client().get("/f/no-such-key/").status_code == 404
    before = Lead.objects.count()
    assert Client().post("/f/no-such-key/", valid(web_form)).status_code == 404
    web_form_update(actor=sales_world.marketing, form=web_form, data={"is_active": False})
    assert Client().get(f"/f/{web_form.key}/").status_code == 404
    assert post(web_form, valid(web_form)).status_code == 404
    assert Lead.objects.count() == before


def test_other_methods_are_refused(web_form):
    assert Client().put(f"/f/{web_form.key}/", "x").status_code == 405
