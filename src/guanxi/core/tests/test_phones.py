"""Phone normalisation: the shortcut for typed Chinese mobiles gives what libphonenumber's parse() gives."""

import random

import pytest
from django.core.exceptions import ValidationError

from guanxi.core import phones


def _outcome(fn, *args):
    try:
        return fn(*args)
    except ValidationError:
        return "invalid"


def _samples():
    rng = random.Random(4)
    numbers = [f"1{p:02d}{rng.randrange(10**8):08d}" for p in range(100) for _ in range(3)]
    numbers += [f"179{rng.randrange(10**8):08d}", "17900000000", "11912345678", "12012345678", "10012345678"]
    return numbers


def test_chinese_mobiles_normalise_as_libphonenumber_parses_them():
    for raw in _samples():
        assert _outcome(phones.normalize_phone, raw, "CN") == _outcome(phones._parse_phone, raw, "CN"), raw


def test_national_digits_of_chinese_mobiles_as_libphonenumber_reads_them():
    import phonenumbers

    for raw in _samples():
        e164 = "+86" + raw
        assert phones.national_digits(e164) == str(phonenumbers.parse(e164, None).national_number), raw


@pytest.mark.parametrize("raw, expected", [
    ("13812345678", "+8613812345678"), ("138 1234 5678", "+8613812345678"), ("+86 138-1234-5678", "+8613812345678"),
    ("１３８１２３４５６７８", "+8613812345678"), ("02112345678", "+862112345678"), ("12345", "invalid"), ("", ""),
])
def test_normalize_phone(raw, expected):
    assert _outcome(phones.normalize_phone, raw, "CN") == expected
