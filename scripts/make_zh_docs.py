"""Generate the held-out Chinese document set (``benchmarks/datasets/zh-docs``), issue 11.

Eight document types that are **not** in zh-kie (which has credit-card bill screens, train
tickets, shop receipts/invoices), one dataset folder each, in the layout
``ocr_kie.evaluation.load_labelled_dataset`` reads (``images/<id>.<ext>``, ``labels/<id>.json``,
``dataset.json`` with name, description, keys, examples; ``examples.jsonl`` with five worked
examples whose images are in ``examples/``):

- ``waybill`` 快递面单, ``clinic`` 门诊收费票据, ``bankslip`` 银行回单, ``payslip`` 工资条,
  ``hotel`` 酒店账单, ``takeout`` 外卖订单, ``itinerary`` 机票行程单, ``rent`` 房租收据.

Each type is drawn in at least three layouts from one small layout engine: ``colon`` (label,
separator and value on one line), ``split`` (label left, value right-aligned on its row, app
style), ``above`` (a small label above its value, two columns), ``table`` (a ruled grid of
label/value cells) and ``header`` (a ruled table whose header row holds the labels and the row
under it the values); a layout may also print its fields in another order. Realistic distractors
(two or three dates, several amounts, a landline and a mobile, a printed label repeated in another
section), absent keys (a null label means the key is not printed at all), varied printing (dates
in several formats, amounts with or without ¥/元, full-width digits on some documents) and
sub-span answers (the last four digits of an account, a phone's tail) are part of every type.

A label is the value **as printed**, except where a key's answer is a sub-span by definition
(``收款账号后四位``, ``手机尾号``) and for amounts of the types whose convention is the bare number
(the ``dataset.json`` description of each type says which); see ``benchmarks/datasets/zh-docs/README.md``.

Usage::

    python scripts/make_zh_docs.py                       # all types, 20 documents + 5 examples each
    python scripts/make_zh_docs.py --subset hotel --count 3 --out /tmp/zhd
    python scripts/make_zh_docs.py --ocr-check           # also measure the OCR ceiling (paddle)

Deterministic: document *i* of type *t* is drawn from ``random.Random("<seed>:<t>:<i>")`` (so it
does not depend on ``--count``) and rendered with Pillow and numpy; the same seed gives
byte-identical files. The drawing helpers are shared with ``make_zh_eval.py`` (``zh_render.py``).
"""

from __future__ import annotations

import datetime
import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared drawing module next to this script
from zh_render import REPO_ROOT, fitted, font, money, name, photograph, rand_amount, run_cli, save_image, text_width

DEFAULT_OUT = REPO_ROOT / "benchmarks" / "datasets" / "zh-docs"
DEFAULT_SEED = 20261201
DEFAULT_COUNT = 20
N_EXAMPLES = 5
# Examples 3 and 5 (1-based) show one null answer each; 1, 2 and 4 have every key.
EXAMPLE_NULLS = (0, 0, 1, 0, 1)

Spec = dict[str, Any]
# Full-width digits, with the full-width comma (a half-width comma between wide digits reads as a point).
FULLWIDTH = str.maketrans("0123456789,", "０１２３４５６７８９，")

# ---------------------------------------------------------------------------------------------
# Value pools
# ---------------------------------------------------------------------------------------------

CITIES = {
    "北京市": ["朝阳区", "海淀区", "东城区", "丰台区"], "上海市": ["浦东新区", "徐汇区", "静安区", "闵行区"],
    "广州市": ["天河区", "越秀区", "海珠区", "番禺区"], "深圳市": ["南山区", "福田区", "宝安区", "龙岗区"],
    "杭州市": ["西湖区", "滨江区", "拱墅区", "余杭区"], "成都市": ["武侯区", "锦江区", "高新区", "青羊区"],
    "武汉市": ["江汉区", "洪山区", "武昌区", "汉阳区"], "南京市": ["鼓楼区", "玄武区", "建邺区", "江宁区"],
    "西安市": ["雁塔区", "碑林区", "未央区", "长安区"], "长沙市": ["岳麓区", "天心区", "开福区", "雨花区"],
}  # fmt: skip
ROADS = ["人民路", "建设路", "中山路", "解放大道", "科技园路", "文化路", "长江路", "和平街", "新华路", "学府路",
         "滨江大道", "湖滨路", "金融街", "光明路", "东风路"]  # fmt: skip
COMPANIES = ["华创信息技术有限公司", "恒达贸易有限公司", "远航物流有限公司", "启明教育咨询有限公司",
             "鼎盛建筑工程有限公司", "新锐网络科技有限公司", "瑞丰食品有限公司", "博远文化传媒有限公司",
             "中科智联电子有限公司", "嘉禾医疗器械有限公司", "青松环保科技有限公司", "星河软件有限公司"]  # fmt: skip
CITY_PREFIX = ["北京", "上海", "深圳", "杭州", "成都", "武汉", "南京", "西安", "长沙", "苏州"]
BANKS = ["中国工商银行", "中国建设银行", "中国农业银行", "中国银行", "交通银行", "招商银行", "兴业银行",
         "浦发银行", "中信银行", "平安银行"]  # fmt: skip
COURIERS = [("顺丰速运", "SF"), ("中通快递", "7"), ("圆通速递", "YT"), ("韵达快递", "43"), ("申通快递", "77"),
            ("京东物流", "JD")]  # fmt: skip
GOODS = ["文件", "衣物", "电子产品", "日用品", "书籍", "食品", "配件", "样品"]
HOSPITALS = ["市第一人民医院", "市中心医院", "中医医院", "妇幼保健院", "人民医院", "第三人民医院", "口腔医院"]
CLINIC_ITEMS = ["西药费", "中成药费", "检查费", "化验费", "治疗费", "挂号费", "诊察费", "材料费", "放射费"]
DEPTS = ["内科", "外科", "儿科", "眼科", "皮肤科", "口腔科", "骨科", "消化内科", "呼吸内科"]
HOTELS = ["锦江之星", "如家精选酒店", "全季酒店", "汉庭酒店", "亚朵酒店", "维也纳酒店", "希尔顿欢朋酒店",
          "桔子水晶酒店", "丽枫酒店", "城市便捷酒店"]  # fmt: skip
ROOM_TYPES = ["高级大床房", "商务双床房", "豪华大床房", "标准间", "行政套房"]
SHOPS = ["老王家黄焖鸡米饭", "蜜雪冰城", "杨国福麻辣烫", "沙县小吃", "袁记云饺", "兰州拉面馆", "华莱士炸鸡",
         "川味小厨", "张亮麻辣烫", "喜茶", "瑞幸咖啡", "肯德基宅急送", "正新鸡排", "粥全粥到"]  # fmt: skip
DISHES = [("黄焖鸡米饭(大份)", 22.0), ("香辣鸡腿堡", 18.5), ("招牌麻辣烫", 26.8), ("鲜肉云吞", 16.0),
          ("生椰拿铁", 15.9), ("珍珠奶茶(大杯)", 9.0), ("牛肉拉面", 19.0), ("卤肉饭", 17.5), ("皮蛋瘦肉粥", 12.0),
          ("炸鸡翅(4只)", 13.9), ("蒸饺(12个)", 14.0), ("酸辣粉", 13.5), ("米饭", 2.0), ("可乐", 4.0)]  # fmt: skip
AIRLINES = [("中国国际航空", "CA"), ("东方航空", "MU"), ("南方航空", "CZ"), ("海南航空", "HU"), ("厦门航空", "MF"),
            ("四川航空", "3U"), ("深圳航空", "ZH"), ("山东航空", "SC")]  # fmt: skip
AIRPORTS = ["北京首都", "上海虹桥", "上海浦东", "广州白云", "深圳宝安", "成都天府", "杭州萧山", "西安咸阳",
            "重庆江北", "昆明长水", "武汉天河", "南京禄口", "长沙黄花", "厦门高崎"]  # fmt: skip
DEPARTMENTS = ["研发部", "市场部", "财务部", "人力资源部", "销售一部", "运营中心", "技术支持部", "行政部"]
COMMUNITIES = ["阳光花园", "翠湖苑", "金色家园", "锦绣华庭", "东方明珠小区", "绿城桂花园", "万科城", "幸福里"]


def pick_date(r: random.Random, years: tuple[int, ...] = (2025, 2026)) -> datetime.date:
    return datetime.date(r.choice(years), r.randint(1, 12), r.randint(1, 28))


DATE_STYLES = ["ymd_cn", "dash", "slash", "dot", "cn_short"]


def fmt_date(d: datetime.date, style: str) -> str:
    """A date printed in one of the styles of :data:`DATE_STYLES`."""
    return {
        "ymd_cn": f"{d.year}年{d.month:02d}月{d.day:02d}日",
        "dash": f"{d.year}-{d.month:02d}-{d.day:02d}",
        "slash": f"{d.year}/{d.month:02d}/{d.day:02d}",
        "dot": f"{d.year}.{d.month:02d}.{d.day:02d}",
        "cn_short": f"{d.year}年{d.month}月{d.day}日",
    }[style]


AMOUNT_STYLES = ["yen", "yuan", "bare", "yen_plain"]


def fmt_amount(x: float, style: str) -> str:
    """An amount as printed: ``¥1,234.50``, ``1,234.50元``, ``1,234.50`` or ``¥1234.50``."""
    return {"yen": f"¥{money(x)}", "yuan": f"{money(x)}元", "bare": money(x), "yen_plain": f"¥{x:.2f}"}[style]


def bare_amount(printed: str) -> str:
    """The number of a printed amount (``¥1,234.50`` -> ``1,234.50``)."""
    return printed.removeprefix("¥").removesuffix("元")


def mobile(r: random.Random) -> str:
    return f"1{r.choice('3456789')}{r.randint(0, 9)}{r.randint(0, 99999999):08d}"


def landline(r: random.Random) -> str:
    area = r.choice(["10", "20", "21", "25", "27", "28", "29", "571", "731", "755"])
    return f"0{area}-{r.randint(20000000, 89999999)}"


def masked_mobile(number: str) -> str:
    return number[:3] + "****" + number[-4:]


def address(r: random.Random) -> tuple[str, str]:
    """(city, street address), e.g. ("杭州市", "西湖区文化路88号翠湖苑3栋1202室")."""
    city = r.choice(sorted(CITIES))
    district = r.choice(CITIES[city])
    return city, f"{district}{r.choice(ROADS)}{r.randint(1, 399)}号{r.choice(COMMUNITIES)}{r.randint(1, 20)}栋"


def company(r: random.Random) -> str:
    return r.choice(CITY_PREFIX) + r.choice(COMPANIES)


def account(r: random.Random) -> str:
    """A bank account number printed in groups of four: ``6222 0212 3456 7890 123``."""
    digits = "62" + "".join(str(r.randint(0, 9)) for _ in range(r.choice([14, 17])))
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def upper_amount(x: float) -> str:
    """An amount in Chinese capital numerals (大写), e.g. 壹仟贰佰叁拾肆元伍角."""
    digits, units = "零壹贰叁肆伍陆柒捌玖", ["", "拾", "佰", "仟"]
    yuan, fen = int(x), round(x * 100) % 100
    out = ""
    if yuan == 0:
        out = "零"
    parts = []
    while yuan:
        parts.append(yuan % 10000)
        yuan //= 10000
    for i in range(len(parts) - 1, -1, -1):
        n, s = parts[i], ""
        for j in range(3, -1, -1):
            dgt = n // 10**j % 10
            if dgt:
                s += digits[dgt] + units[j]
            elif s and not s.endswith("零"):
                s += "零"
        s = s.rstrip("零")
        if s:
            out += s + ["", "万", "亿"][i]
    out += "元"
    if fen == 0:
        return out + "整"
    jiao, f = fen // 10, fen % 10
    return out + (digits[jiao] + "角" if jiao else "零") + (digits[f] + "分" if f else "")


# ---------------------------------------------------------------------------------------------
# Fields and documents
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class F:
    """One printed field: ``label`` (may be empty), the printed ``shown`` text, and the key it answers.

    ``value`` is the labelled answer when it differs from ``shown`` (a sub-span, a bare amount).
    ``section`` marks a section heading row (``shown`` is the heading; no key).
    """

    label: str
    shown: str
    key: str | None = None
    value: str | None = None
    section: bool = False


def section(text: str) -> F:
    return F("", text, section=True)


def finish(keys: list[str], fields: list[F], spec: Spec, r: random.Random, nullable: dict[str, float]) -> Spec:
    """Drop absent keys' fields, apply full-width digits, and fill ``spec["values"]``.

    Args:
        keys: The type's keys.
        fields: Every printable field (keyed ones and distractors).
        spec: The document's spec so far (title, layout, notes …).
        r: The document's random stream.
        nullable: ``{key: probability that the key is not printed on this document}``.
    """
    absent = {k for k in keys if r.random() < nullable.get(k, 0.0)}
    if len(absent) == len(keys):
        absent = set()
    spec["fullwidth"] = r.random() < 0.15
    kept: list[F] = []
    values: dict[str, str | None] = dict.fromkeys(keys)
    for f in fields:
        if f.key in absent:
            continue
        if spec["fullwidth"] and not f.section:
            f = F(
                f.label,
                f.shown.translate(FULLWIDTH),
                f.key,
                f.value.translate(FULLWIDTH) if f.value else None,
                f.section,
            )
        if f.key is not None:
            values[f.key] = f.value if f.value is not None else f.shown
        kept.append(f)
    for key in keys:
        if values[key] is not None and key not in absent:
            continue
        values[key] = None
    spec["values"] = values
    spec["fields"] = kept
    spec.setdefault("notes", [])
    spec.setdefault("header", [])
    return spec


# ---------------------------------------------------------------------------------------------
# The eight document types
# ---------------------------------------------------------------------------------------------

WAYBILL_KEYS = ["运单号", "收件人", "收件人电话", "寄件日期", "重量"]


def waybill_spec(r: random.Random) -> Spec:
    courier, prefix = r.choice(COURIERS)
    number = prefix + "".join(str(r.randint(0, 9)) for _ in range(15 - len(prefix)))
    sent = pick_date(r)
    ds = r.choice(DATE_STYLES[:4])
    receiver, sender = name(r), name(r)
    rphone = mobile(r)
    sphone = landline(r) if r.random() < 0.5 else mobile(r)
    rcity, raddr = address(r)
    scity, saddr = address(r)
    weight = f"{r.choice([0.5, 1, 1.2, 2, 2.5, 3, 5, 8.6, 12])}kg"
    fee = fmt_amount(r.choice([8, 10, 12, 15, 18, 23, 28, 35]), r.choice(AMOUNT_STYLES))
    recv = [section("收件人信息"), F("收件人", receiver, "收件人"), F("电话", rphone, "收件人电话"),
            F("地址", rcity + raddr)]  # fmt: skip
    send = [section("寄件人信息"), F("寄件人", sender), F("电话", sphone), F("地址", scity + saddr)]
    order = r.random() < 0.35  # sender block first
    fields = [F("运单号", number, "运单号")]
    fields += send + recv if order else recv + send
    fields += [
        F("托寄物", r.choice(GOODS)),
        F("重量", weight, "重量"),
        F("件数", f"{r.randint(1, 3)}"),
        F("运费", fee),
        F("寄件日期", fmt_date(sent, ds), "寄件日期"),
        F("订单号", f"{r.randint(10**13, 10**14 - 1)}"),
    ]
    printed = sent + datetime.timedelta(days=r.choice([0, 0, 1]))
    spec: Spec = {
        "title": courier,
        "header": [r.choice(["标准快递", "特快专递", "电商件"])],
        "serial": number,
        "layout": r.choice(["colon", "table", "above"]),
        "style": "paper",
        "notes": [f"打印时间：{fmt_date(printed, ds)} {r.randint(8, 21):02d}:{r.randint(0, 59):02d}",
                  f"客服电话：{r.choice(['95338', '95311', '95554', '95546'])}", "签收人：________"],
    }  # fmt: skip
    return finish(WAYBILL_KEYS, fields, spec, r, {"寄件日期": 0.15, "重量": 0.15})


CLINIC_KEYS = ["医院名称", "姓名", "就诊日期", "票据号码", "合计金额"]


def clinic_spec(r: random.Random) -> Spec:
    hospital = r.choice(CITY_PREFIX) + r.choice(HOSPITALS)
    patient = name(r)
    visit = pick_date(r)
    ds = r.choice(DATE_STYLES)
    issued = visit + datetime.timedelta(days=r.choice([0, 0, 1, 2]))
    items = [(it, rand_amount(r, 3, 600)) for it in r.sample(CLINIC_ITEMS, r.randint(2, 4))]
    total = round(sum(a for _, a in items), 2)
    fund = round(total * r.uniform(0.3, 0.7), 2) if r.random() < 0.7 else 0.0
    account_pay = round((total - fund) * r.uniform(0, 0.5), 2)
    cash = round(total - fund - account_pay, 2)
    ast = r.choice(["bare", "bare", "yen", "yuan"])
    number = f"{r.randint(0, 9999999999):010d}"
    fields = [
        F("票据号码", number, "票据号码"),
        F("姓名", patient, "姓名"),
        F("性别", r.choice("男女")),
        F("科室", r.choice(DEPTS)),
        F("病历号", f"{r.randint(10**7, 10**8 - 1)}"),
        F("就诊日期", fmt_date(visit, ds), "就诊日期"),
    ]
    fields += [F(it, fmt_amount(a, ast)) for it, a in items]
    fields += [
        F("合计金额", fmt_amount(total, ast), "合计金额", money(total)),
        F("合计(大写)", upper_amount(total)),
        F("医保统筹支付", fmt_amount(fund, ast)),
        F("个人账户支付", fmt_amount(account_pay, ast)),
        F("个人现金支付", fmt_amount(cash, ast)),
    ]
    spec: Spec = {
        "title": hospital,
        "header": [r.choice(["门诊收费票据(电子)", "医疗门诊收费票据", "门诊收费专用票据"])],
        "serial": f"No.{r.randint(10**7, 10**8 - 1)}",
        "layout": r.choice(["table", "colon", "header"]),
        "style": "paper",
        "notes": [f"开票日期：{fmt_date(issued, ds)}", f"收款人：{name(r)}",
                  f"交易流水号：{r.randint(10**11, 10**12 - 1)}"],
    }  # fmt: skip
    if r.random() < 0.3:  # the hospital name is printed only as the payee, not as the title
        spec["title"] = r.choice(["门诊收费票据", "医疗收费票据"])
        spec["header"] = [f"收款单位：{hospital}"]
        spec["title_key"] = ("医院名称", f"收款单位：{hospital}", hospital)
    else:
        spec["title_key"] = ("医院名称", hospital, hospital)
    return finish(CLINIC_KEYS, fields, spec, r, {"就诊日期": 0.2})


BANKSLIP_KEYS = ["付款人", "收款人", "金额", "交易日期", "收款账号后四位"]


def bankslip_spec(r: random.Random) -> Spec:
    bank = r.choice(BANKS)
    payer = company(r) if r.random() < 0.6 else name(r)
    payee = company(r) if r.random() < 0.5 else name(r)
    pacc, racc = account(r), account(r)
    amount = rand_amount(r, 50, 500000)
    ast = r.choice(["yen", "bare", "yuan", "cny"])
    shown_amount = f"CNY {money(amount)}" if ast == "cny" else fmt_amount(amount, ast)
    traded = pick_date(r)
    ds = r.choice(DATE_STYLES[:4])
    printed = traded + datetime.timedelta(days=r.choice([0, 1, 3, 12]))
    tail = racc.replace(" ", "")[-4:]
    shown_racc = racc if r.random() < 0.6 else "**** **** **** " + tail
    fields = [
        F("付款人", payer, "付款人"),
        F("付款账号", pacc),
        F("付款行", bank + r.choice(["北京分行", "上海分行", "营业部", "城南支行"])),
        F("收款人", payee, "收款人"),
        F("收款账号", shown_racc, "收款账号后四位", tail),
        F("收款行", r.choice(BANKS) + r.choice(["深圳分行", "杭州分行", "西湖支行", "高新支行"])),
        F("金额(大写)", upper_amount(amount)),
        F("金额(小写)", shown_amount, "金额", money(amount)),
        F("手续费", fmt_amount(r.choice([0, 0, 2, 5, 10, 15.5]), "bare")),
        F("交易日期", fmt_date(traded, ds), "交易日期"),
        F("用途", r.choice(["货款", "服务费", "工资", "报销款", "往来款", "房租"])),
        F("交易流水号", f"{r.randint(10**15, 10**16 - 1)}"),
    ]
    if r.random() < 0.4:  # values in another order: the amount first
        fields = fields[6:9] + fields[:6] + fields[9:]
    spec: Spec = {
        "title": bank,
        "header": [r.choice(["电子回单", "业务回单(付款)", "网上银行电子回单"])],
        "serial": f"回单编号：{r.randint(10**9, 10**10 - 1)}",
        "layout": r.choice(["table", "colon", "split"]),
        "style": "paper",
        "notes": [f"打印日期：{fmt_date(printed, ds)}", f"记账柜员：{r.randint(10000, 99999)}",
                  "本回单仅供参考，重复打印无效"],
    }  # fmt: skip
    return finish(BANKSLIP_KEYS, fields, spec, r, {"交易日期": 0.1, "收款账号后四位": 0.15})


PAYSLIP_KEYS = ["姓名", "发放月份", "应发工资", "个人所得税", "实发工资"]


def payslip_spec(r: random.Random) -> Spec:
    person = name(r)
    month = pick_date(r)
    ms = r.choice(["cn", "dash", "cn_short"])
    month_text = {"cn": f"{month.year}年{month.month:02d}月", "dash": f"{month.year}-{month.month:02d}",
                  "cn_short": f"{month.year}年{month.month}月"}[ms]  # fmt: skip
    base = r.choice([3500, 4200, 5000, 6500, 8000, 9500, 12000, 15000, 20000])
    allowance = r.choice([0, 200, 300, 500, 800])
    bonus = round(rand_amount(r, 100, base * 0.8), 2)
    gross = round(base + allowance + bonus, 2)
    pension, medical = round(gross * 0.08, 2), round(gross * 0.02, 2)
    fund = round(gross * r.choice([0.05, 0.07, 0.12]), 2)
    taxable = gross - pension - medical - fund - 5000
    tax = round(max(taxable, 0) * (0.03 if taxable < 3000 else 0.1), 2)
    net = round(gross - pension - medical - fund - tax, 2)
    ast = r.choice(["bare", "bare", "yuan"])
    a = lambda x: fmt_amount(x, ast)  # noqa: E731
    fields = [
        F("姓名", person, "姓名"),
        F("工号", f"{r.choice('AEHT')}{r.randint(1000, 99999)}"),
        F("部门", r.choice(DEPARTMENTS)),
        F("发放月份", month_text, "发放月份"),
        F("基本工资", a(base)),
        F("岗位津贴", a(allowance)),
        F("绩效奖金", a(bonus)),
        F("应发工资", a(gross), "应发工资", money(gross)),
        F("养老保险", a(pension)),
        F("医疗保险", a(medical)),
        F("住房公积金", a(fund)),
    ]
    if tax > 0:
        fields.append(F("个人所得税", a(tax), "个人所得税", money(tax)))
    fields.append(F("实发工资", a(net), "实发工资", money(net)))
    layout = r.choice(["header", "split", "colon"])
    spec: Spec = {
        "title": company(r),
        "header": [r.choice(["工资条", "员工工资单", "薪资明细"])],
        "serial": "",
        "layout": layout,
        "style": "screen" if layout == "split" else "paper",
        "notes": [r.choice(["实发工资以银行实际到账为准", "如对实发工资有疑问请联系人力资源部"]),
                  f"发放日期：{fmt_date(month + datetime.timedelta(days=r.randint(30, 40)), 'dash')}"],
    }  # fmt: skip
    return finish(PAYSLIP_KEYS, fields, spec, r, {"发放月份": 0.15})


HOTEL_KEYS = ["宾客姓名", "房号", "入住日期", "离店日期", "消费合计"]


def hotel_spec(r: random.Random) -> Spec:
    hotel = r.choice(HOTELS) + f"({r.choice(CITY_PREFIX)}{r.choice(ROADS)}店)"
    guest = name(r)
    arrive = pick_date(r)
    nights = r.randint(1, 4)
    leave = arrive + datetime.timedelta(days=nights)
    ds = r.choice(DATE_STYLES[:4])
    rate = r.choice([168, 199, 238, 288, 328, 399, 458, 599])
    extras = r.choice([0, 0, 25, 38, 60])
    total = rate * nights + extras
    deposit = r.choice([200, 300, 500, 1000])
    ast = r.choice(AMOUNT_STYLES)
    room = f"{r.randint(2, 18)}{r.randint(1, 30):02d}"
    fields = [
        F("宾客姓名", guest, "宾客姓名"),
        F("手机", masked_mobile(mobile(r))),
        F("房号", room, "房号"),
        F("房型", r.choice(ROOM_TYPES)),
        F("入住日期", fmt_date(arrive, ds), "入住日期"),
        F("离店日期", fmt_date(leave, ds), "离店日期"),
        F("房价", fmt_amount(rate, ast)),
    ]
    for n in range(min(nights, 3)):
        fields.append(F(fmt_date(arrive + datetime.timedelta(days=n), ds), f"房费 {fmt_amount(rate, ast)}"))
    if extras:
        fields.append(F("迷你吧", fmt_amount(extras, ast)))
    fields += [
        F("消费合计", fmt_amount(total, ast), "消费合计"),
        F("押金", fmt_amount(deposit, ast)),
        F("退还押金", fmt_amount(deposit, ast)),
    ]
    if r.random() < 0.3:  # values in another order: the stay first, the guest after it
        fields = fields[2:6] + fields[:2] + fields[6:]
    spec: Spec = {
        "title": hotel,
        "header": [r.choice(["宾客账单", "结账单 GUEST FOLIO", "住宿结算单"])],
        "serial": f"账单号：{r.randint(10**7, 10**8 - 1)}",
        "layout": r.choice(["colon", "table", "above"]),
        "style": "paper",
        "notes": [f"酒店电话：{landline(r)}",
                  f"打印时间：{fmt_date(leave, ds)} {r.randint(7, 13):02d}:{r.randint(0, 59):02d}",
                  "宾客签名：________"],
    }  # fmt: skip
    return finish(HOTEL_KEYS, fields, spec, r, {"房号": 0.1, "离店日期": 0.1})


TAKEOUT_KEYS = ["店铺名称", "实付金额", "下单时间", "订单号", "手机尾号"]


def takeout_spec(r: random.Random) -> Spec:
    shop = r.choice(SHOPS) + f"({r.choice(list(CITIES['北京市'] + CITIES['上海市']))}店)"
    dishes = [(d, p, r.choice([1, 1, 2])) for d, p in r.sample(DISHES, r.randint(1, 4))]
    goods = round(sum(p * q for _, p, q in dishes), 2)
    delivery = r.choice([0, 1, 2.5, 3, 4.5])
    pack = r.choice([0, 1, 2])
    discount = r.choice([0, 3, 5, 8]) if goods > 20 else 0
    paid = round(goods + delivery + pack - discount, 2)
    ast = r.choice(["yen", "yen", "yen_plain", "bare"])
    ordered = pick_date(r)
    ds = r.choice(["dash", "slash", "ymd_cn"])
    t = f"{r.randint(10, 21):02d}:{r.randint(0, 59):02d}"
    phone = mobile(r)
    fields = [F("", f"{d} x{q}  {fmt_amount(p * q, ast)}") for d, p, q in dishes]
    fields += [
        F("商品总价", fmt_amount(goods, ast)),
        F("打包费", fmt_amount(pack, ast)),
        F("配送费", fmt_amount(delivery, ast)),
    ]
    if discount:
        fields.append(F("店铺满减", "-" + fmt_amount(discount, ast)))
    fields += [
        F("实付金额", fmt_amount(paid, ast), "实付金额"),
        section("订单信息"),
        F("订单号", f"{r.randint(10**17, 10**18 - 1)}", "订单号"),
        F("下单时间", f"{fmt_date(ordered, ds)} {t}", "下单时间"),
        F("期望时间", f"{fmt_date(ordered, ds)} 立即送出"),
        F("收货人", f"{name(r)[0]}先生" if r.random() < 0.5 else f"{name(r)[0]}女士"),
        F("联系电话", masked_mobile(phone) if r.random() < 0.5 else f"手机尾号{phone[-4:]}", "手机尾号", phone[-4:]),
        F("商家电话", landline(r)),
        F("支付方式", r.choice(["微信支付", "支付宝", "在线支付"])),
    ]
    spec: Spec = {
        "title": shop,
        "header": [r.choice(["订单已送达", "订单已完成", "感谢您的信任，期待再次光临"])],
        "serial": "",
        "layout": r.choice(["split", "above", "colon"]),
        "style": "screen",
        "notes": [r.choice(["再来一单", "评价得红包", "申请售后"])],
        "title_key": ("店铺名称", shop, shop),
    }
    return finish(TAKEOUT_KEYS, fields, spec, r, {"手机尾号": 0.15})


ITINERARY_KEYS = ["旅客姓名", "航班号", "乘机日期", "票价", "电子客票号码"]


def itinerary_spec(r: random.Random) -> Spec:
    airline, code = r.choice(AIRLINES)
    flight = f"{code}{r.randint(1000, 9999)}"
    dep, arr = r.sample(AIRPORTS, 2)
    fly = pick_date(r)
    ds = r.choice(DATE_STYLES[:4])
    issued = fly - datetime.timedelta(days=r.randint(1, 30))
    fare = float(r.choice([360, 520, 680, 890, 1130, 1460, 1750, 2280]))
    fund, fuel = 50.0, float(r.choice([0, 10, 20, 40, 60]))
    ast = r.choice(["bare", "bare", "yen", "cny"])
    amt = lambda x: f"CNY{x:.2f}" if ast == "cny" else fmt_amount(x, ast)  # noqa: E731
    passenger = name(r)
    fields = [
        F("旅客姓名", passenger, "旅客姓名"),
        F("有效身份证件号码", f"{r.randint(110000, 659000)}{r.randint(1960, 2005)}****{r.randint(0, 9999):04d}"),
        F("自", f"{dep} {r.choice(['T1', 'T2', 'T3'])}"),
        F("至", f"{arr} {r.choice(['T1', 'T2', 'T3'])}"),
        F("承运人", airline),
        F("航班号", flight, "航班号"),
        F("座位等级", r.choice(["Y", "B", "M", "H", "F"])),
        F("乘机日期", fmt_date(fly, ds), "乘机日期"),
        F("起飞时间", f"{r.randint(6, 22):02d}:{r.choice(['00', '15', '30', '45', '05'])}"),
        F("票价", amt(fare), "票价", bare_amount(amt(fare).removeprefix("CNY"))),
        F("民航发展基金", amt(fund)),
        F("燃油附加费", amt(fuel)),
        F("合计", amt(fare + fund + fuel)),
        F("电子客票号码", f"{r.randint(700, 999)}-{r.randint(10**9, 10**10 - 1)}", "电子客票号码"),
    ]
    spec: Spec = {
        "title": "航空运输电子客票行程单",
        "header": [f"印刷序号：{r.randint(10**9, 10**10 - 1)}"],
        "serial": "",
        "layout": r.choice(["header", "colon", "above"]),
        "style": "paper",
        "notes": [f"填开日期：{fmt_date(issued, ds)}", f"填开单位：{r.choice(CITY_PREFIX)}航空票务服务有限公司",
                  "验真网址：www.travelsky.com.cn"],
    }  # fmt: skip
    return finish(ITINERARY_KEYS, fields, spec, r, {"电子客票号码": 0.1, "乘机日期": 0.1})


RENT_KEYS = ["承租人", "租金", "收款日期", "收款人", "联系电话"]


def rent_spec(r: random.Random) -> Spec:
    tenant, landlord = name(r), name(r)
    start = pick_date(r)
    months = r.choice([1, 3, 6, 12])
    end = start + datetime.timedelta(days=30 * months - 1)
    ds = r.choice(DATE_STYLES)
    received = start - datetime.timedelta(days=r.randint(0, 7))
    monthly = r.choice([1200, 1800, 2300, 2800, 3500, 4200, 5600])
    rent = float(monthly * months)
    deposit = float(monthly)
    ast = r.choice(["bare", "yen", "yuan"])
    city, addr = address(r)
    fields = [
        F("承租人", tenant, "承租人"),
        F("房屋地址", city + addr + f"{r.randint(1, 28)}{r.randint(1, 4):02d}室"),
        F("租期", f"{fmt_date(start, ds)}至{fmt_date(end, ds)}"),
        F("月租金", fmt_amount(monthly, ast)),
        F("租金", fmt_amount(rent, ast), "租金", money(rent)),
        F("大写", upper_amount(rent)),
        F("押金", fmt_amount(deposit, ast)),
        F("收款日期", fmt_date(received, ds), "收款日期"),
        F("收款人", landlord, "收款人"),
        F("联系电话", mobile(r), "联系电话"),
        F("中介电话", landline(r)),
    ]
    if r.random() < 0.35:  # values in another order: the payee's block first
        fields = fields[7:10] + fields[:7] + fields[10:]
    spec: Spec = {
        "title": "房租收据",
        "header": [r.choice(["今收到", "收款收据", "租金收据"])],
        "serial": f"No.{r.randint(100000, 999999)}",
        "layout": r.choice(["colon", "table", "above"]),
        "style": "paper",
        "notes": [r.choice(["本收据盖章后生效", "此据为凭，遗失不补"]), f"经办人：{name(r)}"],
    }
    return finish(RENT_KEYS, fields, spec, r, {"联系电话": 0.2, "收款日期": 0.1})


# ---------------------------------------------------------------------------------------------
# The layout engine
# ---------------------------------------------------------------------------------------------

INK, GREY, RULE = "#1a1a1a", "#5f636a", "#8a8d92"


class Page:
    """A canvas drawn top to bottom; ``y`` is the next free row."""

    def __init__(self, w: int, spec: Spec) -> None:
        self.w, self.spec, self.mono = w, spec, spec["mono"]
        self.screen = spec["style"] == "screen"
        self.img = Image.new("RGB", (w, 2600), "#F4F5F7" if self.screen else (250, 249, 245))
        self.d = ImageDraw.Draw(self.img)
        self.y = 0
        self.left, self.right = 44, w - 44

    def f(self, size: int):
        return font(size, self.mono)

    def text(self, xy: tuple[float, float], s: str, size: int, fill: str = INK, anchor: str = "lm", width: float = 0):
        fnt = fitted(s, size, self.mono, width) if width else self.f(size)
        self.d.text(xy, s, font=fnt, fill=fill, anchor=anchor)

    def done(self) -> Image.Image:
        return self.img.crop((0, 0, self.w, self.y + 30))


def draw_header(p: Page, spec: Spec, r: random.Random) -> None:
    title_key = spec.get("title_key")
    if p.screen:
        p.d.rectangle([0, 0, p.w, 130], fill=spec["accent"])
        p.text((28, 24), spec["clock"], 22, "white")
        p.text((p.w - 28, 24), f"{spec['battery']}%", 22, "white", "rm")
        p.text((p.w // 2, 88), spec["title"], 34, "white", "mm", p.w - 80)
        p.y = 160
        for line in spec["header"]:
            p.text((p.w // 2, p.y), line, 26, GREY, "mm", p.w - 60)
            p.y += 46
        return
    p.y = 40
    if spec["serial"]:
        p.text((p.right, p.y), spec["serial"], 24, "#B0302A", "rm")
        p.y += 44
    p.text((p.w // 2, p.y + 10), spec["title"], 40, INK, "mm", p.w - 80)
    p.y += 66
    for line in spec["header"]:
        p.text((p.w // 2, p.y), line, 28 if title_key and line == title_key[1] else 26, GREY, "mm", p.w - 80)
        p.y += 44
    p.d.line([(p.left, p.y), (p.right, p.y)], fill=RULE, width=2)
    p.y += 24


def lay_colon(p: Page, fields: list[F], r: random.Random) -> None:
    sep = r.choice(["：", "：", ":", " "])
    row = 50
    i = 0
    while i < len(fields):
        f = fields[i]
        if f.section:
            p.text((p.left, p.y + row // 2), f"【{f.shown}】", 28)
            p.y += row
            i += 1
            continue
        text = f"{f.label}{sep}{f.shown}" if f.label else f.shown
        nxt = fields[i + 1] if i + 1 < len(fields) else None
        half = (p.right - p.left) / 2 - 20
        if (
            nxt is not None
            and not nxt.section
            and nxt.label
            and text_width(text, p.f(28)) < half
            and text_width(f"{nxt.label}{sep}{nxt.shown}", p.f(28)) < half
            and r.random() < 0.35
        ):
            p.text((p.left, p.y + row // 2), text, 28)
            p.text((p.w // 2 + 10, p.y + row // 2), f"{nxt.label}{sep}{nxt.shown}", 28)
            i += 2
        else:
            p.text((p.left, p.y + row // 2), text, 28, width=p.right - p.left)
            i += 1
        p.y += row


def lay_split(p: Page, fields: list[F], r: random.Random) -> None:
    row = 70
    x0, x1 = (24, p.w - 24) if p.screen else (p.left, p.right)
    for f in fields:
        if f.section:
            p.y += 16
            p.text((x0 + 10, p.y + 22), f.shown, 26, GREY)
            p.y += 48
            continue
        if p.screen:
            p.d.rectangle([x0, p.y, x1, p.y + row], fill="white")
        p.d.line([(x0 + 20, p.y + row), (x1 - 20, p.y + row)], fill="#E3E5E8", width=2)
        cy = p.y + row // 2
        if f.label:
            p.text((x0 + 24, cy), f.label, 28, GREY)
            lw = text_width(f.label, p.f(28))
            p.text((x1 - 24, cy), f.shown, 30, INK, "rm", x1 - x0 - lw - 90)
        else:
            p.text((x0 + 24, cy), f.shown, 28, INK, width=x1 - x0 - 48)
        p.y += row


def lay_above(p: Page, fields: list[F], r: random.Random) -> None:
    col = (p.right - p.left) / 2
    row = 92
    groups: list[tuple[bool, list[F]]] = []  # (wide, fields): a wide group holds one field
    for f in fields:
        wide = f.section or not f.label or text_width(f.shown, p.f(30)) > col - 24
        if wide or not groups or groups[-1][0] or len(groups[-1][1]) == 2:
            groups.append((wide, [f]))
        else:
            groups[-1][1].append(f)
    for wide, group in groups:
        if group[0].section:
            p.text((p.left, p.y + 26), group[0].shown, 28, INK)
            p.d.line([(p.left, p.y + 50), (p.right, p.y + 50)], fill="#D5D7DA", width=2)
            p.y += 64
            continue
        for j, f in enumerate(group):
            x = p.left + j * col
            if f.label:
                p.text((x, p.y + 18), f.label, 24, GREY)
                p.text((x, p.y + 58), f.shown, 30, INK, width=(p.right - p.left) if wide else col - 16)
            else:
                p.text((x, p.y + 38), f.shown, 28, INK, width=p.right - p.left)
        p.y += row


def lay_table(p: Page, fields: list[F], r: random.Random) -> None:
    x = [p.left, p.left + 190, p.w // 2 + 20, p.w // 2 + 190, p.right]
    row = 62
    rows: list[list[F]] = []
    last_short = False
    for f in fields:
        short = bool(f.label) and not f.section and text_width(f.shown, p.f(26)) < x[2] - x[1] - 20
        short = short and text_width(f.label, p.f(24)) < x[1] - x[0] - 14
        if short and last_short and len(rows[-1]) == 1:
            rows[-1].append(f)
        else:
            rows.append([f])
        last_short = short
    top = p.y
    for group in rows:
        y0, cy = p.y, p.y + row // 2
        f = group[0]
        if f.section:
            p.d.rectangle([x[0], y0, x[4], y0 + row], fill="#ECEDEF")
            p.text(((x[0] + x[4]) / 2, cy), f.shown, 26, INK, "mm")
        elif len(group) == 2:
            for j, g in enumerate(group):
                p.text((x[2 * j] + 10, cy), g.label, 24, GREY, width=x[1] - x[0] - 14)
                p.text((x[2 * j + 1] + 10, cy), g.shown, 26, INK, width=x[2] - x[1] - 16)
            for xx in x[1:4]:
                p.d.line([(xx, y0), (xx, y0 + row)], fill=RULE, width=2)
        elif f.label:
            lw = max(x[1] - x[0], text_width(f.label, p.f(24)) + 24)
            p.text((x[0] + 10, cy), f.label, 24, GREY)
            p.text((x[0] + lw + 10, cy), f.shown, 26, INK, width=x[4] - x[0] - lw - 20)
            p.d.line([(x[0] + lw, y0), (x[0] + lw, y0 + row)], fill=RULE, width=2)
        else:
            p.text((x[0] + 10, cy), f.shown, 26, INK, width=x[4] - x[0] - 20)
        p.d.line([(x[0], y0 + row), (x[4], y0 + row)], fill=RULE, width=2)
        p.y += row
    p.d.rectangle([x[0], top, x[4], p.y], outline=INK, width=2)
    p.y += 20


def lay_header(p: Page, fields: list[F], r: random.Random) -> None:
    """Short fields in ruled column groups (labels in a header row, values under them); the rest as lines."""
    per = 4 if p.w >= 880 else 3
    colw = (p.right - p.left) / per
    fits = [
        bool(f.label) and not f.section and text_width(f.shown, p.f(26)) < colw - 16
        and text_width(f.label, p.f(24)) < colw - 12
        for f in fields
    ]  # fmt: skip
    short = [f for f, ok in zip(fields, fits, strict=True) if ok]
    rest = [f for f, ok in zip(fields, fits, strict=True) if not ok]
    # Unkeyed long lines (addresses, capital-numeral amounts …) go above the table or below it.
    below = r.random() < 0.5
    first = [f for f in rest if not (below and f.key is None)]
    lines = [f for f in rest if below and f.key is None]
    lay_colon(p, first, r)
    p.y += 10
    for i in range(0, len(short), per):
        group = short[i : i + per]
        y0 = p.y
        p.d.rectangle([p.left, y0, p.right, y0 + 56], fill="#EEEFF1")
        for j, f in enumerate(group):
            cx = p.left + colw * j + colw / 2
            p.text((cx, y0 + 28), f.label, 24, GREY, "mm", colw - 12)
            p.text((cx, y0 + 56 + 30), f.shown, 26, INK, "mm", colw - 16)
        for j in range(1, per):
            xx = p.left + colw * j
            p.d.line([(xx, y0), (xx, y0 + 116)], fill=RULE, width=2)
        p.d.rectangle([p.left, y0, p.right, y0 + 116], outline=INK, width=2)
        p.d.line([(p.left, y0 + 56), (p.right, y0 + 56)], fill=RULE, width=2)
        p.y += 116 + 18
    lay_colon(p, lines, r)


LAYOUTS: dict[str, Callable[[Page, list[F], random.Random], None]] = {
    "colon": lay_colon,
    "split": lay_split,
    "above": lay_above,
    "table": lay_table,
    "header": lay_header,
}


def render_doc(spec: Spec, r: random.Random) -> Image.Image:
    spec["mono"] = r.random() < 0.3
    spec["accent"] = r.choice(["#F5A623", "#1F6FE0", "#E8483B", "#12A15A", "#6B4BD8"])
    spec["clock"] = f"{r.randint(7, 23):02d}:{r.randint(0, 59):02d}"
    spec["battery"] = r.randint(10, 100)
    p = Page(720 if spec["style"] == "screen" else 900, spec)
    draw_header(p, spec, r)
    fields = list(spec["fields"])
    LAYOUTS[spec["layout"]](p, fields, r)
    p.y += 12
    for note in spec["notes"]:
        p.text((p.left if not p.screen else p.w // 2, p.y + 20), note, 24, GREY, "lm" if not p.screen else "mm")
        p.y += 40
    for text, size in spec.get("small_print", []):  # (text, pixel size) lines in small type at the foot
        p.text((p.left, p.y + size // 2 + 4), text, size, GREY, width=p.right - p.left)
        p.y += size + 10
    img = p.done()
    if p.screen:
        return img
    return photograph(img, r, margin=30, scale=0.8)


# ---------------------------------------------------------------------------------------------
# Types, examples, writing
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocType:
    name: str
    keys: list[str]
    spec: Callable[[random.Random], Spec]
    layouts: tuple[str, ...]
    description: str


TYPES = {
    "waybill": DocType(
        "waybill", WAYBILL_KEYS, waybill_spec, ("colon", "table", "above"),
        "快递面单 (express waybills), photographed JPEG. Distractors: the sender's name and phone (a landline "
        "or a mobile) under a second 电话 label, both addresses, 订单号 (another long number), 运费, 件数, the "
        "打印时间 date, the courier's hotline; the receiver or the sender block comes first. 收件人电话 is the "
        "receiver's mobile. 寄件日期 and 重量 are absent on some waybills.",
    ),
    "clinic": DocType(
        "clinic", CLINIC_KEYS, clinic_spec, ("table", "colon", "header"),
        "门诊收费票据 (outpatient receipts), photographed JPEG. 医院名称 is the title, or printed after "
        "收款单位 under a generic title. 合计金额 is the bare number (the receipt may print ¥ or 元). "
        "Distractors: the fee items, 合计(大写), 医保统筹支付, 个人账户支付, 个人现金支付, 病历号, 开票日期 "
        "(a second date), 交易流水号. 就诊日期 is absent on some receipts (开票日期 still printed).",
    ),
    "bankslip": DocType(
        "bankslip", BANKSLIP_KEYS, bankslip_spec, ("table", "colon", "split"),
        "银行回单 (bank transfer slips), photographed JPEG. 金额 is the bare number of 金额(小写) (printed "
        "with ¥, CNY, 元 or nothing); 收款账号后四位 is the last four digits of the payee's account (printed "
        "in full or masked). Distractors: 金额(大写), 手续费, the payer's account, two bank branches, the "
        "打印日期 (a second date), 交易流水号, 回单编号; the amount block comes first on some slips.",
    ),
    "payslip": DocType(
        "payslip", PAYSLIP_KEYS, payslip_spec, ("header", "split", "colon"),
        "工资条 (payslips): a ruled table on paper (JPEG), an app screen (PNG) or lines. Amounts are the bare "
        "number (some slips print 元). Distractors: 基本工资, 岗位津贴, 绩效奖金, 养老保险, 医疗保险, 住房公积金, "
        "工号, the note repeating 实发工资, 发放日期. 个人所得税 is not printed when no tax is due; 发放月份 is "
        "absent on some slips.",
    ),
    "hotel": DocType(
        "hotel", HOTEL_KEYS, hotel_spec, ("colon", "table", "above"),
        "酒店账单 (hotel folios), photographed JPEG. 消费合计 is the amount as printed (with ¥ or 元 when "
        "printed). Distractors: one line per night with its date and 房费, 房价, 押金, 退还押金, 迷你吧, the "
        "guest's masked mobile and the hotel's landline, the 打印时间 date, 账单号; the stay may come before "
        "the guest. 房号 and 离店日期 are absent on some folios.",
    ),
    "takeout": DocType(
        "takeout", TAKEOUT_KEYS, takeout_spec, ("split", "above", "colon"),
        "外卖订单 (food-delivery order screens), PNG. 实付金额 is the amount as printed (with ¥ when printed); "
        "下单时间 is the date and time; 手机尾号 is the last four digits of the contact phone (printed masked "
        "as 138****5678 or as 手机尾号5678). Distractors: dish prices, 商品总价, 打包费, 配送费, 店铺满减, "
        "期望时间 (a second date), 商家电话 (a landline). 手机尾号 is absent on some orders.",
    ),
    "itinerary": DocType(
        "itinerary", ITINERARY_KEYS, itinerary_spec, ("header", "colon", "above"),
        "机票行程单 (air e-ticket itineraries), photographed JPEG. 票价 is the bare fare (printed with ¥, CNY "
        "or nothing). Distractors: 民航发展基金, 燃油附加费, 合计 (several amounts), the masked ID number, "
        "印刷序号, 填开日期 (a second date), 起飞时间, 承运人. 电子客票号码 and 乘机日期 are absent on some.",
    ),
    "rent": DocType(
        "rent", RENT_KEYS, rent_spec, ("colon", "table", "above"),
        "房租收据 (rent receipts), photographed JPEG. 租金 is the bare number of the rent received (printed "
        "with ¥, 元 or nothing); 联系电话 is the payee's mobile. Distractors: 月租金, 押金, 大写, 租期 (two "
        "dates), 中介电话 (a landline), the address with its numbers, 经办人, No.; the payee's block comes "
        "first on some receipts. 联系电话 and 收款日期 are absent on some receipts.",
    ),
}  # fmt: skip


def doc_rng(seed: int, doc_type: str, tag: str) -> random.Random:
    return random.Random(f"{seed}:{doc_type}:{tag}")


def spec_only(t: DocType, seed: int, tag: str) -> Spec:
    return draw_spec(t, doc_rng(seed, t.name, tag))


def draw_spec(t: DocType, r: random.Random) -> Spec:
    """The type's spec; a key printed as the title (clinic's 医院名称) is labelled from the header."""
    spec = t.spec(r)
    if "title_key" in spec:
        spec["values"][spec["title_key"][0]] = spec["title_key"][2]
    return spec


def render(t: DocType, seed: int, tag: str) -> tuple[Spec, Image.Image]:
    r = doc_rng(seed, t.name, tag)
    spec = draw_spec(t, r)
    return spec, render_doc(spec, r)


def example_tags(t: DocType, seed: int, taken: list[Spec]) -> list[str]:
    """Tags of the five examples: layouts in turn (0, 1, 2, 0, 1), nulls as :data:`EXAMPLE_NULLS`.

    Among the candidates that fit, the one whose values overlap the evaluation documents' (and the
    earlier examples') values least is taken.
    """
    seen = {k: {s["values"][k] for s in taken if s["values"][k] is not None} for k in t.keys}
    tags = []
    for n in range(N_EXAMPLES):
        want_layout = t.layouts[n % len(t.layouts)]
        best: tuple[int, str, Spec] | None = None
        for attempt in range(400):
            tag = f"example-{n}-{attempt}"
            spec = spec_only(t, seed, tag)
            vals = spec["values"]
            if spec["layout"] != want_layout or sum(vals[k] is None for k in t.keys) != EXAMPLE_NULLS[n]:
                continue
            overlap = sum(vals[k] is not None and vals[k] in seen[k] for k in t.keys)
            if best is None or overlap < best[0]:
                best = (overlap, tag, spec)
            if overlap == 0:
                break
        assert best is not None, (t.name, n)
        tags.append(best[1])
        for k in t.keys:
            if best[2]["values"][k] is not None:
                seen[k].add(best[2]["values"][k])
    return tags


def ext(spec: Spec) -> str:
    return "png" if spec["style"] == "screen" else "jpg"


def labels_json(t: DocType, values: dict[str, str | None]) -> str:
    return json.dumps({k: values[k] for k in t.keys}, ensure_ascii=False, indent=2) + "\n"


def generate(t: DocType, out: Path, seed: int, count: int, examples: bool = True) -> None:
    """Write ``count`` documents (and, with ``examples``, the five examples and dataset.json) under ``out/<type>``."""
    root = out / t.name
    for sub in ("images", "labels", "examples"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    layouts: dict[str, int] = {}
    for i in range(count):
        doc_id = f"{t.name}-{i:03d}"
        spec, image = render(t, seed, f"{i:03d}")
        layouts[spec["layout"]] = layouts.get(spec["layout"], 0) + 1
        save_image(image, root / "images" / f"{doc_id}.{ext(spec)}")
        (root / "labels" / f"{doc_id}.json").write_text(labels_json(t, spec["values"]), encoding="utf-8")
    if not examples:
        return
    records = []
    taken = [spec_only(t, seed, f"{i:03d}") for i in range(max(count, DEFAULT_COUNT))]
    for n, tag in enumerate(example_tags(t, seed, taken)):
        spec, image = render(t, seed, tag)
        file = f"example-{n + 1}.{ext(spec)}"
        save_image(image, root / "examples" / file)
        records.append({"image": f"examples/{file}", "values": {k: spec["values"][k] for k in t.keys}})
    (root / "examples.jsonl").write_text(
        "".join(json.dumps(rec, ensure_ascii=False) + "\n" for rec in records), encoding="utf-8"
    )
    meta = {
        "name": f"zh-docs/{t.name}",
        "description": t.description,
        "keys": t.keys,
        "examples": "examples.jsonl",
        "layouts": list(t.layouts),
        "generator": "scripts/make_zh_docs.py",
        "seed": seed,
        "count": max(count, 0),
    }
    (root / "dataset.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    return run_cli(
        argv,
        description=__doc__.split("\n\n")[0],
        kinds=TYPES,
        generate=generate,
        count=DEFAULT_COUNT,
        out=DEFAULT_OUT,
        seed=DEFAULT_SEED,
        noun="type",
        written=f"documents and {N_EXAMPLES} examples",
        check_examples=True,
    )


if __name__ == "__main__":
    sys.exit(main())
