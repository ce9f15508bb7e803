"""Half E of zh-docs (issue 11): four more held-out document types and two new layout kinds.

``driving`` 驾驶证, ``checkup`` 体检报告, ``fuel`` 加油小票 and ``tuition`` 学费收据, generated
2026-12-02 evening, after halves A-D had all been looked at while tuning; nobody tunes on them
(see ``benchmarks/datasets/zh-docs/SPLIT.md``). They are drawn by ``make_zh_docs.py``'s engine
(fields, :func:`finish`, the page and its layouts) plus two layout kinds no other half has:

- ``prose``: the values inside running sentences, as on a certificate or a handwritten receipt
  (``兹证明 张三 同志于 2016年03月05日 初次领取…``): a field without a label is a clause of the
  paragraph, the part between :data:`ON` and :data:`OFF` is filled in (underlined, never broken
  over two lines); the labelled fields around the paragraph are printed as ``label：value`` lines.
- ``matrix``: a ruled results table, one row per item and a header row naming the columns
  (项目 | 结果 | 单位 | 参考范围): a section whose heading starts with :data:`MATRIX` opens it, and the
  fields after it are its cells, row by row (each cell's label is its column's name); a value is
  found by its row and its column, beside look-alike numbers in the other columns. The fields
  before and after the table are printed as ``label：value`` lines.

Each type draws from its own random stream (``make_zh_docs.doc_rng``), so adding these types
changes no file of the other types. Imported by ``make_zh_docs.py``, which adds :data:`TYPES` and
:data:`LAYOUTS` to its own tables.
"""

from __future__ import annotations

import datetime
import random
import re

import make_zh_docs as g
from make_zh_docs import F, Page, Spec, finish, fmt_amount, fmt_date, page, section
from zh_render import money, name, text_width

# The generator's "today" (as make_zh_docs.not_after_today): nothing is dated later.
LAST_DAY = datetime.date(2026, 11, 30)
# Around the filled-in part of a prose clause (never printed).
ON, OFF = "\x01", "\x02"
# A section heading ``MATRIX + "<columns>:<title>"`` opens a results table; ``END_MATRIX`` closes it.
MATRIX, END_MATRIX = "\x00matrix:", "\x00end-of-matrix"

# ---------------------------------------------------------------------------------------------
# The two new layout kinds
# ---------------------------------------------------------------------------------------------


def blank(text: str) -> str:
    """A clause's filled-in part (between :data:`ON` and :data:`OFF`)."""
    return f"{ON}{text}{OFF}"


def flow(p: Page, clauses: list[str], size: int) -> None:
    """One paragraph of clauses, wrapped at the right margin; filled-in parts underlined and kept whole."""
    fnt, line_h = p.f(size), size + 26
    x, y = p.left + 2 * text_width("中", fnt), p.y + line_h // 2  # a two-character indent
    for part_no, part in enumerate("".join(clauses).replace(OFF, ON).split(ON)):
        filled = part_no % 2 == 1
        pieces = [f" {part} "] if filled else re.findall(r"[0-9０-９A-Za-z.．,]+|.", part)  # numbers kept whole
        for piece in pieces:
            w = text_width(piece, fnt)
            if x + w > p.right:
                x, y = p.left, y + line_h
            p.text((x, y), piece, size, g.INK)
            if filled:
                p.d.line([(x + 4, y + size // 2 + 4), (x + w - 4, y + size // 2 + 4)], fill=g.INK, width=2)
            x += w
    p.y = y + line_h // 2 + 16


def lay_prose(p: Page, fields: list[F], r: random.Random) -> None:
    """Runs of unlabelled clauses as wrapped paragraphs; labelled fields and headings as ``label：value`` lines.

    A section without a heading (``section("")``) ends a paragraph.
    """
    runs: list[list[F]] = []
    for f in fields:
        if f.section and not f.shown:
            runs.append([])
            continue
        if runs and runs[-1] and is_clause(runs[-1][0]) == is_clause(f):
            runs[-1].append(f)
        else:
            runs.append([f])
    for run in runs:
        if not run:
            p.y += 8
        elif is_clause(run[0]):
            flow(p, [c.shown for c in run], 30)
        else:
            g.lay_colon(p, run, r)


def is_clause(f: F) -> bool:
    return not f.label and not f.section


def lay_matrix(p: Page, fields: list[F], r: random.Random) -> None:
    """Results tables (header row of column names, one row per item) between ``label：value`` lines."""
    plain: list[F] = []
    i = 0
    while i < len(fields):
        f = fields[i]
        if not (f.section and f.shown.startswith(MATRIX)):
            if not (f.section and f.shown == END_MATRIX):
                plain.append(f)
            i += 1
            continue
        g.lay_colon(p, plain, r)
        plain = []
        columns, title = f.shown.removeprefix(MATRIX).split(":", 1)
        j = i + 1
        while j < len(fields) and not fields[j].section:
            j += 1
        n = int(columns)
        cells = fields[i + 1 : j]
        draw_matrix(p, title, [cells[k : k + n] for k in range(0, len(cells), n)])
        i = j
    g.lay_colon(p, plain, r)


def draw_matrix(p: Page, title: str, rows: list[list[F]]) -> None:
    """A table ruled above, under its header and below (no vertical rules), as lab reports print them."""
    if title:
        p.text((p.left, p.y + 24), title, 28, g.INK)
        p.y += 52
    size = 24 if p.w < 700 else 26
    head = [c.label for c in rows[0]]
    need = [
        max(text_width(t, p.f(size)) for t in [h, *(row[k].shown for row in rows)]) + 24 for k, h in enumerate(head)
    ]
    scale = min(1.0, (p.right - p.left) / sum(need))  # too wide: every column shrinks (and its text is fitted)
    spare = max(0.0, (p.right - p.left - sum(need)) / len(need))
    xs = [float(p.left)]
    for w in need:
        xs.append(xs[-1] + w * scale + spare)
    row_h = 48
    p.d.line([(p.left, p.y), (p.right, p.y)], fill=g.INK, width=3)
    p.d.rectangle([p.left, p.y + 2, p.right, p.y + row_h], fill="#EEEFF1")
    for k, h in enumerate(head):
        p.text((xs[k] + 8, p.y + row_h // 2), h, size - 2, g.GREY, width=xs[k + 1] - xs[k] - 10)
    p.y += row_h
    p.d.line([(p.left, p.y), (p.right, p.y)], fill=g.RULE, width=2)
    for row in rows:
        for k, cell in enumerate(row):
            p.text((xs[k] + 8, p.y + row_h // 2), cell.shown, size, g.INK, width=xs[k + 1] - xs[k] - 10)
        p.y += row_h
    p.d.line([(p.left, p.y), (p.right, p.y)], fill=g.INK, width=3)
    p.y += 24


LAYOUTS = {"prose": lay_prose, "matrix": lay_matrix}


def matrix(title: str, head: list[str], rows: list[list[tuple[str, str | None, str | None]]]) -> list[F]:
    """The fields of a results table: its opening section, then each row's cells ``(shown, key, value)``."""
    cells = [F(h, shown, key, value) for row in rows for h, (shown, key, value) in zip(head, row, strict=True)]
    return [section(f"{MATRIX}{len(head)}:{title}"), *cells, section(END_MATRIX)]


# ---------------------------------------------------------------------------------------------
# Value pools
# ---------------------------------------------------------------------------------------------

LICENCE_CLASSES = ["C1", "C1", "C1", "C2", "B2", "A1", "A2", "B1", "C1E", "D"]
CENTRES = ["美年大健康", "爱康国宾", "慈铭体检", "瑞慈体检", "卫生服务中心健康管理部", "人民医院体检中心"]
# (item, abbreviation, unit, reference range, low, high, decimals)
LABS = [
    ("白细胞计数", "WBC", "10^9/L", "3.50-9.50", 3.0, 11.0, 2), ("血红蛋白", "HGB", "g/L", "115-175", 105, 180, 0),
    ("血小板计数", "PLT", "10^9/L", "125-350", 110, 380, 0), ("总胆固醇", "TC", "mmol/L", "2.80-5.20", 2.5, 6.8, 2),
    ("甘油三酯", "TG", "mmol/L", "0.45-1.70", 0.4, 3.2, 2), ("谷丙转氨酶", "ALT", "U/L", "9-50", 6, 72, 0),
    ("尿酸", "UA", "μmol/L", "208-428", 180, 520, 0), ("肌酐", "CREA", "μmol/L", "57-111", 45, 125, 0),
]  # fmt: skip
GLUCOSE = ("空腹血糖", "GLU", "mmol/L", "3.90-6.10", 4.1, 7.4, 2)
FUEL_BRANDS = ["中国石化", "中国石油", "中海油", "壳牌", "中化石油", "延长壳牌"]
GRADES = {"92#汽油": (7.2, 7.9), "95#汽油": (7.7, 8.4), "98#汽油": (8.7, 9.4), "0#柴油": (6.9, 7.6),
          "92号车用汽油(VIB)": (7.2, 7.9), "95号车用汽油(VIB)": (7.7, 8.4)}  # fmt: skip
SCHOOLS = ["职业技术学院", "理工学院", "师范学院", "外国语学校", "财经职业学院", "城市学院", "艺术职业学院"]
MAJORS = ["计算机", "会计", "护理", "机电", "英语", "电商", "建筑", "学前教育"]


# ---------------------------------------------------------------------------------------------
# The four types
# ---------------------------------------------------------------------------------------------

DRIVING_KEYS = ["姓名", "证号", "准驾车型", "初次领证日期", "有效期至"]


def driving_spec(r: random.Random) -> Spec:
    layout = r.choice(["card", "prose", "table"])
    person, sex = name(r), r.choice("男女")
    born = datetime.date(r.randint(1965, 2003), r.randint(1, 12), r.randint(1, 28))
    city, _, home = g.city_address(r)
    number = g.id_number(r, g.CITY_CODES[city][1], born)
    first = g.pick_date(r, tuple(range(max(born.year + 18, 2002), 2026)))
    renewals = [d for d in (first, g.plus_years(first, 6), g.plus_years(first, 16)) if d <= LAST_DAY]
    start = r.choice(renewals)
    term = {0: 6, 1: 10}.get(renewals.index(start), 0)
    ds = r.choice(["dash", "slash", "dot", "ymd_cn", "cn_short"])
    end = fmt_date(g.plus_years(start, term), ds) if term else "长期"
    cls = r.choice(LICENCE_CLASSES)
    # the old style prints 有效起始日期 and the term (有效期限 6年): 有效期至 is null, its look-alike printed
    old_style = r.random() < 0.25 and term > 0
    archive = f"{g.CITY_CODES[city][1][:4]}{r.randint(10**7, 10**8 - 1)}"
    issuer = f"{g.CITY_CODES[city][0]}{city}公安局交通警察支队"
    issued = min(start + datetime.timedelta(days=r.randint(300, 2500)), LAST_DAY)
    if layout == "prose":  # a 驾驶证明 letter
        if old_style:
            term_clause = F("", f"驾驶证有效起始日期为{blank(fmt_date(start, ds))}，有效期限{blank(f'{term}年')}。")
        else:
            term_clause = F("", f"驾驶证有效期限自{blank(fmt_date(start, ds))}至{blank(end)}。", "有效期至", end)
        fields = [
            F("", f"兹证明{blank(person)}（性别：{sex}，", "姓名", person),
            F("", f"公民身份号码：{blank(number)}）系我支队管理的机动车驾驶人，", "证号", number),
            F("", f"于{blank(fmt_date(first, ds))}初次领取机动车驾驶证，", "初次领证日期", fmt_date(first, ds)),
            F("", f"准驾车型为{blank(cls)}，", "准驾车型", cls),
            term_clause,
            F("", f"档案编号{blank(archive)}，本记分周期累积记分{blank(str(r.choice([0, 0, 2, 3, 6])))}分。"),
            F("", "特此证明。"),
            section(""),
            F("证明单位", issuer),
            F("出具日期", fmt_date(issued, ds)),
            F("业务咨询电话", r.choice(["12123", g.landline(r)])),
        ]
        spec = page(r.choice(["机动车驾驶人信息证明", "驾驶证明"]), [], f"编号：{r.randint(10**9, 10**10 - 1)}", layout,
                    ["本证明仅证明出具之日的驾驶证状态"])  # fmt: skip
        return finish(DRIVING_KEYS, fields, spec, r, {"初次领证日期": 0.1})
    validity = ([F("有效起始日期", fmt_date(start, ds)), F("有效期限", f"{term}年")] if old_style
                else [F("有效期限", f"{fmt_date(start, ds)}至{end}", "有效期至", end)])  # fmt: skip
    fields = [
        F("证号", number, "证号"),
        F("姓名", person, "姓名"),
        F("性别", sex),
        F("国籍", "中国"),
        F("住址", home),
        F("出生日期", fmt_date(born, ds)),
        F("初次领证日期", fmt_date(first, ds), "初次领证日期"),
        F("准驾车型", cls, "准驾车型"),
        *validity,
    ]
    if layout == "card":  # a photocopy of the licence and its 副页
        trainee = F("记录", f"实习期至{fmt_date(g.plus_years(first, 1), ds)}")
        fields += [section("副页"), F("档案编号", archive), trainee]
        spec = page("中华人民共和国机动车驾驶证", ["Driving License of the People's Republic of China"], "", layout,
                    [f"发证机关：{issuer}", f"复印日期：{fmt_date(issued, 'dash')}"])  # fmt: skip
        spec["card_mark"] = "photo"
    else:  # a registration form
        fields += [F("档案编号", archive), F("联系电话", g.mobile(r)), F("发证机关", issuer)]
        if r.random() < 0.35:  # values in another order: the name first
            fields = [fields[1], fields[0], *fields[2:]]
        spec = page(r.choice(["驾驶人信息登记表", "驾驶员档案登记表"]), [f"登记单位：{g.company(r)}"],
                    f"No.{r.randint(100000, 999999)}", layout, [f"登记日期：{fmt_date(issued, ds)}"])  # fmt: skip
    return finish(DRIVING_KEYS, fields, spec, r, {"初次领证日期": 0.1})


CHECKUP_KEYS = ["体检编号", "姓名", "体检日期", "联系电话", "空腹血糖"]


def lab_value(r: random.Random, lab: tuple) -> tuple[str, str]:
    """A result drawn inside (mostly) or outside its reference range, and its flag (↑, ↓ or nothing)."""
    *_, ref, lo, hi, dec = lab
    x = round(r.uniform(lo, hi), dec)
    a, b = (float(v) for v in ref.split("-"))
    return (f"{x:.{dec}f}" if dec else f"{int(x)}"), ("↑" if x > b else "↓" if x < a else "")


def checkup_spec(r: random.Random) -> Spec:
    layout = r.choice(["matrix", "colon", "split"])
    city, district, _ = g.city_address(r)
    centre = f"{r.choice(CENTRES)}（{city[:-1]}{district}）"
    person, sex = name(r), r.choice("男女")
    age = r.randint(22, 68)
    exam = min(g.pick_date(r), LAST_DAY - datetime.timedelta(days=12))
    reported = exam + datetime.timedelta(days=r.randint(3, 12))
    ds = r.choice(g.DATE_STYLES)
    number = f"TJ{exam:%y%m%d}{r.randint(0, 9999):04d}" if r.random() < 0.5 else f"{r.randint(10**9, 10**10 - 1)}"
    labs = r.sample(LABS, r.randint(3, 5))
    with_glucose = r.random() >= 0.2  # without it, 尿糖 (a look-alike) is still printed
    if with_glucose:
        labs.insert(r.randint(0, len(labs)), GLUCOSE)
    abbr = r.random() < 0.5
    rows = []
    for lab in labs:
        value, flag = lab_value(r, lab)
        item = f"{lab[0]}({lab[1]})" if abbr else lab[0]
        rows.append((item, value, lab[2], lab[3], flag, "空腹血糖" if lab is GLUCOSE else None))
    urine = r.choice(["阴性(-)", "阴性(-)", "弱阳性(±)"])
    head = [F("体检编号", number, "体检编号"), F("姓名", person, "姓名"), F("性别", sex), F("年龄", f"{age}岁"),
            F("联系电话", g.mobile(r), "联系电话"), F("单位", g.company(r)),
            F("体检日期", fmt_date(exam, ds), "体检日期")]  # fmt: skip
    general = [F("身高", f"{r.randint(152, 186)}cm"), F("体重", f"{r.uniform(45, 92):.1f}kg"),
               F("血压", f"{r.randint(100, 145)}/{r.randint(62, 92)}mmHg")]  # fmt: skip
    if layout == "matrix":
        cells = [[(it, None, None), (v, k, v), (u, None, None), (ref, None, None), (fl, None, None)]
                 for it, v, u, ref, fl, k in rows]  # fmt: skip
        cells.append([("尿糖(GLU)" if abbr else "尿糖", None, None), (urine, None, None), ("", None, None),
                      ("阴性(-)", None, None), ("", None, None)])  # fmt: skip
        results = matrix("检验结果", ["项目", "结果", "单位", "参考范围", "提示"], cells)
    else:
        sep = "  参考值 " if layout == "colon" else " "
        results = [section("检验结果")]
        results += [F(it, f"{v} {u}{sep}{ref if layout == 'colon' else ''}{fl}".rstrip(), k, v if k else None)
                    for it, v, u, ref, fl, k in rows]  # fmt: skip
        results.append(F("尿糖", urine))
    fields = [*head, section("一般检查"), *general, *results,
              section("主检结论"), F("报告日期", fmt_date(reported, ds)), F("主检医生", name(r))]  # fmt: skip
    hotline = g.landline(r)
    spec = page(centre, [r.choice(["健康体检报告", "体检报告单", "个人健康体检报告"])], "", layout,
                [f"体检中心 联系电话：{hotline}", "本报告仅对本次检查负责"],
                "screen" if layout == "split" else "paper")  # fmt: skip
    return finish(CHECKUP_KEYS, fields, spec, r, {"联系电话": 0.15})


FUEL_KEYS = ["油站名称", "油品", "加油量", "实付金额", "卡号后四位"]


def fuel_spec(r: random.Random) -> Spec:
    layout = r.choice(["split", "leader", "matrix"])
    city = r.choice(sorted(g.CITIES))
    station = f"{r.choice(FUEL_BRANDS)}{city[:-1]}{r.choice(g.ROADS)}加油站"
    grade = r.choice(sorted(GRADES))
    price = round(r.uniform(*GRADES[grade]), 2)
    litres = round(r.uniform(8.0, 62.0), 2)
    due = round(litres * price, 2)
    off = r.choice([0.0, 0.0, round(litres * 0.3, 2), 5.0, 10.0])
    paid = round(due - off, 2)
    ast = r.choice(["yen", "yuan", "bare", "yen_plain"])
    unit = r.choice(["L", "升"])
    when = datetime.datetime.combine(min(g.pick_date(r), LAST_DAY), datetime.time(r.randint(6, 22), r.randint(0, 59)))
    ds = r.choice(["dash", "slash", "ymd_cn", "dot"])
    pump = f"{r.randint(1, 16)}"
    head = [F("流水号", f"{r.randint(10**11, 10**12 - 1)}"), F("交易时间", f"{fmt_date(when.date(), ds)} {when:%H:%M}")]
    if layout == "matrix":
        body = matrix("", ["油品", "枪号", "单价", f"升数({unit})", "金额"],
                      [[(grade, "油品", grade), (pump, None, None), (f"{price:.2f}", None, None),
                        (f"{litres:.2f}", "加油量", f"{litres:.2f}"), (money(due), None, None)]])  # fmt: skip
    else:
        body = [F("油枪", f"{pump}号"), F("油品", grade, "油品"), F("单价", f"{price:.2f}元/升"),
                F(r.choice(["数量", "升数", "加油量"]), f"{litres:.2f}{unit}", "加油量"),
                F("应付金额", fmt_amount(due, ast))]  # fmt: skip
    pay = [F("优惠金额", "-" + fmt_amount(off, ast))] if off else []
    pay.append(F("实付金额", fmt_amount(paid, ast), "实付金额"))
    if r.random() < 0.6:  # paid by the fuel card: the key is the last four digits of its number
        card = f"1000{r.randint(10**11, 10**12 - 1)}"
        grouped = " ".join(card[i : i + 4] for i in range(0, 16, 4))
        shown = grouped if r.random() < 0.5 else card[:4] + "********" + card[-4:]
        pay += [F("支付方式", "加油卡"), F("卡号", shown, "卡号后四位", card[-4:]),
                F("卡余额", fmt_amount(round(r.uniform(20, 3000), 2), ast))]  # fmt: skip
    else:  # no card: the member's masked mobile (a look-alike of a masked card number) is printed
        way = r.choice(["微信支付", "支付宝", "现金", "银联卡"])
        pay += [F("支付方式", way), F("会员手机", g.masked_mobile(g.mobile(r)))]
    fields = [*head, *body, *pay]
    hotline = {"中国石化": "95105888", "中国石油": "95504"}.get(station[:4], "400-" + f"{r.randint(1000000, 9999999)}")
    spec = page(station, [r.choice(["加油凭证", "欢迎光临", "销售小票"])], "", layout,
                [f"打印时间：{fmt_date(when.date(), ds)} {when:%H:%M}", f"油站电话：{g.landline(r)}",
                 f"客服热线：{hotline}", "请妥善保管，开票请扫码"])  # fmt: skip
    spec["title_key"] = ("油站名称", station, station)
    if r.random() < 0.3:  # the station printed only after 站点, under a generic title
        spec["title"], spec["header"] = r.choice(["加油小票", "加油凭条"]), [f"站点：{station}"]
        spec["title_key"] = ("油站名称", f"站点：{station}", station)
    spec["width"] = 560  # a till slip
    return finish(FUEL_KEYS, fields, spec, r, {})


TUITION_KEYS = ["学生姓名", "学号", "学年", "合计金额", "收款日期"]


def tuition_spec(r: random.Random) -> Spec:
    layout = r.choice(["prose", "matrix", "colon"])
    city = r.choice(sorted(g.CITIES))
    school = f"{city[:-1]}{r.choice(SCHOOLS)}"
    student, cashier = name(r), name(r)
    entered = r.choice([2022, 2023, 2024, 2025, 2026])
    year = max(entered, r.choice([2025, 2026]))
    span = f"{year}-{year + 1}"
    with_id = r.random() >= 0.15  # a freshman's receipt prints the 考生号 (another long number) instead
    sid = f"{entered}{r.randint(10**5, 10**6 - 1)}"
    exam_no = f"{entered % 100}{g.CITY_CODES[city][1][:2]}{r.randint(10**9, 10**10 - 1)}"
    ident = F("学号", sid, "学号") if with_id else F("考生号", exam_no)
    fees = [("学费", float(r.choice([4800, 5500, 6000, 6800, 8500, 12000, 15000]))),
            ("住宿费", float(r.choice([800, 1000, 1200, 1500, 1800])))]  # fmt: skip
    if r.random() < 0.6:
        fees.append(("教材费", float(r.randint(30, 60) * 10)))
    total = round(sum(a for _, a in fees), 2)
    ast = r.choice(["yen", "yuan", "bare", "yen_plain"])
    printed = fmt_amount(total, ast)
    paid_on = min(datetime.date(year, r.choice([7, 8, 9, 9]), r.randint(1, 28)), LAST_DAY)
    ds = r.choice(g.DATE_STYLES)
    klass = f"{r.choice(MAJORS)}{entered % 100}{r.randint(1, 6):02d}班"
    tail = [F("收款单位", f"{school}财务处"), F("收款人", cashier), F("收款日期", fmt_date(paid_on, ds), "收款日期"),
            F("缴款方式", r.choice(["微信", "支付宝", "银行卡", "现金"]))]  # fmt: skip
    if layout == "prose":
        label = "学号" if with_id else "考生号"
        items = "、".join(f"{it}{money(a)}元" for it, a in fees)
        fields = [
            F("", f"今收到{blank(klass)}{blank(student)}同学", "学生姓名", student),
            F("", f"（{label}：{blank(sid if with_id else exam_no)}）", *(("学号", sid) if with_id else ())),
            F("", f"交来{blank(span)}学年费用（{items}），", "学年", span),
            F("", f"合计人民币（大写）{blank(g.upper_amount(total))}，"),
            F("", f"（小写）{blank(printed)}。", "合计金额", g.bare_amount(printed)),
            section(""),
            *tail,
        ]
    else:
        head = [F("学生姓名", student, "学生姓名"), ident, F("班级", klass), F("学年", span, "学年")]
        if layout == "matrix":
            rows = [[(it, None, None), (fmt_amount(a, ast), None, None), (f"{span}学年", None, None)] for it, a in fees]
            rows.append([("合计", None, None), (printed, "合计金额", g.bare_amount(printed)), ("", None, None)])
            body = matrix("", ["收费项目", "金额", "备注"], rows)
        else:
            body = [F(it, fmt_amount(a, ast)) for it, a in fees]
            body.append(F("合计金额", printed, "合计金额", g.bare_amount(printed)))
        fields = [*head, *body, F("金额大写", g.upper_amount(total)), *tail]
    kind, serial = r.choice(["学费收据", "收费收据", "学杂费缴费凭证"]), f"No.{r.randint(10**7, 10**8 - 1)}"
    notes = [f"财务处电话：{g.landline(r)}", r.choice(["本收据加盖财务专用章有效", "第二联 交款人"])]
    spec = page(school, [kind], serial, layout, notes)
    return finish(TUITION_KEYS, fields, spec, r, {})


TYPES = {
    "driving": g.DocType(
        "driving", DRIVING_KEYS, driving_spec, ("card", "prose", "table"),
        "驾驶证 (driving licences): a photocopy of the card and its 副页 (card), a 驾驶证明 letter in which the values "
        "stand inside the sentences (prose), or a registration form (table); photographed JPEG. 证号 is the "
        "licence number (the holder's ID number; the letter calls it 公民身份号码); 有效期至 is the end of 有效期限 "
        "(2020-03-08至2030-03-08 -> 2030-03-08, or 长期). Distractors: 出生日期 and the start of 有效期限 (more "
        "dates), 出具日期 or the copy's date, 档案编号, 住址, 发证机关, the 实习期 date on the 副页. 有效期至 is "
        "null on the old style, which prints 有效起始日期 and 有效期限 6年 (a term, no end date); 初次领证日期 is "
        "absent on some.",
    ),
    "checkup": g.DocType(
        "checkup", CHECKUP_KEYS, checkup_spec, ("matrix", "colon", "split"),
        "体检报告 (health check-up reports): a results table with the columns 项目, 结果, 单位, 参考范围, 提示 "
        "(matrix, JPEG), lines (colon, JPEG) or an app screen (split, PNG). 空腹血糖 is the result alone (5.32, "
        "without the unit or the reference range); 联系电话 is the examinee's mobile (the centre's landline is printed "
        "under the same label at the foot). Distractors: the other results and their reference ranges (3.90-6.10), "
        "身高, 体重, 血压, 年龄, 报告日期 (a second date), 体检编号 made of TJ and the date's digits, 单位, 主检医生. "
        "空腹血糖 is not printed on some reports (尿糖, a look-alike, still is); 联系电话 is absent on some.",
    ),
    "fuel": g.DocType(
        "fuel", FUEL_KEYS, fuel_spec, ("split", "leader", "matrix"),
        "加油小票 (petrol-station till slips, 560 px wide), photographed JPEG; in the matrix layout the item is a row "
        "under the columns 油品, 枪号, 单价, 升数, 金额. 油站名称 is the title, or printed after 站点 under a generic "
        "title; 实付金额 is as printed (with ¥ or 元 when printed); 加油量 as printed (35.62L, 35.62升, or 35.62 "
        "under 升数(L)); 卡号后四位 is the last four digits of the fuel card (printed in full or masked). Distractors: "
        "单价, 应付金额, 优惠金额, 卡余额, the 打印时间, 流水号, 枪号, the station's landline and hotline. 卡号后四位 "
        "is null when no fuel card paid (the member's masked mobile, a look-alike, is printed instead).",
    ),
    "tuition": g.DocType(
        "tuition", TUITION_KEYS, tuition_spec, ("prose", "matrix", "colon"),
        "学费收据 (tuition receipts), photographed JPEG: a 今收到… receipt whose values stand inside the sentence "
        "(prose), a table of fee items (matrix) or lines (colon). 合计金额 is the bare number of the total (printed "
        "with ¥, 元 or nothing); 学年 is the school year's two years (2026-2027). Distractors: 学费, 住宿费, 教材费 "
        "(the items' amounts), the total in capital numerals, 班级, the year inside 学号, 收款人, the 财务处 landline. "
        "学号 is absent on some receipts, which print 考生号 (another long number) instead.",
    ),
}  # fmt: skip
