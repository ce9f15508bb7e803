"""Half H of zh-docs (issue 11): four more held-out document types and two new layout kinds.

``passport`` 护照, ``deposit`` 定期存单, ``vaccine`` 宠物免疫证 and ``tax`` 个人所得税纳税记录, generated
2026-12-04, after halves A-G had all been generated and looked at (tuned on or reported); nobody tunes on
them (see ``benchmarks/datasets/zh-docs/SPLIT.md``). They are drawn by ``make_zh_docs.py``'s engine
(fields, :func:`finish`, the page and its layouts, half E's ``matrix``, half F's ``grid`` and half G's
``seal``) plus two layout kinds no other half has:

- ``bilingual``: every label printed with its English (:data:`EN`), as on a passport's data page or a
  bank's certificate: beside it (``户名 ACCOUNT NAME  张伟``), under it in small type, the value to the
  right, or over the value (``签发日期/Date of issue`` above ``15 1月 /JAN 2019``, two to a row). A
  section's heading is bilingual too; a label without an English one is printed alone.
- ``ledger``: entries listed one after another, each a small block (a vaccination in a pet's booklet, a
  month's tax in an app's records): a section :data:`ENTRY` starts an entry; its first unlabelled fields
  are its head line (the second one right-aligned), its labelled fields follow in small type, several to a
  line; the blocks are parted by rules, framed in thin boxes, hung on a timeline or drawn as cards on a
  screen. The fields outside the entries are printed as ``label：value`` lines (split rows on a screen).

Each type draws from its own random stream (``make_zh_docs.doc_rng``), so adding these types
changes no file of the other types. Imported by ``make_zh_docs.py``, which adds :data:`TYPES` and
:data:`LAYOUTS` to its own tables.
"""

from __future__ import annotations

import datetime
import random

import make_zh_docs as g
import zh_docs_half_e as he
import zh_docs_half_g as hg
from make_zh_docs import F, Page, Spec, finish, fmt_amount, fmt_date, page, section
from zh_render import GIVEN, SURNAMES, name, text_width

# The generator's "today" (as make_zh_docs.not_after_today): nothing is dated later.
LAST_DAY = datetime.date(2026, 11, 30)
# A section with this heading starts one entry of the ``ledger`` layout (other layouts never see it).
ENTRY = "\x00entry"

# The English printed with a label (or a section's heading) in the ``bilingual`` layout.
EN = {
    "类型": "Type", "国家码": "Country code", "护照号": "Passport No.", "姓": "Surname", "名": "Given names",
    "性别": "Sex", "出生地点": "Place of birth", "出生日期": "Date of birth", "签发地点": "Place of issue",
    "签发日期": "Date of issue", "有效期至": "Date of expiry", "签发机关": "Authority",
    "户名": "Account name", "客户名称": "Customer name", "储户姓名": "Depositor", "账号": "Account No.",
    "存单号": "Certificate No.", "凭证号码": "Voucher No.", "储种": "Deposit type", "币种": "Currency",
    "存入金额": "Amount", "金额": "Amount", "本金": "Principal", "存款金额": "Deposit amount",
    "金额大写": "Amount in words", "存期": "Term", "年利率": "Interest rate", "起息日": "Value date",
    "到期日": "Maturity date", "到期日期": "Maturity date", "预计利息": "Estimated interest",
    "到期利息": "Interest at maturity", "转存方式": "Rollover", "开户行": "Branch", "开户网点": "Branch",
    "支取方式": "Withdrawal", "经办柜员": "Teller", "存款信息": "Deposit details", "客户信息": "Customer",
}  # fmt: skip

# ---------------------------------------------------------------------------------------------
# The two new layout kinds
# ---------------------------------------------------------------------------------------------


def english(p: Page, label: str) -> str:
    """The English of ``label`` as this page prints it (in capitals on some), or ``""``."""
    en = EN.get(label, "")
    return en.upper() if p.spec.get("caps") else en


def lay_bilingual(p: Page, fields: list[F], r: random.Random) -> None:
    """Each label with its English beside it, under it or over the value (``spec["bilingual"]``)."""
    style, joiner = p.spec.get("bilingual") or (r.choice(["beside", "under", "over"]), " ")
    fields = [section(f"{f.shown}{joiner}{english(p, f.shown)}".strip()) if f.section else f for f in fields]
    if style == "over":
        col, groups = g.two_columns(p, fields)
        for wide, group in groups:
            if group[0].section:
                g.ruled_heading(p, group[0])
                continue
            for j, f in enumerate(group):
                x = p.left + j * col
                if not f.label:
                    p.text((x, p.y + 38), f.shown, 28, g.INK, width=p.right - p.left)
                    continue
                en = english(p, f.label)
                p.text((x, p.y + 16), f"{f.label}{joiner}{en}" if en else f.label, 21, g.GREY)
                p.text((x, p.y + 56), f.shown, 30, g.INK, width=(p.right - p.left) if wide else col - 16)
            p.y += 92
        return
    size, small = 28, 18 if style == "beside" else 16
    row = 58 if style == "beside" else 74
    under = style == "under"

    def label_width(f: F) -> float:
        cn, en = text_width(f.label, p.f(size - 4 * under)), text_width(english(p, f.label), p.f(small))
        return max(cn, en) if under else cn + 10 + en

    widths = [label_width(f) for f in fields if f.label and not f.section]
    column = min(max(widths, default=0.0), (p.right - p.left) * 0.42) + 28
    for f in fields:
        cy = p.y + row // 2
        if f.section:
            g.ruled_heading(p, f)
            continue
        if not f.label:
            p.text((p.left, cy), f.shown, 26, g.INK, width=p.right - p.left)
            p.y += row - 10
            continue
        en = english(p, f.label)
        if under:
            p.text((p.left, cy - 13), f.label, size - 4, g.INK)
            p.text((p.left, cy + 16), en, small, g.GREY)
        else:
            p.text((p.left, cy), f.label, size, g.INK)
            p.text((p.left + text_width(f.label, p.f(size)) + 10, cy + 3), en, small, g.GREY)
        vx = p.left + max(column, label_width(f) + 28)
        p.text((vx, cy), f.shown, size, g.INK, width=p.right - vx)
        p.y += row
    p.y += 8


def entry(*fields: F) -> list[F]:
    """One entry of the ``ledger`` layout: its head (unlabelled fields first), then its labelled fields."""
    return [section(ENTRY), *fields]


def lay_ledger(p: Page, fields: list[F], r: random.Random) -> None:
    """Entries as small blocks one after another; the fields around them as lines (split rows on a screen)."""
    deco = p.spec.get("ledger") or ("card" if p.screen else r.choice(["rule", "box", "timeline"]))
    sep = r.choice(["：", " "])
    plain = g.lay_split if p.screen else g.lay_colon
    blocks: list[list[F]] = []
    run: list[F] = []
    for f in fields:
        if f.section and f.shown == ENTRY:
            if run:
                plain(p, run, r)
                run = []
            blocks.append([])
        elif blocks and not f.section:
            blocks[-1].append(f)
        else:
            if blocks:
                draw_entries(p, blocks, deco, sep)
                blocks = []
            run.append(f)
    if blocks:
        draw_entries(p, blocks, deco, sep)
    if run:
        plain(p, run, r)


def draw_entries(p: Page, blocks: list[list[F]], deco: str, sep: str) -> None:
    """The blocks of one run of entries, decorated as ``deco`` (``card``, ``rule``, ``box``, ``timeline``)."""
    p.y += 6
    for n, block in enumerate(blocks):
        lead = next((i for i, f in enumerate(block) if f.label), len(block))
        head, body = block[: min(lead, 2)], block[min(lead, 2) :]
        inset = 22 if deco in ("card", "box") else 0
        x0 = p.left + inset + (46 if deco == "timeline" else 0)
        x1 = p.right - inset
        top = p.y
        ops: list[tuple[float, float, str, int, str, str, float]] = []  # (x, y, text, size, fill, anchor, width)
        y = top + (16 if inset else 6)
        if head:
            ops.append((x0, y + 20, head[0].shown, 28, g.INK, "lm", x1 - x0))
            if len(head) == 2:
                ops[-1] = (x0, y + 20, head[0].shown, 28, g.INK, "lm", (x1 - x0) * 0.6)
                ops.append((x1, y + 20, head[1].shown, 28, g.INK, "rm", (x1 - x0) * 0.38))
            y += 46
        x = x0
        for f in body:
            text = f"{f.label}{sep}{f.shown}" if f.label else f.shown
            w = text_width(text, p.f(22))
            if x > x0 and x + w > x1:
                x, y = x0, y + 34
            ops.append((x, y + 15, text, 22, "#3F434A", "lm", x1 - x))
            x += w + 40
        bottom = y + 34 + (10 if inset else 2)
        if deco == "card":
            p.d.rounded_rectangle([p.left, top, p.right, bottom], radius=16, fill="white", outline="#E3E5E8", width=2)
        elif deco == "box":
            p.d.rectangle([p.left, top, p.right, bottom], outline=g.RULE, width=2)
        elif deco == "timeline":
            cx = p.left + 16
            if n + 1 < len(blocks):
                p.d.line([(cx, top + 30), (cx, bottom + 30)], fill="#C9CCD1", width=3)
            p.d.ellipse([cx - 8, top + 18, cx + 8, top + 34], fill=g.INK if n == 0 else "#9A9DA3")
        else:
            p.d.line([(p.left, bottom), (p.right, bottom)], fill="#C9CCD1", width=2)
        for x, yy, text, size, fill, anchor, width in ops:
            p.text((x, yy), text, size, fill, anchor, width)
        p.y = bottom + (14 if inset else 10)
    p.y += 8


LAYOUTS = {"bilingual": lay_bilingual, "ledger": lay_ledger}

# ---------------------------------------------------------------------------------------------
# Value pools
# ---------------------------------------------------------------------------------------------

# The romanisation of every character ``zh_render.name`` draws names from (as a passport prints it).
SYLLABLES = ("WANG LI ZHANG LIU CHEN YANG HUANG ZHAO WU ZHOU XU SUN MA ZHU HU GUO HE GAO LIN LUO ZHENG LIANG XIE "
             "SONG TANG XU HAN FENG DENG CAO PENG ZENG XIAO TIAN DONG YUAN PAN "
             "WEI FANG NA MIN JING LI QIANG LEI JUN YANG YONG YAN JIE JUAN TAO MING CHAO XIU XIA PING GANG GUI YING "
             "HUA YU LAN PING HONG JIAN GUO ZHI WEN BIN HAO YU XIN YI ZI XUAN ZI HAN YU CHEN")  # fmt: skip
PINYIN = dict(zip(SURNAMES + GIVEN, SYLLABLES.split(), strict=True))
PROVINCES = {"北京": "BEIJING", "上海": "SHANGHAI", "广东": "GUANGDONG", "浙江": "ZHEJIANG", "四川": "SICHUAN",
             "湖北": "HUBEI", "江苏": "JIANGSU", "陕西": "SHAANXI", "湖南": "HUNAN", "山东": "SHANDONG",
             "河南": "HENAN", "福建": "FUJIAN"}  # fmt: skip
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
# (term as printed in three ways, months, the year's rate in percent)
TERMS = [(("三个月", "3个月", "三个月"), 3, 1.05), (("六个月", "6个月", "半年"), 6, 1.25),
         (("一年", "1年", "12个月"), 12, 1.35), (("二年", "2年", "24个月"), 24, 1.45),
         (("三年", "3年", "36个月"), 36, 1.75), (("五年", "5年", "60个月"), 60, 1.8)]  # fmt: skip
CLINICS = ["瑞鹏宠物医院", "新瑞鹏宠物医院", "芭比堂动物医院", "美联众合动物医院", "安安宠医", "宠颐生动物医院",
           "爱诺宠物医院", "派仕佳宠物医院"]  # fmt: skip
DOGS = ["金毛寻回犬", "拉布拉多犬", "泰迪（贵宾犬）", "柯基犬", "柴犬", "比熊犬", "边境牧羊犬", "中华田园犬",
        "萨摩耶犬", "博美犬"]  # fmt: skip
CATS = ["英国短毛猫", "美国短毛猫", "布偶猫", "中华田园猫", "暹罗猫", "橘猫"]
PETS = ["豆豆", "旺财", "可乐", "球球", "糖糖", "小白", "元宝", "馒头", "布丁", "奶茶", "来福", "多多", "Lucky", "Coco",
        "Max", "年糕"]  # fmt: skip
COATS = ["金黄色", "黑色", "白色", "黑白相间", "棕色", "奶油色", "橘色", "灰色"]
# the rabies shots: (name, maker)
RABIES = [("狂犬病灭活疫苗（诺必达）", "英特威"), ("狂犬病灭活疫苗（瑞普）", "瑞普（保定）生物药业"),
          ("狂犬病灭活疫苗（金宇保灵）", "金宇保灵生物药品"), ("狂犬病灭活疫苗", "硕腾（苏州）")]  # fmt: skip
# the other shots and treatments: (name, maker, for a cat (None: either), days until the next one)
OTHER_SHOTS = [("犬四联疫苗（卫佳）", "硕腾（苏州）", False, 21), ("犬八联疫苗（卫佳捌）", "硕腾（苏州）", False, 365),
               ("犬二联疫苗（英特威）", "英特威", False, 21), ("猫三联疫苗（妙三多）", "硕腾（苏州）", True, 21),
               ("体内驱虫（拜宠清）", "拜耳动物保健", None, 90),
               ("体外驱虫（福来恩）", "勃林格殷格翰", None, 30)]  # fmt: skip
SIDE_INCOMES = ["劳务报酬所得", "稿酬所得"]  # besides the month's 工资薪金所得


def passport_date(d: datetime.date) -> str:
    """A date as a Chinese passport prints it: ``15 1月 /JAN 2019``."""
    return f"{d.day:02d} {d.month}月 /{MONTHS[d.month - 1]} {d.year}"


def mrz_check(text: str) -> str:
    """The check digit of a machine-readable zone's field (ICAO 9303: weights 7, 3, 1)."""
    value = {c: i for i, c in enumerate("0123456789")} | {c: i + 10 for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
    return str(sum(value.get(c, 0) * (7, 3, 1)[i % 3] for i, c in enumerate(text)) % 10)


def plus_months(d: datetime.date, months: int) -> datetime.date:
    """``d`` moved by ``months`` (the day kept, at most the 28th as every date drawn here)."""
    y, m = divmod(d.month - 1 + months, 12)
    return d.replace(year=d.year + y, month=m + 1)


# ---------------------------------------------------------------------------------------------
# The four types
# ---------------------------------------------------------------------------------------------

PASSPORT_KEYS = ["护照号码", "出生地点", "签发地点", "签发日期", "有效期至"]


def passport_spec(r: random.Random) -> Spec:
    layout = r.choice(["bilingual", "table", "split"])
    person = name(r)
    surname, given = PINYIN[person[0]], "".join(PINYIN[c] for c in person[1:])
    born = datetime.date(r.randint(1960, 2012), r.randint(1, 12), r.randint(1, 28))
    issued = min(g.pick_date(r, tuple(range(max(2017, born.year + 4), 2027))), LAST_DAY)
    adult = issued.year - born.year >= 16
    expires = g.plus_years(issued, 10 if adult else 5) - datetime.timedelta(days=1)
    home = r.choice(sorted(PROVINCES))
    office = home if r.random() < 0.6 else r.choice(sorted(PROVINCES))
    number = f"E{r.choice('ABCDEFGHJK') if r.random() < 0.5 else ''}"
    number += f"{r.randint(0, 10 ** (9 - len(number)) - 1):0{9 - len(number)}d}"
    sex = r.choice("男女")
    authority = "中华人民共和国国家移民管理局" if issued.year >= 2019 else "中华人民共和国出入境管理局"
    ds = r.choice(g.DATE_STYLES)
    if layout == "bilingual":  # a photocopy of the data page
        mrz_name = f"P<CHN{surname}<<{given}".ljust(44, "<")[:44]
        no = number.ljust(9, "<")
        extra = "".join(r.choice("ABCDEFGHIJKLMNOP") for _ in range(12)) + "<<"
        tail = f"{no}{mrz_check(no)}CHN{born:%y%m%d}{mrz_check(f'{born:%y%m%d}')}{'M' if sex == '男' else 'F'}"
        tail += f"{expires:%y%m%d}{mrz_check(f'{expires:%y%m%d}')}{extra}{mrz_check(extra)}"
        tail += mrz_check(tail[:10] + tail[13:20] + tail[21:43])
        fields = [
            F("类型", "P"), F("国家码", "CHN"), F("护照号", number, "护照号码"),
            F("姓", f"{person[0]} {surname}"), F("名", f"{person[1:]} {given}"),
            F("性别", f"{sex}/{'M' if sex == '男' else 'F'}"),
            F("出生地点", f"{home}/{PROVINCES[home]}", "出生地点", home),
            F("出生日期", passport_date(born)),
            F("签发地点", f"{office}/{PROVINCES[office]}", "签发地点", office),
            F("签发日期", passport_date(issued), "签发日期"),
            F("有效期至", passport_date(expires), "有效期至"),
            F("签发机关", authority),
            F("", "National Immigration Administration, PRC" if issued.year >= 2019
                  else "Exit & Entry Administration, Ministry of Public Security"),
        ]  # fmt: skip
        spec = page("中华人民共和国护照", ["PEOPLE'S REPUBLIC OF CHINA  PASSPORT"], "", layout, [])
        spec["small_print"] = [(mrz_name, 24), (tail, 24)]
        spec["bilingual"] = ("over", "/")
        return finish(PASSPORT_KEYS, fields, spec, r, {})
    pinyin = f"{surname} {given}" if r.random() < 0.5 else f"{surname}/{given}"
    if layout == "table":  # a form with the passport's details (a visa application, an employer's record)
        validity = r.random() < 0.3  # 有效期限, both ends in one field: the key is the end
        fields = [
            F("姓名", person), F("姓名拼音", pinyin), F("性别", sex), F("出生日期", fmt_date(born, ds)),
            F("出生地点", home, "出生地点"),
            F(r.choice(["护照号码", "证件号码", "护照号"]), number, "护照号码"),
            F("签发地点", office, "签发地点"),
            F("签发日期", fmt_date(issued, ds), "签发日期"),
            F("有效期限", f"{fmt_date(issued, ds)}至{fmt_date(expires, ds)}", "有效期至", fmt_date(expires, ds))
            if validity else F("有效期至", fmt_date(expires, ds), "有效期至"),
            F("签发机关", authority.removeprefix("中华人民共和国")),
            F("联系电话", g.mobile(r)), F("单位电话", g.landline(r)), F("工作单位", g.company(r)),
        ]  # fmt: skip
        filled = g.not_after_today(issued + datetime.timedelta(days=r.randint(30, 1500)))
        spec = page(r.choice(["护照信息登记表", "出境人员证照信息登记表", "签证申请人护照信息表"]),
                    [f"填表单位：{g.company(r)}"], f"No.{r.randint(100000, 999999)}", layout,
                    [f"填表日期：{fmt_date(filled, ds)}", f"经办人：{name(r)}"])  # fmt: skip
        return finish(PASSPORT_KEYS, fields, spec, r, {"出生地点": 0.1})
    # the immigration app's screen: the document's number, its dates and its issuer (no place of issue)
    fields = [
        F("证件类型", "普通护照"), F(r.choice(["证件号码", "护照号码"]), number, "护照号码"),
        F("持证人", person), F("姓名拼音", pinyin),
        *([F("出生地点", home, "出生地点")] if r.random() < 0.5 else []),
        F("签发日期", fmt_date(issued, "dash"), "签发日期"), F("有效期至", fmt_date(expires, "dash"), "有效期至"),
        F("签发机关", "国家移民管理局"), F("证件状态", "有效" if expires >= LAST_DAY else "已过期"),
    ]  # fmt: skip
    checked = datetime.datetime.combine(LAST_DAY - datetime.timedelta(days=r.randint(0, 300)),
                                        datetime.time(r.randint(8, 22), r.randint(0, 59)))  # fmt: skip
    spec = page("我的证件", ["出入境证件  已实名认证"], "", layout,
                [f"更新时间：{checked:%Y-%m-%d %H:%M}", "服务热线：12367"], "screen")  # fmt: skip
    return finish(PASSPORT_KEYS, fields, spec, r, {})


DEPOSIT_KEYS = ["户名", "账号", "存入金额", "存期", "到期日"]


def deposit_spec(r: random.Random) -> Spec:
    layout = r.choice(["bilingual", "table", "colon"])
    bank = r.choice(g.BANKS)
    city = r.choice(sorted(g.CITIES))
    branch = f"{bank}{city[:-1]}{r.choice(g.CITIES[city])[:-1]}支行"
    person = name(r)
    account = g.account(r)
    if r.random() < 0.4:
        account = account.replace(" ", "")
    opened = min(g.pick_date(r, (2021, 2022, 2023, 2024, 2025, 2026)), LAST_DAY)
    ds = r.choice(g.DATE_STYLES)
    ast = r.choice(["yen", "yuan", "bare", "yen_plain"])
    principal = float(r.choice([5000, 10000, 20000, 30000, 50000, 80000, 100000, 200000, 300000]))
    shown = fmt_amount(principal, ast)
    if layout == "bilingual" and r.random() < 0.4:
        shown = f"{r.choice(['RMB', 'CNY'])} {g.money(principal)}"
    flexible = r.random() < 0.15  # 定活两便: no term and no maturity (起息日, a look-alike date, still printed)
    (words, months, rate) = r.choice(TERMS)
    rate = round(rate + r.choice([0, 0, 0.05, 0.1, -0.05]), 2)
    term = r.choice(words)
    due = plus_months(opened, months)
    interest = round(principal * rate / 100 * months / 12, 2)
    name_label = r.choice(["户名", "户名", "客户名称", "储户姓名"])
    kinds = ["整存整取", "整存整取", "大额存单"] if principal >= 200000 else ["整存整取"]  # 大额存单 from 200,000
    fields = [
        F(r.choice(["存单号", "凭证号码"]), f"{r.randint(10**9, 10**10 - 1)}"),
        F(name_label, person, "户名"),
        F("账号", account, "账号"),
        F("储种", "定活两便" if flexible else r.choice(kinds)),
        F("币种", "人民币 RMB" if layout == "bilingual" else "人民币"),
        F(r.choice(["存入金额", "金额", "本金", "存款金额"]), shown, "存入金额"),
        F("金额大写", f"人民币{g.upper_amount(principal)}"),
    ]
    if not flexible:
        if r.random() >= 0.12:  # some certificates print only the two dates
            fields.append(F("存期", term, "存期"))
        fields.append(F("年利率", f"{rate:.2f}%"))
        if layout != "bilingual" and r.random() < 0.3:  # one field for both dates: the key is the end
            fields.append(F("起止日期", f"{fmt_date(opened, ds)}至{fmt_date(due, ds)}", "到期日", fmt_date(due, ds)))
        else:
            fields += [F("起息日", fmt_date(opened, ds)),
                       F(r.choice(["到期日", "到期日期"]), fmt_date(due, ds), "到期日")]  # fmt: skip
        fields += [F(r.choice(["预计利息", "到期利息"]), fmt_amount(interest, ast)),
                   F("转存方式", r.choice(["约定转存", "自动转存", "不转存"]))]  # fmt: skip
    else:
        fields += [F("起息日", fmt_date(opened, ds)), F("支取方式", "凭密码")]
    fields.append(F(r.choice(["开户行", "开户网点"]), branch))
    printed = datetime.datetime.combine(opened, datetime.time(r.randint(9, 16), r.randint(0, 59)))
    hotline = {"中国工商银行": "95588", "中国建设银行": "95533", "中国农业银行": "95599", "中国银行": "95566",
               "交通银行": "95559", "招商银行": "95555", "兴业银行": "95561", "浦发银行": "95528",
               "中信银行": "95558", "平安银行": "95511"}[bank]  # fmt: skip
    notes = [f"交易时间：{fmt_date(opened, ds)} {printed:%H:%M}", f"经办柜员：{r.randint(1000, 9999)}",
             f"客服热线：{hotline}  网点电话：{g.landline(r)}"]  # fmt: skip
    if layout == "colon":  # the counter's printout, which also prints the depositor's mobile
        fields.insert(3, F("联系电话", g.masked_mobile(g.mobile(r)) if r.random() < 0.5 else g.mobile(r)))
    title = r.choice(["整存整取定期储蓄存单", "定期存单", "个人定期存款开户证实书"])
    spec = page(f"{bank}  {title}" if r.random() < 0.5 else title, [branch] if r.random() < 0.5 else [],
                f"No.{r.randint(10**7, 10**8 - 1)}", layout, notes)  # fmt: skip
    if layout == "bilingual":
        spec["bilingual"] = (r.choice(["beside", "under", "beside"]), " ")
        spec["caps"] = r.random() < 0.6
        if r.random() < 0.4:  # the customer's part in a box of its own
            fields = [section("客户信息"), *fields[1:3], section("存款信息"), fields[0], *fields[3:]]
    return finish(DEPOSIT_KEYS, fields, spec, r, {})


VACCINE_KEYS = ["免疫单位", "免疫证号", "宠物主人", "宠物名", "狂犬疫苗接种日期"]


def vaccine_spec(r: random.Random) -> Spec:
    layout = r.choice(["ledger", "table", "split"])
    city = r.choice(sorted(g.CITY_CODES))
    district = r.choice(g.CITIES[city])
    clinic = f"{r.choice(CLINICS)}（{district[:-1] if len(district) > 2 else district}店）"
    if r.random() < 0.25:
        clinic = f"{city}{district}动物疫病预防控制中心"
    cat = r.random() < 0.3
    kind = "猫" if cat else "犬"
    owner, pet = name(r), r.choice(PETS)
    born = g.pick_date(r, (2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025))
    ds = r.choice(g.DATE_STYLES)
    number = f"{g.CITY_CODES[city][1]}{r.randint(2020, 2026)}{r.randint(1, 99999):05d}"
    chip = f"{r.choice(['900', '156'])}{r.randint(10**11, 10**12 - 1)}"
    vets = [n for n in (name(r) for _ in range(3)) if n != owner] or [name(r) + "医生"]
    # the shots, oldest first: the rabies one (absent on some: a young pet, or a cat given only 猫三联)
    rabies = layout == "table" or r.random() >= 0.2
    end = LAST_DAY - datetime.timedelta(days=r.randint(5, 500))
    given = max(born + datetime.timedelta(days=100), end)
    others = [s for s in OTHER_SHOTS if s[2] in (cat, None)]
    shots = []  # (day, name, maker, days until the next one, vet)
    day = given
    for shot, maker, _, gap in r.sample(others, r.randint(1, min(3, len(others)))):
        day = day - datetime.timedelta(days=r.randint(14, 120))
        shots.append((max(day, born + datetime.timedelta(days=40)), shot, maker, gap, r.choice(vets)))
    if rabies:
        shots.append((given, *r.choice(RABIES), 365, r.choice(vets)))
    shots.sort()
    is_rabies = {shot for shot, _ in RABIES}
    phone = g.mobile(r)
    owner_label = r.choice(["宠物主人", f"{kind}主姓名", "主人姓名", "饲养人"])
    pet_label = r.choice([f"{kind}名", "宠物名", "昵称"])
    info = [
        F(owner_label, owner, "宠物主人"),
        F("联系电话", phone if layout != "split" else g.masked_mobile(phone)),
        F(pet_label, pet, "宠物名"),
        F("品种", r.choice(CATS if cat else DOGS)),
        F("性别", r.choice(["公", "母", "公（已绝育）", "母（已绝育）"])),
        F("毛色", r.choice(COATS)),
        F("出生日期", fmt_date(born, ds)),
        F("芯片号", chip),
    ]
    title_key = None
    if layout == "table":  # the rabies vaccination certificate, one shot
        shot_day, vaccine, maker, _, vet = shots[-1]
        fields = [
            *info,
            F("住址", f"{city}{district}{r.choice(g.ROADS)}{r.randint(1, 399)}号{r.choice(g.COMMUNITIES)}"),
            F(r.choice(["免疫日期", "狂犬病免疫日期", "接种日期"]), fmt_date(shot_day, ds), "狂犬疫苗接种日期"),
            F("疫苗名称", vaccine),
            F("疫苗批号", f"{shot_day.year - 1}{r.randint(1, 12):02d}{r.randint(1, 99):02d}"),
            F("生产厂家", maker),
            F("下次免疫日期", fmt_date(shot_day + datetime.timedelta(days=365), ds)),
            F("免疫兽医", vet),
        ]
        if not cat:
            fields.append(F("养犬登记证号", f"{r.randint(10**6, 10**7 - 1)}"))
        serial = f"No.{number}"  # the number printed at the top right without a label
        if r.random() < 0.5:
            fields.insert(0, F("免疫证号", number, "免疫证号"))
            serial = ""
        title = r.choice([f"{kind}只狂犬病免疫证明", "动物狂犬病免疫证明"])
        spec = page(clinic, [title], serial, layout, [f"发证日期：{fmt_date(shot_day, ds)}",
                                                      f"医院电话：{g.landline(r)}"])  # fmt: skip
        title_key = ("免疫单位", clinic, clinic)
        if r.random() < 0.4:  # the clinic printed after 免疫单位 under the generic title
            spec["title"], spec["header"] = title, [f"免疫单位：{clinic}"]
            title_key = ("免疫单位", f"免疫单位：{clinic}", clinic)
        spec = finish(VACCINE_KEYS, fields, spec, r, {"宠物名": 0.1})
        if serial.startswith("No."):
            spec["values"]["免疫证号"] = number
    elif layout == "ledger":  # a page of the pet's vaccination booklet: one block per shot
        records = []
        for shot_day, shot, maker, gap, vet in shots:
            key = "狂犬疫苗接种日期" if shot in is_rabies else None
            when = fmt_date(shot_day, ds)
            head = ([F("", f"{when}  {shot}", key, when if key else None)] if r.random() < 0.5
                    else [F("", when, key), F("", shot)])  # fmt: skip
            body = [F("批号", f"{shot_day.year - 1}{r.randint(1, 12):02d}{r.randint(1, 99):02d}"),
                    F("厂家", maker), F("兽医", vet),
                    F("下次接种", fmt_date(shot_day + datetime.timedelta(days=gap), ds))]  # fmt: skip
            records += entry(*head, *body)
        fields = [F(r.choice(["免疫证号", "证号"]), number, "免疫证号"), *info, section("免疫记录"), *records]
        spec = page(clinic, [r.choice([f"{kind}只免疫证", "宠物免疫手册", "宠物健康免疫证"])], "", layout,
                    [f"医院电话：{g.landline(r)}", "请按时接种疫苗，携带本证就诊"])  # fmt: skip
        title_key = ("免疫单位", clinic, clinic)
        if r.random() < 0.4:
            spec["title"], spec["header"] = r.choice(["宠物免疫证", f"{kind}只免疫证"]), [f"免疫单位：{clinic}"]
            title_key = ("免疫单位", f"免疫单位：{clinic}", clinic)
        spec = finish(VACCINE_KEYS, fields, spec, r, {"宠物名": 0.1})
    else:  # the clinic's app: the pet's file, then each shot under its name
        fields = [*info[2:], *info[:2], F(r.choice(["免疫证号", "证书编号"]), number, "免疫证号"),
                  F(r.choice(["免疫单位", "接种医院"]), clinic, "免疫单位"), section("免疫记录")]  # fmt: skip
        for shot_day, shot, _, gap, _ in reversed(shots):  # the latest first
            key = "狂犬疫苗接种日期" if shot in is_rabies else None
            fields += [section(shot), F("接种日期", fmt_date(shot_day, ds), key),
                       F("下次接种", fmt_date(shot_day + datetime.timedelta(days=gap), ds))]  # fmt: skip
        spec = page("宠物档案", [r.choice(["电子免疫证", "健康档案  已认证"])], "", layout,
                    [f"客服电话：{g.landline(r)}"], "screen")  # fmt: skip
        spec = finish(VACCINE_KEYS, fields, spec, r, {})
    if title_key:
        spec["title_key"] = title_key
    return spec


TAX_KEYS = ["纳税人名称", "纳税人识别号", "税款所属期", "实缴税额合计", "开具日期"]


def tax_spec(r: random.Random) -> Spec:
    layout = r.choice(["matrix", "seal", "ledger"])
    city = r.choice(sorted(g.CITY_CODES))
    district = r.choice(g.CITIES[city])
    office = f"国家税务总局{city}{district}税务局" if r.random() < 0.6 else f"国家税务总局{city}税务局"
    person = name(r)
    born = datetime.date(r.randint(1965, 2002), r.randint(1, 12), r.randint(1, 28))
    ident = g.id_number(r, g.CITY_CODES[city][1], born)
    year = r.choice([2024, 2025, 2025, 2026])
    first = r.choice([1, 1, 1, 4, 7])
    last = min(12, first + r.randint(2, 11), 10 if year == 2026 else 12)
    if layout == "seal":  # a proof for a quarter or a half-year
        last = min(last, first + 5)
    ms = r.choice(g.DATE_STYLES)
    ast = r.choice(["yen", "yuan", "bare", "yen_plain"])
    a = lambda x: fmt_amount(x, ast)  # noqa: E731
    employer = g.company(r)
    base = r.uniform(9000, 45000)
    records = []
    for m in range(first, last + 1):
        month = datetime.date(year, m, 1)
        side = r.random() < 0.1
        income = round(r.uniform(2000, 9000) if side else base * r.uniform(0.95, 1.1), 2)
        tax = round(income * (0.16 if side else r.uniform(0.02, 0.12)), 2)
        paid_on = datetime.date(year + (m == 12), m % 12 + 1, r.randint(8, 20))
        records.append((month, r.choice(SIDE_INCOMES) if side else "工资薪金所得", income, tax, paid_on,
                        g.company(r) if side else employer))  # fmt: skip
    total = round(sum(rec[3] for rec in records), 2)
    income_total = round(sum(rec[2] for rec in records), 2)
    join = "至" if ms in ("dash", "slash", "dot") else r.choice(["至", "-"])
    period = f"{hg.year_month(records[0][0], ms)}{join}{hg.year_month(records[-1][0], ms)}"
    issued = g.not_after_today(records[-1][4] + datetime.timedelta(days=r.randint(3, 200)))
    shown_total = a(total)
    total_field = F(r.choice(["实缴(退)金额合计", "合计", "实缴税额合计", "金额合计"]), shown_total, "实缴税额合计",
                    g.bare_amount(shown_total))  # fmt: skip
    who = [F(r.choice(["纳税人名称", "纳税人姓名", "姓名"]), person, "纳税人名称"),
           F(r.choice(["纳税人识别号", "身份证件号码", "证件号码"]), ident, "纳税人识别号")]  # fmt: skip
    verify = "".join(r.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(12))
    if layout == "ledger":  # the tax app's records: one card per month
        masked = f"{ident[:4]}{'*' * 10}{ident[-4:]}"
        fields = [who[0], F(who[1].label, masked, "纳税人识别号"),
                  F("税款所属期", period, "税款所属期"), F("收入合计", a(income_total)),
                  F(r.choice(["已缴税额合计", "实缴税额合计"]), shown_total, "实缴税额合计",
                    g.bare_amount(shown_total)), section("纳税明细")]  # fmt: skip
        for month, item, income, tax, paid_on, payer in reversed(records):  # the latest first
            fields += entry(F("", item), F("", a(tax)), F("税款所属期", hg.year_month(month, ms)), F("收入", a(income)),
                            F("入库日期", fmt_date(paid_on, ms)), F("扣缴义务人", payer))  # fmt: skip
        asked = datetime.datetime.combine(issued, datetime.time(r.randint(8, 22), r.randint(0, 59)))
        spec = page("纳税记录", [f"个人所得税  {records[0][0].year}年度"], "", layout,
                    [f"查询时间：{asked:%Y-%m-%d %H:%M}", "纳税服务热线：12366"], "screen")  # fmt: skip
        return finish(TAX_KEYS, fields, spec, r, {})
    if layout == "matrix":  # the record as the tax office prints it: a table of the months
        head = ["序号", "所得项目", "税款所属期", "入库日期", "实缴(退)金额"]
        rows = [[(f"{i + 1}", None, None), (item, None, None), (hg.year_month(month, ms), None, None),
                 (fmt_date(paid_on, ms), None, None), (a(tax), None, None)]
                for i, (month, item, _, tax, paid_on, _) in enumerate(records)]  # fmt: skip
        payers = sorted({rec[5] for rec in records})
        fields = [*who, F("税款所属期", period, "税款所属期"), F("扣缴义务人", "、".join(payers)),
                  *he.matrix("", head, rows), total_field,
                  F("金额合计（大写）", f"人民币{g.upper_amount(total)}"),
                  F(r.choice(["开具日期", "填发日期"]), fmt_date(issued, ms), "开具日期")]  # fmt: skip
        spec = page(r.choice(["中华人民共和国个人所得税纳税记录", "个人所得税纳税记录"]), [f"税务机关：{office}"],
                    f"No.{r.randint(10**14, 10**15 - 1)}", layout,
                    [f"验证码：{verify}", "本记录仅作为纳税人记账、举证使用",
                     f"咨询电话：12366  {g.landline(r)}"])  # fmt: skip
        return finish(TAX_KEYS, fields, spec, r, {})
    # a proof from the tax office: the months as lines, the 落款 (its date unlabelled) under its seal
    lines = [F("", f"{item}  {hg.year_month(month, ms)}  入库 {fmt_date(paid_on, ms)}  {a(tax)}")
             for month, item, _, tax, paid_on, _ in records]  # fmt: skip
    stated = r.random() >= 0.3  # some proofs give each month's period only: 税款所属期 is null
    fields = [F("", "经核实，下列纳税人缴纳个人所得税情况如下，特此证明。"), *who,
              *([F("税款所属期", period, "税款所属期")] if stated else []),
              section("缴纳明细"), *lines, total_field, F("金额合计（大写）", f"人民币{g.upper_amount(total)}"),
              section(hg.SIGN), F("", office),
              F("", fmt_date(issued, r.choice(["ymd_cn", "cn_short"])), "开具日期")]  # fmt: skip
    spec = page(r.choice(["个人所得税完税证明", "税收完税证明"]), [], f"No.{r.randint(10**9, 10**10 - 1)}", layout,
                [f"验证码：{verify}", "纳税服务热线：12366"])  # fmt: skip
    spec["seal"] = (office, "征税专用章")
    return finish(TAX_KEYS, fields, spec, r, {})


TYPES = {
    "passport": g.DocType(
        "passport", PASSPORT_KEYS, passport_spec, ("bilingual", "table", "split"),
        "护照 (passports): a photocopy of the data page, each label with its English over the value and the "
        "machine-readable zone at its foot (bilingual, JPEG), a form with the passport's details (table, JPEG) or "
        "the immigration app's screen (split, PNG). 护照号码 is printed after 护照号, 护照号码 or 证件号码 (and again "
        "inside the machine-readable zone); 出生地点 and 签发地点 are the province in Chinese (浙江/ZHEJIANG -> 浙江); "
        "签发日期 and 有效期至 are the dates as printed (15 1月 /JAN 2019 on the data page); 有效期至 is the end of "
        "有效期限 where one field holds both. Distractors: 类型, 国家码, 姓 and 名 with their pinyin, 姓名拼音, 性别, "
        "出生日期 (another date), 签发机关, the machine-readable zone (the number, the birth and expiry dates as "
        "YYMMDD), 证件状态, the form's date, a mobile and a landline. 签发地点 is null on the app's screens, which "
        "print 签发机关 (a look-alike) instead; 出生地点 is absent on some screens and forms.",
    ),
    "deposit": g.DocType(
        "deposit", DEPOSIT_KEYS, deposit_spec, ("bilingual", "table", "colon"),
        "定期存单 (bank time-deposit certificates), photographed JPEG: a certificate with each label's English "
        "beside or under it (bilingual), a ruled form (table) or the counter's printout (colon). 户名 is printed "
        "after 户名, 客户名称 or 储户姓名; 账号 as printed (in groups of four or not); 存入金额 is the amount as "
        "printed (with ¥, 元, RMB or CNY when printed), after 存入金额, 金额, 本金 or 存款金额; 存期 as printed (三年, "
        "3年, 36个月); 到期日 as printed, the end of 起止日期 where one field holds both. Distractors: 金额大写, "
        "年利率, 预计利息 or 到期利息 (another amount), 起息日 and the 交易时间 (more dates), 存单号 or 凭证号码 (long "
        "numbers), 储种, 转存方式, 开户行, 经办柜员, the hotline, the branch's landline and on printouts the "
        "depositor's mobile. 存期 and 到期日 are null on 定活两便 deposits (起息日, a look-alike date, still "
        "printed); 存期 is absent on some others.",
    ),
    "vaccine": g.DocType(
        "vaccine", VACCINE_KEYS, vaccine_spec, ("ledger", "table", "split"),
        "宠物免疫证 (pet vaccination records): a page of the booklet with one block per shot (ledger, JPEG), the "
        "rabies vaccination certificate (table, JPEG) or the clinic's app (split, PNG). 免疫单位 is the title, "
        "printed after 免疫单位 under a generic title, or after 接种医院 on the app; 免疫证号 is printed after "
        "免疫证号, 证号 or 证书编号, or at the certificate's top right after No.; 宠物主人 after 宠物主人, 犬主姓名, "
        "主人姓名 or 饲养人; 宠物名 after 犬名, 猫名, 宠物名 or 昵称; 狂犬疫苗接种日期 is the date of the rabies "
        "shot (in the booklet the date of its block's head line, 2025-03-12  狂犬病灭活疫苗 -> 2025-03-12; on the "
        "app the 接种日期 under its heading). Distractors: the other shots and treatments with their dates, "
        "下次接种 dates, the pet's 出生日期, 发证日期, 疫苗批号, 芯片号 (a long number), 养犬登记证号, 品种, 毛色, the "
        "vet's name, the owner's mobile and the clinic's landline. 狂犬疫苗接种日期 is null on the records of pets "
        "without a rabies shot (other shots still printed); 宠物名 is absent on some.",
    ),
    "tax": g.DocType(
        "tax", TAX_KEYS, tax_spec, ("matrix", "seal", "ledger"),
        "个人所得税纳税记录 (individual income-tax records): the tax office's record with a table of the months "
        "(matrix, JPEG), a proof with its 落款 under a red round seal (seal, JPEG) or the tax app's records, one card "
        "per month (ledger, PNG). 纳税人名称 is printed after 纳税人名称, 纳税人姓名 or 姓名; 纳税人识别号 is the ID "
        "number as printed (masked on the app), after 纳税人识别号, 身份证件号码 or 证件号码; 税款所属期 is the whole "
        "period as printed (2025-01至2025-12); 实缴税额合计 is the total, the number without ¥ or 元; 开具日期 is the "
        "date after 开具日期 or 填发日期, or the date of the sealed 落款 (no label). Distractors: each month's "
        "所得项目, 税款所属期 (a month), 入库日期 and amount, 收入 and 收入合计, the capital-numeral total, "
        "扣缴义务人, 验证码, No., 12366 and the office's landline. 开具日期 is null on the app, which prints 查询时间 "
        "(a look-alike date) instead; 税款所属期 is null on some proofs, which print each month's period only.",
    ),
}  # fmt: skip
