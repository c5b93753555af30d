"""Search keys for customers and contacts, and turning a typed query into key prefixes."""

from __future__ import annotations

from guanxi.core.phones import phone_keys, query_digits
from guanxi.core.pinyin import compact, name_keys

KEY_MAX = "\U0010ffff"


def customer_keys(customer) -> set[str]:
    keys = name_keys(customer.name, person=customer.kind == "person")
    for phone in (customer.phone, customer.phone2):
        keys |= phone_keys(phone)
    if customer.email:
        keys.add(customer.email.lower()[:100])
    return keys


def contact_keys(contact) -> set[str]:
    keys = name_keys(contact.name, person=True) | phone_keys(contact.phone)
    if contact.email:
        keys.add(contact.email.lower()[:100])
    return keys


def query_prefixes(q: str) -> list[str]:
    """The key prefixes a query should match: as typed (lower-cased), without spaces, and as digits."""
    q = " ".join((q or "").replace("\x00", "").lower().split())[:100]  # PostgreSQL refuses NUL in text
    if not q:
        return []
    prefixes = {q, compact(q)}
    digits = query_digits(q)
    if digits and len(digits) >= 3 and len(digits) * 2 >= len(compact(q)):
        prefixes.add(digits)
    return sorted(p for p in prefixes if p)
