"""Gap-free document numbers per organisation, kind and year: Q-2026-00001, HT-2026-00001, SO-2026-00001."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from guanxi.sales.models import NumberSequence

PREFIXES = {"quote": "Q", "contract": "HT", "order": "SO"}


def next_number(organization_id: int, kind: str) -> str:
    """Take the next number inside the caller's transaction; the row lock serialises writers,
    and a rolled-back document gives its number back."""
    year = timezone.localdate().year
    with transaction.atomic():
        NumberSequence.objects.get_or_create(organization_id=organization_id, kind=kind, year=year)
        seq = NumberSequence.objects.select_for_update().get(organization_id=organization_id, kind=kind, year=year)
        seq.last += 1
        seq.save(update_fields=["last"])
    return f"{PREFIXES[kind]}-{year}-{seq.last:05d}"
