"""Pinyin search keys for Chinese names (CUS-6), with surname readings pypinyin gets wrong.

pypinyin reads 曾 as "ceng" and 单 as "dan"; as surnames they are "zeng" and "shan". It has no
surname mode (mozillazg/python-pinyin#297), so personal names go through this table first.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

COMPOUND_SURNAMES = {
    "欧阳": ["ou", "yang"], "司马": ["si", "ma"], "上官": ["shang", "guan"], "诸葛": ["zhu", "ge"],
    "东方": ["dong", "fang"], "皇甫": ["huang", "fu"], "尉迟": ["yu", "chi"], "长孙": ["zhang", "sun"],
    "令狐": ["ling", "hu"], "慕容": ["mu", "rong"], "单于": ["chan", "yu"], "澹台": ["tan", "tai"],
    "公孙": ["gong", "sun"], "宇文": ["yu", "wen"], "夏侯": ["xia", "hou"], "司徒": ["si", "tu"],
    "轩辕": ["xuan", "yuan"], "万俟": ["mo", "qi"], "端木": ["duan", "mu"], "钟离": ["zhong", "li"],
    "闻人": ["wen", "ren"], "赫连": ["he", "lian"], "呼延": ["hu", "yan"], "百里": ["bai", "li"],
}
SURNAMES = {
    "曾": "zeng", "单": "shan", "仇": "qiu", "区": "ou", "查": "zha", "朴": "piao", "解": "xie",
    "尉": "wei", "秘": "bi", "盖": "ge", "覃": "qin", "缪": "miao", "种": "chong", "乐": "yue",
    "翟": "zhai", "员": "yun", "繁": "po", "句": "gou", "阚": "kan", "隗": "wei", "谌": "chen",
    "冼": "xian", "褚": "chu", "召": "shao", "眭": "sui", "都": "du", "莘": "shen", "訾": "zi",
    "黑": "he", "重": "chong", "折": "she", "叶": "ye", "燕": "yan", "纪": "ji", "过": "guo",
    "长": "chang", "沈": "shen", "任": "ren", "贾": "jia", "宁": "ning", "车": "che", "华": "hua",
    "石": "shi", "薄": "bo", "柏": "bai", "卜": "bu", "谷": "gu", "洗": "xian", "郝": "hao",
}
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NON_KEY = re.compile(r"[\s\-_.,，。·・()（）/\\]+")


def has_han(text: str) -> bool:
    return bool(HAN.search(text))


@lru_cache(maxsize=1 << 17)  # names repeat a lot in a big import; ~60 MB when full
def syllables(name: str, person: bool = False) -> tuple[str, ...]:
    """Lower-case pinyin syllables (non-Chinese runs kept as words), surname-aware for people."""
    name = name.strip()
    head: list[str] = []
    if person:
        if name[:2] in COMPOUND_SURNAMES:
            head, name = list(COMPOUND_SURNAMES[name[:2]]), name[2:]
        elif name[:1] in SURNAMES:
            head, name = [SURNAMES[name[:1]]], name[1:]
    parts = head + [p for p in lazy_pinyin(name, style=Style.NORMAL, errors="default", v_to_u=False)]
    words: list[str] = []
    for part in parts:
        words.extend(w for w in _NON_KEY.split(part.lower()) if w)
    return tuple(words)


def full_and_initials(name: str, person: bool = False) -> tuple[str, str]:
    """("zengxiaoming", "zxm") for 曾小明; latin words keep their letters: "abc科技" → ("abckeji", "abckj")."""
    syl = syllables(name, person)
    full = "".join(syl)
    initials = "".join(s[0] for s in syl) if has_han(name) else full
    return full[:400], initials[:100]


def compact(text: str) -> str:
    return _NON_KEY.sub("", text.strip().lower())


def name_keys(name: str, person: bool = False) -> set[str]:
    """Every key under which type-ahead should find this name.

    Hanzi: every suffix ("曾小明", "小明", "明"), so a substring query is a prefix query.
    Pinyin: the whole and every suffix starting at a syllable ("zengxiaoming", "xiaoming", "ming").
    Initials: the whole and every suffix of 2+ letters ("zxm", "xm"). Latin: the lower-cased
    name and every suffix starting at a word ("john smith", "smith").
    """
    keys: set[str] = set()
    lowered = " ".join(name.lower().split())
    if not lowered:
        return keys
    keys.add(lowered[:100])
    words = lowered.split(" ")
    for i in range(1, len(words)):
        keys.add(" ".join(words[i:])[:100])
    if has_han(name):
        dense = compact(name)[:30]
        keys.update(dense[i:][:100] for i in range(len(dense)))
        syl = syllables(name, person)
        for i in range(len(syl)):
            keys.add("".join(syl[i:])[:100])
        initials = "".join(s[0] for s in syl if s)
        keys.update(initials[i:][:100] for i in range(len(initials) - 1))  # the key column holds 100
    return {k for k in keys if k}
