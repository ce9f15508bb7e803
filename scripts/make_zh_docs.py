"""Generate the held-out Chinese document set (``benchmarks/datasets/zh-docs``), issue 11.

Thirty-two document types that are **not** in zh-kie (which has credit-card bill screens, train
tickets, shop receipts/invoices), one dataset folder each, in the layout
``ocr_kie.evaluation.load_labelled_dataset`` reads (``images/<id>.<ext>``, ``labels/<id>.json``,
``dataset.json`` with name, description, keys, examples; ``examples.jsonl`` with five worked
examples whose images are in ``examples/``):

- ``waybill`` 快递面单, ``clinic`` 门诊收费票据, ``bankslip`` 银行回单, ``payslip`` 工资条,
  ``hotel`` 酒店账单, ``takeout`` 外卖订单, ``itinerary`` 机票行程单, ``rent`` 房租收据 (halves A and B);
- ``idcard`` 身份证, ``license`` 营业执照, ``taxi`` 出租车票, ``vehicle`` 机动车行驶证 (half C, added
  later and held out; see ``benchmarks/datasets/zh-docs/SPLIT.md``);
- ``utility`` 水电燃气缴费单, ``policy`` 保险单, ``pharmacy`` 药店小票, ``delivery`` 发货单 (half D, added
  later and held out, with the ``leader`` and ``boxes`` layouts; in ``zh_docs_half_d.py``);
- ``driving`` 驾驶证, ``checkup`` 体检报告, ``fuel`` 加油小票, ``tuition`` 学费收据 (half E, added later and
  held out, with the ``prose`` and ``matrix`` layouts; in ``zh_docs_half_e.py``);
- ``parking`` 停车收费票, ``marriage`` 结婚证, ``repair`` 汽车维修结算单, ``cinema`` 电影票 (half F, added later and
  held out, with the ``grid`` and ``caption`` layouts; in ``zh_docs_half_f.py``);
- ``property`` 不动产权证书, ``phonebill`` 话费账单, ``social`` 社保缴费证明, ``register`` 挂号单 (half G, added later
  and held out, with the ``spaced`` and ``seal`` layouts; in ``zh_docs_half_g.py``);
- ``passport`` 护照, ``deposit`` 定期存单, ``vaccine`` 宠物免疫证, ``tax`` 个人所得税纳税记录 (half H, added last and
  held out, with the ``bilingual`` and ``ledger`` layouts; in ``zh_docs_half_h.py``).

Each type is drawn in at least three layouts from one small layout engine: ``colon`` (label,
separator and value on one line), ``split`` (label left, value right-aligned on its row, app
style), ``above`` (a small label above its value, two columns), ``table`` (a ruled grid of
label/value cells), ``header`` (a ruled table whose header row holds the labels and the row
under it the values), ``card`` (an ID card or licence: labels in a narrow column on a rounded
panel, long values wrapped under themselves, a photo box or QR mark, the back as a second panel)
and ``below`` (the value over a rule, its label under it); a layout may also print its fields in
another order. Realistic distractors (two or three dates, several amounts, a landline and a
mobile, a printed label repeated in another section), absent keys (a null label means the key is
not printed at all), varied printing (dates in several formats, amounts with or without ¥/元,
full-width digits on some documents) and sub-span answers (the last four digits of an account,
a phone's tail, the end of a validity period) are part of every half.

A label is the value **as printed**, except where a key's answer is a sub-span by definition
(``收款账号后四位``, ``手机尾号``, ``有效期至``, ``车架号后六位``, ``上车时间`` on a 上下车 slip)
and for amounts of the types whose convention is the bare number (the ``dataset.json``
description of each type says which); see ``benchmarks/datasets/zh-docs/README.md``.

Usage::

    python scripts/make_zh_docs.py                       # all types, 20 documents + 5 examples each
    python scripts/make_zh_docs.py --subset hotel --count 3 --out /tmp/zhd
    python scripts/make_zh_docs.py --ocr-check           # also measure the OCR ceiling (paddle)

Deterministic: document *i* of type *t* is drawn from ``random.Random("<seed>:<t>:<i>")`` (so it
does not depend on ``--count``, and a new type leaves the other types' files as they are) and
rendered with Pillow and numpy; the same seed gives byte-identical files. The drawing and writing
helpers are shared with ``make_zh_eval.py`` (``zh_render.py``).
"""

from __future__ import annotations

import datetime
import functools
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared drawing module next to this script
from zh_render import (
    REPO_ROOT,
    fitted,
    font,
    money,
    name,
    photograph,
    pick_examples,
    rand_amount,
    run_cli,
    text_width,
    write_dataset,
)

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


def page(title: str, header: list[str], serial: str, layout: str, notes: list[str], style: str = "paper") -> Spec:
    """A document's page: title, header lines, serial number (top right), layout, footer notes, style."""
    return {"title": title, "header": header, "serial": serial, "layout": layout, "style": style, "notes": notes}


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
    spec = page(courier, [r.choice(["标准快递", "特快专递", "电商件"])], number, r.choice(["colon", "table", "above"]),
                [f"打印时间：{fmt_date(printed, ds)} {r.randint(8, 21):02d}:{r.randint(0, 59):02d}",
                 f"客服电话：{r.choice(['95338', '95311', '95554', '95546'])}", "签收人：________"])  # fmt: skip
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
    spec = page(hospital, [r.choice(["门诊收费票据(电子)", "医疗门诊收费票据", "门诊收费专用票据"])],
                f"No.{r.randint(10**7, 10**8 - 1)}", r.choice(["table", "colon", "header"]),
                [f"开票日期：{fmt_date(issued, ds)}", f"收款人：{name(r)}",
                 f"交易流水号：{r.randint(10**11, 10**12 - 1)}"])  # fmt: skip
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
    spec = page(bank, [r.choice(["电子回单", "业务回单(付款)", "网上银行电子回单"])],
                f"回单编号：{r.randint(10**9, 10**10 - 1)}", r.choice(["table", "colon", "split"]),
                [f"打印日期：{fmt_date(printed, ds)}", f"记账柜员：{r.randint(10000, 99999)}",
                 "本回单仅供参考，重复打印无效"])  # fmt: skip
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
    spec = page(company(r), [r.choice(["工资条", "员工工资单", "薪资明细"])], "", layout,
                [r.choice(["实发工资以银行实际到账为准", "如对实发工资有疑问请联系人力资源部"]),
                 f"发放日期：{fmt_date(month + datetime.timedelta(days=r.randint(30, 40)), 'dash')}"],
                "screen" if layout == "split" else "paper")  # fmt: skip
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
    spec = page(hotel, [r.choice(["宾客账单", "结账单 GUEST FOLIO", "住宿结算单"])],
                f"账单号：{r.randint(10**7, 10**8 - 1)}", r.choice(["colon", "table", "above"]),
                [f"酒店电话：{landline(r)}",
                 f"打印时间：{fmt_date(leave, ds)} {r.randint(7, 13):02d}:{r.randint(0, 59):02d}",
                 "宾客签名：________"])  # fmt: skip
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
    spec = page(shop, [r.choice(["订单已送达", "订单已完成", "感谢您的信任，期待再次光临"])], "",
                r.choice(["split", "above", "colon"]), [r.choice(["再来一单", "评价得红包", "申请售后"])],
                "screen")  # fmt: skip
    spec["title_key"] = ("店铺名称", shop, shop)
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
    spec = page("航空运输电子客票行程单", [f"印刷序号：{r.randint(10**9, 10**10 - 1)}"], "",
                r.choice(["header", "colon", "above"]),
                [f"填开日期：{fmt_date(issued, ds)}", f"填开单位：{r.choice(CITY_PREFIX)}航空票务服务有限公司",
                 "验真网址：www.travelsky.com.cn"])  # fmt: skip
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
    spec = page("房租收据", [r.choice(["今收到", "收款收据", "租金收据"])], f"No.{r.randint(100000, 999999)}",
                r.choice(["colon", "table", "above"]),
                [r.choice(["本收据盖章后生效", "此据为凭，遗失不补"]), f"经办人：{name(r)}"])  # fmt: skip
    return finish(RENT_KEYS, fields, spec, r, {"联系电话": 0.2, "收款日期": 0.1})


# ---------------------------------------------------------------------------------------------
# Half C: four more types (身份证, 营业执照, 出租车票, 机动车行驶证), generated after A and B were tuned on
# ---------------------------------------------------------------------------------------------

# city -> (province as printed before it, the 6-digit area code of its ID numbers, its plate prefix)
CITY_CODES = {
    "北京市": ("", "110105", "京"), "上海市": ("", "310104", "沪"), "广州市": ("广东省", "440106", "粤A"),
    "深圳市": ("广东省", "440305", "粤B"), "杭州市": ("浙江省", "330106", "浙A"), "成都市": ("四川省", "510107", "川A"),
    "武汉市": ("湖北省", "420106", "鄂A"), "南京市": ("江苏省", "320102", "苏A"), "西安市": ("陕西省", "610113", "陕A"),
    "长沙市": ("湖南省", "430104", "湘A"),
}  # fmt: skip
NATIONS = ["汉", "汉", "汉", "汉", "满", "回", "壮", "苗", "土家", "蒙古"]
# Letters of plates and VINs (no I, O, Q: they read as 1 and 0).
PLATE_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
TAXI_FIRMS = ["银建", "金建", "首汽", "新月", "大众", "强生", "锦江", "海博", "祥龙", "万顺", "东方", "蓝天"]
SCOPES = ["技术开发、技术咨询、技术服务", "软件开发", "计算机系统服务", "货物进出口", "日用百货销售", "餐饮服务",
          "会议及展览服务", "广告设计、代理", "信息咨询服务（不含许可类信息咨询服务）", "物业管理", "道路货物运输",
          "食品销售（仅销售预包装食品）", "建筑材料销售", "企业管理咨询"]  # fmt: skip
SHOP_WORDS = ["小吃店", "便利店", "五金店", "水果店", "理发店", "副食店", "服装店", "早餐店"]
BRANDS = ["大众汽车牌SVW71810BU", "丰田牌TV7250GLXA", "比亚迪牌BYD7006BEVG", "本田牌HG7155CBS",
          "别克牌SGM7158DAA2", "吉利牌JL7152L03", "日产牌DFL7168VBL2", "长安牌SC7164AAA6", "五菱牌LZW6446KF",
          "哈弗牌CC6460RM0R"]  # fmt: skip
VIN_MAKERS = ["LSV", "LFV", "LVS", "LGB", "LHG", "LSG", "LDC", "LGX", "LBV", "LS5"]
CAR_KINDS = ["小型轿车", "小型普通客车", "小型越野客车", "小型轿车"]


def plate_tail(r: random.Random) -> str:
    """The five characters after a plate's prefix: mostly digits, a letter or two."""
    return "".join(r.choice(PLATE_CHARS[:23]) if r.random() < 0.3 else str(r.randint(0, 9)) for _ in range(5))


def id_number(r: random.Random, area: str, born: datetime.date) -> str:
    """An 18-character resident ID number with its ISO 7064 check character (a digit or X)."""
    body = f"{area}{born:%Y%m%d}{r.randint(1, 999):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def credit_code(r: random.Random, area: str, individual: bool) -> str:
    """An 18-character unified social credit code (GB 32100) with its check character."""
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    body = ("92" if individual else "91") + area + "MA" + "".join(r.choice(chars) for _ in range(7))
    return body + chars[-sum(chars.index(c) * w for c, w in zip(body, weights, strict=True)) % 31]


def plus_years(d: datetime.date, years: int) -> datetime.date:
    return d.replace(year=d.year + years)


def not_after_today(d: datetime.date) -> datetime.date:
    """``d``, or the generator's "today" (2026-11-30) if ``d`` is later: nothing is issued in the future."""
    return min(d, datetime.date(2026, 11, 30))


def city_address(r: random.Random) -> tuple[str, str, str]:
    """(city, its district, the full address with province, building and room), e.g. a home on an ID card."""
    city, street = address(r)
    district = next(d for d in CITIES[city] if street.startswith(d))
    return city, district, f"{CITY_CODES[city][0]}{city}{street}{r.randint(1, 30)}{r.randint(1, 4):02d}室"


IDCARD_KEYS = ["姓名", "出生日期", "住址", "公民身份号码", "有效期至"]


def idcard_spec(r: random.Random) -> Spec:
    layout = r.choice(["card", "table", "above"])
    person = name(r)
    born = datetime.date(r.randint(1962, 2004), r.randint(1, 12), r.randint(1, 28))
    city, district, home = city_address(r)
    number = id_number(r, CITY_CODES[city][1], born)
    issued = datetime.date(r.randint(2012, 2025), r.randint(1, 12), r.randint(1, 28))
    age = issued.year - born.year
    vs = r.choice(["dot", "dot", "dash", "ymd_cn"])
    end = "长期" if age >= 46 else fmt_date(plus_years(issued, 20 if age >= 26 else 10), vs)
    joiner = "至" if vs == "dash" else "-"
    bs = "cn_short" if layout == "card" else r.choice(["dash", "ymd_cn", "slash"])
    fields = [
        F("姓名", person, "姓名"),
        F("性别", r.choice("男女")),
        F("民族", r.choice(NATIONS)),
        F("出生" if layout == "card" else "出生日期", fmt_date(born, bs), "出生日期"),
        F("住址", home, "住址"),
        F("公民身份号码", number, "公民身份号码"),
    ]
    back = [F("签发机关", f"{city}公安局{district}分局"),
            F("有效期限", f"{fmt_date(issued, vs)}{joiner}{end}", "有效期至", end)]  # fmt: skip
    signed = not_after_today(issued + datetime.timedelta(days=r.randint(400, 3000)))  # a copy made later
    if layout == "card":  # a photocopy of both sides
        fields += [section("中华人民共和国 居民身份证"), *back]
        spec = page(r.choice(["身份证复印件", "居民身份证（正反面）"]),
                    [r.choice(["仅供办理入职手续使用，他用无效", "仅供银行开户使用", "此复印件仅用于房屋租赁备案"])],
                    "", layout, [f"复印件与原件一致  {fmt_date(signed, 'dash')}", f"签名：{person}"])  # fmt: skip
        spec["card_mark"] = "photo"
    elif layout == "table":  # a registration form
        fields += [*back, F("联系电话", mobile(r)), F("紧急联系人电话", landline(r))]
        if r.random() < 0.4:  # values in another order: the number first
            fields = [fields[5], *fields[:5], *fields[6:]]
        spec = page(r.choice(["居民身份证信息登记表", "实名信息登记表"]), [f"登记单位：{company(r)}"],
                    f"No.{r.randint(100000, 999999)}", layout,
                    [f"登记日期：{fmt_date(signed, bs)}", f"经办人：{name(r)}"])  # fmt: skip
    else:  # an electronic ID card on a phone
        fields += [section("证件信息"), *back, F("证照状态", "有效")]
        spec = page(r.choice(["电子身份证", "居民身份证电子证照"]), ["已通过实名认证"], "", layout,
                    [f"查询时间：{fmt_date(signed, 'dash')} {r.randint(8, 22):02d}:{r.randint(0, 59):02d}"],
                    "screen")  # fmt: skip
    return finish(IDCARD_KEYS, fields, spec, r, {"有效期至": 0.2})


LICENSE_KEYS = ["名称", "统一社会信用代码", "法定代表人", "注册资本", "成立日期"]


def license_spec(r: random.Random) -> Spec:
    layout = r.choice(["card", "below", "colon"])
    city, district, seat = city_address(r)
    individual = r.random() < 0.15  # 个体工商户: 经营者 instead of 法定代表人, no 注册资本
    person = name(r)
    founded = pick_date(r, tuple(range(2008, 2026)))
    ds = r.choice(["ymd_cn", "ymd_cn", "cn_short", "dash"])
    issued = not_after_today(founded + datetime.timedelta(days=r.choice([0, 0, 30, 400, 1200])))
    code = credit_code(r, CITY_CODES[city][1], individual)
    scope = "；".join(r.sample(SCOPES, r.randint(2, 4)))
    if individual:
        firm = f"{city[:-1]}{district}{person[0]}记{r.choice(SHOP_WORDS)}"
        middle = [F("类型", "个体工商户"), F("经营者", person), F("组成形式", "个人经营")]
        late = [F("成立日期", fmt_date(founded, ds), "成立日期")]
    else:
        firm = city[:-1] + r.choice(COMPANIES)
        wan = r.choice([10, 50, 100, 200, 300, 500, 1000, 2000, 5000])
        capital = r.choice([f"{wan}万元人民币", f"人民币{wan}万元", upper_amount(wan * 10000), f"{money(wan)}万元"])
        term = "长期" if r.random() < 0.6 else fmt_date(plus_years(founded, 20) - datetime.timedelta(days=1), ds)
        kind = r.choice(["有限责任公司(自然人投资或控股)", "有限责任公司(自然人独资)", "其他有限责任公司"])
        middle = [F("类型", kind), F("法定代表人", person, "法定代表人")]
        late = [F("注册资本", capital, "注册资本"), F("成立日期", fmt_date(founded, ds), "成立日期"),
                F("营业期限", f"{fmt_date(founded, ds)}至{term}")]  # fmt: skip
    left = [F("名称", firm, "名称"), *middle, F("经营范围", scope)]
    right = [*late, F("住所" if not individual else "经营场所", seat)]
    order = right + left if r.random() < 0.35 else left + right  # values in another order
    spec = page("营业执照", [f"（副本）  副本编号：1-{r.randint(1, 3)}"], "", layout,
                [f"登记机关：{city}{district}市场监督管理局", fmt_date(issued, ds),
                 "国家企业信用信息公示系统网址：http://www.gsxt.gov.cn"])  # fmt: skip
    spec["card_mark"] = "qr"
    return finish(LICENSE_KEYS, [F("统一社会信用代码", code, "统一社会信用代码"), *order], spec, r, {"注册资本": 0.1})


TAXI_KEYS = ["公司名称", "车号", "日期", "上车时间", "金额"]


def taxi_spec(r: random.Random) -> Spec:
    layout = r.choice(["split", "colon", "header"])
    city = r.choice(sorted(CITY_CODES))
    plate = CITY_CODES[city][2].ljust(2, "B")  # 京 -> 京B (taxis)
    firm = f"{city[:-1]}{r.choice(TAXI_FIRMS)}{r.choice(['出租汽车有限公司', '出租车有限公司', '汽车服务有限公司'])}"
    car = plate + plate_tail(r)
    day = pick_date(r)
    ds = r.choice(["dash", "slash", "ymd_cn", "dot"])
    on = datetime.datetime.combine(day, datetime.time(r.randint(6, 22), r.randint(0, 59)))
    off = on + datetime.timedelta(minutes=r.randint(6, 55))
    km = round(r.uniform(2.5, 38.0), 1)
    price = r.choice([2.3, 2.5, 2.6, 2.8, 3.0])
    fuel = r.choice([0, 1, 2])
    total = float(round(r.choice([10, 11, 13, 14]) + max(0.0, km - 3) * price + fuel))
    ast = r.choice(["yuan", "yen", "bare", "yen_plain"])
    ride = [F("上车", f"{on:%H:%M}", "上车时间"), F("下车", f"{off:%H:%M}")]
    if r.random() < 0.3:  # one field for both: the key is its first half
        ride = [F("上下车", f"{on:%H:%M}-{off:%H:%M}", "上车时间", f"{on:%H:%M}")]
    fields = [
        F("发票代码", f"1{CITY_CODES[city][1][:4]}{r.randint(10**6, 10**7 - 1)}"),
        F("发票号码", f"{r.randint(0, 10**8 - 1):08d}"),
        F("监督电话", landline(r)),
        F("车号", car, "车号"),
        F("证号", f"{r.randint(100000, 999999)}"),
        F("日期", fmt_date(day, ds), "日期"),
        *ride,
        F("单价", r.choice([f"{price:.2f}元/公里", f"{price:.2f}元"])),
        F("里程", f"{km}{r.choice(['km', '公里'])}"),
        F("等候", f"00:{r.randint(0, 12):02d}:{r.randint(0, 59):02d}"),
    ]
    if fuel:
        fields.append(F("燃油附加费", fmt_amount(fuel, ast)))
    fields.append(F("金额", fmt_amount(total, ast), "金额"))
    if r.random() < 0.3:  # paid by transit card: the card's balance is another amount
        card = f"{r.randint(10**9, 10**10 - 1)}"
        fields += [F("交通卡号", card), F("卡余额", fmt_amount(rand_amount(r, 5, 200), ast))]
    printed = off + datetime.timedelta(days=r.choice([0, 0, 1]), minutes=r.randint(1, 30))
    kind = r.choice(["出租汽车专用发票", "出租汽车统一发票", "乘车凭证"])
    spec = page(firm, [kind], "" if layout == "header" else f"No.{r.randint(10**6, 10**7 - 1)}", layout,
                [f"打印时间：{fmt_date(printed.date(), ds)} {printed:%H:%M}", "欢迎乘坐，请索取发票"])  # fmt: skip
    spec["title_key"] = ("公司名称", firm, firm)
    if r.random() < 0.3:  # the company is printed only after 单位, under the kind of receipt as title
        spec["title"], spec["header"] = f"{city[:-1]}市{kind}", [f"单位：{firm}"]
        spec["title_key"] = ("公司名称", f"单位：{firm}", firm)
    if layout != "header":  # a narrow slip from the meter's printer
        spec["width"] = 560
    return finish(TAXI_KEYS, fields, spec, r, {"上车时间": 0.2, "车号": 0.1})


VEHICLE_KEYS = ["号牌号码", "所有人", "品牌型号", "注册日期", "车架号后六位"]


def vehicle_spec(r: random.Random) -> Spec:
    layout = r.choice(["table", "card", "below"])
    city, _, home = city_address(r)
    plate = CITY_CODES[city][2]
    plate += r.choice("ABCDEFGHJK") if len(plate) == 1 else ""
    # a new-energy plate (D or F, then five digits) or a blue one
    number = plate + (r.choice("DF") + f"{r.randint(0, 99999):05d}" if r.random() < 0.2 else plate_tail(r))
    owner = name(r) if r.random() < 0.75 else city[:-1] + r.choice(COMPANIES)
    vin = r.choice(VIN_MAKERS) + "".join(r.choice(PLATE_CHARS) for _ in range(8)) + f"{r.randint(0, 999999):06d}"
    registered = pick_date(r, tuple(range(2012, 2026)))
    issued = not_after_today(registered + datetime.timedelta(days=r.choice([0, 0, 0, 1100, 2000])))
    ds = r.choice(["dash", "dash", "ymd_cn", "slash"])
    inspect = plus_years(registered, r.choice([6, 8, 10]))
    fields = [
        F("号牌号码", number, "号牌号码"),
        F("车辆类型", r.choice(CAR_KINDS)),
        F("所有人", owner, "所有人"),
        F("住址", home),
        F("使用性质", r.choice(["非营运", "非营运", "营运", "租赁"])),
        F("品牌型号", r.choice(BRANDS), "品牌型号"),
        F("车辆识别代号", vin, "车架号后六位", vin[-6:]),
        F("发动机号码", f"{r.choice(['DJ', 'CSS', 'L4H', 'EA', 'G4FG', '1ZR'])}{r.randint(100000, 999999)}"),
        F("注册日期", fmt_date(registered, ds), "注册日期"),
        F("发证日期", fmt_date(issued, ds)),
        section("副页"),
        F("号牌号码", number),  # the label and the value printed again
        F("档案编号", f"{CITY_CODES[city][1][:4]}{r.randint(10**7, 10**8 - 1)}"),
        F("核定载人数", f"{r.choice([5, 5, 5, 7])}人"),
        F("总质量", f"{r.randint(1500, 2600)}kg"),
        F("外廓尺寸", f"{r.randint(4300, 5000)}×{r.randint(1750, 1900)}×{r.randint(1450, 1750)}mm"),
        F("检验记录", f"检验有效期至{inspect.year}年{inspect.month:02d}月"),
    ]
    if r.random() < 0.35:  # values in another order: the owner's block first
        fields = [*fields[2:4], *fields[:2], *fields[4:]]
    spec = page("中华人民共和国机动车行驶证", ["Vehicle License of the People's Republic of China"], "", layout,
                [f"发证机关：{CITY_CODES[city][0]}{city}公安局交通警察支队"])  # fmt: skip
    return finish(VEHICLE_KEYS, fields, spec, r, {"品牌型号": 0.15, "注册日期": 0.1})


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


def two_columns(p: Page, fields: list[F]) -> tuple[float, list[tuple[bool, list[F]]]]:
    """The column width and the rows of a two-column layout: ``(wide, fields)``, a wide row holding one field."""
    col = (p.right - p.left) / 2
    groups: list[tuple[bool, list[F]]] = []
    for f in fields:
        wide = f.section or not f.label or text_width(f.shown, p.f(30)) > col - 24
        if wide or not groups or groups[-1][0] or len(groups[-1][1]) == 2:
            groups.append((wide, [f]))
        else:
            groups[-1][1].append(f)
    return col, groups


def ruled_heading(p: Page, f: F) -> None:
    p.text((p.left, p.y + 26), f.shown, 28, INK)
    p.d.line([(p.left, p.y + 50), (p.right, p.y + 50)], fill="#D5D7DA", width=2)
    p.y += 64


def lay_above(p: Page, fields: list[F], r: random.Random) -> None:
    col, groups = two_columns(p, fields)
    row = 92
    for wide, group in groups:
        if group[0].section:
            ruled_heading(p, group[0])
            continue
        for j, f in enumerate(group):
            x = p.left + j * col
            if f.label:
                p.text((x, p.y + 18), f.label, 24, GREY)
                p.text((x, p.y + 58), f.shown, 30, INK, width=(p.right - p.left) if wide else col - 16)
            else:
                p.text((x, p.y + 38), f.shown, 28, INK, width=p.right - p.left)
        p.y += row


def wrap(text: str, fnt: Any, width: float) -> list[str]:
    """``text`` broken into lines of at most ``width`` pixels, between any two characters (as on ID cards)."""
    lines = [""]
    for ch in text:
        if lines[-1] and text_width(lines[-1] + ch, fnt) > width:
            lines.append("")
        lines[-1] += ch
    return lines


def lay_below(p: Page, fields: list[F], r: random.Random) -> None:
    """The value before its label (form style): each value over a rule, its label in small type under the rule.

    Two fields share a row when both fit; a long value wraps over several lines above its rule.
    """
    col, groups = two_columns(p, fields)
    for wide, group in groups:
        if group[0].section:
            ruled_heading(p, group[0])
            continue
        width = (p.right - p.left) if wide else col - 24
        wrapped = [wrap(f.shown, p.f(28), width - 8) for f in group]
        depth = 40 * max(len(lines) for lines in wrapped)
        for j, (f, lines) in enumerate(zip(group, wrapped, strict=True)):
            x = p.left + j * col
            for n, line in enumerate(lines):
                p.text((x + 4, p.y + 24 + 40 * n), line, 28, INK)
            if f.label:
                p.d.line([(x, p.y + depth + 8), (x + width, p.y + depth + 8)], fill=RULE, width=2)
                p.text((x + 4, p.y + depth + 30), f.label, 22, GREY)
        p.y += depth + 62


def card_mark(p: Page, box: tuple[float, float, float, float], kind: str, r: random.Random) -> None:
    """A photo placeholder (a head and shoulders) or a QR-code-like square in ``box``."""
    x0, y0, x1, y1 = box
    if kind == "photo":
        p.d.rectangle(box, fill="#D9DDE2")
        cx, w = (x0 + x1) / 2, x1 - x0
        p.d.ellipse([cx - w * 0.22, y0 + w * 0.18, cx + w * 0.22, y0 + w * 0.68], fill="#AEB5BE")
        p.d.pieslice([cx - w * 0.42, y0 + w * 0.72, cx + w * 0.42, y1 + w * 0.5], 180, 360, fill="#AEB5BE")
        return
    n = 21
    cell = (x1 - x0) / n
    corners = ((0, 0), (n - 7, 0), (0, n - 7))  # the three finder squares: dark but for a ring at distance 2
    for i in range(n):
        for j in range(n):
            rings = [max(abs(i - a - 3), abs(j - b - 3)) for a, b in corners if a <= i < a + 7 and b <= j < b + 7]
            if (rings[0] != 2) if rings else r.random() < 0.5:
                p.d.rectangle([x0 + i * cell, y0 + j * cell, x0 + (i + 1) * cell, y0 + (j + 1) * cell], fill=INK)


def lay_card(p: Page, fields: list[F], r: random.Random) -> None:
    """A card (an ID card, a licence): fields on a tinted rounded panel, labels in a narrow column.

    Each value stands right of its label and wraps under itself when long; two short fields share a
    row ("性别 男  民族 汉"); the first panel has a photo box or a QR mark at its right
    (``spec["card_mark"]``). A section heading starts the next panel (the back of the card).
    """
    panels: list[tuple[str, list[F]]] = [("", [])]
    for f in fields:
        if f.section:
            panels.append((f.shown, []))
        else:
            panels[-1][1].append(f)
    tint = r.choice(["#EEF2F6", "#F3F0E6", "#EAF1EC"])
    for n, (heading, group) in enumerate(panels):
        x0, x1, top = p.left, p.right, p.y
        ops: list[tuple[float, float, str, int, str, str]] = []  # (x, y, text, size, fill, anchor)
        y = top + 28.0
        if heading:
            ops.append(((x0 + x1) / 2, y + 18, heading, 30, INK, "mm"))
            y += 62
        lw = max((text_width(f.label, p.f(24)) for f in group if f.label), default=0.0)
        vx = x0 + 58 + lw
        mark = p.spec.get("card_mark") if n == 0 else None
        box = (x1 - 214, top + 36, x1 - 34, top + 36 + (240 if mark == "photo" else 180)) if mark else None
        i = 0
        while i < len(group):
            f = group[i]
            right = box[0] - 24 if box and y < box[3] else x1 - 34
            nxt = group[i + 1] if i + 1 < len(group) else None
            short = [g is not None and bool(g.label) and text_width(g.shown, p.f(28)) < 70 for g in (f, nxt)]
            if all(short) and nxt is not None:  # two short fields on one row
                x2 = vx + text_width(f.shown, p.f(28)) + 56
                ops += [(x0 + 30, y + 20, f.label, 24, GREY, "lm"), (vx, y + 20, f.shown, 28, INK, "lm"),
                        (x2, y + 20, nxt.label, 24, GREY, "lm"),
                        (x2 + text_width(nxt.label, p.f(24)) + 20, y + 20, nxt.shown, 28, INK, "lm")]  # fmt: skip
                y += 54
                i += 2
                continue
            if f.label:
                ops.append((x0 + 30, y + 20, f.label, 24, GREY, "lm"))
            for line in wrap(f.shown, p.f(28), right - (vx if f.label else x0 + 30)):
                ops.append((vx if f.label else x0 + 30, y + 20, line, 28, INK, "lm"))
                y += 42
            y += 12
            i += 1
        bottom = max(y + 16, box[3] + 28 if box else 0)
        p.d.rounded_rectangle([x0, top, x1, bottom], radius=22, fill=tint, outline=RULE, width=2)
        if box and mark:
            card_mark(p, box, mark, r)
        for x, yy, text, size, fill, anchor in ops:
            p.text((x, yy), text, size, fill, anchor)
        p.y = bottom + 28


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
    "below": lay_below,
    "card": lay_card,
}


def render_doc(spec: Spec, r: random.Random) -> Image.Image:
    spec["mono"] = r.random() < 0.3
    spec["accent"] = r.choice(["#F5A623", "#1F6FE0", "#E8483B", "#12A15A", "#6B4BD8"])
    spec["clock"] = f"{r.randint(7, 23):02d}:{r.randint(0, 59):02d}"
    spec["battery"] = r.randint(10, 100)
    p = Page(spec.get("width") or (720 if spec["style"] == "screen" else 900), spec)
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
    "idcard": DocType(
        "idcard", IDCARD_KEYS, idcard_spec, ("card", "table", "above"),
        "身份证 (resident ID cards): a photocopy of both sides (the card layout, JPEG), a registration form "
        "(table, JPEG) or an electronic ID on a phone (PNG). 出生日期 is printed after 出生 on the card "
        "(2004年3月8日) and after 出生日期 elsewhere; 住址 wraps over two or three lines on the card; 有效期至 is "
        "the end of 有效期限 (2016.03.08-2036.03.08 -> 2036.03.08, or 长期). Distractors: 性别, 民族, 签发机关, the "
        "start of 有效期限, the birth date inside the ID number, the copy's or the form's date, a mobile and a "
        "landline on the form; the number comes first on some forms. 有效期至 is absent on some.",
    ),
    "license": DocType(
        "license", LICENSE_KEYS, license_spec, ("card", "below", "colon"),
        "营业执照 (business licences), photographed JPEG; in the below layout each value stands over its label. "
        "注册资本 is as printed (500万元人民币, 人民币500万元, 伍佰万元整, 1,000.00万元). Distractors: 类型, 经营范围, "
        "住所 (long, wrapped), 营业期限 (which starts with the 成立日期), the issuing date under 登记机关 (a second "
        "date, no label), the QR mark; the right-hand block comes first on some. A 个体工商户 prints 经营者 and no "
        "注册资本 (both keys null); 注册资本 is absent on some others.",
    ),
    "taxi": DocType(
        "taxi", TAXI_KEYS, taxi_spec, ("split", "colon", "header"),
        "出租车票 (taxi receipts): a narrow slip from the meter (split or colon) or a ruled receipt "
        "(header), photographed JPEG. 公司名称 is the title, or printed after 单位 under a generic title; 金额 is "
        "the amount as printed (35.00元, ¥35.00, 35.00); 上车时间 is the boarding time (printed alone, or as the "
        "first half of 上下车 10:12-10:35). Distractors: 下车, 等候 (a time-like duration), 单价, 里程, 燃油附加费, "
        "卡余额, 发票代码, 发票号码, 证号, 监督电话 (a landline), the 打印时间 date. 上车时间 is absent on some.",
    ),
    "vehicle": DocType(
        "vehicle", VEHICLE_KEYS, vehicle_spec, ("table", "card", "below"),
        "机动车行驶证 (vehicle licences), photographed JPEG, main page and 副页. 车架号后六位 is the last six "
        "characters of 车辆识别代号 (the VIN, printed in full). Distractors: 发动机号码 (another code ending in six "
        "digits), 发证日期 (a second date), 检验有效期至 (a third), 住址, 档案编号, 外廓尺寸; 号牌号码 is printed "
        "again on the 副页; the owner's block comes first on some. 品牌型号 and 注册日期 are absent on some.",
    ),
}  # fmt: skip

# Half D (utility, policy, pharmacy, delivery and the leader and boxes layouts) lives in its own module,
# which imports this one by name: a run as a script must find itself there, not load a second copy.
if __name__ == "__main__":
    sys.modules["make_zh_docs"] = sys.modules[__name__]
sys.modules.pop("zh_docs_half_d", None)  # bound to this module even when it is loaded again (the tests)
sys.modules.pop("zh_docs_half_e", None)  # half E (driving, checkup, fuel, tuition; prose and matrix), the same way
sys.modules.pop("zh_docs_half_f", None)  # half F (parking, marriage, repair, cinema; grid and caption), the same way
sys.modules.pop("zh_docs_half_g", None)  # half G (property, phonebill, social, register; spaced and seal), the same way
sys.modules.pop("zh_docs_half_h", None)  # half H (passport, deposit, vaccine, tax; bilingual and ledger), the same way
import zh_docs_half_d  # noqa: E402
import zh_docs_half_e  # noqa: E402
import zh_docs_half_f  # noqa: E402
import zh_docs_half_g  # noqa: E402
import zh_docs_half_h  # noqa: E402

TYPES.update(zh_docs_half_d.TYPES)
LAYOUTS.update(zh_docs_half_d.LAYOUTS)
TYPES.update(zh_docs_half_e.TYPES)
LAYOUTS.update(zh_docs_half_e.LAYOUTS)
TYPES.update(zh_docs_half_f.TYPES)
LAYOUTS.update(zh_docs_half_f.LAYOUTS)
TYPES.update(zh_docs_half_g.TYPES)
LAYOUTS.update(zh_docs_half_g.LAYOUTS)
TYPES.update(zh_docs_half_h.TYPES)
LAYOUTS.update(zh_docs_half_h.LAYOUTS)


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


def example_tags(t: DocType, seed: int, count: int) -> list[str]:
    """Tags of the five examples: layouts in turn (0, 1, 2, 0, 1), nulls as :data:`EXAMPLE_NULLS`.

    Among the candidates that fit, the one whose values overlap the evaluation documents' (the
    full default set's, whatever ``count`` is) and the earlier examples' values least is taken.
    """

    def fits(n: int, spec: Spec) -> bool:
        nulls = sum(spec["values"][k] is None for k in t.keys)
        return spec["layout"] == t.layouts[n % len(t.layouts)] and nulls == EXAMPLE_NULLS[n]

    taken = [spec_only(t, seed, f"{i:03d}") for i in range(max(count, DEFAULT_COUNT))]
    spec_of = functools.partial(spec_only, t, seed)
    return [tag for tag, _ in pick_examples(t.keys, taken, spec_of, fits, N_EXAMPLES, attempts=400)]


def ext(spec: Spec) -> str:
    return "png" if spec["style"] == "screen" else "jpg"


def generate(t: DocType, out: Path, seed: int, count: int, examples: bool = True) -> None:
    """Write ``count`` documents (and, with ``examples``, the five examples and dataset.json) under ``out/<type>``."""
    meta = {"name": f"zh-docs/{t.name}", "description": t.description, "keys": t.keys, "layouts": list(t.layouts),
            "generator": "scripts/make_zh_docs.py", "seed": seed}  # fmt: skip
    tags = functools.partial(example_tags, t, seed, count) if examples else None
    write_dataset(out / t.name, t.keys, functools.partial(render, t, seed), ext, count, tags, meta)


def main(argv: list[str] | None = None) -> int:
    written = f"documents and {N_EXAMPLES} examples"
    return run_cli(argv, description=__doc__.split("\n\n")[0], kinds=TYPES, generate=generate, count=DEFAULT_COUNT,
                   out=DEFAULT_OUT, seed=DEFAULT_SEED, noun="type", written=written, check_examples=True)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
