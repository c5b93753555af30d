"""Phone numbers: parsed with libphonenumber, stored as E.164, searched by national digits."""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_DIGITS = re.compile(r"\D+")
# An 11-digit Chinese mobile as people type it. For these strings libphonenumber's parse() does
# nothing but read the digits: no international (00, 1[12]xx00, 179xx00) or national (0,
# 1[12]xx, 179xx) prefix can match, and they do not start with 86. So the number is built here
# and only its validity asked, which is most of a bulk import's phone work saved (same results:
# test_phones checks them against parse()).
_CN_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def _cn_mobile(digits: str) -> bool:
    return _CN_MOBILE.fullmatch(digits) is not None and not digits.startswith("179")


def normalize_phone(raw: str, region: str = "CN") -> str:
    """'138 1234 5678' → '+8613812345678'. Empty stays empty; anything else invalid raises."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    if region == "CN" and _cn_mobile(raw):
        if phonenumbers.is_valid_number(phonenumbers.PhoneNumber(country_code=86, national_number=int(raw))):
            return "+86" + raw
        raise ValidationError(_("Enter a valid phone number."), code="invalid_phone")
    return _parse_phone(raw, region)


def _parse_phone(raw: str, region: str) -> str:
    if len(raw) > 40:
        raise ValidationError(_("Enter a valid phone number."), code="invalid_phone")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("Enter a valid phone number."), code="invalid_phone") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Enter a valid phone number."), code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national_digits(e164: str) -> str:
    """'+8613812345678' → '13812345678' (what people type and remember)."""
    if not e164:
        return ""
    if e164.startswith("+86") and _cn_mobile(e164[3:]):  # what parse() would read, as above
        return e164[3:]
    try:
        return str(phonenumbers.parse(e164, None).national_number)
    except phonenumbers.NumberParseException:
        return _DIGITS.sub("", e164)


def display_phone(e164: str) -> str:
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_keys(e164: str) -> set[str]:
    """National digits and every suffix of 4+ digits, so '5678' and '1381234' both find it."""
    digits = national_digits(e164)
    if not digits:
        return set()
    return {digits} | {digits[i:] for i in range(1, len(digits) - 3)}


def query_digits(q: str) -> str:
    """Digits of a search query, without a leading +86 / 0086 country code."""
    stripped = q.strip()
    digits = _DIGITS.sub("", stripped)
    if stripped.startswith("+86") or stripped.startswith("0086"):
        digits = digits[2:] if stripped.startswith("+") else digits[4:]
    return digits
