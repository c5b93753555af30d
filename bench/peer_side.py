"""Runs INSIDE the peer's virtualenv (BottleCRM, PyPI `django-crm`), never imported by Guanxi.

    python peer_side.py settings   → writes peer_settings.py next to this file (done by bench/peer.py)
    python peer_side.py seed CUSTOMERS_CSV CONTACTS_CSV OUT_JSON

`seed` creates one organisation, an ADMIN profile and a personal access token, then loads the same
generated people as leads (one per customer row) and the same contacts, with the ORM's bulk_create
(the peer's API would take hours for 100k rows). Prints nothing; writes {"token": …} to OUT_JSON.
"""

from __future__ import annotations

import csv
import json
import sys


def _split(name: str) -> tuple[str, str]:
    """(first, last) for a Chinese name: 王小明 → (小明, 王)."""
    return (name[1:] or name), name[:1]


def seed(customers_csv: str, contacts_csv: str, out: str) -> None:
    import django

    django.setup()
    from django.db import connection, transaction

    from common.models import Org, PersonalAccessToken, Profile, User
    from contacts.models import Contact
    from leads.models import Lead

    user = User.objects.create_user(email="bench@bench.example.com", password="Bench-peer-2026!")
    org = Org.objects.create(name="Bench", default_currency="CNY", default_country="CN")
    if connection.vendor == "postgresql":  # RLS context (a superuser bypasses RLS anyway)
        from common.rls import get_set_context_sql

        with connection.cursor() as cur:
            cur.execute(get_set_context_sql(), [str(org.id)])
    profile = Profile.objects.create(user=user, org=org, role="ADMIN", has_sales_access=True,
                                     has_marketing_access=True, is_active=True, is_organization_admin=True)
    raw, _pat = PersonalAccessToken.generate(profile, "bench")
    with transaction.atomic():
        batch = []
        with open(customers_csv, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            for name, _kind, phone, email, city, _tags in reader:
                first, last = _split(name)
                batch.append(Lead(title=name, first_name=first, last_name=last, email=email or None,
                                  phone="+86" + phone, phone_e164="+86" + phone, status="assigned", city=city,
                                  country="CN", org=org, created_by=user))
                if len(batch) == 5000:
                    Lead.objects.bulk_create(batch)
                    batch = []
        Lead.objects.bulk_create(batch)
        batch = []
        with open(contacts_csv, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            for _customer_phone, name, phone, department in reader:
                first, last = _split(name)
                batch.append(Contact(first_name=first, last_name=last, phone="+86" + phone, phone_e164="+86" + phone,
                                     department=department, org=org, created_by=user))
                if len(batch) == 5000:
                    Contact.objects.bulk_create(batch)
                    batch = []
        Contact.objects.bulk_create(batch)
    with open(out, "w") as fh:
        json.dump({"token": raw, "leads": Lead.objects.filter(org=org).count(),
                   "contacts": Contact.objects.filter(org=org).count()}, fh)


SETTINGS = '''"""BottleCRM settings for the benchmark (written by bench/peer.py): its own settings, plus
SQLite with the same options Guanxi uses when PEER_SQLITE is set, and no Redis (Celery's in-memory
transport: tasks queue up, nothing consumes them)."""
import os

from crm.settings import *  # noqa: F401,F403

if os.environ.get("PEER_SQLITE"):
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["PEER_SQLITE"],
                             "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": (
                                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=20000; "
                                 "PRAGMA foreign_keys=ON;")}}}
CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = "cache+memory://"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
'''


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        seed(*sys.argv[2:5])
