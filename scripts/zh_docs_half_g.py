"""Half G of zh-docs (issue 11): four more held-out document types and two new layout kinds.

``property`` 不动产权证书, ``phonebill`` 话费账单, ``social`` 社保缴费证明 and ``register`` 挂号单, generated
2026-12-04, after halves A-F had all been generated and looked at (tuned on or reported); nobody tunes on
them (see ``benchmarks/datasets/zh-docs/SPLIT.md``). They are drawn by ``make_zh_docs.py``'s engine
(fields, :func:`finish`, the page and its layouts, half D's ``leader``) plus two layout kinds no other
half has:

- ``spaced``: a form whose labels are letter-spaced to one common width (分散对齐: ``姓　　名``,
  ``权 利 人``), each followed by a colon column and its value, two ``label：value`` pairs to a row
  when both fit (the second pair's label aligned at the middle of the page); the values sit on thin
  underlines on some forms. A label longer than the common width is printed as it is.
- ``seal``: a letter-style certificate: its opening sentence wrapped as running text, its fields as
  ``label：value`` lines, and its 落款 (the issuing body and the date, centred at the right without
  any label, after a :data:`SIGN` section) under a translucent red round seal stamped over them: a
  ring, the body's name around its top, a star and the seal's purpose (``不动产登记专用章``). The value
  of a date in the 落款 is known only by its place.

Each type draws from its own random stream (``make_zh_docs.doc_rng``), so adding these types
changes no file of the other types. Imported by ``make_zh_docs.py``, which adds :data:`TYPES` and
:data:`LAYOUTS` to its own tables.
"""

from __future__ import annotations

import datetime
import math
import random

import make_zh_docs as g
from make_zh_docs import F, Page, Spec, finish, fmt_amount, fmt_date, page, section
from PIL import Image, ImageDraw
from zh_render import name, text_width

# The generator's "today" (as make_zh_docs.not_after_today): nothing is dated later.
LAST_DAY = datetime.date(2026, 11, 30)
# A section with this heading starts the 落款 of the ``seal`` layout (other layouts never see it).
SIGN = "\x00sign"
SEAL_RED = (204, 36, 36)

# ---------------------------------------------------------------------------------------------
# The two new layout kinds
# ---------------------------------------------------------------------------------------------


def spread(p: Page, label: str, size: int, width: float, x: float, cy: float) -> float:
    """``label`` with its characters spread over ``width`` (分散对齐); returns the width it takes."""
    fnt = p.f(size)
    own = text_width(label, fnt)
    if len(label) < 2 or own >= width:
        p.text((x, cy), label, size, g.INK)
        return own
    step = (width - text_width(label[-1], fnt)) / (len(label) - 1)
    for i, ch in enumerate(label):
        p.text((x + i * step, cy), ch, size, g.INK)
    return width


def lay_spaced(p: Page, fields: list[F], r: random.Random) -> None:
    """Letter-spaced labels of one width, a colon column, the value; two pairs to a row when both fit."""
    size, row = 28, 56
    sep = r.choice(["：", "：", ""])
    pair = r.random() < 0.8
    under = r.random() < 0.5  # the values on thin underlines, as on a printed form
    fnt = p.f(size)
    labelled = [f for f in fields if f.label and not f.section]
    chars = min(max((len(f.label) for f in labelled), default=2), 5)
    common = text_width("中" * chars, fnt)
    gap = (text_width(sep, fnt) + 4) if sep else text_width("中", fnt)
    col = (p.right - p.left) / 2

    def need(f: F) -> float:
        return max(common, text_width(f.label, fnt)) + gap + text_width(f.shown, fnt)

    def put(f: F, x: float, width: float) -> None:
        cy = p.y + row // 2
        lw = spread(p, f.label, size, common, x, cy)
        if sep:
            p.text((x + lw + 2, cy), sep, size, g.INK)
        vx = x + lw + gap
        p.text((vx, cy), f.shown, size, g.INK, width=x + width - vx)
        if under:
            p.d.line([(vx - 6, cy + 22), (x + width - 14, cy + 22)], fill=g.RULE, width=1)

    i = 0
    while i < len(fields):
        f = fields[i]
        nxt = fields[i + 1] if i + 1 < len(fields) else None
        if f.section:
            g.ruled_heading(p, f)
            i += 1
            continue
        if not f.label:
            for line in g.wrap(f.shown, p.f(26), p.right - p.left):
                p.text((p.left, p.y + row // 2), line, 26, g.INK)
                p.y += row - 8
            i += 1
            continue
        if pair and nxt is not None and nxt.label and not nxt.section and max(need(f), need(nxt)) < col - 28:
            put(f, p.left, col - 20)
            put(nxt, p.left + col, col)
            i += 2
        else:
            put(f, p.left, p.right - p.left)
            i += 1
        p.y += row
    p.y += 8


def stamp(p: Page, centre: tuple[float, float], radius: float, ring: str, foot: str, r: random.Random) -> None:
    """A translucent red round seal over the page: a ring, ``ring`` around its top, a star, ``foot`` under it."""
    layer = Image.new("RGBA", p.img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    red = (*SEAL_RED, r.randint(110, 150))
    cx, cy = centre
    d.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], outline=red, width=4)
    d.text((cx, cy - 2), "★", font=p.f(round(radius * 0.4)), fill=red, anchor="mm")
    small = min(round(radius * 0.2), int(radius * 1.25 / max(len(foot), 1)))  # the purpose fits inside the ring
    d.text((cx, cy + radius * 0.55), foot, font=p.f(small), fill=red, anchor="mm")
    size = round(radius * 0.25)
    span = min(250.0, 21.0 * len(ring))  # degrees of the ring the name takes, centred at the top
    for i, ch in enumerate(ring):
        angle = -90 - span / 2 + span * (i + 0.5) / len(ring)
        t = math.radians(angle)
        x, y = cx + (radius - size * 0.95) * math.cos(t), cy + (radius - size * 0.95) * math.sin(t)
        glyph = Image.new("RGBA", (size + 10, size + 10), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text(((size + 10) / 2, (size + 10) / 2), ch, font=p.f(size), fill=red, anchor="mm")
        glyph = glyph.rotate(-(angle + 90), resample=Image.Resampling.BICUBIC, expand=True)
        layer.alpha_composite(glyph, (round(x - glyph.width / 2), round(y - glyph.height / 2)))
    p.img = Image.alpha_composite(p.img.convert("RGBA"), layer).convert("RGB")
    p.d = ImageDraw.Draw(p.img)


def lay_seal(p: Page, fields: list[F], r: random.Random) -> None:
    """A letter: the opening sentence wrapped, ``label：value`` lines, the 落款 under a red seal.

    The unlabelled fields before the first labelled one are the opening (indented two characters);
    the fields after the :data:`SIGN` section are the 落款, printed without labels, centred on one
    axis at the right; the seal (``spec["seal"]``: its ring text and its purpose) is stamped over them.
    """
    cut = next((i for i, f in enumerate(fields) if f.section and f.shown == SIGN), len(fields))
    body, sign = fields[:cut], fields[cut + 1 :]
    start = next((i for i, f in enumerate(body) if f.label or f.section), len(body))
    for f in body[:start]:
        for line in g.wrap("　　" + f.shown, p.f(28), p.right - p.left):
            p.text((p.left, p.y + 24), line, 28, g.INK)
            p.y += 48
        p.y += 6
    g.lay_colon(p, body[start:], r)
    if not sign:
        return
    p.y += 40
    widths = [text_width(f.shown, p.f(28)) for f in sign]
    axis = p.right - 30 - max(widths) / 2
    for f in sign:
        p.text((axis, p.y + 26), f.shown, 28, g.INK, "mm")
        p.y += 56
    radius = 92 if p.w >= 800 else 78
    centre = (axis + r.uniform(-0.2, 0.2) * max(widths), p.y - 58 + r.uniform(-8, 8))  # between name and date
    ring, foot = p.spec["seal"]
    stamp(p, centre, radius, ring, foot, r)
    p.y = max(p.y, round(centre[1] + radius)) + 10


LAYOUTS = {"spaced": lay_spaced, "seal": lay_seal}

# ---------------------------------------------------------------------------------------------
# Value pools
# ---------------------------------------------------------------------------------------------

# the province's short name in a certificate number (京(2021)朝阳区不动产权第0012345号)
PROVINCE_SHORT = {"北京市": "京", "上海市": "沪", "广州市": "粤", "深圳市": "粤", "杭州市": "浙", "成都市": "川",
                  "武汉市": "鄂", "南京市": "苏", "西安市": "陕", "长沙市": "湘"}  # fmt: skip
STRUCTURES = ["钢筋混凝土结构", "混合结构", "框架结构", "剪力墙结构"]
NATURES = ["出让/市场化商品房", "出让/存量房", "划拨/房改房", "出让/经济适用住房"]
OPERATORS = {  # operator -> (hotline, plans (name, monthly fee))
    "中国移动": ("10086", [("5G智享套餐", 128), ("全球通畅享套餐", 158), ("动感地带芒果卡", 29),
                           ("5G畅享融合套餐", 199)]),
    "中国联通": ("10010", [("5G畅爽冰激凌套餐", 129), ("大王卡", 19), ("智慧沃家融合套餐", 169),
                           ("5G畅爽套餐", 99)]),
    "中国电信": ("10000", [("天翼畅享套餐", 129), ("星卡", 19), ("5G融合套餐", 199),
                           ("天翼云宽带融合套餐", 169)]),
}  # fmt: skip
AGENCIES = ["社会保险事业管理中心", "社会保险事业管理局", "人力资源和社会保障局", "社会保险基金管理中心"]
HOSPITALS = ["第一人民医院", "第二人民医院", "中心医院", "中西医结合医院", "儿童医院", "妇产医院", "肿瘤医院",
             "医科大学附属第一医院"]  # fmt: skip
DEPTS = ["心血管内科", "神经内科", "内分泌科", "消化内科", "呼吸内科", "耳鼻喉科", "眼科", "皮肤科", "骨科", "妇科",
         "泌尿外科", "普外科", "儿科", "口腔科"]  # fmt: skip
DOCTOR_TITLES = ["主任医师", "副主任医师", "主治医师"]
WARDS = ["门诊楼", "门诊大楼", "内科楼", "外科楼"]


def month_end(d: datetime.date) -> datetime.date:
    """The last day of ``d``'s month."""
    nxt = (d.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return nxt - datetime.timedelta(days=1)


def year_month(d: datetime.date, style: str) -> str:
    """A month printed in the style of :func:`make_zh_docs.fmt_date` (``2026年03月``, ``2026-03``, ``2026年3月`` …)."""
    return {"ymd_cn": f"{d.year}年{d.month:02d}月", "dash": f"{d.year}-{d.month:02d}",
            "slash": f"{d.year}/{d.month:02d}", "dot": f"{d.year}.{d.month:02d}",
            "cn_short": f"{d.year}年{d.month}月"}[style]  # fmt: skip


def months_between(a: datetime.date, b: datetime.date) -> int:
    """Whole months from ``a``'s month to the month before ``b``'s."""
    return (b.year - a.year) * 12 + b.month - a.month


# ---------------------------------------------------------------------------------------------
# The four types
# ---------------------------------------------------------------------------------------------

PROPERTY_KEYS = ["权利人", "不动产权证号", "坐落", "建筑面积", "登记日期"]


def property_spec(r: random.Random) -> Spec:
    layout = r.choice(["spaced", "seal", "table"])
    city = r.choice(sorted(g.CITY_CODES))
    district = r.choice(g.CITIES[city])
    registrar = r.choice([f"{city}不动产登记中心", f"{city}{district}不动产登记局", f"{city}规划和自然资源局"])
    day = min(g.pick_date(r, tuple(range(2016, 2027))), LAST_DAY)
    ds = r.choice(g.DATE_STYLES)
    place = district if city in ("北京市", "上海市") else city
    lp, rp = r.choice([("(", ")"), ("（", "）")])
    number = f"{PROVINCE_SHORT[city]}{lp}{day.year}{rp}{place}不动产权第{r.randint(1, 999999):07d}号"
    owners = [name(r)]
    if r.random() < 0.3:  # two owners, one field
        owners.append(next(n for n in (name(r) for _ in range(9)) if n != owners[0]))
    share = "单独所有" if len(owners) == 1 else r.choice(["共同共有", "按份共有"])
    building, unit, floor, room = r.randint(1, 20), r.randint(1, 4), r.randint(2, 28), r.randint(1, 4)
    road, no, estate = r.choice(g.ROADS), r.randint(1, 399), r.choice(g.COMMUNITIES)
    land_only = r.random() < 0.2  # a land-use certificate: 宗地面积 only (a look-alike), no 建筑面积
    site = r.choice([f"{district}{road}{no}号{estate}{building}栋{unit}单元{floor}{room:02d}室",
                     f"{district}{road}{no}号院{building}号楼{unit}单元{floor}{room:02d}"])  # fmt: skip
    if land_only:
        site = f"{district}{road}{no}号"
    unit_code = (f"{g.CITY_CODES[city][1]} {r.randint(1, 999):03d}{r.randint(1, 999):03d} GB{r.randint(1, 99999):05d} "
                 f"F{r.randint(1, 99999999):08d}")  # fmt: skip
    sq = r.choice(["平方米", "平方米", "㎡"])
    land = round(r.uniform(2000, 60000), 2)
    area = round(r.uniform(38, 180), 2)
    shared = round(area * r.uniform(0.08, 0.22), 2)
    granted = datetime.date(r.randint(1996, day.year - 1), r.randint(1, 12), r.randint(1, 28))
    if land_only:
        use = r.choice(["城镇住宅用地", "商服用地", "工业用地"])
        kind, nature = "国有建设用地使用权", "出让"
        areas = [F(r.choice(["面积", "宗地面积"]), f"{land:.2f}{sq}")]
        if areas[0].label == "面积":
            areas = [F("面积", f"宗地面积{land:.2f}{sq}")]
        other = [F("权利其他状况", r.choice(["无", "土地使用权出让合同已备案"]))]
        years = 70 if use == "城镇住宅用地" else (40 if use == "商服用地" else 50)
    else:
        use, kind, nature = "城镇住宅用地/住宅", "国有建设用地使用权/房屋所有权", r.choice(NATURES)
        shown, bare = f"{area:.2f}{sq}", f"{area:.2f}"  # the key is the number alone (PP-OCR reads ㎡ as m)
        if r.random() < 0.5:  # one cell for both: the key is the building's area after the land's
            areas = [F("面积", f"共有宗地面积{land:.2f}{sq}/房屋建筑面积{shown}", "建筑面积", bare)]
        else:
            areas = [F("共有宗地面积", f"{land:.2f}{sq}"),
                     F(r.choice(["建筑面积", "房屋建筑面积"]), shown, "建筑面积", bare)]  # fmt: skip
        other = [F("权利其他状况", f"专有建筑面积{area - shared:.2f}{sq}，分摊建筑面积{shared:.2f}{sq}"),
                 F("房屋结构", r.choice(STRUCTURES)),
                 F("所在层/总层数", f"{floor}/{floor + r.randint(0, 20)}")]  # fmt: skip
        years = 70
    ends = g.plus_years(granted, years) - datetime.timedelta(days=1)
    fields = [
        F("权利人", "、".join(owners), "权利人"),
        F("共有情况", share),
        F("坐落", site, "坐落"),
        F("不动产单元号", unit_code),
        F("权利类型", kind),
        F("权利性质", nature),
        F("用途", use),
        *areas,
        F("使用期限", f"{fmt_date(granted, ds)}起{fmt_date(ends, ds)}止"),
        *other,
    ]
    printed = f"{r.choice(['', 'D'])}{g.CITY_CODES[city][1][:2]}{r.randint(10**8, 10**9 - 1)}"
    notes = [f"印制编号：{printed}", "中华人民共和国自然资源部监制"]
    nullable: dict[str, float] = {}
    if layout == "table":  # a query result: the number labelled, the date of the query beside the registration's
        fields.insert(0, F(r.choice(["不动产权证号", "证书号"]), number, "不动产权证号"))
        fields.append(F("登记日期", fmt_date(day, ds), "登记日期"))
        queried = g.not_after_today(day + datetime.timedelta(days=r.randint(30, 2000)))
        spec = page(r.choice(["不动产登记信息查询结果", "不动产权属证明"]), [f"查询机构：{registrar}"],
                    f"查询编号：{r.randint(10**9, 10**10 - 1)}", layout,
                    [f"查询日期：{fmt_date(queried, ds)}", "本查询结果仅证明查询时点的登记状况"])  # fmt: skip
        nullable["登记日期"] = 0.15
    else:  # the certificate's page; its number printed at the top without a label
        if layout == "seal":
            opening = F("", "根据《中华人民共和国民法典》等法律法规，为保护不动产权利人合法权益，对不动产权利人申请"
                            "登记的本证所列不动产权利，经审查核实，准予登记，颁发此证。")  # fmt: skip
            fields = [opening, *fields, section(SIGN), F("", f"登记机构（章）{registrar}"),
                      F("", fmt_date(day, r.choice(["ymd_cn", "cn_short"])), "登记日期")]  # fmt: skip
        else:
            fields.append(F("登记日期", fmt_date(day, ds), "登记日期"))
        spec = page(r.choice(["不动产权证书", "不动产权证书（复印件）"]), [number], "", layout, notes)
        spec["title_key"] = ("不动产权证号", number, number)
        spec["seal"] = (registrar, "不动产登记专用章")
    return finish(PROPERTY_KEYS, fields, spec, r, nullable)


PHONEBILL_KEYS = ["客户名称", "手机号码", "套餐名称", "本期消费", "账户余额"]


def phonebill_spec(r: random.Random) -> Spec:
    layout = r.choice(["split", "leader", "spaced"])
    operator = r.choice(sorted(OPERATORS))
    hotline, plans = OPERATORS[operator]
    plan_name, fee = r.choice(plans)
    plan = f"{plan_name}{fee}元"
    city = r.choice(sorted(g.CITY_CODES))
    region = (g.CITY_CODES[city][0] or city)[:-1]
    first = min(g.pick_date(r), datetime.date(2026, 10, 1)).replace(day=1)
    last = month_end(first)
    ds = r.choice(g.DATE_STYLES)
    ast = r.choice(["yen", "yuan", "bare", "yen_plain"])
    a = lambda x: fmt_amount(x, ast)  # noqa: E731
    items = [("套餐及固定费", float(fee)), ("语音通信费", round(r.choice([0, 0, r.uniform(1, 40)]), 2)),
             ("上网费", round(r.choice([0, 0, r.uniform(3, 60)]), 2)), ("增值业务费", float(r.choice([0, 5, 10, 15]))),
             ("代收费", float(r.choice([0, 0, 15, 25])))]  # fmt: skip
    total = round(sum(x for _, x in items), 2)
    paid = float(r.choice([0, 50, 100, 100, 200]))
    owing = r.random() < 0.2  # in arrears: 欠费金额 (a look-alike) is printed, 账户余额 is not
    balance = -round(r.uniform(5, 90), 2) if owing else round(r.uniform(0, 320), 2)
    before = round(balance + total - paid, 2)
    person, phone = name(r), g.mobile(r)
    shown_phone = f"{phone[:3]} {phone[3:7]} {phone[7:]}" if r.random() < 0.3 else phone
    plan_alone = r.random() < 0.6
    lines = []
    for item, x in items:
        if item == "套餐及固定费" and not plan_alone:  # the plan inside its fee's line: the key is the plan alone
            lines.append(F(item, f"{plan} {a(x)}", "套餐名称", plan))
        elif x or item == "套餐及固定费":
            lines.append(F(item, a(x)))
    shown_total = a(total)
    summary = [F(r.choice(["本期消费", "本期消费合计"]), shown_total, "本期消费")]
    if owing:
        summary.append(F("欠费金额", a(-balance)))
    else:
        shown_balance = a(balance)
        summary.append(F("账户余额", shown_balance, "账户余额", g.bare_amount(shown_balance)))
    summary += [F("上期结余", a(before)), F("本期已缴", a(paid))]
    account = [F(r.choice(["客户名称", "客户姓名", "户名"]), person, "客户名称"),
               F(r.choice(["手机号码", "服务号码"]), shown_phone, "手机号码")]  # fmt: skip
    if plan_alone:
        account.append(F(r.choice(["套餐名称", "当前套餐", "主套餐"]), plan, "套餐名称"))
    fixed = "融合" in plan or r.random() < 0.3  # a bundle's fixed line (a landline) beside the mobile
    if fixed:
        account.append(F("固话号码", g.landline(r)))
    account.append(F("计费周期", f"{fmt_date(first, ds)}至{fmt_date(last, ds)}"))
    billed = last + datetime.timedelta(days=r.randint(1, 4))
    account.append(F("可用积分", f"{r.randint(100, 30000)}"))
    fields = [*account, section("账单概要"), *summary, section("费用明细"), *lines]
    if r.random() < 0.35:  # values in another order: the amounts first
        fields = [*fields[len(account) :], section("客户信息"), *account]
    notes = [f"出账日期：{fmt_date(billed, ds)}", f"客服热线：{hotline}"]
    if not fixed:
        notes.append(f"营业厅电话：{g.landline(r)}")
    title = r.choice(["话费账单", "月度账单", "客户账单"])
    if layout == "split":  # the operator's app
        spec = page(title, [f"{operator}  {year_month(first, ds)}"], "", layout, notes, "screen")
    else:
        spec = page(f"{operator}{title}", [f"{operator}{region}分公司  {year_month(first, ds)}"],
                    f"账单编号：{r.randint(10**11, 10**12 - 1)}", layout, notes)  # fmt: skip
    return finish(PHONEBILL_KEYS, fields, spec, r, {})


SOCIAL_KEYS = ["姓名", "社会保障号码", "参保单位", "累计缴费月数", "出具日期"]


def social_spec(r: random.Random) -> Spec:
    layout = r.choice(["seal", "spaced", "split"])
    city = r.choice(sorted(g.CITY_CODES))
    district = r.choice(g.CITIES[city])
    agency = f"{city}{r.choice(AGENCIES)}" if r.random() < 0.6 else f"{city}{district}{r.choice(AGENCIES[:2])}"
    person = name(r)
    issued = min(g.pick_date(r), LAST_DAY)
    started = datetime.date(r.randint(2008, issued.year - 2), r.randint(1, 12), r.randint(1, 28))
    born = datetime.date(started.year - r.randint(19, 30), r.randint(1, 12), r.randint(1, 28))
    ident = g.id_number(r, g.CITY_CODES[city][1], born)
    ds = r.choice(g.DATE_STYLES)
    ms = r.choice(g.DATE_STYLES)
    total = months_between(started, issued) - r.choice([0, 0, 0, 2, 5, 11])
    this_year = min(issued.month - 1 or 1, total)
    base = float(r.choice([4500, 5200, 6000, 8000, 10000, 12500, 16000]))
    ast = r.choice(["bare", "bare", "yuan", "yen"])
    a = lambda x: fmt_amount(x, ast)  # noqa: E731
    style = r.choice(["bare", "months", "years"])
    months = {"bare": f"{total}", "months": f"{total}个月", "years": f"{total // 12}年{total % 12}个月（{total}个月）"}
    absent = r.random() < 0.2  # this year's proof: 本年缴费月数 (a look-alike) only
    if absent:
        counted = [F("本年缴费月数", f"{this_year}")]
    else:
        counted = [F(r.choice(["累计缴费月数", "累计缴费年限"]) if style == "years" else "累计缴费月数",
                     months[style], "累计缴费月数", f"{total}")]  # fmt: skip
        if r.random() < 0.4:
            counted.append(F("本年缴费月数", f"{this_year}"))
    end = issued.replace(day=1) - datetime.timedelta(days=1)
    fields = [
        F("姓名", person, "姓名"),
        F("性别", "男" if int(ident[16]) % 2 else "女"),
        F(r.choice(["社会保障号码", "公民身份号码", "身份证号码"]), ident, "社会保障号码"),
        F(r.choice(["参保单位", "单位名称"]), g.company(r), "参保单位"),
        F("首次参保日期", fmt_date(started, ds)),
        F("参保状态", r.choice(["正常参保", "正常参保", "暂停缴费"])),
        *counted,
        section("参保险种"),
        F("缴费起止年月", f"{year_month(started, ms)}至{year_month(end, ms)}"),
        F("月缴费基数", a(base)),
        F("养老保险", f"个人缴费{a(base * 0.08)}"),
        F("医疗保险", f"个人缴费{a(base * 0.02)}"),
        F("失业保险", f"个人缴费{a(base * 0.005)}"),
        F("联系电话", g.mobile(r)),
    ]
    notes = [f"验证码：{''.join(r.choice('ABCDEFGHJKLMNPQRSTUVWXYZ23456789') for _ in range(16))}",
             f"咨询电话：12333  经办机构电话：{g.landline(r)}"]  # fmt: skip
    title = r.choice(["社会保险个人参保证明", "参保缴费证明", "社会保险参保缴费情况证明（个人）"])
    if layout == "seal":  # a letter from the agency, dated and sealed in its 落款
        fields = [F("", f"兹证明下列人员在{city[:-1]}参加社会保险，参保缴费情况如下："), *fields,
                  F("", "特此证明。"), section(SIGN), F("", agency),
                  F("", fmt_date(issued, r.choice(["ymd_cn", "cn_short"])), "出具日期")]  # fmt: skip
        spec = page(title, [], f"编号：{r.randint(10**9, 10**10 - 1)}", layout, notes)
        spec["seal"] = (agency, "社会保险业务专用章")
    else:
        fields.append(F("出具日期", fmt_date(issued, ds), "出具日期"))
        screen = layout == "split"
        spec = page(title, [f"经办机构：{agency}"] if not screen else ["电子社保卡  已实名认证"],
                    "" if screen else f"编号：{r.randint(10**9, 10**10 - 1)}", layout, notes,
                    "screen" if screen else "paper")  # fmt: skip
    return finish(SOCIAL_KEYS, fields, spec, r, {})


REGISTER_KEYS = ["医院名称", "就诊科室", "就诊日期", "就诊序号", "挂号费"]


def register_spec(r: random.Random) -> Spec:
    layout = r.choice(["spaced", "split", "colon"])
    city = r.choice(sorted(g.CITIES))
    hospital = f"{city}{r.choice(HOSPITALS)}" if r.random() < 0.7 else f"{city[:-1]}{r.choice(HOSPITALS)}"
    dept = r.choice(DEPTS)
    visit = min(g.pick_date(r), LAST_DAY)
    ds = r.choice(g.DATE_STYLES)
    morning = r.random() < 0.6
    start = r.choice(range(8 * 60, 11 * 60 + 1, 30) if morning else range(13 * 60 + 30, 16 * 60 + 31, 30))
    clock = lambda m: f"{m // 60:02d}:{m % 60:02d}"  # noqa: E731
    slot = f"{'上午' if morning else '下午'} {clock(start)}-{clock(start + 30)}"
    booked = r.random() < 0.2  # booked online: the slip prints 预约号 (a look-alike), no 就诊序号
    serial = r.randint(1, 80)
    number = r.choice([f"{serial}", f"{serial}号", f"第{serial}号", f"{r.choice('ABC')}{serial:03d}"])
    kind = r.choice(["普通号", "专家号", "副主任号", "特需号"])
    fee = float(r.choice([1, 2, 3, 5, 8, 10]))
    check = float(r.choice([10, 15, 20, 30, 50]) if kind != "普通号" else r.choice([0, 5, 10]))
    ast = r.choice(["yen", "yuan", "bare", "yen_plain"])
    shown_fee = fmt_amount(fee, ast)
    paid_at = datetime.datetime.combine(
        visit - datetime.timedelta(days=r.choice([1, 3, 6]) if booked or r.random() < 0.3 else 0),
        datetime.time(r.randint(7, 10), r.randint(0, 59)),
    )
    age = r.randint(2, 86)
    if r.random() < 0.4:  # the date and the slot on one line: the key is the date
        when = [F("就诊时间", f"{fmt_date(visit, ds)} {slot}", "就诊日期", fmt_date(visit, ds))]
    else:
        when = [F("就诊日期", fmt_date(visit, ds), "就诊日期"), F("就诊时段", slot)]
    fields = [
        F("患者姓名", name(r)),
        F("性别", r.choice("男女")),
        F("年龄", f"{age}岁"),
        F("就诊卡号", f"{r.randint(10**9, 10**10 - 1)}"),
        F(r.choice(["就诊科室", "科室"]), dept, "就诊科室"),
        F("号别", kind),
        *([F("医生", f"{name(r)}（{r.choice(DOCTOR_TITLES)}）")] if kind != "普通号" else []),
        *when,
        F("预约号", f"{r.randint(10**7, 10**8 - 1)}") if booked else F("就诊序号", number, "就诊序号"),
        F("就诊位置", f"{r.choice(WARDS)}{r.randint(1, 6)}楼{r.choice('ABCD')}区"),
        F("挂号费", shown_fee, "挂号费", g.bare_amount(shown_fee)),
    ]
    if check:
        fields.append(F("诊查费", fmt_amount(check, ast)))
    fields += [F("合计", fmt_amount(fee + check, ast)),
               F("支付方式", r.choice(["医保卡", "微信支付", "支付宝", "现金"])),
               F("手机号", g.masked_mobile(g.mobile(r)))]  # fmt: skip
    at = f"{fmt_date(paid_at.date(), ds)} {paid_at:%H:%M}"
    notes = [f"挂号时间：{at}", f"咨询电话：{g.landline(r)}", r.choice(["请提前15分钟到诊区候诊", "过号请重新排队"])]
    screen = layout == "split"
    spec = page(hospital, [r.choice(["门诊挂号凭条", "挂号单", "预约挂号凭证" if booked else "门诊挂号单"])],
                "" if screen else f"流水号：{r.randint(10**9, 10**10 - 1)}", layout, notes,
                "screen" if screen else "paper")  # fmt: skip
    spec["title_key"] = ("医院名称", hospital, hospital)
    if not screen and r.random() < 0.35:  # the hospital printed only after 医院, under a generic title
        spec["title"], spec["header"] = r.choice(["门诊挂号凭条", "挂号单"]), [f"医院：{hospital}"]
        spec["title_key"] = ("医院名称", f"医院：{hospital}", hospital)
    if layout == "colon":  # a slip from the registration window's printer
        spec["width"] = 560
    return finish(REGISTER_KEYS, fields, spec, r, {})


TYPES = {
    "property": g.DocType(
        "property", PROPERTY_KEYS, property_spec, ("spaced", "seal", "table"),
        "不动产权证书 (real-estate title certificates), photographed JPEG: the certificate's page with letter-spaced "
        "labels, two pairs to a row (spaced), its registration page, the fields as lines and the registrar's 落款 "
        "under a red round seal (seal), or a query result in a ruled table (table). 不动产权证号 is printed at the "
        "top without a label on the certificate (京(2021)朝阳区不动产权第0012345号) and after 不动产权证号 or 证书号 "
        "in the query result; 权利人 is one name or two joined by 、; 建筑面积 is the building's area, the number "
        "without its unit (89.56平方米 or 89.56㎡ -> 89.56; from 面积 "
        "共有宗地面积12345.67平方米/房屋建筑面积89.56平方米 the building's part alone); 登记日期 is the date under "
        "the seal, without a label, on the registration page. Distractors: 共有情况, 不动产单元号, 权利类型, "
        "权利性质, 用途, 共有宗地面积, 专有建筑面积 and 分摊建筑面积 (areas), 使用期限 (two more dates), "
        "所在层/总层数, 印制编号, the query's date and 查询编号. 建筑面积 is null on land-use certificates, which "
        "print 宗地面积 (a look-alike) only; 登记日期 is absent on some query results.",
    ),
    "phonebill": g.DocType(
        "phonebill", PHONEBILL_KEYS, phonebill_spec, ("split", "leader", "spaced"),
        "话费账单 (mobile phone bills): an app screen (split, PNG), a printed bill with dot leaders (leader, JPEG) or "
        "with letter-spaced labels (spaced, JPEG). 客户名称 is printed after 客户名称, 客户姓名 or 户名; 手机号码 "
        "after 手机号码 or 服务号码, as printed (13812345678 or 138 1234 5678); 套餐名称 is the plan as printed "
        "(5G智享套餐128元; from 套餐及固定费 5G智享套餐128元 ¥128.00 the plan alone); 本期消费 is the amount as "
        "printed (with ¥ or 元 when printed); 账户余额 is the bare number (the bill may print ¥ or 元). Distractors: "
        "the fee items, 上期结余, 本期已缴, 可用积分, 计费周期 and 出账日期 (dates), 固话号码 or 营业厅电话 (a "
        "landline) beside the mobile, the operator's hotline, 账单编号; the amounts come before the account on some "
        "bills. 账户余额 is null on bills in arrears, which print 欠费金额 (a look-alike amount) instead.",
    ),
    "social": g.DocType(
        "social", SOCIAL_KEYS, social_spec, ("seal", "spaced", "split"),
        "社保缴费证明 (social-insurance contribution certificates): a letter from the insurance agency with its 落款 "
        "under a red round seal (seal, JPEG), a form with letter-spaced labels (spaced, JPEG) or an app screen "
        "(split, PNG). 社会保障号码 is the ID number, printed after 社会保障号码, 公民身份号码 or 身份证号码; "
        "参保单位 after 参保单位 or 单位名称; 累计缴费月数 is the number of months alone (96, 96个月 or "
        "8年0个月（96个月） -> 96); 出具日期 is the letter's date under the seal, without a label, or printed after "
        "出具日期. Distractors: 性别, 首次参保日期 (a second date), 参保状态, 缴费起止年月 (two months), 月缴费基数 "
        "and each insurance's 个人缴费 (amounts), 本年缴费月数 (a look-alike count), the holder's mobile, the "
        "agency's landline and 12333, the 验证码, 编号. 累计缴费月数 is null on this year's proofs, which print "
        "本年缴费月数 only.",
    ),
    "register": g.DocType(
        "register", REGISTER_KEYS, register_spec, ("spaced", "split", "colon"),
        "挂号单 (hospital registration slips): a form with letter-spaced labels (spaced, JPEG), an app screen (split, "
        "PNG) or a narrow slip from the window's printer (colon, JPEG). 医院名称 is the title, or printed after 医院 "
        "under a generic title; 就诊科室 is printed after 就诊科室 or 科室; 就诊日期 is the date alone (from 就诊时间 "
        "2026-03-08 上午 08:30-09:00 the date); 就诊序号 as printed (12, 12号, 第12号, A012); 挂号费 is the bare "
        "number (the slip may print ¥ or 元). Distractors: 诊查费 and 合计 (amounts), 号别, 医生, 就诊时段, 就诊卡号, "
        "就诊位置, 年龄, 挂号时间 (a second date, earlier for a booking), the patient's masked mobile, the 咨询电话 "
        "landline, 流水号. 就诊序号 is null on slips booked online, which print 预约号 (a look-alike number) instead.",
    ),
}  # fmt: skip
