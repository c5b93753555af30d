"""Fill the catalogues after `make messages`: zh_Hans from TSV files given as arguments (lines
"msgctxt<TAB>msgid<TAB>msgstr", context may be empty, "\\n" for newlines); en gets msgstr = msgid.
Prints the zh_Hans entries still untranslated (context<TAB>msgid), so they can be added to a TSV.

    .venv/bin/python scripts/fill-translations.py new-strings.tsv
"""
import sys
from pathlib import Path

import polib

root = Path(__file__).resolve().parents[1] / "src/guanxi/locale"
table = {}
for path in sys.argv[1:]:
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) == 2:
            parts = [""] + parts
        ctx, mid, mstr = parts
        table[(ctx, mid.replace("\\n", "\n"))] = mstr.replace("\\n", "\n")
zh = polib.pofile(f"{root}/zh_Hans/LC_MESSAGES/django.po")
left = []
for e in zh:
    if e.obsolete:
        continue
    key = (e.msgctxt or "", e.msgid)
    if key in table:
        if e.msgid_plural:
            e.msgstr_plural = {0: table[key]}
        else:
            e.msgstr = table[key]
        if "fuzzy" in e.flags:
            e.flags.remove("fuzzy")
    elif "fuzzy" in e.flags or not (e.msgstr or (e.msgstr_plural and all(e.msgstr_plural.values()))):
        left.append(e)
zh.save()
en = polib.pofile(f"{root}/en/LC_MESSAGES/django.po")
for e in en:
    if e.msgid_plural:
        e.msgstr_plural = {0: e.msgid, 1: e.msgid_plural}
    else:
        e.msgstr = e.msgid
    if "fuzzy" in e.flags:
        e.flags.remove("fuzzy")
en.save()
for e in left:
    print(f"{e.msgctxt or ''}\t{e.msgid!r}")
print(len(left), "untranslated", file=sys.stderr)
