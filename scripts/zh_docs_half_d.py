"""Half D of zh-docs (issue 11): four more held-out document types and two new layout kinds.

``utility`` 水电燃气缴费单, ``policy`` 保险单, ``pharmacy`` 药店小票 and ``delivery`` 发货单, generated
2026-12-02 afternoon, after halves A and B were tuned on and half C was reported; nobody tunes on
them (see ``benchmarks/datasets/zh-docs/SPLIT.md``). They are drawn by ``make_zh_docs.py``'s
engine (fields, :func:`finish`, the page and its layouts) plus two layout kinds no other half has:

- ``leader``: each label at the left margin, its value right-aligned at the right margin, a row of
  dot leaders between them (``姓名 ·········· 张三``), as on printed statements and till slips;
  a value too long for its row goes right-aligned on the row under its label.
- ``boxes``: two ruled boxes side by side (the policyholder and the insured, the sender and the
  receiver), each holding vertical key/value pairs: a small label over its value; the lines before
  the first box and after the :data:`END_BOXES` marker are printed as ``label：value`` lines.

Each type draws from its own random stream (``make_zh_docs.doc_rng``), so adding these types
changes no file of the other types. Imported by ``make_zh_docs.py``, which adds :data:`TYPES` and
:data:`LAYOUTS` to its own tables.
"""

from __future__ import annotations

import datetime
import random

import make_zh_docs as g
from make_zh_docs import F, Page, Spec, finish, fmt_amount, fmt_date, page, section
from zh_render import money, name, rand_amount, text_width

# The generator's "today" (as make_zh_docs.not_after_today): no receipt is dated later.
LAST_DAY = datetime.date(2026, 11, 30)
# A section with this heading ends the boxes of the ``boxes`` layout (other layouts never see it).
END_BOXES = "\x00end-of-boxes"

# ---------------------------------------------------------------------------------------------
# The two new layout kinds
# ---------------------------------------------------------------------------------------------


def lay_leader(p: Page, fields: list[F], r: random.Random) -> None:
    """Labels at the left margin, values right-aligned at the right margin, dot leaders between them."""
    row, size = 52, 28
    dot = r.choice(["·", "."])
    for f in fields:
        cy = p.y + row // 2
        if f.section:
            p.text(((p.left + p.right) / 2, cy + 6), f"— {f.shown} —", 26, g.GREY, "mm")
            p.y += row + 8
            continue
        if not f.label:
            p.text((p.left, cy), f.shown, 26, g.INK, width=p.right - p.left)
            p.y += row
            continue
        lw = text_width(f.label, p.f(size))
        vw = text_width(f.shown, p.f(size))
        p.text((p.left, cy), f.label, size, g.INK)
        own_row = lw + vw + 70 <= p.right - p.left
        end = p.right - vw - 18 if own_row else p.right
        gap = text_width(dot + " ", p.f(20))
        n = max(int((end - p.left - lw - 36) / gap), 2)
        p.text((end - 4, cy + 4), " ".join(dot * n), 20, "#9A9DA3", "rm")
        if not own_row:  # the value right-aligned on the next row
            p.y += row
            cy = p.y + row // 2
        p.text((p.right, cy), f.shown, size, g.INK, "rm", p.right - p.left - 20)
        p.y += row


def lay_boxes(p: Page, fields: list[F], r: random.Random) -> None:
    """Two side-by-side ruled boxes of vertical key/value pairs; the lines around them as ``label：value``."""
    head: list[F] = []
    boxes: list[tuple[str, list[F]]] = []
    tail: list[F] = []
    ended = False
    for f in fields:
        if f.section and f.shown == END_BOXES:
            ended = True
        elif ended:
            tail.append(f)
        elif f.section:
            boxes.append((f.shown, []))
        elif boxes:
            boxes[-1][1].append(f)
        else:
            head.append(f)
    g.lay_colon(p, head, r)
    p.y += 10
    gutter = 24
    col = (p.right - p.left - gutter) / 2
    tint = r.choice(["#EDF1F6", "#F2EFE6", "#EAF1EC"])
    for i in range(0, len(boxes), 2):
        pair = boxes[i : i + 2]
        width = col if len(pair) == 2 else p.right - p.left
        plans = []
        for heading, group in pair:
            # unkeyed long values (addresses) wrap; a keyed value stays on one line (shrunk if need be)
            lines = [(f, [f.shown] if f.key else g.wrap(f.shown, p.f(28), width - 36)) for f in group]
            plans.append((heading, lines, 58 + sum(30 + 38 * len(ls) + 14 for _, ls in lines) + 12))
        height = max(h for *_, h in plans)
        for j, (heading, lines, _) in enumerate(plans):
            x0 = p.left + j * (col + gutter)
            top = p.y
            p.d.rectangle([x0, top, x0 + width, top + height], outline=g.INK, width=2)
            p.d.rectangle([x0 + 2, top + 2, x0 + width - 2, top + 48], fill=tint)
            p.d.line([(x0, top + 50), (x0 + width, top + 50)], fill=g.RULE, width=2)
            p.text((x0 + 18, top + 26), heading, 26, g.INK)
            y = top + 58
            for f, ls in lines:
                p.text((x0 + 18, y + 14), f.label, 22, g.GREY)
                y += 30
                for line in ls:
                    p.text((x0 + 18, y + 19), line, 28, g.INK, width=width - 36)
                    y += 38
                y += 14
        p.y += height + 20
    g.lay_colon(p, tail, r)


LAYOUTS = {"leader": lay_leader, "boxes": lay_boxes}

# ---------------------------------------------------------------------------------------------
# Value pools
# ---------------------------------------------------------------------------------------------

UTILITIES = [  # (fee, the utility company's name after the city, unit, unit price, hotline)
    ("电费", "供电公司", "kWh", 0.4883, "95598"),
    ("水费", "自来水有限公司", "吨", 3.45, "96116"),
    ("燃气费", "燃气集团有限公司", "立方米", 2.61, "96777"),
]
INSURERS = ["中国人民财产保险股份有限公司", "中国平安财产保险股份有限公司", "中国太平洋财产保险股份有限公司",
            "中国人寿财产保险股份有限公司", "中国大地财产保险股份有限公司", "阳光财产保险股份有限公司"]  # fmt: skip
PRODUCTS = ["个人意外伤害保险", "家庭财产综合保险", "短期健康保险", "境内旅行意外保险", "百万医疗保险", "住院医疗保险"]
RELATIONS = ["本人", "配偶", "子女", "父母"]
PHARMACIES = ["老百姓大药房", "益丰大药房", "大参林药店", "海王星辰", "一心堂", "国大药房", "漱玉平民大药房",
              "同仁堂药店"]  # fmt: skip
DRUGS = [("布洛芬缓释胶囊", 18.5), ("阿莫西林胶囊", 12.8), ("连花清瘟胶囊", 29.8), ("维生素C片", 6.5),
         ("复方甘草片", 8.0), ("蒙脱石散", 16.9), ("感冒灵颗粒", 15.5), ("医用外科口罩", 9.9), ("氯雷他定片", 22.0),
         ("板蓝根颗粒", 13.0), ("云南白药气雾剂", 35.0), ("碘伏消毒液", 7.5)]  # fmt: skip
GOODS = [("A4复印纸", "箱", 128.0), ("中性笔(黑)", "盒", 24.0), ("文件夹", "个", 6.5), ("订书机", "个", 18.0),
         ("硒鼓", "支", 260.0), ("U盘64G", "个", 45.0), ("无线键盘", "套", 99.0), ("无线鼠标", "个", 59.0),
         ("显示器支架", "台", 139.0), ("标签打印纸", "卷", 12.0)]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The four types
# ---------------------------------------------------------------------------------------------

UTILITY_KEYS = ["户名", "户号", "缴费金额", "缴费日期", "本期读数"]


def utility_spec(r: random.Random) -> Spec:
    layout = r.choice(["leader", "split", "table"])
    fee, firm, unit, price, hotline = r.choice(UTILITIES)
    city, street = g.address(r)
    holder = name(r)
    number = f"{r.randint(10**9, 10**10 - 1)}" if fee != "电费" else f"{r.randint(10**12, 10**13 - 1)}"
    prev = r.randint(100, 9000)
    used = r.randint(8, 60) if fee != "电费" else r.randint(80, 600)
    due = round(used * price, 2)
    late = round(due * 0.003 * r.randint(3, 20), 2) if r.random() < 0.25 else 0.0
    paid = float(max(50, -(-(due + late) // 50) * 50)) if r.random() < 0.5 else round(due + late, 2)
    balance = round(paid - due - late + rand_amount(r, 0.5, 80) * (r.random() < 0.5), 2)
    paid_on = min(g.pick_date(r), LAST_DAY)
    read_on = paid_on - datetime.timedelta(days=r.randint(3, 25))
    ds = r.choice(g.DATE_STYLES)
    ast = r.choice(["yen", "yuan", "bare", "yen_plain"])
    period = f"{read_on.year}年{read_on.month:02d}月"
    prepaid = r.random() < 0.15  # an IC-card meter: the previous reading only, no 本期读数
    readings = [F("上期读数", f"{prev}")]
    if not prepaid:
        readings.append(F("本期读数", f"{prev + used}", "本期读数"))
    fields = [
        F("户名", holder, "户名"),
        F("户号", number, "户号"),
        F("用电地址" if fee == "电费" else "用户地址", city + street),
        F("联系电话", g.masked_mobile(g.mobile(r))),
        section("本期账单"),
        F("账期", period),
        F("抄表日期", fmt_date(read_on, ds)),
        *readings,
        F("本期用量", f"{used}{unit}"),
        F("单价", f"{price}元/{unit}"),
        F("本期应缴金额", fmt_amount(due, ast)),
    ]
    if late:
        fields.append(F("违约金", fmt_amount(late, ast)))
    fields += [
        section("缴费信息"),
        F("缴费金额", fmt_amount(paid, ast), "缴费金额"),
        F("缴费日期", fmt_date(paid_on, ds), "缴费日期"),
        F("缴费方式", r.choice(["微信支付", "支付宝", "银行代扣", "营业厅现金"])),
        F("账户余额", fmt_amount(balance, ast)),
        F("交易流水号", f"{r.randint(10**15, 10**16 - 1)}"),
    ]
    if r.random() < 0.3:  # values in another order: the payment first
        cut = next(i for i, f in enumerate(fields) if f.section and f.shown == "缴费信息")
        fields = fields[cut:] + fields[:cut]
    spec = page(f"{city[:-1]}{firm}" if fee != "电费" else f"国网{city[:-1]}供电公司",
                [r.choice([f"{fee}缴费凭证", f"{fee}缴费通知单", f"{fee}收费凭证"])],
                f"No.{r.randint(10**7, 10**8 - 1)}", layout,
                [f"客服热线：{hotline}", f"营业厅电话：{g.landline(r)}",
                 r.choice(["请妥善保管本凭证", "本凭证不作报销凭证"])],
                "screen" if layout == "split" else "paper")  # fmt: skip
    return finish(UTILITY_KEYS, fields, spec, r, {"缴费日期": 0.1})


POLICY_KEYS = ["保单号", "投保人", "被保险人", "保险费", "保险期间至"]


def policy_spec(r: random.Random) -> Spec:
    layout = r.choice(["boxes", "colon", "table"])
    insurer = r.choice(INSURERS)
    product = r.choice(PRODUCTS)
    prefix = r.choice(["PZAA", "PDEX", "PEAH", "ABJ0", "PYDX"])
    number = f"{prefix}{r.randint(2024, 2026)}{r.randint(10**11, 10**12 - 1)}"
    holder = name(r)
    relation = r.choice(RELATIONS)
    insured = holder if relation == "本人" else name(r)
    start = g.pick_date(r)
    end = g.plus_years(start, 1) - datetime.timedelta(days=1)
    ds = r.choice(g.DATE_STYLES)
    signed = start - datetime.timedelta(days=r.randint(1, 20))
    applied = signed - datetime.timedelta(days=r.randint(0, 3))
    cover = r.choice([100000, 200000, 500000, 1000000, 3000000])
    premium = float(r.choice([99, 168, 236, 358, 480, 655, 899, 1280]) + r.choice([0, 0, 0.5]))
    ast = r.choice(["yen", "yuan", "bare", "yen_plain"])
    cn = ds in ("ymd_cn", "cn_short")
    if r.random() < 0.15:  # the period as a term only: 保险期间至 is null, its label's look-alike is printed
        term = F("保险期间", r.choice(["1年（以保险凭证载明为准）", "一年", "12个月"]))
    elif cn:
        term = F(
            "保险期间", f"自{fmt_date(start, ds)}零时起至{fmt_date(end, ds)}二十四时止", "保险期间至", fmt_date(end, ds)
        )
    else:
        term = F(
            "保险期间", f"{fmt_date(start, ds)} 00:00 至 {fmt_date(end, ds)} 24:00", "保险期间至", fmt_date(end, ds)
        )
    masked = lambda: f"{r.randint(110000, 659000)}********{r.randint(0, 9999):04d}"  # noqa: E731
    fields = [
        F("保单号", number, "保单号"),
        F("产品名称", product),
        section("投保人信息"),
        F("投保人", holder, "投保人"),
        F("证件号码", masked()),
        F("联系电话", g.mobile(r)),
        section("被保险人信息"),
        F("被保险人", insured, "被保险人"),
        F("与投保人关系", relation),
        F("证件号码", masked()),
    ]
    if layout == "boxes":
        fields.append(section(END_BOXES))
    else:
        fields.append(section("保险责任及费用"))
    fields += [
        term,
        F("保险金额", fmt_amount(float(cover), ast)),
        F("保险费", fmt_amount(premium, ast), "保险费", g.bare_amount(fmt_amount(premium, ast))),
        F("保险费(大写)", g.upper_amount(premium)),
        F("投保日期", fmt_date(applied, ds)),
        F("签单日期", fmt_date(signed, ds)),
    ]
    header = [f"{product}保险单", "（电子保单）"] if r.random() < 0.5 else [f"{product}保险单"]
    hotline = r.choice(["95518", "95511", "95500", "95519", "95590"])
    notes = [f"客服电话：{hotline}", f"分公司地址电话：{g.landline(r)}", "本保单为电子保单，与纸质保单具有同等法律效力"]
    spec = page(insurer, header, "", layout, notes)
    return finish(POLICY_KEYS, fields, spec, r, {})


PHARMACY_KEYS = ["药店名称", "销售日期", "合计金额", "医保支付", "小票号"]


def pharmacy_spec(r: random.Random) -> Spec:
    layout = r.choice(["split", "colon", "leader"])
    city = r.choice(sorted(g.CITIES))
    shop = f"{r.choice(PHARMACIES)}({r.choice(g.CITIES[city])}{r.choice(g.ROADS)}店)"
    sold = min(g.pick_date(r), LAST_DAY)
    ds = r.choice(["dash", "slash", "ymd_cn", "dot"])
    at = f"{r.randint(8, 21):02d}:{r.randint(0, 59):02d}"
    items = [(d, p, r.choice([1, 1, 2, 3])) for d, p in r.sample(DRUGS, r.randint(1, 4))]
    total = round(sum(p * q for _, p, q in items), 2)
    discount = round(total * r.choice([0, 0, 0.05, 0.1]), 2)
    total = round(total - discount, 2)
    ast = r.choice(["yen", "yuan", "bare", "yen_plain"])
    ticket = f"XS{sold:%Y%m%d}{r.randint(0, 9999):04d}" if r.random() < 0.5 else f"{r.randint(10**11, 10**12 - 1)}"
    fields = [F("小票号", ticket, "小票号"), F("销售日期", fmt_date(sold, ds), "销售日期"),
              F("收银员", f"{r.randint(1000, 9999)}"), section("商品明细")]  # fmt: skip
    fields += [F("", f"{d} x{q} {fmt_amount(p * q, ast)}") for d, p, q in items]
    if discount:
        fields.append(F("会员优惠", "-" + fmt_amount(discount, ast)))
    fields.append(F("合计金额", fmt_amount(total, ast), "合计金额"))
    if r.random() < 0.7:  # paid by the medical-insurance card
        fund = round(total * r.uniform(0.5, 1.0), 2)
        fields += [F("医保类别", r.choice(["职工医保", "城乡居民医保"])),
                   F("医保支付", fmt_amount(fund, ast), "医保支付"),
                   F("个人支付", fmt_amount(round(total - fund, 2), ast))]  # fmt: skip
    else:  # self-paid: 医保支付 is null, but 医保类别 (a look-alike) is printed
        way = r.choice(["微信支付", "支付宝", "现金"])
        cash = float(-(-total // 10) * 10) if way == "现金" else total
        fields += [F("医保类别", "自费"), F(way, fmt_amount(cash, ast))]
        if way == "现金":
            fields.append(F("找零", fmt_amount(round(cash - total, 2), ast)))
    fields += [F("会员卡号", g.masked_mobile(g.mobile(r))), F("门店电话", g.landline(r))]
    printed = sold + datetime.timedelta(days=r.choice([0, 0, 0, 1]))
    spec = page(shop, [r.choice(["零售小票", "销售凭证", "欢迎光临"])], "", layout,
                [f"打印时间：{fmt_date(printed, ds)} {at}", "药品为特殊商品，非质量问题不予退换"])  # fmt: skip
    spec["title_key"] = ("药店名称", shop, shop)
    if r.random() < 0.3:  # the shop printed only after 门店, under a generic title
        spec["title"], spec["header"] = r.choice(["零售小票", "药品销售小票"]), [f"门店：{shop}"]
        spec["title_key"] = ("药店名称", f"门店：{shop}", shop)
    spec["width"] = 560  # a till slip
    return finish(PHARMACY_KEYS, fields, spec, r, {"小票号": 0.1})


DELIVERY_KEYS = ["发货单号", "收货单位", "联系电话", "发货日期", "总金额"]


def delivery_spec(r: random.Random) -> Spec:
    layout = r.choice(["table", "leader", "boxes"])
    sender, receiver = g.company(r), g.company(r)
    while receiver == sender:
        receiver = g.company(r)
    ordered = min(g.pick_date(r), LAST_DAY - datetime.timedelta(days=6))
    shipped = ordered + datetime.timedelta(days=r.randint(0, 6))
    ds = r.choice(g.DATE_STYLES)
    number = f"FH{shipped:%Y%m%d}{r.randint(0, 9999):04d}" if r.random() < 0.5 else f"DN{r.randint(10**9, 10**10 - 1)}"
    items = [(n, u, p, r.randint(1, 20)) for n, u, p in r.sample(GOODS, r.randint(2, 4))]
    freight = float(r.choice([0, 0, 15, 20, 35]))
    total = round(sum(p * q for *_, p, q in items) + freight, 2)
    ast = r.choice(["yen", "yuan", "bare"])
    city, street = g.address(r)
    fields = [F("发货单号", number, "发货单号"), F("订单日期", fmt_date(ordered, ds)),
              F("发货日期", fmt_date(shipped, ds), "发货日期")]  # fmt: skip
    send = [section("发货方"), F("发货单位", sender), F("联系人", name(r)), F("联系电话", g.landline(r))]
    recv = [section("收货方"), F("收货单位", receiver, "收货单位"), F("联系人", name(r)),
            F("联系电话", g.mobile(r), "联系电话"), F("收货地址", city + street)]  # fmt: skip
    fields += send + recv if r.random() < 0.6 else recv + send
    fields.append(section(END_BOXES if layout == "boxes" else "货品明细"))
    fields += [F(n, f"{q}{u} × {money(p)} = {money(p * q)}") for n, u, p, q in items]
    if freight:
        fields.append(F("运费", fmt_amount(freight, ast)))
    fields += [
        F("合计数量", f"{sum(q for *_, q in items)}"),
        F("总金额", fmt_amount(total, ast), "总金额", g.bare_amount(fmt_amount(total, ast))),
        F("金额大写", g.upper_amount(total)),
    ]
    kind, serial = r.choice(["发货单", "销售发货单", "送货单"]), f"No.{r.randint(10**6, 10**7 - 1)}"
    foot = r.choice(["请当面验收，签收后概不负责", "第一联 存根  第二联 客户"])
    spec = page(sender, [kind], serial, layout, ["收货人签字：________", foot])
    return finish(DELIVERY_KEYS, fields, spec, r, {"联系电话": 0.15, "发货日期": 0.15})


TYPES = {
    "utility": g.DocType(
        "utility", UTILITY_KEYS, utility_spec, ("leader", "split", "table"),
        "水电燃气缴费单 (electricity, water and gas payment receipts): a printed receipt with dot leaders "
        "(leader) or a ruled table, photographed JPEG, or an app screen (split, PNG). 缴费金额 is the amount as "
        "printed (with ¥ or 元 when printed). Distractors: 本期应缴金额, 违约金, 账户余额 (other amounts), 上期读数 "
        "(another reading), 本期用量, 单价, 抄表日期 (a second date), 账期, 交易流水号, the masked mobile and the "
        "营业厅 landline; the payment block comes first on some. 本期读数 is null on an IC-card meter's receipt, "
        "which prints 上期读数 only; 缴费日期 is absent on some.",
    ),
    "policy": g.DocType(
        "policy", POLICY_KEYS, policy_spec, ("boxes", "colon", "table"),
        "保险单 (insurance policies), photographed JPEG; in the boxes layout the policyholder and the insured "
        "stand in two boxes side by side, each label over its value. 保险费 is the bare number (the policy may "
        "print ¥ or 元); 保险期间至 is the end date of 保险期间 (自2026年03月08日零时起至2027年03月07日二十四时止 -> "
        "2027年03月07日). Distractors: 保险金额 (a larger amount), 保险费(大写), 投保日期 and 签单日期 (more dates), "
        "证件号码 printed twice (masked), the policyholder's mobile, a landline, the 95xxx hotline. 被保险人 may "
        "be the 投保人 (与投保人关系：本人). 保险期间至 is null on policies that print the term only (保险期间：一年).",
    ),
    "pharmacy": g.DocType(
        "pharmacy", PHARMACY_KEYS, pharmacy_spec, ("split", "colon", "leader"),
        "药店小票 (pharmacy till slips, 560 px wide), photographed JPEG. 药店名称 is the title, or printed after "
        "门店 under a generic title; 合计金额 and 医保支付 are as printed (with ¥ or 元 when printed). "
        "Distractors: the drug lines' amounts, 会员优惠, 个人支付, 找零, the 打印时间 date, 收银员, the masked "
        "会员卡号 (a mobile) and the 门店电话 landline; a 小票号 starting XS and the date's digits. 医保支付 is null "
        "on self-paid slips, which still print 医保类别：自费; 小票号 is absent on some.",
    ),
    "delivery": g.DocType(
        "delivery", DELIVERY_KEYS, delivery_spec, ("table", "leader", "boxes"),
        "发货单 (delivery notes), photographed JPEG; in the boxes layout the sender and the receiver stand in two "
        "boxes side by side. 联系电话 is the receiver's mobile (the sender's landline is printed under the same "
        "label); 总金额 is the bare number (printed with ¥, 元 or nothing). Distractors: 订单日期 (a second date), "
        "the goods' lines (quantity × price = amount), 运费, 合计数量, 金额大写, both companies and contacts, a "
        "发货单号 made of FH and the ship date's digits; the receiver block comes first on some. 联系电话 and "
        "发货日期 are absent on some (订单日期 still printed).",
    ),
}  # fmt: skip
