"""Generate the Chinese key-information-extraction evaluation set (``benchmarks/datasets/zh-kie``).

Three subsets, each a dataset folder in the layout ``ocr_kie.evaluation.load_dataset`` reads
(``images/<id>.<ext>``, ``labels/<id>.json`` = ``{key: value or null}``) plus ``dataset.json``
(name, description, keys, seed) and ``examples.jsonl`` (three worked examples, images in
``examples/``, drawn from other random values than the evaluation documents):

- ``bill/``: credit-card phone-app screenshots (PNG) with distractors next to the keys
  (总额度 next to 可用额度, 最低还款额 next to 本期应还金额, 上期账单金额, 下期账单日, promotions);
- ``ticket/``: Chinese train tickets (blue or red paper), photographed (JPEG): stations with their
  pinyin line, departure left and arrival right, a masked ID number, 检票口, the sale serial;
- ``receipt/``: thermal shop receipts and machine-printed invoices (通用机打发票), photographed
  (JPEG): 小计 vs 合计, 实收, 找零, 电话, 单号, 发票代码 vs 发票号码.

Every label is the value exactly as printed (amounts with their separators, dates in the form
the document prints them, stations with the 站 printed after the name). A key whose label is
null is not printed on that document at all (its distractors may be).

Usage::

    python scripts/make_zh_eval.py                      # all subsets, 25 documents each
    python scripts/make_zh_eval.py --subset ticket --count 3 --out /tmp/zh
    python scripts/make_zh_eval.py --ocr-check          # also measure the OCR ceiling (paddle)

The output is deterministic: every document is drawn from ``random.Random`` seeded with
``"<seed>:<subset>:<index>"`` (so document *i* does not depend on ``--count``) and rendered with
Pillow and numpy; the same seed gives byte-identical files. Needs Pillow and numpy only (and
``ocr_kie`` with the paddle engine for ``--ocr-check``).
"""

from __future__ import annotations

import datetime
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared drawing module next to this script
import zh_render
from zh_render import REPO_ROOT, fitted, font, money, name, photograph, rand_amount, run_cli, text_width

DEFAULT_OUT = REPO_ROOT / "benchmarks" / "datasets" / "zh-kie"
DEFAULT_SEED = 20260318
DEFAULT_COUNT = 25
N_EXAMPLES = 3

Spec = dict[str, Any]

# ---------------------------------------------------------------------------------------------
# Value pools
# ---------------------------------------------------------------------------------------------

BANKS = [
    "招商银行", "中国银行", "工商银行", "建设银行", "农业银行", "交通银行", "浦发银行",
    "中信银行", "光大银行", "民生银行", "兴业银行", "平安银行", "广发银行", "华夏银行",
]  # fmt: skip
THEMES = ["#1F6FE0", "#C9283E", "#0A8F5A", "#E0701A", "#5B3FC4", "#1B8FA8"]

STATIONS = {
    "北京南": "Beijingnan", "北京西": "Beijingxi", "上海虹桥": "Shanghaihongqiao", "广州南": "Guangzhounan",
    "深圳北": "Shenzhenbei", "杭州东": "Hangzhoudong", "南京南": "Nanjingnan", "武汉": "Wuhan",
    "长沙南": "Changshanan", "成都东": "Chengdudong", "重庆北": "Chongqingbei", "西安北": "Xi'anbei",
    "郑州东": "Zhengzhoudong", "天津西": "Tianjinxi", "济南西": "Jinanxi", "合肥南": "Hefeinan",
    "福州": "Fuzhou", "厦门北": "Xiamenbei", "南昌西": "Nanchangxi", "贵阳北": "Guiyangbei",
    "昆明南": "Kunmingnan", "沈阳北": "Shenyangbei", "长春": "Changchun", "哈尔滨西": "Haerbinxi",
    "石家庄": "Shijiazhuang", "太原南": "Taiyuannan", "兰州西": "Lanzhouxi", "苏州北": "Suzhoubei",
    "无锡东": "Wuxidong", "宁波": "Ningbo", "青岛北": "Qingdaobei", "徐州东": "Xuzhoudong",
    "南宁东": "Nanningdong", "大连北": "Dalianbei", "洛阳龙门": "Luoyanglongmen", "桂林北": "Guilinbei",
    "温州南": "Wenzhounan", "宜昌东": "Yichangdong", "襄阳东": "Xiangyangdong", "呼和浩特东": "Huhehaotedong",
}  # fmt: skip

BRANDS = [
    "永辉超市", "华润万家", "物美超市", "联华超市", "好又多超市", "鑫源便利店", "美宜佳便利店",
    "红旗连锁", "步步高超市", "家家乐生活超市", "百佳惠便利店", "万佳福超市", "惠民生鲜超市",
    "乐购便利店", "金色阳光便利店", "喜相逢烘焙坊", "老街坊餐馆", "兴旺五金店",
]  # fmt: skip
BRANCHES = [
    "朝阳大悦城店", "西单店", "徐汇店", "天河店", "南山店", "西湖店", "鼓楼店", "江汉路店", "岳麓店",
    "春熙路店", "解放碑店", "高新店", "中山路店", "滨江店", "万达广场店", "人民路店", "火车站店",
]  # fmt: skip
PROVINCES = ["广东省", "浙江省", "江苏省", "四川省", "湖北省", "山东省", "北京市", "上海市"]
ITEMS = [
    ("农夫山泉550ml", 2.0), ("可口可乐330ml", 3.5), ("康师傅红烧牛肉面", 4.5), ("伊利纯牛奶250ml", 3.2),
    ("旺旺雪饼", 12.8), ("金龙鱼大米5kg", 39.9), ("蓝月亮洗衣液", 36.9), ("维达抽纸", 18.9),
    ("德芙巧克力", 25.8), ("青岛啤酒500ml", 6.5), ("鸡蛋(10枚)", 13.9), ("苹果(散装)", 9.98),
    ("香蕉", 6.58), ("五花肉", 28.6), ("西红柿", 5.98), ("全麦面包", 9.9), ("原味酸奶", 8.8),
    ("海天酱油", 15.5), ("鲁花花生油5L", 139.9), ("电饭煲", 399.0), ("不粘锅", 268.0),
    ("飞天茅台53度", 1499.0), ("五粮液52度", 1099.0), ("洗发水750ml", 59.9), ("牙膏", 12.5),
    ("毛巾", 19.9), ("电动牙刷", 299.0), ("坚果礼盒", 168.0), ("进口牛排", 89.0), ("三文鱼", 128.0),
]  # fmt: skip

# ---------------------------------------------------------------------------------------------
# bill: credit-card app screenshots
# ---------------------------------------------------------------------------------------------

BILL_KEYS = ["可用额度", "账单日", "到期还款日", "本期应还金额", "最低还款额"]


def bill_spec(r: random.Random) -> Spec:
    total = r.choice([5, 8, 10, 12, 15, 20, 30, 50, 80, 100, 150, 200]) * 1000.0
    owed = rand_amount(r, 80, total * 0.6)
    avail = round(max(total - owed - r.uniform(0, total * 0.2), 0) + r.choice([0, 0.5, 0.37, 0.8]), 2)
    year = r.choice([2025, 2026])
    month = r.randint(1, 12)
    bill_day = r.randint(1, 28)
    due_date = datetime.date(year, month, bill_day) + datetime.timedelta(days=r.choice([18, 20, 20, 25]))
    due_year, due_month, due_day = due_date.year, due_date.month, due_date.day
    due_form = r.choice(["ymd", "ymd", "dash", "md"])
    due = {
        "ymd": f"{due_year}年{due_month:02d}月{due_day:02d}日",
        "dash": f"{due_year}-{due_month:02d}-{due_day:02d}",
        "md": f"{due_month}月{due_day}日",
    }[due_form]
    values: dict[str, str | None] = {
        "可用额度": money(avail),
        "账单日": f"每月{bill_day:02d}日" if r.random() < 0.3 else f"每月{bill_day}日",
        "到期还款日": due,
        "本期应还金额": money(owed),
        "最低还款额": money(round(owed * 0.1, 2)),
    }
    paid_off = r.random() < 0.15
    if paid_off:
        values["本期应还金额"] = values["最低还款额"] = None
    for key in r.sample(BILL_KEYS, 2):
        if r.random() < 0.18:
            values[key] = None
    next_month = month % 12 + 1
    return {
        "values": values,
        "bank": r.choice(BANKS),
        "theme": r.choice(THEMES),
        "mono": r.random() < 0.3,
        "layout": r.choice(["hero", "hero", "list"]),
        "clock": f"{r.randint(7, 23):02d}:{r.randint(0, 59):02d}",
        "battery": r.randint(12, 100),
        "tail": f"{r.randint(0, 9999):04d}",
        "paid_off": paid_off,
        "total": money(total),
        "total_label": r.choice(["总额度", "信用额度", "固定额度"]),
        "last_bill": money(rand_amount(r, 50, total * 0.5)),
        "repaid": money(rand_amount(r, 50, total * 0.3)),
        "cash_limit": money(total * 0.5),
        "points": f"{r.randint(100, 99999):,}",
        "next_bill": f"{year + (next_month < month)}年{next_month:02d}月{bill_day:02d}日",
        "promo": r.choice(
            [
                ("账单分期 手续费低至5折", "最高可分24期  立即办理 >"),
                ("现金分期 最高可借{cash}", "日息低至0.02%  去看看 >"),
                ("新户专享 刷卡满888元返88元", "活动截止 每月限1次 >"),
                ("积分兑换 好礼等你拿", "当前积分 {points} >"),
            ]
        ),
        "distractors": {
            "total": r.random() < 0.85,
            "last_bill": r.random() < 0.6,
            "repaid": r.random() < 0.5,
            "cash_limit": r.random() < 0.4,
            "next_bill": r.random() < 0.4,
            "points": r.random() < 0.4,
            "promo": r.random() < 0.7,
        },
    }


def bill_render(spec: Spec, r: random.Random) -> Image.Image:
    w, h = 720, 1280
    v, dis, theme, mono = spec["values"], spec["distractors"], spec["theme"], spec["mono"]
    img = Image.new("RGB", (w, h), "#F4F5F7")
    d = ImageDraw.Draw(img)
    ink, grey, red = "#151515", "#5A5F66", "#D9302A"
    d.rectangle([0, 0, w, 150], fill=theme)
    d.text((28, 24), spec["clock"], font=font(24, mono), fill="white", anchor="lm")
    d.text((w - 28, 24), f"{spec['battery']}%", font=font(22, mono), fill="white", anchor="rm")
    d.line([(34, 97), (50, 81)], fill="white", width=4)
    d.line([(34, 97), (50, 113)], fill="white", width=4)
    d.text(
        (w // 2, 97), r.choice(["信用卡账单", "账单详情", "我的账单"]), font=font(38, mono), fill="white", anchor="mm"
    )
    y = 186
    d.text((36, y), f"{spec['bank']}信用卡  尾号{spec['tail']}", font=font(26, mono), fill=grey, anchor="lm")
    y += 36
    rows: list[tuple[str, str, str]] = []
    if spec["layout"] == "hero":
        d.rounded_rectangle([24, y, w - 24, y + 300], radius=20, fill="white")
        if spec["paid_off"]:
            d.text((w // 2, y + 90), "本期账单已还清", font=font(44, mono), fill=theme, anchor="mm")
            d.text((w // 2, y + 160), "按时还款 信用更佳", font=font(26, mono), fill=grey, anchor="mm")
        elif v["本期应还金额"] is not None:
            d.text((w // 2, y + 48), "本期应还金额", font=font(28, mono), fill=grey, anchor="mm")
            d.text((w // 2, y + 118), v["本期应还金额"], font=font(64, mono), fill=ink, anchor="mm")
        else:
            d.text((w // 2, y + 48), "上期账单金额", font=font(28, mono), fill=grey, anchor="mm")
            d.text((w // 2, y + 118), spec["last_bill"], font=font(64, mono), fill=ink, anchor="mm")
            dis = {**dis, "last_bill": False}
        pair = [(k, v[k]) for k in ("最低还款额", "到期还款日") if v[k] is not None]
        for i, (k, val) in enumerate(pair):
            cx = w // 2 if len(pair) == 1 else (w // 4 if i == 0 else 3 * w // 4)
            d.text((cx, y + 212), k, font=font(26, mono), fill=grey, anchor="mm")
            d.text((cx, y + 256), val, font=font(32, mono), fill=ink, anchor="mm")
        y += 330
    else:
        for k in ("本期应还金额", "最低还款额", "到期还款日"):
            if v[k] is not None:
                rows.append((k, v[k], red if k == "本期应还金额" else ink))
        if spec["paid_off"]:
            rows.append(("本期状态", "已还清", theme))
    if v["可用额度"] is not None:
        rows.append(("可用额度", v["可用额度"], ink))
    if dis["total"]:
        rows.append((spec["total_label"], spec["total"], ink))
    if v["账单日"] is not None:
        rows.append(("账单日", v["账单日"], ink))
    if dis["next_bill"]:
        rows.append(("下期账单日", spec["next_bill"], ink))
    if dis["last_bill"]:
        rows.append(("上期账单金额", spec["last_bill"], ink))
    if dis["repaid"]:
        rows.append(("本期已还金额", spec["repaid"], ink))
    if dis["cash_limit"]:
        rows.append(("预借现金额度", spec["cash_limit"], ink))
    if dis["points"]:
        rows.append(("积分余额", spec["points"], ink))
    row_h = 84
    room = (h - 170 - (170 if dis["promo"] else 0) - y) // row_h
    rows = rows[:room]
    d.rounded_rectangle([24, y, w - 24, y + row_h * len(rows)], radius=18, fill="white")
    for i, (label, value, colour) in enumerate(rows):
        cy = y + row_h * i + row_h // 2
        if i:
            d.line([(56, y + row_h * i), (w - 56, y + row_h * i)], fill="#E6E8EB", width=2)
        d.text((56, cy), label, font=font(32, mono), fill=grey, anchor="lm")
        d.text((w - 56, cy), value, font=font(32, mono), fill=colour, anchor="rm")
    y += row_h * len(rows) + 28
    if dis["promo"]:
        line1, line2 = (s.format(cash=spec["cash_limit"], points=spec["points"]) for s in spec["promo"])
        d.rounded_rectangle([24, y, w - 24, y + 140], radius=18, fill="#FFF4E5")
        d.text((56, y + 46), line1, font=fitted(line1, 32, mono, w - 120), fill="#B25E00", anchor="lm")
        d.text((56, y + 98), line2, font=font(24, mono), fill="#8A6A3A", anchor="lm")
    by = h - 100
    d.rounded_rectangle([48, by - 46, w - 48, by + 46], radius=46, fill=theme)
    d.text((w // 2, by), r.choice(["立即还款", "去还款", "还款"]), font=font(36, mono), fill="white", anchor="mm")
    return img


# ---------------------------------------------------------------------------------------------
# ticket: train tickets
# ---------------------------------------------------------------------------------------------

TICKET_KEYS = ["车次", "出发站", "到达站", "出发日期", "座位号", "票价", "姓名"]


def ticket_spec(r: random.Random) -> Spec:
    dep, arr = r.sample(sorted(STATIONS), 2)
    kind = r.choice("GGGDDKTZ")
    train = f"{kind}{r.randint(1, 9999 if kind in 'GD' else 1999)}"
    year, month, day = r.choice([2025, 2026]), r.randint(1, 12), r.randint(1, 28)
    hour, minute = r.randint(6, 22), r.choice(range(0, 60, 5))
    car = r.randint(1, 16)
    if kind in "GD":
        seat = f"{car:02d}车{r.randint(1, 20):02d}{r.choice('ABCDF')}号"
        klass = r.choice(["二等座", "二等座", "一等座", "商务座"])
        price = rand_amount(r, 40, 1800)
    else:
        seat = f"{car:02d}车{r.randint(1, 118):03d}号"
        klass = r.choice(["新空调硬座", "新空调硬卧", "新空调软卧"])
        price = rand_amount(r, 20, 700)
    if klass.endswith("卧"):
        klass += r.choice(["上铺", "中铺", "下铺"]) if klass.endswith("硬卧") else r.choice(["上铺", "下铺"])
    price_text = f"¥{price:.1f}元"
    passenger = name(r)
    values: dict[str, str | None] = {
        "车次": train,
        "出发站": dep + "站",
        "到达站": arr + "站",
        "出发日期": f"{year}年{month:02d}月{day:02d}日",
        "座位号": seat,
        "票价": price_text,
        "姓名": passenger if r.random() < 0.8 else None,
    }
    if r.random() < 0.12:
        values["座位号"] = None  # 无座
    return {
        "values": values,
        "dep": dep,
        "arr": arr,
        "time": f"{hour:02d}:{minute:02d}开",
        "klass": klass,
        "colour": r.choice(["blue", "blue", "red"]),
        "serial": f"{r.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{r.randint(0, 999999):06d}",
        "gate": r.choice([f"检票:{r.choice('AB')}{r.randint(1, 28)}", f"检票口{r.randint(1, 24)}", None]),
        "id": f"{r.randint(110000, 659000)}{r.randint(1960, 2005)}****{r.randint(0, 9999):04d}",
        "code": f"{r.randint(10000, 99999)}{r.randint(100000, 999999)}{month:02d}{day:02d}",
        "mono": r.random() < 0.3,
        "notes": r.sample(["限乘当日当次车", "始发改签", "仅供报销使用", "中转换乘", "学生"], r.randint(1, 2)),
    }


def ticket_render(spec: Spec, r: random.Random) -> Image.Image:
    w, h = 1000, 630
    v, mono = spec["values"], spec["mono"]
    base = (206, 228, 242) if spec["colour"] == "blue" else (246, 206, 200)
    page = Image.new("RGB", (w, h), base)
    d = ImageDraw.Draw(page)
    # Faint guilloche background pattern.
    shade = tuple(max(c - 18, 0) for c in base)
    phase = r.uniform(0, 6.28)
    for k in range(0, h, 14):
        pts = [(x, k + 5 * np.sin(x / 37.0 + phase + k)) for x in range(0, w + 10, 10)]
        d.line(pts, fill=shade, width=1)
    ink, red = "#161616", "#C8102E"
    d.text((48, 44), spec["serial"], font=font(36, mono), fill=red, anchor="lm")
    if spec["gate"]:
        d.text((w - 48, 44), spec["gate"], font=font(30, mono), fill=ink, anchor="rm")
    big, zhan, py = font(50, mono), font(36, mono), font(26, mono)
    y = 136
    d.text((60, y), spec["dep"], font=big, fill=ink, anchor="ls")
    d.text((60 + text_width(spec["dep"], big) + 6, y), "站", font=zhan, fill=ink, anchor="ls")
    d.text((60, y + 42), STATIONS[spec["dep"]], font=py, fill=ink, anchor="ls")
    arr_w = text_width(spec["arr"], big) + 6 + text_width("站", zhan)
    ax = w - 60 - arr_w
    d.text((ax, y), spec["arr"], font=big, fill=ink, anchor="ls")
    d.text((ax + text_width(spec["arr"], big) + 6, y), "站", font=zhan, fill=ink, anchor="ls")
    d.text((ax, y + 42), STATIONS[spec["arr"]], font=py, fill=ink, anchor="ls")
    d.text((w // 2, y - 4), v["车次"], font=font(48, mono), fill=ink, anchor="ms")
    d.line([(w // 2 - 80, y + 22), (w // 2 + 80, y + 22)], fill=ink, width=3)
    d.line([(w // 2 + 66, y + 12), (w // 2 + 80, y + 22)], fill=ink, width=3)
    f34 = font(34, mono)
    d.text((60, 250), f"{v['出发日期']} {spec['time']}", font=f34, fill=ink, anchor="lm")
    d.text((w - 60, 250), v["座位号"] or "无座", font=f34, fill=ink, anchor="rm")
    d.text((60, 310), v["票价"], font=f34, fill=ink, anchor="lm")
    d.text((w - 60, 310), spec["klass"], font=f34, fill=ink, anchor="rm")
    d.text((60, 366), "  ".join(spec["notes"]), font=font(28, mono), fill=ink, anchor="lm")
    if v["姓名"] is not None:
        d.text((60, 424), f"{spec['id']} {v['姓名']}", font=font(32, mono), fill=ink, anchor="lm")
    box = [90, 462, w - 90, 556]
    for x in range(box[0], box[2], 16):
        d.line([(x, box[1]), (x + 8, box[1])], fill=ink, width=2)
        d.line([(x, box[3]), (x + 8, box[3])], fill=ink, width=2)
    d.text((w // 2, 490), "买票请到12306 发货请到95306", font=font(26, mono), fill=ink, anchor="mm")
    d.text((w // 2, 528), "中国铁路祝您旅途愉快", font=font(26, mono), fill=ink, anchor="mm")
    d.text((60, 594), f"{spec['code']}{spec['serial']} {spec['dep']}售", font=font(24, mono), fill=ink, anchor="lm")
    return photograph(page, r)


# ---------------------------------------------------------------------------------------------
# receipt: shop receipts and machine-printed invoices
# ---------------------------------------------------------------------------------------------

RECEIPT_KEYS = ["商户名称", "日期", "合计金额", "发票号码"]


def receipt_spec(r: random.Random) -> Spec:
    shop = f"{r.choice(BRANDS)}({r.choice(BRANCHES)})" if r.random() < 0.7 else r.choice(BRANDS)
    kind = "invoice" if r.random() < 0.4 else "receipt"
    year, month, day = r.choice([2025, 2026]), r.randint(1, 12), r.randint(1, 28)
    if kind == "invoice":
        date = r.choice([f"{year}年{month:02d}月{day:02d}日", f"{year}-{month:02d}-{day:02d}"])
    else:
        date = r.choice(
            [f"{year}-{month:02d}-{day:02d}", f"{year}/{month:02d}/{day:02d}", f"{year}.{month:02d}.{day:02d}"]
        )
    items = []
    pool = ITEMS[:19] if r.random() < 0.6 else ITEMS
    for item, price in r.sample(pool, r.randint(3, 7)):
        items.append((item, r.choice([1, 1, 1, 2, 3]), price))
    subtotal = round(sum(q * p for _, q, p in items), 2)
    discount = round(r.choice([0, 0, 0.5, 1, 2, 5, 10, 20]) if subtotal > 30 else 0, 2)
    total = round(subtotal - discount, 2)
    paid = float(np.ceil(total / 50.0) * 50) if r.random() < 0.5 else None
    values: dict[str, str | None] = {
        "商户名称": shop,
        "日期": date,
        "合计金额": money(total),
        "发票号码": f"{r.randint(0, 99999999):08d}" if kind == "invoice" else None,
    }
    if r.random() < 0.12:
        values["日期"] = None
    return {
        "values": values,
        "kind": kind,
        "items": items,
        "subtotal": money(subtotal),
        "discount": money(discount),
        "paid": money(paid) if paid is not None else None,
        "change": money(paid - total) if paid is not None else None,
        "phone": f"0{r.choice([10, 20, 21, 22, 23, 24, 25, 27, 28, 571, 731])}-{r.randint(20000000, 89999999)}",
        "order": f"{r.randint(10**11, 10**12 - 1)}{r.randint(0, 9999):04d}",
        "cashier": f"{r.randint(1, 120):04d}",
        "time": f"{r.randint(8, 22):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}",
        "province": r.choice(PROVINCES),
        "code": f"1{r.randint(10, 65)}0{r.randint(10**7, 10**8 - 1)}",
        "machine": f"49{r.randint(10**9, 10**10 - 1)}",
        "member": f"{r.randint(1000, 9999)}****{r.randint(0, 9999):04d}",
        "mono": r.random() < 0.7,
    }


def receipt_render(spec: Spec, r: random.Random) -> Image.Image:
    w = 580
    v, mono = spec["values"], spec["mono"]
    lines: list[Callable[[ImageDraw.ImageDraw, int], None]] = []
    f = font(26, mono)
    left, right = 30, w - 30

    def centre(text: str, size: int = 26) -> None:
        lines.append(
            lambda d, y: d.text((w // 2, y), text, font=fitted(text, size, mono, w - 50), fill="#1a1a1a", anchor="mm")
        )

    def one(text: str) -> None:
        lines.append(
            lambda d, y: d.text((left, y), text, font=fitted(text, 26, mono, w - 60), fill="#1a1a1a", anchor="lm")
        )

    def two(a: str, b: str) -> None:
        def draw(d: ImageDraw.ImageDraw, y: int) -> None:
            d.text((left, y), a, font=f, fill="#1a1a1a", anchor="lm")
            d.text((right, y), b, font=f, fill="#1a1a1a", anchor="rm")

        lines.append(draw)

    def rule() -> None:
        lines.append(lambda d, y: d.text((w // 2, y), "-" * 40, font=font(22, True), fill="#1a1a1a", anchor="mm"))

    if spec["kind"] == "invoice":
        centre(f"{spec['province']}通用机打发票", 34)
        centre("发 票 联", 28)
        one(f"发票代码：{spec['code']}")
        one(f"发票号码：{v['发票号码']}")
        one(f"机器编号：{spec['machine']}")
        one(f"收款单位：{v['商户名称']}")
        one("付款单位：个人")
        if v["日期"] is not None:
            one(f"开票日期：{v['日期']}")
    else:
        centre(v["商户名称"], 34)
        centre(r.choice(["欢迎光临", "欢迎惠顾", "购物小票"]), 26)
        one(f"电话：{spec['phone']}")
        one(f"单号：{spec['order']}")
        one(f"收银员：{spec['cashier']}  机号：{r.randint(1, 12):02d}")
        if v["日期"] is not None:
            one(f"日期：{v['日期']} {spec['time']}")
    rule()
    lines.append(lambda d, y: (d.text((left, y), "品名", font=f, fill="#1a1a1a", anchor="lm"),
                               d.text((330, y), "数量", font=f, fill="#1a1a1a", anchor="mm"),
                               d.text((right, y), "金额", font=f, fill="#1a1a1a", anchor="rm")))  # fmt: skip
    for item, qty, price in spec["items"]:

        def draw(d: ImageDraw.ImageDraw, y: int, item=item, qty=qty, price=price) -> None:
            d.text((left, y), item, font=fitted(item, 26, mono, 250), fill="#1a1a1a", anchor="lm")
            d.text((330, y), f"{qty}x{price:.2f}", font=f, fill="#1a1a1a", anchor="mm")
            d.text((right, y), money(qty * price), font=f, fill="#1a1a1a", anchor="rm")

        lines.append(draw)
    rule()
    two("小计：", spec["subtotal"])
    if spec["discount"] != "0.00":
        two("优惠：", "-" + spec["discount"])
    if spec["kind"] == "invoice":
        two("合计金额：", v["合计金额"])
        two("税额：", money(float(v["合计金额"].replace(",", "")) * 0.13 / 1.13))
    else:
        two("合计：", v["合计金额"])
    if spec["paid"] is not None:
        two("实收(现金)：", spec["paid"])
        two("找零：", spec["change"])
    else:
        two(r.choice(["微信支付：", "支付宝：", "银联卡："]), v["合计金额"])
    rule()
    if spec["kind"] == "invoice":
        one(f"开票人：收银员{spec['cashier']}")
        one("手写无效  查验请登录税务局网站")
    else:
        one(f"会员卡号：{spec['member']}")
        centre("谢谢惠顾 欢迎再次光临", 26)
        centre("退换货请凭小票7日内办理", 24)
    line_h = 44
    h = 40 + line_h * len(lines) + 30
    page = Image.new("RGB", (w, h), (250, 249, 246))
    d = ImageDraw.Draw(page)
    for i, draw in enumerate(lines):
        draw(d, 40 + line_h * i + line_h // 2)
    return photograph(page, r)


# ---------------------------------------------------------------------------------------------
# Subsets, examples, writing
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subset:
    name: str
    keys: list[str]
    spec: Callable[[random.Random], Spec]
    render: Callable[[Spec, random.Random], Image.Image]
    ext: str
    description: str


SUBSETS = {
    "bill": Subset(
        "bill",
        BILL_KEYS,
        bill_spec,
        bill_render,
        "png",
        "Credit-card phone-app screenshots (720x1280 PNG). Distractors: 总额度/信用额度/固定额度 next to "
        "可用额度, 上期账单金额, 本期已还金额, 预借现金额度, 下期账单日, promotions, 积分余额. A paid-off bill "
        "prints 本期账单已还清 and no 本期应还金额/最低还款额.",
    ),
    "ticket": Subset(
        "ticket",
        TICKET_KEYS,
        ticket_spec,
        ticket_render,
        "jpg",
        "Chinese train tickets (blue or red paper), photographed (JPEG, tilt ≤ 2°, uneven light, blur, "
        "noise). Stations are labelled with the 站 printed after the name; the pinyin line, the masked ID "
        "number, 检票口, seat class and the sale serial (… <station>售) are distractors. 出发日期 is the date "
        "part of '2026年03月18日 08:15开'. 姓名 is null when no ID line is printed; 座位号 is null for 无座.",
    ),
    "receipt": Subset(
        "receipt",
        RECEIPT_KEYS,
        receipt_spec,
        receipt_render,
        "jpg",
        "Chinese thermal shop receipts (小票) and machine-printed invoices (通用机打发票), photographed (JPEG). "
        "Distractors: 小计, 优惠, 实收, 找零, 税额, payment lines, 电话, 单号, 发票代码, 机器编号, 会员卡号. "
        "发票号码 is null on shop receipts; 日期 is the date part as printed (without the time).",
    ),
}


def doc_rng(seed: int, subset: str, tag: str) -> random.Random:
    return random.Random(f"{seed}:{subset}:{tag}")


def eval_specs(subset: Subset, seed: int, count: int) -> list[Spec]:
    return [subset.spec(doc_rng(seed, subset.name, f"{i:03d}")) for i in range(count)]


def example_specs(subset: Subset, seed: int, taken: list[Spec]) -> list[tuple[str, Spec]]:
    """Example specs whose values overlap the evaluation documents' (and earlier examples') values least.

    All but the last example have every key; the last has exactly one null key.

    Returns (rng tag, spec) pairs; the tag re-creates the spec's random stream for rendering.
    """

    def fits(n: int, spec: Spec) -> bool:  # the first examples are complete, the last shows one null answer
        return sum(spec["values"][k] is None for k in subset.keys) == (1 if n == N_EXAMPLES - 1 else 0)

    spec_of = lambda tag: subset.spec(doc_rng(seed, subset.name, tag))  # noqa: E731
    return zh_render.pick_examples(subset.keys, taken, spec_of, fits, N_EXAMPLES, attempts=200)


def render(subset: Subset, seed: int, tag: str) -> tuple[Spec, Image.Image]:
    r = doc_rng(seed, subset.name, tag)
    spec = subset.spec(r)
    return spec, subset.render(spec, r)


def generate(subset: Subset, out: Path, seed: int, count: int, examples: bool = True) -> None:
    """Write ``count`` documents (and, with ``examples``, the examples and dataset.json) under ``out/<subset>``."""

    def tags() -> list[str]:  # examples avoid the values of the full default set, whatever ``count`` is
        return [tag for tag, _ in example_specs(subset, seed, eval_specs(subset, seed, max(count, DEFAULT_COUNT)))]

    meta = {"name": f"zh-kie/{subset.name}", "description": subset.description, "keys": subset.keys,
            "generator": "scripts/make_zh_eval.py", "seed": seed}  # fmt: skip
    draw = lambda tag: render(subset, seed, tag)  # noqa: E731
    zh_render.write_dataset(
        out / subset.name, subset.keys, draw, lambda _: subset.ext, count, tags if examples else None, meta
    )


def main(argv: list[str] | None = None) -> int:
    return run_cli(
        argv,
        description=__doc__.split("\n\n")[0],
        kinds=SUBSETS,
        generate=generate,
        count=DEFAULT_COUNT,
        out=DEFAULT_OUT,
        seed=DEFAULT_SEED,
        noun="subset",
    )


if __name__ == "__main__":
    sys.exit(main())
