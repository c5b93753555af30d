"""Reading uploaded CSV (UTF-8, UTF-8 with BOM, GB18030) and XLSX files as rows of strings, streamed."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_COLUMNS = 60


def _encoding(path: str) -> str:
    """UTF-8 (with or without BOM) or GB18030, judged on the first megabyte."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    raise ValidationError({"file": [_("The file is neither UTF-8 nor GB18030 text.")]})


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone typed into Excel comes back as 13800000000.0
    text = str(value).strip()
    # Undo our own export's formula guard, so exported data re-imports unchanged.
    if text.startswith("'") and len(text) > 1 and text[1] in "=+-@\t\r\n\x00|%＝＋－＠ ":
        text = text[1:]
    return text


def open_rows(path: str) -> tuple[list[str], Iterator[list[str]]]:
    """(header, iterator over the following rows); every cell a stripped string."""
    if path.lower().endswith(".xlsx"):
        return _xlsx(path)
    fh = open(path, encoding=_encoding(path), newline="")  # noqa: SIM115 - closed by the generator
    reader = csv.reader(fh)
    try:
        header = [_cell(h) for h in next(reader)][:MAX_COLUMNS]
    except StopIteration:
        fh.close()
        raise ValidationError({"file": [_("The file is empty.")]}) from None
    except (csv.Error, UnicodeDecodeError):
        fh.close()
        raise ValidationError({"file": [_("The file is not a valid CSV file.")]}) from None

    def body():
        with fh:
            for row in reader:
                if any(c.strip() for c in row):
                    yield [_cell(c) for c in row[:MAX_COLUMNS]]

    return header, body()


def _xlsx(path: str):
    from openpyxl import load_workbook

    from guanxi.imports.xlsx import iter_values

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken or non-XLSX file
        raise ValidationError({"file": [_("The file is not a valid XLSX workbook.")]}) from None
    sheet = book.worksheets[0]
    rows = iter_values(book, sheet)  # what sheet.iter_rows(values_only=True) gives, read faster
    try:
        header = [_cell(h) for h in next(rows)][:MAX_COLUMNS]
    except StopIteration:
        raise ValidationError({"file": [_("The file is empty.")]}) from None

    def body():
        try:
            for row in rows:
                cells = [_cell(c) for c in row[:MAX_COLUMNS]]
                if any(cells):
                    yield cells
        finally:
            book.close()

    return header, body()


def count_rows(path: str) -> int:
    _header, rows = open_rows(path)
    return sum(1 for _ in rows)
