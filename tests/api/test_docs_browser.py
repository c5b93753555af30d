"""The browsable API docs in a real chromium under the site's CSP: they render, raise no CSP
violation, and "Try it out" reaches the API with a token."""

import os
import shutil

import pytest


CHROMIUM = os.environ.get("GUANXI_CHROMIUM", "/usr/bin/chromium")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


@pytest.fixture
def chromium():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def secret(transactional_db):
    """A token for rep_a, committed (the live server reads it) before the browser starts: ORM work
    done while Playwright's sync API runs (it switches greenlets) left a PostgreSQL connection open
    that then blocked dropping the test database."""
    from guanxi.core import services
    from guanxi.core.tenancy import unscoped
    from guanxi.testing import build_world

    with unscoped():
        world = build_world(with_customers=False)
        _t, secret = services.token_create(actor=None, user=world.rep_a)
    return secret


def test_docs_work_under_the_csp(secret, live_server, chromium):
    page = chromium.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    response = page.goto(live_server.url + "/api/v1/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock", timeout=15000)
    from guanxi.api import api
    operations = sum(1 for ops in api.get_openapi_schema()["paths"].values() for method in ops
                     if method in ("get", "post", "put", "patch", "delete"))
    assert operations >= 15 and page.locator(".opblock").count() == operations  # every operation is shown

    page.locator("button.authorize").click()
    page.locator(".auth-container input").fill(secret)
    page.locator(".auth-btn-wrapper button.authorize").click()
    page.locator("button.btn-done").click()

    me = page.locator("#operations-me-me")
    me.locator(".opblock-summary").click()
    me.locator("button.try-out__btn").click()
    me.locator("button.execute").click()
    page.wait_for_selector("#operations-me-me .live-responses-table tr.response", timeout=15000)
    assert me.locator(".live-responses-table tr.response .response-col_status").first.inner_text().strip() == "200"
    assert '"username": "rep_a"' in me.locator(".live-responses-table .microlight").first.inner_text()
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert not problems, problems
