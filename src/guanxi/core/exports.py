"""Spreadsheet export with formula injection neutralised (OWASP ASVS 5.0 §1.2.10).

Every string cell that a spreadsheet could read as a formula gets a leading apostrophe: a first
character of = + - @ tab CR LF NUL, the full-width ＝ ＋ － ＠, or any of these after leading
spaces (ordinary, no-break or ideographic). Numbers stay numbers. XLSX is written with
strings_to_formulas off as a second guard, so no cell is ever stored as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

import xlsxwriter

TRIGGERS = frozenset("=+-@\t\r\n\x00|%＝＋－＠")
LEADING_SPACE = " \u00a0\u3000"


def neutralise(value):
    if not isinstance(value, str) or not value:
        return value
    stripped = value.lstrip(LEADING_SPACE)
    if value[0] in TRIGGERS or (stripped and stripped[0] in TRIGGERS):
        return "'" + value
    return value


def to_csv(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """UTF-8 with BOM so Excel opens Chinese text correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence], sheet: str = "Sheet1") -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False, "constant_memory": False})
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True})
    for col, h in enumerate(header):
        ws.write_string(0, col, neutralise(str(h)), bold)
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                ws.write_boolean(r, col, value)
            elif isinstance(value, (int, float, Decimal)):  # money stays a number a sheet can add up
                ws.write_number(r, col, value)
            else:
                ws.write_string(r, col, neutralise(str(value)))
    book.close()
    return buf.getvalue()


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
