"""Deterministic customer rows for the benchmarks (fixed seed; fast enough for a million rows)."""

from __future__ import annotations

import csv
import random

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华建国文辉力鹏宇浩然晨阳子轩梓涵一诺欣怡佳琪雨婷思远博俊嘉心志海燕红梅春生秋菊冬"
CITIES = ["上海", "北京", "广州", "深圳", "杭州", "南京", "成都", "武汉"]
HEADER = ["客户名称", "类型", "手机", "邮箱", "城市", "标签"]


def rows(n: int, seed: int = 2026):
    rng = random.Random(seed)
    for i in range(n):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        phone = f"1{rng.choice('3589')}{i:09d}"[:11]
        email = f"u{i}@example{rng.randint(1, 50)}.com" if rng.random() < 0.5 else ""
        yield [name, "个人", phone, email, rng.choice(CITIES), rng.choice(["", "VIP", "会员", "VIP,会员"])]


def write_csv(path: str, n: int) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows(n))


def write_xlsx(path: str, n: int) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False})
    ws = book.add_worksheet()
    ws.write_row(0, 0, HEADER)
    for r, row in enumerate(rows(n), start=1):
        ws.write_row(r, 0, row)
    book.close()


CONTACT_HEADER = ["客户电话", "联系人", "手机", "部门"]
DEPARTMENTS = ["销售部", "采购部", "财务部", "技术部", "行政部", "市场部"]


def contact_rows(n_customers: int, seed: int = 2027):
    """One contact per fourth customer (found by the customer's phone), with its own unique mobile."""
    rng = random.Random(seed)
    for i, row in enumerate(rows(n_customers)):
        if i % 4:
            continue
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(2))
        yield [row[2], name, f"17{i // 4:09d}", rng.choice(DEPARTMENTS)]


def write_contacts_csv(path: str, n_customers: int) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(CONTACT_HEADER)
        w.writerows(contact_rows(n_customers))


def new_rows(n: int, count: int):
    """`count` customer rows that follow the first n (new phones), names made unique with a number."""
    for i, row in enumerate(rows(n + count)):
        if i >= n:
            row[0] = f"{row[0]}{i}"
            yield row
