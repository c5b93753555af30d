"""Both catalogues are complete: every string the code marks for translation has a zh-Hans translation."""

import shutil
import subprocess
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2]
PO = SRC / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _entries(path: Path) -> dict[str, bool]:
    """msgid → translated? (a tiny .po reader: enough for our catalogue's layout)."""
    text = path.read_text(encoding="utf-8")
    out = {}
    for block in text.split("\n\n"):
        if "msgid" not in block or block.lstrip().startswith("#~"):
            continue
        fuzzy = "#, fuzzy" in block or ", fuzzy" in block
        lines = [ln for ln in block.splitlines() if not ln.startswith("#")]
        msgid, msgstr, current = [], [], None
        for ln in lines:
            if ln.startswith("msgid_plural"):
                current = None
            elif ln.startswith("msgid "):
                current = msgid
                msgid.append(ln[6:].strip('"'))
            elif ln.startswith("msgstr"):
                current = msgstr
                msgstr.append(ln.split(" ", 1)[1].strip('"'))
            elif ln.startswith('"') and current is not None:
                current.append(ln.strip('"'))
        key = "".join(msgid)
        if key:
            out[key] = bool("".join(msgstr)) and not fuzzy
    return out


def test_zh_hans_catalogue_has_no_untranslated_or_fuzzy_entries():
    missing = [k for k, ok in _entries(PO).items() if not ok]
    assert missing == []


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext is not installed (make installs it)")
def test_every_marked_string_is_in_the_catalogue(tmp_path):
    """Run makemessages on a copy of the source tree and compare its msgids with ours."""
    copy = tmp_path / "guanxi"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("vendor", "__pycache__", "*.mo", "tests"))
    manage = SRC.parents[1] / "manage.py"
    import sys

    subprocess.run([sys.executable, str(manage), "makemessages", "-l", "zh_Hans", "-i", "static/vendor/*", "-i", "tests/*"],
                   cwd=copy, check=True, capture_output=True)
    fresh = set(_entries(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    ours = set(_entries(PO))
    assert sorted(fresh - ours) == []


def test_no_translation_call_inside_an_f_string():
    """xgettext does not look inside f-string expressions: f"{_('x')}" is never extracted, so it would
    stay English forever. Such text must be a whole message with placeholders instead."""
    import re

    pattern = re.compile(r"""\bf(["'])[^\n]*?\{\s*(?:_|gettext|pgettext)\(""")
    offenders = [f"{path.relative_to(SRC)}:{n}" for path in SRC.rglob("*.py") if "tests" not in path.parts
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert offenders == []
