"""Half F of zh-docs (issue 11): four more held-out document types and two new layout kinds.

``parking`` 停车收费票, ``marriage`` 结婚证, ``repair`` 汽车维修结算单 and ``cinema`` 电影票, generated
2026-12-03, after halves A-E had all been generated (and A-D looked at while tuning); nobody tunes
on them (see ``benchmarks/datasets/zh-docs/SPLIT.md``). They are drawn by ``make_zh_docs.py``'s
engine (fields, :func:`finish`, the page and its layouts, half D's ``leader``) plus two layout
kinds no other half has:

- ``grid``: the values in a ruled grid of small cells, each cell's label in small type at its
  top-left corner and the value under it (a cinema ticket's 影厅 | 座位 | 票价, a parking slip's
  车牌号 | 入场时间); a value too wide for one cell spans two or the whole row, and the last cell
  of a row is widened to the grid's edge. A section is a shaded heading row, a field without a
  label a full-width row.
- ``caption``: each value printed large with its label as a small caption in brackets, right of it
  or under it (``张三 （持证人）``), as on a certificate's inner page; two short values share a row.
  A section without a heading is a thin rule.

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
from zh_render import name, text_width

# The generator's "today" (as make_zh_docs.not_after_today): nothing is dated later.
LAST_DAY = datetime.date(2026, 11, 30)

# ---------------------------------------------------------------------------------------------
# The two new layout kinds
# ---------------------------------------------------------------------------------------------


def grid_rows(p: Page, fields: list[F], per: int, cell: float) -> list[list[tuple[F, int]]]:
    """The grid's rows of ``(field, span)``: sections and unlabelled fields alone, the rest packed left to right."""
    rows: list[list[tuple[F, int]]] = []
    used = per
    for f in fields:
        if f.section or not f.label:
            rows.append([(f, per)])
            used = per
            continue
        need = max(text_width(f.shown, p.f(30)), text_width(f.label, p.f(22))) + 28
        span = min(per, math.ceil(need / cell))
        if used + span > per:
            rows.append([])
            used = 0
        rows[-1].append((f, span))
        used += span
    for row in rows:  # the last cell reaches the grid's right edge
        f, span = row[-1]
        row[-1] = (f, span + per - sum(s for _, s in row))
    return rows


def lay_grid(p: Page, fields: list[F], r: random.Random) -> None:
    """A ruled grid of small cells, each cell's label in its top-left corner and its value under it."""
    per = 3 if p.right - p.left >= 600 else 2
    cell = (p.right - p.left) / per
    top = p.y
    for row in grid_rows(p, fields, per, cell):
        f = row[0][0]
        if f.section:
            p.d.rectangle([p.left, p.y, p.right, p.y + 48], fill="#ECEDEF")
            p.text(((p.left + p.right) / 2, p.y + 24), f.shown, 24, g.INK, "mm")
            p.y += 48
        elif not f.label:
            p.text((p.left + 12, p.y + 28), f.shown, 26, g.INK, width=p.right - p.left - 24)
            p.y += 56
        else:
            x = float(p.left)
            for f, span in row:
                w = cell * span
                p.text((x + 10, p.y + 18), f.label, 22, g.GREY)
                p.text((x + 12, p.y + 58), f.shown, 30, g.INK, width=w - 24)
                if x > p.left:
                    p.d.line([(x, p.y), (x, p.y + 86)], fill=g.RULE, width=2)
                x += w
            p.y += 86
        p.d.line([(p.left, p.y), (p.right, p.y)], fill=g.RULE, width=2)
    p.d.rectangle([p.left, top, p.right, p.y], outline=g.INK, width=3)
    p.y += 20


def lay_caption(p: Page, fields: list[F], r: random.Random) -> None:
    """Each value large, its label a small bracketed caption right of it (or under it); two short ones per row."""
    big, small = 34, 22
    col = (p.right - p.left) / 2
    prefer_under = r.random() < 0.5
    rows: list[list[F]] = []
    for f in fields:
        short = bool(f.label) and not f.section and caption_width(p, f) < col - 30
        if short and rows and len(rows[-1]) == 1 and rows[-1][0].label and caption_width(p, rows[-1][0]) < col - 30:
            rows[-1].append(f)
        else:
            rows.append([f])
    for row in rows:
        f = row[0]
        if f.section:
            if f.shown:
                g.ruled_heading(p, f)
            else:
                p.d.line([(p.left, p.y + 14), (p.right, p.y + 14)], fill="#C9CCD1", width=2)
                p.y += 30
            continue
        if not f.label:
            p.text((p.left, p.y + 24), f.shown, 26, g.INK, width=p.right - p.left)
            p.y += 50
            continue
        width = col - 30 if len(row) == 2 else p.right - p.left
        under = prefer_under or caption_width(p, f) > width
        for j, f in enumerate(row):
            x = p.left + j * col
            p.text((x, p.y + 26), f.shown, big, g.INK, width=width)
            if under:
                p.text((x + 4, p.y + 70), f"（{f.label}）", small, g.GREY)
            else:
                p.text((x + text_width(f.shown, p.f(big)) + 10, p.y + 30), f"（{f.label}）", small, g.GREY)
        p.y += 102 if under else 62


def caption_width(p: Page, f: F) -> float:
    """A value's width with its caption to its right."""
    return text_width(f.shown, p.f(34)) + 10 + text_width(f"（{f.label}）", p.f(22))


LAYOUTS = {"grid": lay_grid, "caption": lay_caption}

# ---------------------------------------------------------------------------------------------
# Value pools
# ---------------------------------------------------------------------------------------------

LOTS = ["万达广场", "万象城", "大悦城", "银泰城", "火车东站", "高铁南站", "市民中心", "国际会展中心", "中心医院",
        "奥体中心", "龙湖天街", "吾悦广场"]  # fmt: skip
LOT_KINDS = ["停车场", "地下停车场", "智慧停车场", "东区停车场"]
# (first hour, each further hour, the day's cap) in yuan
TARIFFS = [(5, 2, 30), (10, 5, 60), (6, 3, 40), (8, 4, 50)]
REGISTRARS = {"北京市": "朝阳区", "上海市": "徐汇区", "广州市": "天河区", "深圳市": "南山区",
              "杭州市": "西湖区", "成都市": "武侯区", "武汉市": "江汉区", "南京市": "鼓楼区",
              "西安市": "雁塔区", "长沙市": "岳麓区"}  # fmt: skip
# the short names of the city and district in an old-style certificate number (京朝结字第…号)
SHORT = {"北京市": "京朝", "上海市": "沪徐", "广州市": "穗天", "深圳市": "深南", "杭州市": "杭西", "成都市": "蓉武",
         "武汉市": "汉江", "南京市": "宁鼓", "西安市": "西雁", "长沙市": "长岳"}  # fmt: skip
CHAINS = ["途虎养车工场店", "小拇指汽车维修", "驰加汽车服务中心", "博世汽车服务", "天猫养车", "精典汽车服务"]
DEALERS = ["众诚", "宝利", "恒信", "中升", "广汇", "永达"]
CAR_MODELS = ["大众朗逸", "丰田卡罗拉", "本田雅阁", "日产轩逸", "别克英朗", "比亚迪秦PLUS", "吉利帝豪", "长安CS75",
              "哈弗H6", "奥迪A4L"]  # fmt: skip
# (item, labour, parts) in yuan
JOBS = [("更换机油机滤", 60, 368), ("四轮定位", 180, 0), ("更换前刹车片", 150, 460), ("更换空调滤芯", 30, 98),
        ("更换蓄电池", 50, 620), ("更换雨刮片", 0, 128), ("发动机舱清洗", 80, 0), ("更换火花塞", 120, 280),
        ("轮胎动平衡", 80, 0), ("更换变速箱油", 200, 560)]  # fmt: skip
CINEMAS = ["万达影城", "CGV影城", "金逸影城", "大地影院", "横店电影城", "博纳国际影城", "星美国际影城", "UME影城",
           "卢米埃影城", "中影国际影城"]  # fmt: skip
FILMS = ["流浪地球2", "满江红", "热辣滚烫", "哪吒之魔童闹海", "封神第一部", "长津湖", "你好，李焕英", "独行月球",
         "飞驰人生2", "第二十条", "抓娃娃", "孤注一掷", "消失的她", "唐探1900"]  # fmt: skip
VERSIONS = ["2D", "3D", "IMAX 2D", "IMAX 3D", "中国巨幕", "杜比影院", "4K激光"]


def plate(r: random.Random, city: str) -> str:
    """A car's plate in ``city`` (a blue plate, or a new-energy one: D or F and five digits)."""
    prefix = g.CITY_CODES[city][2]
    prefix += r.choice("ABCDEFGHJK") if len(prefix) == 1 else ""
    return prefix + (r.choice("DF") + f"{r.randint(0, 99999):05d}" if r.random() < 0.2 else g.plate_tail(r))


def clock(d: datetime.date, minute: int) -> datetime.datetime:
    """``minute`` minutes after midnight of ``d``."""
    return datetime.datetime.combine(d, datetime.time()) + datetime.timedelta(minutes=minute)


# ---------------------------------------------------------------------------------------------
# The four types
# ---------------------------------------------------------------------------------------------

PARKING_KEYS = ["停车场名称", "车牌号", "入场时间", "停车时长", "实收金额"]


def parking_spec(r: random.Random) -> Spec:
    layout = r.choice(["grid", "split", "colon"])
    city = r.choice(sorted(g.CITY_CODES))
    lot = f"{city[:-1]}{r.choice(LOTS)}{r.choice(LOT_KINDS)}"
    car = plate(r, city)
    day = min(g.pick_date(r), LAST_DAY)
    ds = r.choice(g.DATE_STYLES)
    free = r.choice([15, 30, 30, 60])
    minutes = r.randint(free + 5, 600)
    enter = clock(day, 6 * 60 + r.randint(0, 17 * 60 + 30 - minutes))
    leave = enter + datetime.timedelta(minutes=minutes)
    h, m = divmod(minutes, 60)
    stay = r.choice([f"{h}小时{m}分钟", f"{minutes}分钟", f"{h}时{m:02d}分", f"{h:02d}:{m:02d}:{r.randint(0, 59):02d}"])
    first, step, cap = r.choice(TARIFFS)
    due = float(min(first + step * (math.ceil(minutes / 60) - 1), cap))
    off = float(r.choice([0, 0, 0, 5, 10]))
    off = off if off < due else 0.0
    ast = r.choice(["yen", "yuan", "bare", "yen_plain"])
    paid = fmt_amount(due - off, ast)
    at = lambda t: f"{fmt_date(t.date(), ds)} {t:%H:%M}"  # noqa: E731
    style = r.choices(["apart", "line", "exit"], [0.5, 0.3, 0.2])[0]
    if style == "apart":  # the entry's date and time: the key is the time
        times = [F("入场时间", at(enter), "入场时间", f"{enter:%H:%M}"), F("出场时间", at(leave))]
    elif style == "line":  # one line for both: the key is the time after 入场
        times = [
            F("日期", fmt_date(day, ds)),
            F("", f"入场 {enter:%H:%M}  出场 {leave:%H:%M}", "入场时间", f"{enter:%H:%M}"),
        ]
    else:  # printed at the exit: 出场时间 only (a look-alike), 入场时间 is null
        times = [F("出场时间", at(leave))]
    fields = [
        F("车牌号", car, "车牌号"),
        F("车辆类型", "新能源小型车" if len(car) == 8 else "小型车"),
        *times,
        F("停车时长", stay, "停车时长"),
        F("免费时长", f"{free}分钟"),
        F("应收金额", fmt_amount(due, ast)),
    ]
    if off:
        fields.append(F("优惠金额", fmt_amount(off, ast)))
    fields += [F("实收金额", paid, "实收金额", g.bare_amount(paid)),
               F("支付方式", r.choice(["微信支付", "支付宝", "ETC", "现金"])),
               F("收费员", f"{r.randint(100, 999)}")]  # fmt: skip
    if layout == "split":
        fields.insert(1, F("车主手机", g.masked_mobile(g.mobile(r))))
    serial = f"票号：{r.randint(10**9, 10**10 - 1)}"
    notes = [f"收费标准：首小时{first}元，之后每小时{step}元", f"当日最高收费{cap}元", f"管理处电话：{g.landline(r)}",
             f"打印时间：{at(leave + datetime.timedelta(minutes=r.randint(0, 3)))}"]  # fmt: skip
    spec = page(lot, [r.choice(["临时停车收费凭证", "停车收费票据", "停车缴费凭证"])], serial, layout, notes,
                "screen" if layout == "split" else "paper")  # fmt: skip
    spec["title_key"] = ("停车场名称", lot, lot)
    if r.random() < 0.3:  # the lot printed only after 停车场, under a generic title
        spec["title"], spec["header"] = r.choice(["停车收费票", "停车场收费凭证"]), [f"停车场：{lot}"]
        spec["title_key"] = ("停车场名称", f"停车场：{lot}", lot)
    if layout == "colon":  # a narrow slip from the barrier's printer
        spec["width"] = 560
    return finish(PARKING_KEYS, fields, spec, r, {})


MARRIAGE_KEYS = ["持证人", "登记日期", "结婚证字号", "男方姓名", "女方姓名"]


def marriage_spec(r: random.Random) -> Spec:
    layout = r.choice(["caption", "table", "colon"])
    city = r.choice(sorted(g.CITY_CODES))
    district = REGISTRARS[city]
    registrar = f"{city}{district}民政局"
    day = min(g.pick_date(r, tuple(range(2008, 2027))), LAST_DAY)
    ds = r.choice(["ymd_cn", "ymd_cn", "cn_short"]) if layout == "caption" else r.choice(g.DATE_STYLES)
    serial = f"{r.randint(1, 9999):04d}" if r.random() < 0.5 else f"{r.randint(1, 99999):05d}"
    number = (f"J{g.CITY_CODES[city][1]}-{day.year}-{r.randint(1, 999999):06d}" if r.random() < 0.7
              else f"{SHORT[city]}结字第{day.year}{serial}号")  # fmt: skip
    people = []
    for sex, key in (("男", "男方姓名"), ("女", "女方姓名")):
        person = name(r)
        born = datetime.date(day.year - r.randint(22, 38), r.randint(1, 12), r.randint(1, 28))
        home = r.choice(sorted(g.CITY_CODES))
        ident = g.id_number(r, g.CITY_CODES[home][1], born)
        people.append((person, sex, [F("姓名", person, key), F("性别", sex), F("国籍", "中国"),
                                F("出生日期", fmt_date(born, ds)), F("身份证件号", ident)]))  # fmt: skip
    if r.random() < 0.35:  # the woman first
        people.reverse()
    holder = r.choice(people)[0]
    with_number = layout == "caption" or r.random() >= 0.2  # a record without it prints 档案号 (a look-alike)
    head = [F("持证人", holder, "持证人"), F("登记日期", fmt_date(day, ds), "登记日期")]
    head.append(F("结婚证字号", number, "结婚证字号") if with_number
                else F("登记档案号", f"{g.CITY_CODES[city][1]}{day.year}{r.randint(10**5, 10**6 - 1)}"))  # fmt: skip
    copied = g.not_after_today(day + datetime.timedelta(days=r.randint(200, 4000)))
    if layout == "caption":  # a photocopy of the certificate's inner page
        fields = [*head, F("备注", "无"), section(""), *people[0][2], section(""), *people[1][2], section(""),
                  F("婚姻登记员", name(r)), F("登记机关", registrar)]  # fmt: skip
        spec = page("结婚证", ["中华人民共和国民政部监制"], "", layout,
                    [f"复印件与原件一致  {fmt_date(copied, 'dash')}", f"签名：{holder}"])  # fmt: skip
    else:  # a record of the registration
        fields = [*head, F("登记机关", registrar)]
        for _, sex, block in people:
            fields += [section("男方" if sex == "男" else "女方"), *block]
        title = r.choice(["婚姻登记记录证明", "婚姻登记信息查询结果", "婚姻状况证明"])
        spec = page(title, [f"出具单位：{registrar}"], f"编号：{r.randint(10**9, 10**10 - 1)}", layout,
                    [f"出具日期：{fmt_date(copied, ds)}", f"咨询电话：{g.landline(r)}"])  # fmt: skip
    return finish(MARRIAGE_KEYS, fields, spec, r, {})


REPAIR_KEYS = ["结算单号", "车牌号", "送修人", "进厂日期", "结算金额"]


def repair_spec(r: random.Random) -> Spec:
    layout = r.choice(["grid", "table", "leader"])
    city = r.choice(sorted(g.CITY_CODES))
    district = r.choice(g.CITIES[city])
    if r.random() < 0.5:
        shop = f"{r.choice(CHAINS)}({city[:-1]}{district}店)"
    else:
        shop = f"{city[:-1]}{r.choice(DEALERS)}{r.choice(['汽车销售服务有限公司', '汽车服务有限公司'])}"
    came = min(g.pick_date(r), LAST_DAY - datetime.timedelta(days=4))
    left = came + datetime.timedelta(days=r.choice([0, 0, 1, 2, 3]))
    ds = r.choice(g.DATE_STYLES)
    number = f"JS{left:%Y%m%d}{r.randint(0, 9999):04d}" if r.random() < 0.5 else f"WX{r.randint(10**9, 10**10 - 1)}"
    miles = r.randint(3000, 180000)
    jobs = r.sample(JOBS, r.randint(2, 4))
    labour, parts = float(sum(j[1] for j in jobs)), float(sum(j[2] for j in jobs))
    off = float(r.choice([0, 0, 50, 100, round((labour + parts) * 0.1)]))
    total = labour + parts - off
    ast = r.choice(["yen", "yuan", "bare", "yen_plain"])
    person, phone = name(r), g.mobile(r)
    vin = r.choice(g.VIN_MAKERS) + "".join(r.choice(g.PLATE_CHARS) for _ in range(8)) + f"{r.randint(0, 999999):06d}"
    style = r.choices(["apart", "joined", "owner"], [0.55, 0.25, 0.2])[0]
    if style == "apart":
        who = [F("送修人", person, "送修人"), F("联系电话", phone)]
    elif style == "joined":  # one field for both: the key is the name before the slash
        who = [F("送修人/电话", f"{person} / {phone}", "送修人", person)]
    else:  # only the owner (a look-alike) is printed: 送修人 is null
        who = [F("车主", person if r.random() < 0.5 else g.company(r)), F("联系电话", phone)]
    fields = [
        F("结算单号", number, "结算单号"),
        F("车牌号", plate(r, city), "车牌号"),
        F("车型", r.choice(CAR_MODELS)),
        F("车架号", vin),
        *who,
        F("进厂日期", fmt_date(came, ds), "进厂日期"),
        F("出厂日期", fmt_date(left, ds)),
        F("进厂里程", f"{miles:,}km"),
        section("维修项目"),
        *(F(item, fmt_amount(float(a + b), ast)) for item, a, b in jobs),
        section("费用结算"),
        F("工时费", fmt_amount(labour, ast)),
        F("材料费", fmt_amount(parts, ast)),
    ]
    if off:
        fields.append(F("优惠金额", fmt_amount(off, ast)))
    fields += [F("结算金额", fmt_amount(total, ast), "结算金额"), F("大写", g.upper_amount(total))]
    later = g.plus_years(left, 1) if left.month > 6 else left.replace(month=left.month + 6)
    notes = [f"服务电话：{g.landline(r)}", f"建议下次保养：{fmt_date(later, ds)} 或 {miles + 5000:,}km",
             f"结算日期：{fmt_date(left, ds)}", "客户签字：________"]  # fmt: skip
    spec = page(shop, [r.choice(["汽车维修结算单", "维修结算清单", "机动车维修结算单"])], "", layout, notes)
    return finish(REPAIR_KEYS, fields, spec, r, {"进厂日期": 0.1})


CINEMA_KEYS = ["影院名称", "影片名称", "放映时间", "座位号", "票价"]


def cinema_spec(r: random.Random) -> Spec:
    layout = r.choice(["grid", "caption", "split"])
    city = r.choice(sorted(g.CITIES))
    cinema = f"{r.choice(CINEMAS)}({city[:-1]}{r.choice(g.ROADS)}店)"
    film = r.choice(FILMS)
    day = min(g.pick_date(r), LAST_DAY)
    ds = r.choice(g.DATE_STYLES)
    show = clock(day, r.choice(range(9 * 60, 22 * 60 + 1, 5)))
    sold = show - datetime.timedelta(days=r.choice([0, 0, 1, 3]), minutes=r.randint(20, 600))
    hall = r.choice([f"{r.randint(1, 12)}号厅", "IMAX厅", f"{r.randint(1, 9)}号激光厅", "VIP厅", "杜比厅"])
    seat = f"{r.randint(1, 16)}排{r.randint(1, 24)}座"
    price = float(r.choice([29.9, 35, 39.9, 45, 52, 58, 65, 78, 88]))
    fee = float(r.choice([0, 2, 3, 3.5]))
    ast = r.choice(["yen", "yuan", "bare", "yen_plain"])
    at = lambda t: f"{fmt_date(t.date(), ds)} {t:%H:%M}"  # noqa: E731
    if r.random() < 0.3:  # the hall and the seat in one field: the key is the seat
        place = [F("影厅座位", f"{hall} {seat}", "座位号", seat)]
    else:
        place = [F("影厅", hall), F("座位", seat, "座位号")]
    fields = [
        F(r.choice(["影片", "影片名称"]), film, "影片名称"),
        F("版本", r.choice(VERSIONS)),
        F("放映时间", at(show), "放映时间"),
        *place,
    ]
    if r.random() < 0.15:  # paid with a voucher: no 票价, only the 服务费 (a look-alike amount)
        fields += [F("支付方式", "兑换券"), F("服务费", fmt_amount(fee or 3.0, ast))]
    else:
        shown = fmt_amount(price, ast)
        fields.append(F("票价", shown, "票价", g.bare_amount(shown)))
        if fee:
            fields += [F("服务费", fmt_amount(fee, ast)), F("实付", fmt_amount(price + fee, ast))]
        fields.append(F("支付方式", r.choice(["微信支付", "支付宝", "会员卡", "现金"])))
    fields += [F("票号", f"{r.randint(10**11, 10**12 - 1)}"), F("售票时间", at(sold))]
    if layout == "split":
        fields.insert(-2, F("取票码", f"{r.randint(10**7, 10**8 - 1)}"))
    notes = [f"影院电话：{g.landline(r)}", r.choice(["请提前15分钟入场", "一人一票，对号入座"])]
    spec = page(cinema, [r.choice(["电影票", "观影凭证", "影票"])], "", layout, notes,
                "screen" if layout == "split" else "paper")  # fmt: skip
    spec["title_key"] = ("影院名称", cinema, cinema)
    if r.random() < 0.3:  # the cinema printed only after 影院, under a generic title
        spec["title"], spec["header"] = r.choice(["电影票", "电影院入场券"]), [f"影院：{cinema}"]
        spec["title_key"] = ("影院名称", f"影院：{cinema}", cinema)
    if layout != "split":  # a ticket, narrower than a page
        spec["width"] = 720
    return finish(CINEMA_KEYS, fields, spec, r, {})


TYPES = {
    "parking": g.DocType(
        "parking", PARKING_KEYS, parking_spec, ("grid", "split", "colon"),
        "停车收费票 (parking receipts): a ticket in a ruled grid of cells, each label in its cell's corner (grid, "
        "JPEG), an app screen (split, PNG) or a narrow slip from the barrier's printer (colon, JPEG). 停车场名称 is "
        "the title, or printed after 停车场 under a generic title; 入场时间 is the entry's clock time alone (入场时间 "
        "2026-03-08 08:12 -> 08:12; 入场 08:12  出场 10:40 -> 08:12); 停车时长 as printed (2小时28分钟, 148分钟, "
        "2时28分, 02:28:15); 实收金额 is the bare number (the slip may print ¥ or 元). Distractors: 出场时间, "
        "免费时长, 应收金额, 优惠金额, the tariff line, 票号, 收费员, the 打印时间, 管理处电话 (a landline) and on "
        "screens the owner's masked mobile. 入场时间 is null on slips printed at the exit, which print 出场时间 only.",
    ),
    "marriage": g.DocType(
        "marriage", MARRIAGE_KEYS, marriage_spec, ("caption", "table", "colon"),
        "结婚证 (marriage certificates): a photocopy of the inner page, each value large with its label as a small "
        "bracketed caption beside or under it (caption, JPEG), or a registration record (table or colon, JPEG). "
        "持证人 is one of the two spouses; 男方姓名 and 女方姓名 are the man's and the woman's names, both printed "
        "under 姓名 (the certificate tells them apart by 性别 only, the records by the 男方/女方 headings; the woman "
        "comes first on some); 结婚证字号 as printed (J110105-2016-004321 or 京朝结字第20160345号). Distractors: two "
        "出生日期 and two 身份证件号 (the ID numbers hold the birth dates), the copy's or the record's date, 登记机关, "
        "婚姻登记员, 编号, 咨询电话. 结婚证字号 is null on some records, which print 登记档案号 (a look-alike) "
        "instead.",
    ),
    "repair": g.DocType(
        "repair", REPAIR_KEYS, repair_spec, ("grid", "table", "leader"),
        "汽车维修结算单 (car repair invoices), photographed JPEG: a grid of cells with their labels in the corners "
        "(grid), a ruled table or a printed list with dot leaders (leader). 结算金额 is the amount as printed (with "
        "¥ or 元 when printed); 送修人 is the person who brought the car (printed alone, or before the phone in "
        "送修人/电话 张三 / 13812345678). Distractors: the items' amounts, 工时费, 材料费, 优惠金额, the "
        "capital-numeral total, 出厂日期, 结算日期 and the next service's date (more dates), 进厂里程, 车架号, 车型, "
        "the customer's mobile and the 服务电话 landline, a 结算单号 made of JS and the date's digits. 送修人 is null "
        "on invoices that print only 车主 (a look-alike); 进厂日期 is absent on some (出厂日期 still printed).",
    ),
    "cinema": g.DocType(
        "cinema", CINEMA_KEYS, cinema_spec, ("grid", "caption", "split"),
        "电影票 (cinema tickets): a ticket in a ruled grid of cells (grid, JPEG), a ticket printing each value large "
        "with a small bracketed caption (caption, JPEG) or an e-ticket screen (split, PNG). 影院名称 is the title, or "
        "printed after 影院 under a generic title; 放映时间 is the date and the time as printed; 座位号 is the seat as "
        "printed (7排12座; from 影厅座位 3号厅 7排12座 the seat alone); 票价 is the bare number (the ticket may "
        "print ¥ or 元). Distractors: 影厅, 版本, 服务费, 实付, 售票时间 (a second date and time), 票号, 取票码, "
        "the cinema's landline. 票价 is null on tickets paid with a 兑换券, which print 服务费 (a look-alike amount) "
        "only.",
    ),
}  # fmt: skip
