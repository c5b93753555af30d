"""The first journey of the issue: log in, create a customer with a Chinese name, find it by its
pinyin initials in the global search, open it, add a contact, see both on the timeline, switch
language to English and back."""

import re

import pytest
from playwright.sync_api import expect

from guanxi.customers.models import Contact, Customer
from guanxi.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, username):
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 and "/static/" in r.url else None)
    page.goto("/accounts/login/")
    # Bootstrap's stylesheet really loaded (a missing static file would leave the page unstyled).
    assert page.locator("button[type=submit]").evaluate("b => getComputedStyle(b).borderRadius") != "0px"
    assert failed == [], failed
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/today/"))


def test_create_find_by_initials_add_contact_and_switch_language(page, world):
    login(page, "rep_a")

    page.goto("/customers/new/")
    page.fill("input[name=name]", "诸葛亮")
    page.select_option("select[name=kind]", "person")
    page.fill("input[name=phone]", "139 0000 8888")
    page.locator("#main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/customers/\d+/$"))
    customer = Customer.objects.get(name="诸葛亮")
    assert customer.owner == world.rep_a and customer.phone == "+8613900008888"

    page.goto("/today/")
    search = page.locator("input[type=search][name=q]").first
    search.click()
    search.press_sequentially("zgl", delay=60)
    result = page.locator(f"a[href='/customers/{customer.pk}/']").first
    expect(result).to_be_visible(timeout=5000)
    result.click()
    page.wait_for_url(f"**/customers/{customer.pk}/")
    expect(page.locator("h1")).to_contain_text("诸葛亮")

    page.goto(f"/customers/{customer.pk}/contacts/new/")
    page.fill("input[name=name]", "黄月英")
    page.fill("input[name=title]", "总经理")
    page.locator("#main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(rf"/customers/{customer.pk}/"))
    assert Contact.objects.filter(customer=customer, name="黄月英").exists()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("黄月英")
    expect(timeline.locator("li, .timeline-item").nth(1)).to_be_visible()
    assert timeline.locator("li, .timeline-item").count() >= 2  # created + contact added

    html_lang = lambda: page.locator("html").get_attribute("lang")  # noqa: E731
    assert html_lang() == "zh-hans"
    page.locator("[data-testid=user-menu]").click()
    page.locator("[data-testid=language-en]").click()
    page.wait_for_load_state("load")
    assert html_lang() == "en"
    expect(page.locator("nav")).to_contain_text("Customers")
    page.locator("[data-testid=user-menu]").click()
    page.locator("[data-testid=language-zh-hans]").click()
    page.wait_for_load_state("load")
    assert html_lang() == "zh-hans"
    expect(page.locator("nav")).to_contain_text("客户")
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors
