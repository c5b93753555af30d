"""Locust load profile for Guanxi (research T18): staff browsing pages and an integration reading the API.

    locust -f tests/load/locustfile.py --headless -u 8 -r 4 -t 60s -H http://127.0.0.1:PORT

Environment: GX_LOAD_USERNAME / GX_LOAD_PASSWORD (a member of staff who signs in through the login
page), GX_LOAD_TOKEN (an API token). Every user signs in once, learns some customer ids from the
API, then mixes: the customer list (pages, filtered), type-ahead search (full page and the htmx
fragment), the 360 page, and the JSON list/detail. Any status other than 200 is a failure.
"""

from __future__ import annotations

import os
import random
import re

from locust import HttpUser, between, task

QUERIES = ["王", "李", "张伟", "wang", "li", "zh", "zw", "138", "139000", "u1", "example"]


class Staff(HttpUser):
    wait_time = between(0.05, 0.3)

    def on_start(self):
        self.api = {"Authorization": f"Bearer {os.environ['GX_LOAD_TOKEN']}"}
        page = self.client.get("/accounts/login/", name="login page")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        with self.client.post("/accounts/login/", name="login", catch_response=True, allow_redirects=False, data={
            "login": os.environ["GX_LOAD_USERNAME"], "password": os.environ["GX_LOAD_PASSWORD"],
            "csrfmiddlewaretoken": token.group(1) if token else ""},
                headers={"Referer": self.host + "/accounts/login/"}) as r:
            if r.status_code != 302:
                r.failure(f"login answered {r.status_code}")
        listing = self.client.get("/api/v1/customers?page_size=200", headers=self.api, name="/api/v1/customers")
        self.ids = [c["id"] for c in listing.json()["items"]] or [1]

    @task(4)
    def customer_list(self):
        page = random.randint(1, 20)
        self.client.get(f"/customers/?page={page}", name="/customers/?page=N")

    @task(2)
    def customer_list_filtered(self):
        self.client.get(f"/customers/?q={random.choice(QUERIES)}", name="/customers/?q=…")

    @task(4)
    def search(self):
        q = random.choice(QUERIES)
        self.client.get(f"/search/?q={q}", headers={"HX-Request": "true"}, name="/search/?q=… (htmx)")

    @task(1)
    def search_page(self):
        self.client.get(f"/search/?q={random.choice(QUERIES)}", name="/search/?q=…")

    @task(3)
    def detail(self):
        self.client.get(f"/customers/{random.choice(self.ids)}/", name="/customers/ID/")

    @task(4)
    def api_list(self):
        self.client.get(f"/api/v1/customers?page={random.randint(1, 50)}&page_size=50", headers=self.api,
                        name="/api/v1/customers?page=N")

    @task(2)
    def api_detail(self):
        self.client.get(f"/api/v1/customers/{random.choice(self.ids)}", headers=self.api, name="/api/v1/customers/ID")
