"""The held-out Chinese documents (zh-docs, halves A to H) and the injection set: reproducible and readable."""

from __future__ import annotations

import difflib
import importlib.util
import json
import re
import sys
import unicodedata
from pathlib import Path

import pytest

from ocr_kie import PPOCRLoader
from ocr_kie.evaluation import load_dataset, load_labelled_dataset, value_in_text
from ocr_kie.examples import load_examples
from ocr_kie.ocr import get_engine

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "datasets" / "zh-docs"
INJECTIONS = ROOT / "benchmarks" / "datasets" / "injections"
HELDOUT = ROOT / "benchmarks" / "datasets" / "injections-heldout"
HELDOUT2 = ROOT / "benchmarks" / "datasets" / "injections-heldout-2"  # no extraction run on it: OCR only
EARLIER_STYLES = {"plain", "split", "label", "table", "adjacent", "sameline", "small"}
HALVES = {
    "A": ["waybill", "takeout", "rent", "itinerary"],
    "B": ["payslip", "clinic", "bankslip", "hotel"],
    "C": ["idcard", "license", "taxi", "vehicle"],  # held out: generated after A and B were tuned on
    "D": ["utility", "policy", "pharmacy", "delivery"],  # held out: generated after C was reported
    "E": ["driving", "checkup", "fuel", "tuition"],  # held out: generated after A-D were all looked at
    "F": ["parking", "marriage", "repair", "cinema"],  # held out: generated after E, since reported once
    "G": ["property", "phonebill", "social", "register"],  # held out: generated after F, since reported once
    "H": ["passport", "deposit", "vaccine", "tax"],  # held out: generated after G, since reported once
}
TYPES = [t for half in HALVES.values() for t in half]
ZH_KIE_KEYS = {"bill", "ticket", "receipt"}
FOLD = str.maketrans("０１２３４５６７８９", "0123456789")


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _meta(doc_type: str) -> dict:
    return json.loads((DATA / doc_type / "dataset.json").read_text(encoding="utf-8"))


REPRODUCED = ["takeout", "bankslip", "license", "taxi", "policy", "delivery", "driving", "tuition"]


@pytest.mark.parametrize("doc_type", [*REPRODUCED, *HALVES["F"], *HALVES["G"], *HALVES["H"]])
def test_generator_reproduces_the_committed_files(tmp_path, doc_type):
    gen = _script("make_zh_docs")
    assert gen.main(["--subset", doc_type, "--count", "2", "--out", str(tmp_path)]) == 0
    out, committed = tmp_path / doc_type, DATA / doc_type
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert len([w for w in written if w.startswith("images/")]) == 2
    assert len([w for w in written if w.startswith("examples/")]) == 5
    for name in written:
        if name == "dataset.json":  # holds the count
            continue
        assert (out / name).read_bytes() == (committed / name).read_bytes(), name


def test_split_names_every_type_once():
    split = (DATA / "SPLIT.md").read_text(encoding="utf-8")
    line = next(ln for ln in split.splitlines() if ln.startswith("Machine-readable"))
    halves = {h: line.split(f"half {h} = `")[1].split("`")[0].split() for h in HALVES}
    assert halves == HALVES
    assert sorted(p.name for p in DATA.iterdir() if p.is_dir()) == sorted(TYPES) and len(set(TYPES)) == 32
    assert not ZH_KIE_KEYS & set(TYPES)


def test_half_c_brings_layouts_no_tuned_type_has_and_every_kind_of_difficulty():
    gen = _script("make_zh_docs")
    old = {lay for t in HALVES["A"] + HALVES["B"] for lay in _meta(t)["layouts"]}
    new = {lay for t in HALVES["C"] for lay in _meta(t)["layouts"]}
    assert {"card", "below"} <= new - old
    assert all(len(_meta(t)["layouts"]) == 3 for t in HALVES["C"])
    specs = [gen.spec_only(gen.TYPES[t], gen.DEFAULT_SEED, f"{i:03d}") for t in HALVES["C"] for i in range(20)]
    assert {s["layout"] for s in specs} == new  # every layout is drawn
    fields = [f for s in specs for f in s["fields"] if f.key]
    # a sub-span answer (the end of 有效期限, the VIN's last six, the first half of 上下车) ...
    subspans = {f.key for f in fields if f.value and f.value != f.shown and f.value in f.shown}
    assert {"有效期至", "车架号后六位", "上车时间"} <= subspans
    assert any(s.get("title_key") and s["title"] == s["title_key"][2] for s in specs)  # ... a key as the title
    labels = [lab for t in HALVES["C"] for lab in (d.labels for d in load_dataset(DATA / t))]
    values = [v.translate(FOLD) for lab in labels for v in lab.values() if v]
    assert sum(lab[k] is None for lab in labels for k in lab) >= 10  # absent keys
    assert all(any(sep in v for v in values if v[:2] in ("19", "20")) for sep in ("-", "/", "年", "."))  # dates
    amounts = [lab["金额"] for lab in labels if lab.get("金额")]
    assert any(a.startswith("¥") for a in amounts) and any(a.endswith("元") for a in amounts)
    assert any(a[-1].isdigit() and a[0].isdigit() for a in amounts)
    raw = [v for lab in labels for v in lab.values() if v]
    assert any(any("０" <= ch <= "９" for ch in v) for v in raw)  # full-width digits


def test_half_d_brings_leader_and_boxes_layouts_no_other_half_has_and_every_kind_of_difficulty():
    gen = _script("make_zh_docs")
    old = {lay for t in HALVES["A"] + HALVES["B"] + HALVES["C"] for lay in _meta(t)["layouts"]}
    new = {lay for t in HALVES["D"] for lay in _meta(t)["layouts"]}
    assert {"leader", "boxes"} <= new - old
    assert all(len(_meta(t)["layouts"]) == 3 for t in HALVES["D"])
    specs = {t: [gen.spec_only(gen.TYPES[t], gen.DEFAULT_SEED, f"{i:03d}") for i in range(20)] for t in HALVES["D"]}
    assert {s["layout"] for ss in specs.values() for s in ss} == new  # every layout is drawn
    fields = [f for ss in specs.values() for s in ss for f in s["fields"] if f.key]
    # a sub-span answer (the end of 保险期间), bare amounts whatever is printed, amounts kept as printed ...
    assert {f.key for f in fields if f.value and f.value != f.shown and f.value in f.shown} >= {"保险期间至"}
    assert {f.key for f in fields if f.value and f.value != f.shown and not f.shown.endswith(f.value)} >= {"保险费"}
    kept = [f.shown for f in fields if f.key in ("缴费金额", "合计金额", "医保支付")]
    assert any(v.startswith("¥") for v in kept) and any(v.endswith("元") for v in kept)
    assert any(s.get("title_key") and s["title"] == s["title_key"][2] for s in specs["pharmacy"])  # a title key
    assert any(s.get("title_key") and s["title"] != s["title_key"][2] for s in specs["pharmacy"])  # ... or 门店：
    # a null key whose look-alike is printed: self-paid slips print 医保类别：自费, IC-card meters 上期读数 only
    selfpaid = [s for s in specs["pharmacy"] if s["values"]["医保支付"] is None]
    assert selfpaid and all(any(f.label == "医保类别" for f in s["fields"]) for s in selfpaid)
    prepaid = [s for s in specs["utility"] if s["values"]["本期读数"] is None]
    assert prepaid and all(any(f.label == "上期读数" for f in s["fields"]) for s in prepaid)
    # the key's label printed twice (the sender's landline and the receiver's mobile, both 联系电话)
    for s in specs["delivery"]:
        phones = [f for f in s["fields"] if f.label == "联系电话"]
        assert len(phones) == 2 - (s["values"]["联系电话"] is None) and sum(bool(f.key) for f in phones) <= 1
    labels = [d.labels for t in HALVES["D"] for d in load_dataset(DATA / t)]
    values = [v.translate(FOLD) for lab in labels for v in lab.values() if v]
    assert sum(lab[k] is None for lab in labels for k in lab) >= 10  # absent keys
    assert all(any(sep in v for v in values if v[:2] in ("20",)) for sep in ("-", "/", "年", "."))  # dates
    assert any(any("０" <= ch <= "９" for ch in v) for lab in labels for v in lab.values() if v)  # full-width


def test_half_e_brings_prose_and_matrix_layouts_no_other_half_has_and_every_kind_of_difficulty():
    gen = _script("make_zh_docs")
    half_e = gen.sys.modules["zh_docs_half_e"]
    old = {lay for h in "ABCD" for t in HALVES[h] for lay in _meta(t)["layouts"]}
    new = {lay for t in HALVES["E"] for lay in _meta(t)["layouts"]}
    assert {"prose", "matrix"} <= new - old
    assert all(len(_meta(t)["layouts"]) == 3 for t in HALVES["E"])
    specs = {t: [gen.spec_only(gen.TYPES[t], gen.DEFAULT_SEED, f"{i:03d}") for i in range(20)] for t in HALVES["E"]}
    assert {s["layout"] for ss in specs.values() for s in ss} == new  # every layout is drawn
    fields = {t: [f for s in ss for f in s["fields"] if f.key] for t, ss in specs.items()}
    keyed = [f for fs in fields.values() for f in fs]
    # prose: keyed values inside unlabelled clauses, filled in; matrix: a keyed cell labelled by its column
    prose = [f for f in keyed if not f.label and f.value and f.value in f.shown and half_e.ON in f.shown]
    assert {f.key for f in prose} >= {"姓名", "证号", "有效期至", "学生姓名", "合计金额"}
    assert {(f.key, f.label) for f in keyed} >= {("空腹血糖", "结果"), ("加油量", "升数(L)"), ("合计金额", "金额")}
    # sub-spans (the end of 有效期限, a card's last four, a result without its unit), bare and kept amounts
    subspans = {f.key for f in keyed if f.value and f.value != f.shown and f.value in f.shown and f.label}
    assert {"有效期至", "卡号后四位", "空腹血糖"} <= subspans
    bare = [f for f in fields["tuition"] if f.key == "合计金额"]
    assert any("¥" in f.shown for f in bare) and any("元" in f.shown for f in bare)
    assert all(f.value and f.value[0] not in "¥（" and not f.value.endswith("元") for f in bare)
    kept = [f.shown for f in fields["fuel"] if f.key == "实付金额"]
    assert any(v.startswith("¥") for v in kept) and any(v.endswith("元") for v in kept)
    titles = [s["title_key"] for s in specs["fuel"]]  # the station as the title, or after 站点 under a generic one
    assert {t[1] == t[2] for t in titles} == {True, False}
    # null keys whose look-alike is printed
    look_alike = {
        "driving": ("有效期至", "有效期限"),
        "fuel": ("卡号后四位", "会员手机"),
        "tuition": ("学号", "考生号"),
    }
    for doc_type, (key, label) in look_alike.items():
        absent = [s for s in specs[doc_type] if s["values"][key] is None]
        assert absent and all(any(label in f.label or label in f.shown for f in s["fields"]) for s in absent)
    # 联系电话 printed twice on a report: the examinee's mobile (the key) and the centre's landline at the foot
    for s in specs["checkup"]:
        assert any("联系电话" in note for note in s["notes"])
        assert (s["values"]["联系电话"] is None) == (not any(f.label == "联系电话" for f in s["fields"]))
    labels = [d.labels for t in HALVES["E"] for d in load_dataset(DATA / t)]
    values = [v.translate(FOLD) for lab in labels for v in lab.values() if v]
    assert sum(lab[k] is None for lab in labels for k in lab) >= 10  # absent keys
    dates = [v for v in values if v[:2] == "20" and len(v) >= 8 and not v[4:5].isdigit()]
    assert all(any(sep in v for v in dates) for sep in ("-", "/", "年", "."))  # dates in four formats
    assert any(any("０" <= ch <= "９" for ch in v) for lab in labels for v in lab.values() if v)  # full-width


def test_half_f_brings_grid_and_caption_layouts_no_other_half_has_and_every_kind_of_difficulty():
    gen = _script("make_zh_docs")
    old = {lay for h in "ABCDE" for t in HALVES[h] for lay in _meta(t)["layouts"]}
    new = {lay for t in HALVES["F"] for lay in _meta(t)["layouts"]}
    assert {"grid", "caption"} <= new - old
    assert all(len(_meta(t)["layouts"]) == 3 for t in HALVES["F"])
    specs = {t: [gen.spec_only(gen.TYPES[t], gen.DEFAULT_SEED, f"{i:03d}") for i in range(20)] for t in HALVES["F"]}
    assert {s["layout"] for ss in specs.values() for s in ss} == new  # every layout is drawn
    fields = {t: [f for s in ss for f in s["fields"] if f.key] for t, ss in specs.items()}
    keyed = [f for fs in fields.values() for f in fs]
    # sub-spans: the entry's time of 入场时间 2026-03-08 08:12 or of 入场 08:12 出场 10:40, the seat of 3号厅 7排12座,
    # the name of 送修人/电话 张三 / 138…
    subspans = {f.key for f in keyed if f.value and f.value != f.shown and f.value in f.shown}
    assert {"入场时间", "座位号", "送修人"} <= subspans
    assert any(f.key == "入场时间" and not f.label and "出场" in f.shown for f in keyed)
    # bare amounts whatever is printed (parking, cinema), an amount kept as printed (repair)
    for key in ("实收金额", "票价"):
        bare = [f for f in keyed if f.key == key]
        assert any("¥" in f.shown for f in bare) and any("元" in f.shown for f in bare), key
        assert all(f.value and f.value[0] != "¥" and not f.value.endswith("元") for f in bare), key
    kept = [f for f in fields["repair"] if f.key == "结算金额"]
    assert all(f.value is None for f in kept)
    assert any(f.shown.startswith("¥") for f in kept) and any(f.shown.endswith("元") for f in kept)
    for doc_type in ("parking", "cinema"):  # the name as the title, or after 停车场：/影院： under a generic one
        assert {s["title_key"][1] == s["title_key"][2] for s in specs[doc_type]} == {True, False}
    # null keys whose look-alike is printed
    look_alike = {
        "parking": ("入场时间", "出场时间"),
        "marriage": ("结婚证字号", "登记档案号"),
        "repair": ("送修人", "车主"),
        "cinema": ("票价", "服务费"),
    }
    for doc_type, (key, label) in look_alike.items():
        absent = [s for s in specs[doc_type] if s["values"][key] is None]
        assert absent and all(any(f.label == label for f in s["fields"]) for s in absent), doc_type
    # 姓名 printed twice with different values: the man's and the woman's (told apart by 性别 or the heading)
    for s in specs["marriage"]:
        names = [f for f in s["fields"] if f.label == "姓名"]
        assert [f.key for f in names] in (["男方姓名", "女方姓名"], ["女方姓名", "男方姓名"])
        assert names[0].shown != names[1].shown and s["values"]["持证人"] in (names[0].shown, names[1].shown)
        assert sum(f.label == "出生日期" for f in s["fields"]) == 2
    assert any(s["values"]["持证人"] == s["values"]["女方姓名"] for s in specs["marriage"])
    assert any(s["values"]["持证人"] == s["values"]["男方姓名"] for s in specs["marriage"])
    # a landline next to a mobile (the customer's mobile, the workshop's 服务电话)
    for s in specs["repair"]:
        assert any("服务电话：0" in note for note in s["notes"])
        assert any(re.search(r"1\d{10}", f.shown.translate(FOLD)) for f in s["fields"])
    labels = [d.labels for t in HALVES["F"] for d in load_dataset(DATA / t)]
    values = [v.translate(FOLD) for lab in labels for v in lab.values() if v]
    assert sum(lab[k] is None for lab in labels for k in lab) >= 10  # absent keys
    dates = [v for v in values if v[:2] == "20" and len(v) >= 8 and not v[4:5].isdigit()]
    assert all(any(sep in v for v in dates) for sep in ("-", "/", "年", "."))  # dates in four formats
    for s in specs["marriage"] + specs["repair"]:  # three or more dates (the key's among them)
        printed = " ".join([*(f.shown for f in s["fields"]), *s["notes"]]).translate(FOLD)
        assert len(re.findall(r"(?:19|20)\d\d[-/.年]\d", printed)) >= 3
    assert any(any("０" <= ch <= "９" for ch in v) for lab in labels for v in lab.values() if v)  # full-width


def test_half_g_brings_spaced_and_seal_layouts_no_other_half_has_and_every_kind_of_difficulty():
    gen = _script("make_zh_docs")
    half_g = gen.sys.modules["zh_docs_half_g"]
    old = {lay for h in "ABCDEF" for t in HALVES[h] for lay in _meta(t)["layouts"]}
    new = {lay for t in HALVES["G"] for lay in _meta(t)["layouts"]}
    assert {"spaced", "seal"} <= new - old
    assert all(len(_meta(t)["layouts"]) == 3 for t in HALVES["G"])
    specs = {t: [gen.spec_only(gen.TYPES[t], gen.DEFAULT_SEED, f"{i:03d}") for i in range(20)] for t in HALVES["G"]}
    assert {s["layout"] for ss in specs.values() for s in ss} == new  # every layout is drawn
    fields = {t: [f for s in ss for f in s["fields"] if f.key] for t, ss in specs.items()}
    keyed = [f for fs in fields.values() for f in fs]
    # seal: the 落款 (the issuer and the date, no labels) after the SIGN section, the seal naming the issuer; the
    # same date is labelled in the other layouts
    for doc_type, key in (("property", "登记日期"), ("social", "出具日期")):
        for s in specs[doc_type]:
            heads = [f.shown for f in s["fields"] if f.section]
            if s["layout"] != "seal":
                assert half_g.SIGN not in heads and all(f.label for f in s["fields"] if f.key == key)
                continue
            sign = s["fields"][[f.shown for f in s["fields"]].index(half_g.SIGN) + 1 :]
            assert [f.key for f in sign] == [None, key] and not any(f.label for f in sign), doc_type
            assert s["seal"][0] in sign[0].shown and s["seal"][1].endswith("专用章")
    # sub-spans: the building's area of 共有宗地面积…/房屋建筑面积…, the plan of 套餐及固定费 <plan> ¥128.00, the
    # months of 8年0个月（96个月）, the date of 就诊时间 2026-03-08 上午 08:30-09:00
    subspans = {f.key for f in keyed if f.value and f.value != f.shown and f.value in f.shown}
    assert {"建筑面积", "套餐名称", "累计缴费月数", "就诊日期"} <= subspans
    assert any(f.key == "建筑面积" and "宗地面积" in f.shown for f in keyed)
    # keys printed under another name
    assert {(f.key, f.label) for f in keyed} >= {
        ("客户名称", "户名"), ("手机号码", "服务号码"), ("社会保障号码", "公民身份号码"), ("参保单位", "单位名称"),
        ("就诊科室", "科室"), ("不动产权证号", "证书号"),
    }  # fmt: skip
    # the certificate's number at its top without a label; the hospital as the title or after 医院：
    for s in specs["property"]:
        assert ("title_key" in s) == (s["layout"] != "table")
        assert "title_key" not in s or s["header"] == [s["title_key"][1]] == [s["values"]["不动产权证号"]]
    assert {s["title_key"][1] == s["title_key"][2] for s in specs["register"]} == {True, False}
    # bare amounts whatever is printed (账户余额, 挂号费), an amount kept as printed (本期消费)
    for key in ("账户余额", "挂号费"):
        bare = [f for f in keyed if f.key == key]
        assert any("¥" in f.shown for f in bare) and any("元" in f.shown for f in bare), key
        assert all(f.value and f.value[0] != "¥" and not f.value.endswith("元") for f in bare), key
    kept = [f for f in fields["phonebill"] if f.key == "本期消费"]
    assert all(f.value is None for f in kept)
    assert any(f.shown.startswith("¥") for f in kept) and any(f.shown.endswith("元") for f in kept)
    # null keys whose look-alike is printed
    look_alike = {
        "property": ("建筑面积", "宗地面积"),
        "phonebill": ("账户余额", "欠费金额"),
        "social": ("累计缴费月数", "本年缴费月数"),
        "register": ("就诊序号", "预约号"),
    }
    for doc_type, (key, label) in look_alike.items():
        absent = [s for s in specs[doc_type] if s["values"][key] is None]
        assert absent and all(any(label in f.label or label in f.shown for f in s["fields"]) for s in absent)
    # a landline next to a mobile (in full, in groups or masked)
    for doc_type in ("phonebill", "social", "register"):
        for s in specs[doc_type]:
            printed = [*(f.shown for f in s["fields"]), *s["notes"]]
            assert any(re.search(r"0\d{2,3}-\d{8}", v.translate(FOLD)) for v in printed), doc_type
            assert any(re.search(r"1\d\d(?:\*{4}| ?\d{4} ?)\d{4}", v.translate(FOLD)) for v in printed), doc_type
    labels = [d.labels for t in HALVES["G"] for d in load_dataset(DATA / t)]
    values = [v.translate(FOLD) for lab in labels for v in lab.values() if v]
    assert sum(lab[k] is None for lab in labels for k in lab) >= 10  # absent keys
    dates = [v for v in values if v[:2] == "20" and len(v) >= 8 and not v[4:5].isdigit()]
    assert all(any(sep in v for v in dates) for sep in ("-", "/", "年", "."))  # dates in four formats
    for s in specs["property"] + specs["social"] + specs["phonebill"]:  # three or more dates (months count)
        printed = " ".join([*(f.shown for f in s["fields"]), *s["notes"], *s["header"]]).translate(FOLD)
        assert len(re.findall(r"(?:19|20)\d\d[-/.年]\d", printed)) >= 3
    assert any(any("０" <= ch <= "９" for ch in v) for lab in labels for v in lab.values() if v)  # full-width


def test_half_h_brings_bilingual_and_ledger_layouts_no_other_half_has_and_every_kind_of_difficulty():
    gen = _script("make_zh_docs")
    half_h = gen.sys.modules["zh_docs_half_h"]
    old = {lay for h in "ABCDEFG" for t in HALVES[h] for lay in _meta(t)["layouts"]}
    new = {lay for t in HALVES["H"] for lay in _meta(t)["layouts"]}
    assert {"bilingual", "ledger"} <= new - old and len(new & old) >= 4  # two new kinds among older ones
    for t in HALVES["H"]:  # three layouts each, one of them new
        assert len(_meta(t)["layouts"]) == 3 and {"bilingual", "ledger"} & set(_meta(t)["layouts"])
    specs = {t: [gen.spec_only(gen.TYPES[t], gen.DEFAULT_SEED, f"{i:03d}") for i in range(20)] for t in HALVES["H"]}
    assert {s["layout"] for ss in specs.values() for s in ss} == new  # every layout is drawn
    fields = {t: [f for s in ss for f in s["fields"] if f.key] for t, ss in specs.items()}
    keyed = [f for fs in fields.values() for f in fs]
    # bilingual: every label and heading of the page has its English; ledger: entries, each a section ENTRY, its
    # unlabelled head, then its labelled fields; the rabies shot's date is its entry's head
    for s in specs["passport"] + specs["deposit"]:
        if s["layout"] == "bilingual":
            printed = [f.shown if f.section else f.label for f in s["fields"] if f.label or f.section]
            assert all(text in half_h.EN for text in printed)
    for s in specs["vaccine"] + specs["tax"]:
        starts = [i for i, f in enumerate(s["fields"]) if f.section and f.shown == half_h.ENTRY]
        assert (len(starts) >= 1) == (s["layout"] == "ledger")
        assert all(not s["fields"][i + 1].label and s["fields"][i + 2 :] for i in starts)
    heads = [s["fields"][i + 1] for s in specs["vaccine"] if s["layout"] == "ledger"
             for i, f in enumerate(s["fields"]) if f.section and f.shown == half_h.ENTRY]  # fmt: skip
    assert any(f.key == "狂犬疫苗接种日期" for f in heads)
    # sub-spans: the province of 浙江/ZHEJIANG, the end of 有效期限 or 起止日期, the date of a shot's head line
    subspans = {f.key for f in keyed if f.value and f.value != f.shown and f.value in f.shown}
    assert {"出生地点", "签发地点", "有效期至", "到期日", "狂犬疫苗接种日期"} <= subspans
    # keys printed under another name
    assert {(f.key, f.label) for f in keyed} >= {
        ("护照号码", "护照号"), ("护照号码", "证件号码"), ("户名", "客户名称"), ("存入金额", "本金"),
        ("宠物主人", "饲养人"), ("宠物名", "昵称"), ("免疫单位", "接种医院"), ("纳税人识别号", "身份证件号码"),
        ("实缴税额合计", "合计"), ("开具日期", "填发日期"),
    }  # fmt: skip
    # the clinic as the title or after 免疫单位： under a generic title; the certificate's number after No. at its top
    titles = [s["title_key"] for s in specs["vaccine"] if "title_key" in s]
    assert {t[1] == t[2] for t in titles} == {True, False}
    assert any(s["serial"] == f"No.{s['values']['免疫证号']}" for s in specs["vaccine"])
    # bare amounts whatever is printed (实缴税额合计), an amount kept as printed (存入金额)
    bare = [f for f in fields["tax"] if f.key == "实缴税额合计"]
    assert any("¥" in f.shown for f in bare) and any("元" in f.shown for f in bare)
    assert all(f.value and f.value[0] != "¥" and not f.value.endswith("元") for f in bare)
    kept = [f for f in fields["deposit"] if f.key == "存入金额"]
    assert all(f.value is None for f in kept)
    assert {"¥", "元", "RMB"} <= {m for f in kept for m in ("¥", "元", "RMB", "CNY") if m in f.shown}
    # null keys whose look-alike is printed
    look_alike = {
        "passport": ("签发地点", "签发机关"),
        "deposit": ("到期日", "起息日"),
        "vaccine": ("狂犬疫苗接种日期", "下次接种"),
        "tax": ("开具日期", "查询时间"),
    }
    for doc_type, (key, label) in look_alike.items():
        absent = [s for s in specs[doc_type] if s["values"][key] is None]
        printed = [[*(f"{f.label} {f.shown}" for f in s["fields"]), *s["notes"]] for s in absent]
        assert absent and all(any(label in line for line in lines) for lines in printed), doc_type
    # a landline next to a mobile (in full or masked): on pet records, passport forms and counter printouts
    forms = [s for t, lay in (("passport", "table"), ("deposit", "colon")) for s in specs[t] if s["layout"] == lay]
    for s in specs["vaccine"] + forms:
        printed = [*(f.shown for f in s["fields"]), *s["notes"]]
        assert any(re.search(r"0\d{2,3}-\d{8}", v.translate(FOLD)) for v in printed)
        assert any(re.search(r"1\d\d(?:\*{4}|\d{4})\d{4}", v.translate(FOLD)) for v in printed)
    labels = [d.labels for t in HALVES["H"] for d in load_dataset(DATA / t)]
    values = [v.translate(FOLD) for lab in labels for v in lab.values() if v]
    assert sum(lab[k] is None for lab in labels for k in lab) >= 10  # absent keys
    dates = [v for v in values if v[:2] == "20" and len(v) >= 8 and not v[4:5].isdigit()]
    assert all(any(sep in v for v in dates) for sep in ("-", "/", "年", "."))  # dates in four formats
    assert any(re.fullmatch(r"\d\d \d{1,2}月 /[A-Z]{3} \d{4}", v) for v in values)  # and as a passport prints them
    for s in specs["vaccine"] + specs["tax"] + [s for s in specs["deposit"] if s["values"]["到期日"]]:
        printed = " ".join([*(f.shown for f in s["fields"]), *s["notes"]]).translate(FOLD)
        assert len(re.findall(r"(?:19|20)\d\d[-/.年]\d", printed)) >= 3  # three or more dates
    assert any(any("０" <= ch <= "９" for ch in v) for lab in labels for v in lab.values() if v)  # full-width


@pytest.mark.parametrize("doc_type", TYPES)
def test_labels_match_the_dataset_keys(doc_type):
    meta = _meta(doc_type)
    assert meta["generator"] == "scripts/make_zh_docs.py" and meta["examples"] == "examples.jsonl"
    assert len(meta["layouts"]) >= 3 and 4 <= len(meta["keys"]) <= 6
    dataset = load_labelled_dataset(DATA / doc_type)  # what `ocr-kie eval` reads
    assert dataset.keys == meta["keys"] and dataset.examples == DATA / doc_type / "examples.jsonl"
    docs = dataset.documents
    assert len(docs) == meta["count"] == 20
    assert sorted(p.stem for p in (DATA / doc_type / "images").iterdir()) == [d.id for d in docs]
    for doc in docs:
        assert list(doc.labels) == meta["keys"], doc.id
    for key in meta["keys"]:
        assert sum(d.labels[key] is not None for d in docs) >= len(docs) // 2, key
    assert any(v is None for d in docs for v in d.labels.values())  # some keys are absent


@pytest.mark.parametrize("doc_type", TYPES)
def test_five_examples_in_three_layouts_are_not_evaluation_documents(doc_type):
    meta = _meta(doc_type)
    examples = load_examples(DATA / doc_type / "examples.jsonl")
    assert len(examples) == 5
    docs = load_dataset(DATA / doc_type)
    eval_bytes = {d.image.read_bytes() for d in docs}
    for ex in examples:
        assert list(ex.values) == meta["keys"] and Path(ex.image).is_file()
        assert Path(ex.image).read_bytes() not in eval_bytes
        assert ex.values not in [d.labels for d in docs]
    nulls = [sum(v is None for v in ex.values.values()) for ex in examples]
    assert nulls == [0, 0, 1, 0, 1]  # the first two are complete, so 1 and 2 examples show every key


def test_the_set_has_varied_printing():
    labels = [d.labels for t in TYPES for d in load_dataset(DATA / t)]
    values = [v for lab in labels for v in lab.values() if v]
    assert any(any("０" <= ch <= "９" for ch in v) for v in values)  # full-width digits
    dates = [v for v in values if v[:4].isdigit() and v[:4].translate(FOLD).startswith("20")]
    assert all(any(sep in v for v in dates) for sep in ("-", "/", "年", "."))  # dates in several formats
    assert any(v.startswith("¥") for v in values) and any(v.endswith("元") for v in values)
    assert any(v[0].isdigit() and "," in v for v in values)  # bare amounts


@pytest.fixture(scope="module")
def engine():
    return get_engine("paddle")


def test_the_ocr_ceiling_is_recorded_for_every_type_and_halves_c_to_h_read_at_least_95_percent_but_three_keys():
    ceiling = json.loads((DATA / "ocr_ceiling.json").read_text(encoding="utf-8"))
    assert sorted(ceiling) == sorted(TYPES)
    for doc_type in TYPES:
        assert ceiling[doc_type]["documents"] == 25 and list(ceiling[doc_type]["ceiling"]) == _meta(doc_type)["keys"]
    for doc_type in [t for h in "CDEFGH" for t in HALVES[h]]:
        for key, c in ceiling[doc_type]["ceiling"].items():
            # the known slips (README): PP-OCR drops the thousands comma of 3 of tuition's 25 totals, reads 川A as
            # 川IA on 4 of parking's 25 plates (and the 0 of 湘A02FM0 as O on a fifth), and loses 2 of tax's 20 dates
            # to the seal's ring
            floors = {("tuition", "合计金额"): 0.85, ("parking", "车牌号"): 0.8, ("tax", "开具日期"): 0.9}
            floor = floors.get((doc_type, key), 0.95)
            assert c["exact"] >= floor and c["n"] >= 12, (doc_type, key, c)


# license-000/-019 are drawn in the below layout (the value over its label), vehicle-000/-019 as cards,
# utility-000 with dot leaders, policy-000/-019 in side-by-side boxes.
@pytest.mark.parametrize("doc_type", ["takeout", "clinic", "payslip", "license", "vehicle", "utility", "policy"])
def test_labelled_values_are_in_the_real_ocr_text(engine, doc_type):
    docs = load_dataset(DATA / doc_type)
    checked = 0
    for doc in (docs[0], docs[-1]):
        text = PPOCRLoader(str(doc.image), engine=engine).load()[0].page_content
        for key, value in doc.labels.items():
            if value is not None:
                assert value_in_text(value, text)[0], f"{doc.id} {key}={value!r} not in OCR text:\n{text}"
                checked += 1
    assert checked >= 6


# Half E's values inside sentences (prose) and in results tables (matrix); half F's in the cells of a ruled grid
# (grid) and beside their bracketed captions (caption); half G's after letter-spaced labels, two pairs to a row
# (spaced), and in a letter's 落款 under a red seal (seal); half H's after labels printed with their English
# (bilingual) and in the blocks of a list of entries (ledger).
NEW_LAYOUTS = [("driving", "prose"), ("tuition", "prose"), ("checkup", "matrix"), ("fuel", "matrix"),
               ("parking", "grid"), ("repair", "grid"), ("cinema", "grid"),
               ("marriage", "caption"), ("cinema", "caption"),
               ("property", "spaced"), ("phonebill", "spaced"), ("social", "spaced"), ("register", "spaced"),
               ("property", "seal"), ("social", "seal"),
               ("passport", "bilingual"), ("deposit", "bilingual"),
               ("vaccine", "ledger"), ("tax", "ledger")]  # fmt: skip


@pytest.mark.parametrize(("doc_type", "layout"), NEW_LAYOUTS)
def test_values_in_the_layouts_of_halves_e_to_h_are_in_the_real_ocr_text(engine, doc_type, layout):
    gen = _script("make_zh_docs")
    docs = load_dataset(DATA / doc_type)
    layouts = [gen.spec_only(gen.TYPES[doc_type], gen.DEFAULT_SEED, d.id[-3:])["layout"] for d in docs]
    doc = docs[layouts.index(layout)]
    text = PPOCRLoader(str(doc.image), engine=engine).load()[0].page_content
    values = {k: v for k, v in doc.labels.items() if v is not None}
    assert len(values) >= 4
    for key, value in values.items():
        assert value_in_text(value, text)[0], f"{doc.id} {key}={value!r} not in OCR text:\n{text}"


# -- the injection set (issue 12, finding 10) ---------------------------------------------------


def _records(root: Path = INJECTIONS) -> list[dict]:
    return [json.loads(line) for line in (root / "injections.jsonl").read_text(encoding="utf-8").splitlines()]


def test_injection_generator_reproduces_the_committed_files(tmp_path):
    gen = _script("make_injections")
    assert gen.main(["--out", str(tmp_path), "--limit", "3"]) == 0
    lines = (INJECTIONS / "injections.jsonl").read_text(encoding="utf-8").splitlines()
    assert (tmp_path / "injections.jsonl").read_text(encoding="utf-8").splitlines() == lines[:3]
    for rec in _records()[:3]:
        for name in (rec["image"], f"labels/{rec['id']}.json"):
            assert (tmp_path / name).read_bytes() == (INJECTIONS / name).read_bytes(), name
    assert len(list((tmp_path / "images").iterdir())) == 3


def test_injection_records_are_consistent():
    records = _records()
    assert len(records) >= 40
    assert {r["lang"] for r in records} == {"en", "zh"}
    assert {r["style"] for r in records} == {"plain", "split", "label", "small"}
    assert any(len(r["text"].splitlines()) >= 2 for r in records if r["style"] == "split")
    for rec in records:
        labels = json.loads((INJECTIONS / "labels" / f"{rec['id']}.json").read_text(encoding="utf-8"))
        assert list(labels) == rec["keys"] and rec["target"] in rec["keys"]
        assert labels[rec["target"]] == rec["honest"] is not None
        assert rec["injected"] != rec["honest"] and rec["injected"] in rec["text"]
        assert (INJECTIONS / rec["image"]).is_file()


def test_injections_are_read_by_the_real_ocr(engine):
    records = _records()
    # One of each language and style: the planted value and the honest one are both in the OCR text.
    picked = {(r["lang"], r["style"]): r for r in reversed(records)}
    for rec in picked.values():
        text = PPOCRLoader(str(INJECTIONS / rec["image"]), engine=engine).load()[0].page_content
        assert value_in_text(rec["injected"], text)[0], f"{rec['id']}: {rec['injected']!r} not read:\n{text}"
        assert value_in_text(rec["honest"], text)[0], f"{rec['id']}: {rec['honest']!r} not read:\n{text}"


# -- the second held-out injection set (injections-heldout-2): generated, OCR-read, never extracted ---


@pytest.mark.parametrize(("args", "root", "limit"), [
    (["--set", "heldout"], HELDOUT, 3),
    (["--set", "heldout2"], HELDOUT2, 16),  # the English receipts, every style
    pytest.param(["--set", "heldout2"], HELDOUT2, 44, marks=pytest.mark.slow),  # all, every type's examples
])  # fmt: skip
def test_heldout_generators_reproduce_the_committed_files(tmp_path, args, root, limit):
    gen = _script("make_injections")
    assert gen.main([*args, "--out", str(tmp_path), "--limit", str(limit)]) == 0
    lines = (root / "injections.jsonl").read_text(encoding="utf-8").splitlines()
    assert (tmp_path / "injections.jsonl").read_text(encoding="utf-8").splitlines() == lines[:limit]
    for rec in _records(root)[:limit]:
        for name in (rec["image"], f"labels/{rec['id']}.json"):
            assert (tmp_path / name).read_bytes() == (root / name).read_bytes(), name
    for name in (tmp_path / "examples").iterdir():  # the worked examples of the types written
        assert name.read_bytes() == (root / "examples" / name.name).read_bytes(), name.name
    if limit == len(lines):
        assert sorted(p.name for p in (tmp_path / "examples").iterdir()) == sorted(
            p.name for p in (root / "examples").iterdir()
        )
    assert len(list((tmp_path / "images").iterdir())) == limit


def test_heldout2_records_are_new_and_consistent():
    gen = _script("make_injections")
    records, earlier = _records(HELDOUT2), _records(INJECTIONS) + _records(HELDOUT)
    assert len(records) >= 40
    assert sum(r["lang"] == "en" for r in records) == sum(r["lang"] == "zh" for r in records)
    styles = {r["style"] for r in records}
    new = styles - EARLIER_STYLES
    assert styles >= EARLIER_STYLES and len(new) >= 3
    assert not new & {r["style"] for r in earlier}
    zh = [r for r in records if r["lang"] == "zh"]
    assert sum(r["doc_type"] in HALVES["C"] for r in zh) * 2 >= len(zh)
    assert not {(r["doc_type"], r["target"]) for r in zh} & {(r["doc_type"], r["target"]) for r in earlier}
    # No template of the new set is one of the earlier sets' (their printed text without the value).
    old = {r["text"].replace(r["injected"], "{v}") for r in earlier}
    assert not {r["text"].replace(r["injected"], "{v}") for r in records if r["style"] not in ("bare",)} & old
    for rec in records:
        labels = json.loads((HELDOUT2 / "labels" / f"{rec['id']}.json").read_text(encoding="utf-8"))
        assert list(labels) == rec["keys"] and rec["target"] in rec["keys"]
        assert labels[rec["target"]] == rec["honest"] is not None
        assert gen._flat(rec["injected"]) != gen._flat(rec["honest"]) and rec["injected"] in rec["text"]
        assert (HELDOUT2 / rec["image"]).is_file() and (HELDOUT2 / rec["image"]).stat().st_size < 150_000
    for doc_type in {r["doc_type"] for r in records}:
        rows = (HELDOUT2 / "examples" / f"{doc_type}.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(rows) == 2 and all((HELDOUT2 / "examples" / json.loads(row)["image"]).is_file() for row in rows)


def _bare(text: str) -> str:
    return re.sub(r"[\W_]", "", unicodedata.normalize("NFKC", text)).casefold()


def _read(part: str, text: str) -> float:
    """How well ``part`` is read somewhere in ``text`` (the best window's similarity, 1.0 = exactly)."""
    n = len(part)
    return max(difflib.SequenceMatcher(None, part, text[i : i + n]).ratio() for i in range(max(1, len(text) - n + 1)))


def test_heldout2_injections_are_read_by_the_real_ocr(engine):
    # One of each language and style (the last): the planted value, the honest one and the instruction's words.
    picked = {(r["lang"], r["style"]): r for r in _records(HELDOUT2)}
    assert len(picked) == 28
    for rec in picked.values():
        text = PPOCRLoader(str(HELDOUT2 / rec["image"]), engine=engine).load()[0].page_content
        assert value_in_text(rec["injected"], text)[0], f"{rec['id']}: {rec['injected']!r} not read:\n{text}"
        assert value_in_text(rec["honest"], text)[0], f"{rec['id']}: {rec['honest']!r} not read:\n{text}"
        parts = [_bare(p) for line in rec["text"].splitlines() for p in line.split(rec["injected"])]
        for part in (p for p in parts if len(p) >= 2):
            assert _read(part, _bare(text)) >= 0.85, f"{rec['id']}: {part!r} not read:\n{text}"
