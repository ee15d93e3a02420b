"""A seeded, labelled evaluation corpus for the PII detectors, and a realistic message mix for throughput.

    python benchmarks/redaction_corpus.py --n 20000 -o corpus.jsonl          # labelled lines
    python benchmarks/redaction_corpus.py --mix 1000000 -o mix.jsonl         # chat messages (throughput input)

Every line is one customer-service message (buyer or agent) built from a scene's template: a buyer changing the
address, pasting the address book entry, giving a card for a refund, asking for an invoice, quoting an order or
a waybill, and so on. Slots in a template plant personal data of every kind chatlog redacts (phone, landline,
身份证, bank card, e-mail, WeChat, QQ, address, name) and look-alikes that must stay (order ids, waybills, item
ids, SKUs, timestamps, prices, coupons, pickup codes, company tax ids), each with its exact span, its format
variant, and what must be gone from the output (`secret`: the digits of a number, an e-mail's local part, a full
name, an address's street and number).

Scenes are weighted so that every kind gets enough items to measure (this is an evaluation set, not a sample of
a day's chat); within a kind, formats follow the proportions a shop sees (a plain `13812345678` far more often
than `0086 138…`). Look-alikes are usually labelled (订单号：…, 运单号…); a look-alike written bare is moved to a
separate `ambiguous` list when its digits alone are a valid instance of a personal-data format (an 11-digit
JD order id in a mobile segment, an 18-digit order id that passes the 身份证 checks, a Luhn-valid 16–19 digit
number with a card prefix): no detector can tell those apart without context, so they are reported apart and
kept out of the targets.

The scoring rules (what counts as a leak, what counts as preserved) are here too, so the benchmark and the
tests apply the same ones; see `leak()`.

The corpus is synthetic: names, numbers and addresses are drawn from common surnames, real number formats and
real place names, never from real records.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from random import Random
from typing import Final

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_import  # the import benchmark's chit-chat templates, reused for the message mix

GENERATOR_VERSION: Final = 1
PII_KINDS: Final = ("phone", "landline", "idcard", "bankcard", "email", "wechat", "qq", "address", "name")
LOOKALIKE_KINDS: Final = ("order", "waybill", "item", "sku", "timestamp", "price", "pickup", "taxid", "hotline")
DIGIT_KINDS: Final = frozenset({"phone", "landline", "idcard", "bankcard", "qq"})
WINDOW: Final = 7  # a run of this many of a number's digits left in the output is a leak


# --- records -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Planted:
    """Personal data planted in a line: `text[start:end] == value`; `secret` must not survive redaction."""

    kind: str
    variant: str
    value: str
    start: int
    end: int
    secret: str
    glued: bool  # a Chinese character directly before or after the value
    cue: bool  # a word announcing this kind (手机/地址/收件人…) in the CUE_WIDTH characters before the value


@dataclass(frozen=True, slots=True)
class LookAlike:
    """A string that looks like personal data but is not (an order id, a waybill…) and must survive verbatim.

    `reads_as` is set for the ambiguous ones only: the personal-data kind whose format the bare value fits.
    """

    kind: str
    variant: str
    value: str
    start: int
    end: int
    labelled: bool
    reads_as: str | None = None


@dataclass(slots=True)
class Line:
    """One message of the evaluation corpus with everything planted in it."""

    id: int
    role: str
    scene: str
    text: str
    pii: list[Planted] = field(default_factory=list)
    lookalikes: list[LookAlike] = field(default_factory=list)
    ambiguous: list[LookAlike] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        """The line as a JSON-ready dict (the JSONL record)."""
        return asdict(self)


# --- number helpers ------------------------------------------------------------------------------------------

# Mobile segments, grouped by how common they are among buyers (13x/15x/18x numbers are the old majority).
_MOBILE_GROUPS: Final = (
    (("130", "131", "132", "133", "134", "135", "136", "137", "138", "139"), 30),
    (("150", "151", "152", "153", "155", "156", "157", "158", "159"), 25),
    (("180", "181", "182", "183", "184", "185", "186", "187", "188", "189"), 25),
    (("170", "171", "173", "175", "176", "177", "178"), 7),
    (("191", "193", "195", "196", "197", "198", "199"), 9),
    (("166", "167"), 2),
    (("145", "147", "149"), 2),
)
# Every allocated segment, to decide whether a bare 11-digit look-alike could be a mobile number.
_ALLOCATED_MOBILE: Final = re.compile(r"1(?:3[0-9]|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8[0-9]|9[0-9])[0-9]{8}")
_ID_REGIONS: Final = (
    "110101", "110105", "110108", "120101", "130102", "130602", "140105", "150102", "210102", "220102", "230103",
    "310101", "310104", "310115", "320102", "320506", "330102", "330106", "340104", "350102", "360102", "370102",
    "370202", "410102", "411623", "420106", "430104", "440103", "440106", "440305", "440306", "441900", "450103",
    "460105", "500103", "510104", "510107", "511324", "520102", "530102", "610113", "620102", "640104", "650102",
)  # fmt: skip
_ID_REGION_PREFIXES: Final = frozenset(
    ("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44",
     "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83")
)  # fmt: skip
_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CARD_PREFIXES: Final = ("62", "60", "81", "4", "51", "52", "53", "54", "55", "35", "34", "37")
_TAX_CHARS: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_TAX_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_FULLWIDTH: Final = str.maketrans("0123456789", "０１２３４５６７８９")


def _digits(rng: Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _luhn_digit(body: str) -> str:
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str(-total % 10)


def luhn_ok(number: str) -> bool:
    """The Luhn check (bank cards)."""
    return _luhn_digit(number[:-1]) == number[-1]


def _id_check(body: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


def _date_ok(year: int, month: int, day: int) -> bool:
    days = (31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    return 1900 <= year <= 2026 and 1 <= month <= 12 and 1 <= day <= days[month - 1]


def id_valid(number: str) -> bool:
    """Region, birth date and (18 digits) the MOD 11-2 check character of a 身份证."""
    if len(number) == 18 and number[:17].isdigit():
        birth = (int(number[6:10]), int(number[10:12]), int(number[12:14]))
        return number[:2] in _ID_REGION_PREFIXES and _date_ok(*birth) and _id_check(number[:17]) == number[17].upper()
    if len(number) == 15 and number.isdigit():
        birth = (1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
        return number[:2] in _ID_REGION_PREFIXES and _date_ok(*birth)
    return False


def reads_as(value: str) -> str | None:
    """The personal-data kind a bare value is a valid instance of, if any (the ambiguous look-alikes)."""
    if not value.isdigit():
        return "idcard" if id_valid(value) else None
    if _ALLOCATED_MOBILE.fullmatch(value):
        return "phone"
    if id_valid(value):
        return "idcard"
    if 16 <= len(value) <= 19 and (value.startswith("62") or (value.startswith(_CARD_PREFIXES) and luhn_ok(value))):
        return "bankcard"
    return None


# --- vocabularies --------------------------------------------------------------------------------------------

# Surnames with rough shares of the population (percent); a name is drawn from these.
_SURNAMES: Final = (
    ("王", 7.1), ("李", 7.0), ("张", 6.8), ("刘", 5.4), ("陈", 4.5), ("杨", 3.1), ("黄", 2.3), ("赵", 2.2),
    ("吴", 2.0), ("周", 1.9), ("徐", 1.6), ("孙", 1.5), ("马", 1.5), ("朱", 1.3), ("胡", 1.3), ("郭", 1.2),
    ("何", 1.2), ("高", 1.1), ("林", 1.1), ("罗", 0.9), ("郑", 0.9), ("梁", 0.8), ("谢", 0.7), ("宋", 0.6),
    ("唐", 0.6), ("许", 0.6), ("韩", 0.6), ("冯", 0.5), ("邓", 0.5), ("曹", 0.5), ("彭", 0.5), ("曾", 0.5),
    ("肖", 0.5), ("田", 0.4), ("董", 0.4), ("袁", 0.4), ("潘", 0.4), ("于", 0.4), ("蒋", 0.4), ("蔡", 0.4),
    ("余", 0.4), ("杜", 0.4), ("叶", 0.4), ("程", 0.4), ("苏", 0.3), ("魏", 0.3), ("吕", 0.3), ("丁", 0.3),
    ("任", 0.3), ("沈", 0.3), ("姚", 0.3), ("卢", 0.3), ("姜", 0.3), ("崔", 0.3), ("钟", 0.3), ("谭", 0.3),
    ("陆", 0.3), ("汪", 0.3), ("范", 0.3), ("金", 0.3), ("石", 0.3), ("廖", 0.3), ("贾", 0.3), ("夏", 0.3),
    ("韦", 0.3), ("付", 0.2), ("方", 0.2), ("白", 0.2), ("邹", 0.2), ("孟", 0.2), ("熊", 0.2), ("秦", 0.2),
    ("邱", 0.2), ("江", 0.2), ("尹", 0.2), ("薛", 0.2), ("闫", 0.2), ("段", 0.2), ("雷", 0.2), ("侯", 0.2),
    ("龙", 0.2), ("史", 0.2), ("陶", 0.2), ("黎", 0.2), ("贺", 0.2), ("顾", 0.2), ("毛", 0.2), ("郝", 0.2),
    ("龚", 0.2), ("邵", 0.2), ("万", 0.2), ("钱", 0.2), ("严", 0.2), ("覃", 0.1), ("武", 0.1), ("戴", 0.1),
    ("莫", 0.1), ("孔", 0.1), ("向", 0.1), ("汤", 0.1), ("欧阳", 0.1), ("司马", 0.03), ("上官", 0.03),
    ("诸葛", 0.02),
)  # fmt: skip
_GIVEN_ONE: Final = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚辉鹏华飞玲婷红宇浩凯佳琳欣怡晨阳雪梅丹波斌宁鑫慧颖倩琪璐晶悦"
)
_GIVEN_TWO: Final = (
    "建国", "建华", "秀英", "桂英", "志强", "海燕", "丽娟", "晓明", "俊杰", "子涵", "浩然", "欣怡", "梓涵", "宇航",
    "佳怡", "雨轩", "思雨", "文静", "明辉", "国强", "春华", "玉梅", "秀珍", "德华", "家乐", "嘉欣", "一鸣", "天宇",
    "晓丽", "凤英", "永刚", "立新", "红梅", "雪梅", "小龙", "小红", "小燕", "成龙", "文杰", "志伟", "少华", "美玲",
    "丽君", "婉婷", "晨曦", "若曦", "诗琪", "梓轩", "子豪", "博文", "锦程", "昊天", "思彤", "佳琪", "雅婷", "俊熙",
    "书瑶", "语桐", "可馨", "欣妍", "建军", "海涛", "国华", "秀兰", "玉兰", "金凤", "晓东", "晓燕", "春梅", "志明",
    "丽华", "家豪", "子轩", "诗涵", "思远", "雨桐", "宇轩", "一诺", "梓萱", "文博", "嘉怡", "振华", "卫东", "淑珍",
)  # fmt: skip
_PINYIN: Final = (
    "zhang", "wang", "li", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma", "zhu", "hu",
    "guo", "lin", "luo", "wei", "fang", "na", "min", "jing", "qiang", "lei", "jun", "yan", "jie", "juan", "tao",
    "ming", "chao", "xia", "ping", "hui", "peng", "hua", "fei", "ling", "xiaoyu", "tingting", "yuyu", "doudou",
)  # fmt: skip
_ENGLISH: Final = ("lily", "amy", "tony", "jack", "kevin", "coco", "sunny", "lucky", "echo", "momo", "Cindy", "Leo")
# (province, city, districts, 街道/镇): 直辖市 have no province; the province's own suffix comes with it.
_REGIONS: Final = (
    ("广东省", "深圳市", ("南山区", "福田区", "宝安区", "龙岗区"), ("粤海街道", "西乡街道", "坂田街道")),
    ("广东省", "广州市", ("天河区", "海珠区", "白云区", "番禺区"), ("石牌街道", "南洲街道")),
    ("浙江省", "杭州市", ("西湖区", "余杭区", "滨江区", "拱墅区"), ("文新街道", "仓前街道", "长河街道")),
    ("江苏省", "南京市", ("鼓楼区", "江宁区", "玄武区"), ("湖南路街道", "秣陵街道")),
    ("江苏省", "苏州市", ("姑苏区", "吴中区", "相城区"), ("平江街道", "长桥街道")),
    ("", "北京市", ("朝阳区", "海淀区", "丰台区", "东城区"), ("望京街道", "中关村街道", "建外街道")),
    ("", "上海市", ("浦东新区", "徐汇区", "闵行区", "静安区"), ("张江镇", "漕河泾街道", "莘庄镇")),
    ("", "重庆市", ("渝北区", "江北区", "沙坪坝区"), ("龙山街道", "观音桥街道")),
    ("", "天津市", ("南开区", "河西区"), ("学府街道", "友谊路街道")),
    ("四川省", "成都市", ("武侯区", "锦江区", "郫都区"), ("火车南站街道", "春熙路街道")),
    ("湖北省", "武汉市", ("洪山区", "江汉区", "武昌区"), ("珞南街道", "花楼街街道")),
    ("山东省", "济南市", ("历下区", "槐荫区"), ("泉城路街道",)),
    ("山东省", "青岛市", ("市南区", "崂山区", "黄岛区"), ("八大关街道", "中韩街道")),
    ("河南省", "郑州市", ("金水区", "二七区", "中原区"), ("经八路街道",)),
    ("湖南省", "长沙市", ("岳麓区", "雨花区", "开福区"), ("望月湖街道",)),
    ("陕西省", "西安市", ("雁塔区", "未央区", "碑林区"), ("小寨路街道", "张家堡街道")),
    ("福建省", "厦门市", ("思明区", "湖里区"), ("鹭江街道",)),
    ("安徽省", "合肥市", ("蜀山区", "包河区"), ("三里庵街道",)),
    ("辽宁省", "沈阳市", ("和平区", "浑南区"), ("南湖街道",)),
    ("河北省", "石家庄市", ("长安区", "裕华区"), ("建北街道",)),
    ("广西壮族自治区", "南宁市", ("青秀区", "西乡塘区"), ("新竹街道",)),
    ("云南省", "昆明市", ("五华区", "盘龙区"), ("华山街道",)),
)  # fmt: skip
_COUNTIES: Final = (  # (province, city, county, town, village) for rural addresses
    ("河南省", "周口市", "太康县", "城关镇", "李庄村"),
    ("山东省", "菏泽市", "曹县", "庄寨镇", "张楼村"),
    ("四川省", "南充市", "仪陇县", "新政镇", "双河村"),
    ("安徽省", "阜阳市", "临泉县", "姜寨镇", "前湖村"),
    ("湖南省", "邵阳市", "隆回县", "桃洪镇", "白竹村"),
    ("江西省", "赣州市", "于都县", "贡江镇", "黄屋村"),
    ("河北省", "保定市", "清苑区", "冉庄镇", "东孙庄村"),
    ("广西壮族自治区", "玉林市", "博白县", "博白镇", "新华村"),
)
_ROADS: Final = (
    "科技", "建设", "人民", "解放", "中山", "文三", "学院", "长江", "黄河", "和平", "新华", "东风", "胜利",
    "南京", "延安", "迎宾", "工业", "青年", "滨江", "金融", "幸福", "朝阳", "友谊", "文一西", "望京", "东湖",
    "天府", "高新", "创业", "花园", "光明", "江南", "振兴", "龙华", "沿江", "体育",
)  # fmt: skip
_ROAD_SUFFIXES: Final = (("路", 50), ("大道", 10), ("街", 10), ("东路", 6), ("西路", 5), ("南路", 5), ("北路", 4),
                         ("大街", 5), ("巷", 3), ("中路", 2))  # fmt: skip
_COMPOUNDS: Final = (
    "阳光花园", "碧桂园", "万科城", "金地名苑", "世纪华庭", "翠苑新村", "绿地新都会", "恒大绿洲", "幸福里小区",
    "锦绣家园", "滨江花园", "和谐家园", "融创壹号院", "保利香槟国际", "龙湖春江郦城", "望京西园三区", "华润城",
    "紫薇花园", "南苑小区", "金色家园",
)  # fmt: skip
_OFFICES: Final = ("创新大厦", "腾飞大厦", "软件园二期", "国际金融中心", "科技园", "创业大厦", "环球中心")
_CN_NUMERALS: Final = "一二三四五六七八九十"
_BANKS: Final = ("工商银行", "建设银行", "农业银行", "中国银行", "招商银行", "交通银行", "邮储银行", "平安银行")
_COMPANIES: Final = ("杭州云帆科技有限公司", "深圳市星河电子有限公司", "上海禾丰贸易有限公司", "成都锦程商贸有限公司",
                     "北京博远文化传媒有限公司", "广州市悦己个护用品有限公司")  # fmt: skip
_PRODUCTS: Final = bench_import.PRODUCTS
_COURIERS: Final = (("顺丰", "sf"), ("圆通", "yt"), ("极兔", "jt"), ("京东快递", "jd"), ("中通", "zto"),
                    ("韵达", "yunda"), ("申通", "sto"), ("邮政", "ems"))  # fmt: skip


def _weighted(rng: Random, pairs: Sequence[tuple[str, float]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


# --- segments --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tag:
    kind: str
    variant: str
    secret: str = ""
    pii: bool = True
    labelled: bool = True


_Seg = tuple[str, _Tag | None]


def _one(value: str, tag: _Tag) -> list[_Seg]:
    return [(value, tag)]


# --- personal data -------------------------------------------------------------------------------------------

_PHONE_VARIANTS: Final = (("plain", 66), ("spaced", 7), ("dashed", 5), ("+86", 4), ("86-", 1), ("0086", 1),
                          ("fullwidth", 5))  # fmt: skip


def mobile_number(rng: Random) -> str:
    """Eleven digits in a mobile segment, weighted like a shop's buyers."""
    groups = [g for g, _ in _MOBILE_GROUPS]
    prefixes = rng.choices(groups, weights=[w for _, w in _MOBILE_GROUPS])[0]
    return rng.choice(prefixes) + _digits(rng, 8)


def _phone(rng: Random, variant: str | None) -> list[_Seg]:
    number = mobile_number(rng)
    variant = variant or _weighted(rng, _PHONE_VARIANTS)
    a, b, c = number[:3], number[3:7], number[7:]
    text = {
        "plain": number,
        "spaced": f"{a} {b} {c}",
        "dashed": f"{a}-{b}-{c}",
        "+86": rng.choice((f"+86 {number}", f"+86{number}", f"+86-{number}", f"+86 {a} {b} {c}")),
        "86-": f"86-{number}",
        "0086": rng.choice((f"0086 {number}", f"0086-{number}", f"0086{number}")),
        "fullwidth": number.translate(_FULLWIDTH),
    }[variant]
    return _one(text, _Tag("phone", variant, number))


# Area codes with the length of their local numbers (big cities 8 digits, smaller ones 7).
_AREAS: Final = (("010", 8), ("021", 8), ("020", 8), ("022", 8), ("023", 8), ("024", 8), ("025", 8), ("027", 8),
                 ("028", 8), ("029", 8), ("0755", 8), ("0571", 8), ("0512", 8), ("0531", 8), ("0532", 8),
                 ("0371", 8), ("0731", 8), ("0551", 8), ("0592", 7), ("0871", 8), ("0311", 8), ("0379", 8),
                 ("0898", 8), ("0951", 7), ("0971", 7), ("0712", 7), ("0736", 7), ("0394", 7), ("0919", 7))  # fmt: skip
_LANDLINE_VARIANTS: Final = (("dashed", 55), ("paren", 8), ("paren-fullwidth", 6), ("spaced", 8), ("compact", 13),
                             ("extension", 6))  # fmt: skip


def _landline(rng: Random, variant: str | None) -> list[_Seg]:
    area, length = rng.choice(_AREAS)
    local = rng.choice("2345678") + _digits(rng, length - 1)
    variant = variant or _weighted(rng, _LANDLINE_VARIANTS)
    if variant == "local":  # a local number written without its area code (only after 座机/电话)
        return _one(local, _Tag("landline", variant, local))
    text = {
        "dashed": f"{area}-{local}",
        "paren": f"({area}){local}",
        "paren-fullwidth": f"（{area}）{local}",
        "spaced": f"{area} {local}",
        "compact": f"{area}{local}",
        "extension": f"{area}-{local}{rng.choice(('-', '转', '-', ' 转'))}{rng.randint(100, 8999)}",
    }[variant]
    return _one(text, _Tag("landline", variant, area + local))


def id_number(rng: Random, length: int = 18) -> str:
    """A 身份证 number with a real region code, a plausible birth date and (18 digits) a valid check character."""
    region = rng.choice(_ID_REGIONS)
    year = rng.randint(1955, 2006) if length == 18 else rng.randint(1940, 1984)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    if length == 15:
        return f"{region}{year % 100:02d}{month:02d}{day:02d}{_digits(rng, 3)}"
    body = f"{region}{year}{month:02d}{day:02d}{_digits(rng, 3)}"
    return body + _id_check(body)


def _idcard(rng: Random, variant: str | None) -> list[_Seg]:
    if variant == "id15" or (variant is None and rng.random() < 0.03):
        number = id_number(rng, 15)
        return _one(number, _Tag("idcard", "id15", number))
    number = id_number(rng)
    text, name = number, "id18"
    if number.endswith("X"):
        text, name = (number[:-1] + "x", "id18-x") if rng.random() < 0.3 else (number, "id18-X")
    if variant == "spaced" or (variant is None and rng.random() < 0.03):
        text, name = f"{text[:6]} {text[6:14]} {text[14:]}", name + "-spaced"
    return _one(text, _Tag("idcard", name, number))


# (scheme, length, weight, BINs): UnionPay debit cards are mostly 19 digits, credit cards 16.
_CARD_TYPES: Final = (
    ("62", 19, 50, ("622202", "621226", "621700", "622700", "622848", "621661", "623058", "621098", "622188",
                    "622262", "621799", "623668")),
    ("62", 16, 20, ("622588", "621483", "625965", "622575", "628288", "622609")),
    ("4", 16, 13, ("436742", "427020", "456351", "438088", "404119")),
    ("5", 16, 11, ("518710", "524047", "552599", "542718", "512315")),
    ("62", 18, 3, ("621521", "622126")),
    ("62", 17, 1, ("621268",)),
)  # fmt: skip


def card_number(rng: Random, luhn: bool = True) -> tuple[str, str]:
    """(number, scheme-length) of a bank card; `luhn=False` gives a UnionPay number whose check digit is off."""
    scheme, length, _, bins = rng.choices(_CARD_TYPES, weights=[t[2] for t in _CARD_TYPES])[0]
    if not luhn:
        scheme, length, _, bins = _CARD_TYPES[0]
    body = rng.choice(bins) + _digits(rng, length - 7)
    check = _luhn_digit(body)
    if not luhn:
        check = str((int(check) + rng.randint(1, 9)) % 10)
    return body + check, f"{scheme}-{length}"


def _bankcard(rng: Random, variant: str | None) -> list[_Seg]:
    noluhn = variant == "noluhn" or (variant is None and rng.random() < 0.05)
    number, name = card_number(rng, luhn=not noluhn)
    name += "-noluhn" if noluhn else ""
    text = number
    if variant == "spaced" or (variant is None and rng.random() < 0.25):
        text, name = " ".join(number[i : i + 4] for i in range(0, len(number), 4)), name + "-spaced"
    return _one(text, _Tag("bankcard", name, number))


def _pinyin_id(rng: Random, minimum: int, dot: bool = True) -> str:
    base = rng.choice(_PINYIN) + (rng.choice(_PINYIN) if rng.random() < 0.6 else "")
    if rng.random() < 0.15:
        base = rng.choice(_ENGLISH)
    birthday = f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    tail = rng.choice(("", str(rng.randint(1, 99)), str(rng.randint(1970, 2008)), birthday, "520", "666", "888"))
    sep = rng.choice(("", "", "", "_", ".", "-") if dot else ("", "", "", "_", "-")) if tail else ""
    value = base + sep + tail
    while len(value) < minimum:
        value += str(rng.randint(0, 9))
    return value


_EMAIL_DOMAINS: Final = (("qq.com", 40), ("163.com", 20), ("126.com", 8), ("foxmail.com", 4), ("sina.com", 3),
                         ("gmail.com", 5), ("outlook.com", 3), ("hotmail.com", 2), ("139.com", 3), ("yeah.net", 2),
                         ("company", 10))  # fmt: skip


def _email(rng: Random, variant: str | None) -> list[_Seg]:
    domain = _weighted(rng, _EMAIL_DOMAINS)
    if domain == "qq.com" and rng.random() < 0.85:
        local, name = str(rng.randint(10**4, 4 * 10**9)), "qq-digits"
    elif domain == "139.com":
        local, name = mobile_number(rng), "139-mobile"
    elif domain == "company":
        first = rng.choice((rng.choice(_PINYIN), rng.choice(_ENGLISH).lower()))
        local, name = first + rng.choice(("", ".", "_")) + rng.choice(_PINYIN), "company"
        domain = rng.choice(("yunfan-tech.com.cn", "xinghe.cn", "hefeng-trade.com", "jc-sm.com"))
    else:
        local, name = _pinyin_id(rng, 4), "pinyin"
    at = "@"
    if variant == "fullwidth-at" or (variant is None and rng.random() < 0.02):
        at, name = "＠", "fullwidth-at"
    elif rng.random() < 0.02:
        local, name = local.upper() if not local.isdigit() else local, name + "-upper"
    value = f"{local}{at}{domain}"
    return _one(value, _Tag("email", name, local.lower()))


_WECHAT_VARIANTS: Final = (("letters", 68), ("mobile", 18), ("wxid", 6), ("digits", 8))


def _wechat(rng: Random, variant: str | None) -> list[_Seg]:
    variant = variant or _weighted(rng, _WECHAT_VARIANTS)
    if variant == "mobile":  # many people's WeChat id is their phone number
        value = mobile_number(rng)
    elif variant == "wxid":
        value = "wxid_" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(14))
    elif variant == "digits":  # an old QQ number as WeChat id
        value = str(rng.randint(10**7, 4 * 10**9))
    else:
        value = _pinyin_id(rng, 6, dot=False)  # WeChat ids: a letter, then letters, digits, _ and -
        if not value[0].isalpha():
            value = "a" + value
    return _one(value, _Tag("wechat", variant, value.lower()))


def _qq(rng: Random, variant: str | None) -> list[_Seg]:
    length = int(_weighted(rng, (("10", 35), ("9", 35), ("8", 14), ("7", 8), ("6", 6), ("5", 2))))
    value = rng.choice("123456789") + _digits(rng, length - 1)
    name = "5-6 digits" if length <= 6 else "7-8 digits" if length <= 8 else "9-10 digits"
    return _one(value, _Tag("qq", name, value))


def chinese_name(rng: Random) -> str:
    """A full name: a common surname (weighted) and a one- or two-character given name."""
    surname = _weighted(rng, _SURNAMES)
    given = rng.choice(_GIVEN_ONE) if rng.random() < 0.25 else rng.choice(_GIVEN_TWO)
    return surname + given


def _name(rng: Random, variant: str | None) -> list[_Seg]:
    name = chinese_name(rng)
    label = "compound-surname" if name[:2] in {"欧阳", "司马", "上官", "诸葛"} else f"{len(name)}-char"
    return _one(name, _Tag("name", label, name))


def _road(rng: Random) -> tuple[str, str]:
    """(road with number, the same: the address's secret part)."""
    road = rng.choice(_ROADS) + _weighted(rng, _ROAD_SUFFIXES)
    number = f"{rng.choice((rng.randint(1, 300), rng.randint(1, 1999)))}号"
    return road + number, road + number


def _room(rng: Random) -> str:
    floor = rng.randint(1, 32)
    return f"{floor}{rng.randint(1, 8):02d}" + rng.choice(("室", "", "室", ""))


def _building(rng: Random) -> str:
    kind = rng.random()
    if kind < 0.45:
        return f"{rng.randint(1, 30)}栋"
    if kind < 0.75:
        return f"{rng.randint(1, 30)}号楼"
    if kind < 0.9:
        return f"{rng.choice('ABCDE')}座"
    return f"{rng.randint(1, 30)}幢"


_ADDRESS_VARIANTS: Final = (("full", 28), ("city", 24), ("district", 10), ("compound", 14), ("village", 8),
                            ("hyphen", 8), ("cn-numerals", 5), ("office", 3))  # fmt: skip


def address_parts(rng: Random, variant: str) -> tuple[list[str], str, str]:
    """(administrative parts, detail, secret) of an address in one of the formats."""
    if variant == "village":
        province, city, county, town, village = rng.choice(_COUNTIES)
        secret = f"{village}{rng.randint(1, 12)}组{rng.randint(1, 99)}号"
        return [province, city, county, town], secret, secret
    province, city, districts, offices = rng.choice(_REGIONS)
    admin = [p for p in (province, city, rng.choice(districts)) if p]
    if variant == "full" and rng.random() < 0.35:
        admin.append(rng.choice(offices))
    road, secret = _road(rng)
    compound = rng.choice(_COMPOUNDS)
    if variant == "compound":
        secret = compound + _building(rng)
        detail = f"{secret}{rng.randint(1, 6)}单元{_room(rng)}"
    elif variant == "cn-numerals":
        secret = f"{compound}{rng.choice(_CN_NUMERALS)}号楼"
        detail = f"{secret}{rng.choice(_CN_NUMERALS[:6])}单元{rng.randint(1, 18)}0{rng.randint(1, 6)}"
    elif variant == "hyphen":
        detail = f"{road}{compound}{rng.randint(1, 20)}-{rng.randint(1, 6)}-{rng.randint(1, 30)}0{rng.randint(1, 4)}"
    elif variant == "office":
        detail = f"{road}{rng.choice(_OFFICES)}{rng.choice('ABC')}座{rng.randint(3, 40)}{rng.randint(1, 20):02d}室"
    else:
        tail = rng.random()
        extra = f"{compound}{_building(rng)}{rng.randint(1, 6)}单元{_room(rng)}" if tail < 0.55 else ""
        extra = extra or (f"{compound}{_building(rng)}{_room(rng)}" if tail < 0.8 else "")
        detail = road + extra
    if variant == "city":
        admin = admin[1:] if len(admin) > 2 else admin
    elif variant == "district":
        admin = admin[-1:]
    return admin, detail, secret


def _address(rng: Random, variant: str | None) -> list[_Seg]:
    variant = variant or _weighted(rng, _ADDRESS_VARIANTS)
    admin, detail, secret = address_parts(rng, variant)
    return _one("".join(admin) + detail, _Tag("address", variant, secret))


# --- pasted address-book entries (name, phone and address in one message, no cue words) --------------------


def _paste(rng: Random, variant: str | None) -> list[_Seg]:
    """The receiver block as buyers paste it from the Taobao, JD or Pinduoduo app, or type it WeChat-style."""
    style = variant or _weighted(rng, (("taobao", 45), ("pdd", 25), ("jd", 15), ("typed", 15)))
    name = _name(rng, None)
    address_variant = rng.choice(("full", "full", "city", "compound", "village"))
    admin, detail, secret = address_parts(rng, address_variant)
    if style == "taobao":  # 张伟，86-13812345678，广东省 深圳市 南山区 粤海街道 科技路88号…，000000
        phone = _phone(rng, "86-" if rng.random() < 0.7 else "plain")
        address = " ".join(admin) + " " + detail
        postcode = rng.choice(("000000", f"{rng.randint(10, 85)}{rng.randint(0, 9999):04d}"))
        tag = _Tag("address", "paste-spaced", secret)
        return [*name, ("，", None), *phone, ("，", None), (address, tag), (f"，{postcode}", None)]
    if style == "pdd":  # 张伟 13812345678 广东省深圳市南山区粤海街道科技路88号…
        tag = _Tag("address", "paste", secret)
        return [*name, (" ", None), *_phone(rng, "plain"), (" ", None), ("".join(admin) + detail, tag)]
    if style == "jd":  # multi-line 收货人/手机号码/所在地区/详细地址
        tag = _Tag("address", "detail-only", secret)
        return [
            ("收货人：", None), *name, ("\n手机号码：", None), *_phone(rng, "plain"),
            (f"\n所在地区：{''.join(admin)}\n详细地址：", None), (detail, tag),
        ]  # fmt: skip
    sep = rng.choice((" ", "，", "\n"))
    return [
        ("收件人：", None), *name, (f"{sep}电话：", None), *_phone(rng, None), (f"{sep}地址：", None),
        *_one("".join(admin) + detail, _Tag("address", address_variant, secret)),
    ]  # fmt: skip


# --- look-alikes ---------------------------------------------------------------------------------------------


def _look(kind: str, variant: str, value: str) -> list[_Seg]:
    return _one(value, _Tag(kind, variant, pii=False))


def taobao_order(rng: Random) -> str:
    """A Taobao/Tmall order id: 19 digits today (a few 18-digit ones from older orders)."""
    if rng.random() < 0.1:
        return rng.choice("123456789") + _digits(rng, 17)
    return rng.choice("11222233334") + _digits(rng, 18)


def _order(rng: Random, variant: str | None) -> list[_Seg]:
    variant = variant or _weighted(rng, (("taobao", 45), ("pdd", 22), ("jd", 23), ("douyin", 10)))
    if variant == "douyin":  # 抖店 order ids: 19 digits
        return _look("order", "douyin-19", rng.choice("456") + rng.choice("0123456789") + _digits(rng, 17))
    if variant == "taobao":
        value = taobao_order(rng)
        return _look("order", f"taobao-{len(value)}", value)
    if variant == "pdd":
        return _look("order", "pdd", f"26{rng.randint(9, 11):02d}{rng.randint(1, 28):02d}-{_digits(rng, 15)}")
    if variant == "jd-mobile":  # an old 11-digit JD id that happens to start like a mobile number
        return _look("order", "jd-11", mobile_number(rng))
    if rng.random() < 0.75:
        return _look("order", "jd-12", rng.choice("23") + _digits(rng, 11))
    return _look("order", "jd-11", rng.choice("123456789") + _digits(rng, 10))


def _waybill_number(rng: Random, courier: str) -> tuple[str, str]:
    if courier == "sf":
        return (
            ("SF" + rng.choice("1234") + _digits(rng, 12), "sf")
            if rng.random() < 0.85
            else (
                rng.choice("2345689") + _digits(rng, 11),
                "sf-bare",
            )
        )
    if courier == "yt":
        return "YT" + rng.choice("6789") + _digits(rng, 12), "yt"
    if courier == "jt":
        return "JT" + rng.choice("35") + _digits(rng, 12), "jt"
    if courier == "jd":
        return rng.choice(("JDVA", "JDVB", "JDVC")) + _digits(rng, 11) if rng.random() < 0.7 else (
            "JDX" + _digits(rng, 12)
        ), "jd"
    if courier == "zto":
        number = rng.choice(("73", "75", "78")) + _digits(rng, 12)
        return ("ZTO" + number, "zto") if rng.random() < 0.15 else (number, "zto-bare")
    if courier == "yunda":
        return rng.choice(("43", "46", "31")) + _digits(rng, 11), "yunda-bare"
    if courier == "sto":
        return rng.choice(("77", "66")) + _digits(rng, 13), "sto-bare"
    if rng.random() < 0.6:
        return f"E{rng.choice('AM')}{_digits(rng, 9)}CN", "ems"
    return rng.choice(("98", "97", "11")) + _digits(rng, 11), "ems-bare"


_COURIER_SHARES: Final = (("sf", 25), ("zto", 20), ("yt", 14), ("yunda", 12), ("jt", 10), ("sto", 7), ("jd", 8),
                          ("ems", 4))  # fmt: skip


def _waybill(rng: Random, variant: str | None) -> list[_Seg]:
    value, name = _waybill_number(rng, variant or _weighted(rng, _COURIER_SHARES))
    return _look("waybill", name, value)


def _courier_waybill(rng: Random, variant: str | None) -> list[_Seg]:
    """A courier's name and its number: 中通78312345678901, 顺丰 SF1234567890123."""
    courier, code = rng.choice(_COURIERS)
    value, name = _waybill_number(rng, code)
    return [(courier + rng.choice(("", "", " ", "：", "快递", "单号")), None), *_look("waybill", name, value)]


def _item(rng: Random, variant: str | None) -> list[_Seg]:
    variant = variant or _weighted(rng, (("taobao-url", 35), ("tmall-url", 15), ("jd-url", 20), ("pdd-url", 10),
                                         ("douyin-url", 5), ("id", 15)))  # fmt: skip
    tb = rng.choice("5678") + _digits(rng, 11)
    spm = f"spm=a21n57.1.0.0.{rng.getrandbits(32):08x}&" if rng.random() < 0.4 else ""
    value = {
        "taobao-url": f"https://item.taobao.com/item.htm?{spm}id={tb}",
        "tmall-url": f"https://detail.tmall.com/item.htm?id={tb}&skuId={rng.choice('45')}{_digits(rng, 12)}",
        "jd-url": rng.choice(("https://item.jd.com/{}.html", "https://item.m.jd.com/product/{}.html")).format(
            "100" + _digits(rng, 9) if rng.random() < 0.8 else rng.choice("123456789") + _digits(rng, 6)
        ),
        "pdd-url": f"https://mobile.yangkeduo.com/goods.html?goods_id={rng.choice('1234567')}{_digits(rng, 11)}",
        "douyin-url": f"https://haohuo.jinritemai.com/views/product/item2?id=3{_digits(rng, 18)}",
        "id": rng.choice((tb, "100" + _digits(rng, 9))),
    }[variant]
    return _look("item", variant, value)


def _sku(rng: Random, variant: str | None) -> list[_Seg]:
    variant = variant or _weighted(rng, (("sku-digits", 40), ("code", 35), ("barcode", 25)))
    if variant == "barcode":  # EAN-13 with a Chinese GS1 prefix (690–699)
        body = f"69{rng.randint(0, 9)}" + _digits(rng, 9)
        weights = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
        return _look("sku", variant, body + str(-weights % 10))
    if variant == "code":
        letters = "".join(rng.choice("ABCDEFGHJKLMNPQRSTWXYZ") for _ in range(rng.randint(1, 3)))
        value = f"{letters}{rng.randint(100, 99999)}" + rng.choice(("", f"-{rng.choice(('BK', 'WH', 'GY'))}", "-XL"))
        return _look("sku", variant, value)
    return _look("sku", variant, rng.choice("45") + _digits(rng, 12))


def _timestamp(rng: Random, variant: str | None) -> list[_Seg]:
    variant = variant or _weighted(rng, (("iso", 35), ("iso-minutes", 15), ("slash", 10), ("compact14", 8),
                                         ("compact8", 5), ("cn", 15), ("short", 8), ("dotted", 4)))  # fmt: skip
    m, d = rng.randint(9, 11), rng.randint(1, 30)
    hh, mm, ss = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    value = {
        "iso": f"2026-{m:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d}",
        "iso-minutes": f"2026-{m:02d}-{d:02d} {hh:02d}:{mm:02d}",
        "slash": f"2026/{m:02d}/{d:02d} {hh:02d}:{mm:02d}:{ss:02d}",
        "compact14": f"2026{m:02d}{d:02d}{hh:02d}{mm:02d}{ss:02d}",
        "compact8": f"2026{m:02d}{d:02d}",
        "cn": f"2026年{m}月{d}日 {hh:02d}:{mm:02d}",
        "short": f"{m:02d}-{d:02d} {hh:02d}:{mm:02d}",
        "dotted": f"2026.{m:02d}.{d:02d}",
    }[variant]
    return _look("timestamp", variant, value)


def _price(rng: Random, variant: str | None) -> list[_Seg]:
    variant = variant or _weighted(rng, (("yen", 35), ("yen-fullwidth", 15), ("yuan", 25), ("yen-thousands", 5),
                                         ("after-coupon", 5), ("coupon", 15)))  # fmt: skip
    amount = rng.choice((rng.randint(9, 399), rng.randint(9, 99) * 10 - 1, rng.randint(100, 2999)))
    cents = rng.choice(("", ".00", ".90", ".50", f".{rng.randint(10, 99)}"))
    value = {
        "yen": f"¥{amount}{cents}",
        "yen-fullwidth": f"￥{amount}{cents}",
        "yuan": f"{amount}元",
        "yen-thousands": f"¥{rng.randint(1, 9)},{rng.randint(0, 999):03d}.00",
        "after-coupon": f"券后{amount}{cents}",
        "coupon": rng.choice(("满{a}减{b}", "满{a}-{b}", "满{a}元减{b}元")).format(
            a=rng.choice((99, 129, 199, 299, 399, 599)), b=rng.choice((5, 10, 20, 30, 50, 100))
        ),
    }[variant]
    return _look("price", variant, value)


_HOTLINES: Final = ("95338", "95311", "95546", "95554", "11183", "95543", "950616")


def _hotline(rng: Random, variant: str | None) -> list[_Seg]:
    """A courier's or brand's service number: a company's, not a person's."""
    if rng.random() < 0.6:
        return _look("hotline", "short", rng.choice(_HOTLINES))
    return _look("hotline", "400", f"400-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}")


def _pickup(rng: Random, variant: str | None) -> list[_Seg]:
    shelf = f"{rng.randint(1, 9)}-{rng.randint(1, 6)}-{rng.randint(1001, 6999)}"
    value = rng.choice(
        (shelf, str(rng.randint(10000, 99999)), f"{rng.choice('ABC')}{rng.randint(1, 20)}-{rng.randint(1000, 9999)}")
    )
    return _look("pickup", "code", value)


def _taxid(rng: Random, variant: str | None) -> list[_Seg]:
    """A company's unified social credit code (统一社会信用代码, the invoice 税号): 18 characters, check char."""
    region = rng.choice(_ID_REGIONS)
    org = rng.choice(("MA" + "".join(rng.choice(_TAX_CHARS) for _ in range(7)), _digits(rng, 9)))
    body = "91" + region + org
    check = _TAX_CHARS[-sum(_TAX_CHARS.index(c) * w for c, w in zip(body, _TAX_WEIGHTS, strict=True)) % 31]
    return _look("taxid", "letters" if org.startswith("MA") else "digits", body + check)


# --- fillers (text, never planted) ---------------------------------------------------------------------------

_WX_CUES: Final = (("微信", 35), ("微信号", 15), ("vx", 12), ("VX", 5), ("wx", 6), ("V信", 5), ("v信", 3), ("威信", 3),
                   ("薇信", 2), ("v", 5), ("绿泡泡", 1))  # fmt: skip
_QQ_CUES: Final = (("QQ", 45), ("qq", 25), ("QQ号", 10), ("扣扣", 8), ("企鹅", 4), ("Q", 5), ("q号", 3))
_SEPS: Final = (("", 40), ("：", 30), (":", 10), (" ", 15), ("是", 5))
_SEPS_AFTER_LETTER: Final = (("：", 45), (":", 15), (" ", 30), ("号", 10))  # `加我vwang88` would be unreadable


def _cue(rng: Random, cues: Sequence[tuple[str, float]]) -> str:
    """A contact-app cue and what follows it (微信：, vx , QQ号…)."""
    cue = _weighted(rng, cues)
    return cue + _weighted(rng, _SEPS_AFTER_LETTER if cue[-1].isascii() and len(cue) == 1 else _SEPS)


_FILLERS: Final[dict[str, Callable[[Random], str]]] = {
    "p": lambda rng: rng.choice(_PRODUCTS),
    "bank": lambda rng: rng.choice(_BANKS),
    "company": lambda rng: rng.choice(_COMPANIES),
    "wxcue": lambda rng: _cue(rng, _WX_CUES),
    "qqcue": lambda rng: _cue(rng, _QQ_CUES),
}
_SLOTS: Final[dict[str, Callable[[Random, str | None], list[_Seg]]]] = {
    "phone": _phone,
    "landline": _landline,
    "idcard": _idcard,
    "bankcard": _bankcard,
    "email": _email,
    "wechat": _wechat,
    "qq": _qq,
    "address": _address,
    "name": _name,
    "paste": _paste,
    "order": _order,
    "waybill": _waybill,
    "cwaybill": _courier_waybill,
    "item": _item,
    "sku": _sku,
    "time": _timestamp,
    "price": _price,
    "pickup": _pickup,
    "hotline": _hotline,
    "taxid": _taxid,
}

# --- scenes --------------------------------------------------------------------------------------------------
# Template slots: {kind} plants a value, {kind:variant} forces a format, a trailing ! marks a look-alike written
# without a label (a bare reply, or in running text), {p}/{bank}/{company}/{wxcue}/{qqcue} are plain text.


@dataclass(frozen=True, slots=True)
class Scene:
    """A kind of message: who writes it, how often (relative), and its templates."""

    name: str
    role: str
    weight: float
    templates: tuple[str, ...]


# fmt: off
SCENES: Final = (
    Scene("change-address", "buyer", 10, (
        "地址写错了，改成{address}", "麻烦帮我改下收货地址：{address}", "收货地址改成{address}，电话不变",
        "亲，能改地址吗？改到{address}", "我搬家了，寄到{address}吧", "送到{address}，放门口就行", "地址是{address}",
        "新地址：{address}", "地址改一下：{address}，收件人{name}，电话{phone}",
        "帮我备注一下，送到{address}，到了打{phone}", "寄到我公司吧，{address}", "{address}", "收货地址：{address}",
        "我住在{address}，快递能送上门吗", "地址：{address} {name} {phone}",
    )),
    Scene("paste-receiver", "buyer", 6, (
        "{paste}", "{paste}", "改成这个：{paste}", "新地址 {paste}", "{paste} 麻烦改一下",
    )),
    Scene("change-phone", "buyer", 9, (
        "电话号码写错了，应该是{phone}", "手机号改成{phone}", "联系电话：{phone}", "你让快递员打我电话{phone}",
        "打这个{phone}", "我的手机{phone}", "新号码{phone}，之前那个停机了", "有问题打{phone}找我", "{phone}",
        "电话{phone}", "我电话是{phone}，名字{name}", "换成{phone}了", "手机：{phone}", "号码{phone}，麻烦备注",
        "联系方式{phone}", "快递员联系不上我的话打{phone}", "{phone} 这个号码",
    )),
    Scene("change-name", "buyer", 7, (
        "收件人写错了，应该是{name}", "收货人改成{name}", "收件人：{name}", "我叫{name}，电话{phone}", "联系人{name}",
        "姓名：{name}", "签收人写{name}就行", "寄件人{name}", "本人{name}，订单号{order}", "收货人姓名{name}",
        "名字改成{name}", "收件人是我老婆{name}", "联系人：{name} {phone}", "我是{name}，昨天下的单",
    )),
    Scene("idcard", "buyer", 8, (
        "清关需要身份证，{idcard}，{name}", "身份证号：{idcard}", "身份证号码{idcard}，姓名{name}",
        "实名认证：{name} {idcard}", "{idcard}", "证件号{idcard}", "我的身份证是{idcard}，麻烦尽快清关",
        "身份证{idcard}姓名{name}", "订单{order}的身份证信息：{name}，{idcard}", "身份证：{idcard}",
        "收件人{name}，身份证号{idcard}", "{name} {idcard}",
    )),
    Scene("refund-card", "buyer", 6, (
        "退款退到我银行卡吧，卡号{bankcard}", "卡号：{bankcard}", "银行卡号{bankcard}，{name}",
        "开户行：{bank}，卡号：{bankcard}，户名：{name}", "账户：{bankcard}", "{bank}{bankcard}", "{bankcard}",
        "打到这张卡上{bankcard}", "收款账号 {bankcard}，持卡人{name}", "支付宝用不了，退到{bank} {bankcard}",
        "卡号{bankcard}，开户名{name}", "{bankcard} {bank}", "银行卡：{bankcard}",
    )),
    Scene("invoice", "buyer", 9, (
        "发票抬头：{company}，税号：{taxid}，邮箱：{email}", "电子发票发我邮箱{email}", "邮箱：{email}",
        "发到这个邮箱{email}谢谢", "{email}", "我的邮箱是{email}，麻烦开一下发票",
        "发票寄到公司，{address}，电话{landline}", "开票信息：{company} 税号{taxid} 电话{landline}",
        "发票开{company}，税号{taxid}", "邮箱 {email}", "开个电子发票，个人，发到{email}", "{email} 发这个邮箱",
        "收票邮箱：{email}", "发票发{email}就行",
    )),
    Scene("landline", "buyer", 4, (
        "座机：{landline}", "白天打单位电话{landline}", "家里电话{landline}，手机{phone}", "固话{landline}",
        "电话：{landline}", "打{landline}找前台", "座机{landline:local}", "电话{landline:local}，白天有人",
        "单位座机：{landline}", "公司电话 {landline}",
    )),
    Scene("contact-app", "buyer", 7, (
        "加我{wxcue}{wechat}，发你视频", "{wxcue}{wechat}", "你加我{wxcue}{wechat}吧", "我{wxcue}{wechat}，图片发你",
        "加个{wxcue}{wechat}", "{qqcue}{qq}", "我{qqcue}{qq}，发图给你", "加{qqcue}{qq}",
        "{qqcue}{qq}，视频太大这里发不了",
    )),
    Scene("agent-confirm", "agent", 3, (
        "亲，核对一下收货信息：{name}，{phone}，{address}，对吗？", "亲，已经帮您改成{address}了",
        "亲，收件人已改为{name}，电话{phone}", "亲，您的新地址是{address}吗", "好的亲，已备注电话{phone}",
    )),
    Scene("order", "buyer", 9, (
        "订单号：{order}，什么时候发货", "{order!}", "我的订单{order}还没发货", "订单编号：{order:pdd}", "{order:pdd!}",
        "订单号{order:jd}，麻烦查一下", "{order:jd!}", "帮我查下这个单{order}", "订单{order}申请退款了",
        "订单号 {order:taobao}", "这个订单{order:taobao}能改地址吗", "订单号：{order:jd} 商品编号：{item:id}",
        "{order:taobao!} 这个单", "我买了两单，{order:taobao}和{order:taobao}", "抖音下的单，订单编号{order:douyin}",
        "{order:douyin!}",
    )),
    Scene("order-agent", "agent", 4, (
        "亲，订单{order}已经发货了哦", "亲，查到您的订单{order:jd}，{time:iso}已出库",
        "亲，订单号{order}的退款已经处理", "您好，您咨询的订单号：{order:jd}", "亲，订单{order:pdd}已经帮您加急了",
    )),
    Scene("waybill", "buyer", 6, (
        "快递单号{waybill}", "{waybill!}", "运单号：{waybill}", "物流一直不更新，单号{waybill}", "{cwaybill}",
        "{cwaybill} 三天没动了", "这个单号{waybill}查不到", "物流单号：{waybill}", "退货寄回了，{cwaybill}",
    )),
    Scene("waybill-agent", "agent", 4, (
        "亲，已经发出了，{cwaybill}，请注意查收", "亲，您的快递单号是{waybill}", "亲，补发的单号：{cwaybill}",
        "亲，{cwaybill}，明天送达", "亲，运单号{waybill}，已经揽收了",
    )),
    Scene("item", "buyer", 4, (
        "这个还有货吗 {item}", "{item!}", "商品ID：{item:id}", "链接：{item}", "{item} 这款有{p}吗", "就这个{item}",
    )),
    Scene("item-agent", "agent", 2, ("亲，您看下这款 {item}", "亲，链接发您：{item}", "亲，商品编号{item:id}")),
    Scene("sku", "buyer", 3, (
        "SKU：{sku:sku-digits}", "货号{sku:code}有没有黑色", "条码{sku:barcode}是正品吗", "规格编码：{sku:code}",
        "款号 {sku:code}", "商品条码：{sku:barcode}", "skuId={sku:sku-digits}",
    )),
    Scene("time", "buyer", 4, (
        "我是{time!}下的单，怎么还没发", "下单时间：{time}", "付款时间{time}", "签收时间 {time}，但我没收到",
        "{time!} 付的款", "发货时间：{time}", "{time:compact14!}",
    )),
    Scene("time-agent", "agent", 2, (
        "亲，您的订单{time:iso}已经发货", "亲，预计{time:cn}前送达", "亲，活动到{time:short}结束",
        "亲，您是{time:iso-minutes}付的款",
    )),
    Scene("price", "buyer", 4, (
        "{price}买的，现在降价了，能补差价吗", "优惠券{price:coupon}怎么用不了", "实付款{price}", "我付了{price}",
        "不是说{price:coupon}吗", "{price}太贵了", "价格{price}能便宜点吗",
    )),
    Scene("price-agent", "agent", 3, (
        "亲，现在下单{price}，还可以用{price:coupon}的券", "亲，差价{price}已经退回", "亲，活动价{price}",
        "亲，店铺券{price:coupon}，领了再下单",
    )),
    Scene("pickup", "buyer", 1, ("取件码{pickup}，驿站说没有", "取件码：{pickup}", "驿站取件码 {pickup} 取不到")),
    Scene("hotline-agent", "agent", 1.5, (
        "亲，可以拨打快递客服电话{hotline}查询", "亲，售后电话{hotline}，工作日9点到18点",
        "亲，您也可以打{hotline}投诉", "亲，品牌官方客服热线：{hotline}",
    )),
    Scene("mixed", "buyer", 5, (
        "订单号{order}，收件人改成{name}，电话{phone}", "订单{order:jd}地址改成{address}",
        "快递单号{waybill}，我电话{phone}，快递员打不通", "{order:taobao}这单，退款退到{bank}卡号{bankcard}",
        "订单{order:pdd}，改地址：{address}，{name} {phone}", "我{time!}下的单{order}，寄到{address}",
        "{price}买的{p}，订单号{order}，我电话{phone}", "{cwaybill} 收件人{name}，取件码{pickup}",
    )),
    Scene("ambiguous", "buyer", 1.5, (
        "{order:jd-mobile!}", "{order:jd-mobile!} 这个", "{order:jd-mobile!}，帮我查一下",
    )),
)
# fmt: on


# --- building lines ------------------------------------------------------------------------------------------

_SLOT_RE: Final = re.compile(r"\{(\w+)(?::([\w+-]+))?(!)?\}")
_BUYER_PREFIXES: Final = (
    ("", 70),
    ("亲，", 6),
    ("你好，", 8),
    ("客服，", 4),
    ("您好，", 5),
    ("在吗？", 2),
    ("那个", 2),
)
_BUYER_SUFFIXES: Final = (("", 60), ("，谢谢", 8), ("谢谢", 5), ("~", 3), ("。", 6), ("[微笑]", 2), ("哈", 1),
                          (" 麻烦了", 3), ("！", 3), ("啊", 1), ("呢", 1))  # fmt: skip
_CJK: Final = re.compile(r"[\u4e00-\u9fff]")
CUE_WIDTH: Final = 12
# Words that announce a kind (this corpus' own lists, for reporting recall with and without one).
_CUES: Final = {
    "phone": re.compile(r"手机|电话|号码|联系|打|[Tt]el|致电"),
    "landline": re.compile(r"电话|座机|固话|[Tt]el"),
    "idcard": re.compile(r"身份证|证件"),
    "bankcard": re.compile(r"卡|银行|账户|账号"),
    "email": re.compile(r"邮箱|邮件|[Ee]-?mail"),
    "wechat": re.compile(r"微信|威信|薇信|[vVwW][xX]|[vV]信|[vV]|绿泡泡"),
    "qq": re.compile(r"[Qq]|扣扣|企鹅"),
    "address": re.compile(r"地址|寄到|送到|发到|改成|改到|住在|寄"),
    "name": re.compile(r"收件人|收货人|联系人|寄件人|签收人|持卡人|开户名|户名|姓名|名字|我叫|我是|本人|改为|改成"),
}


def _segments(rng: Random, template: str) -> list[_Seg]:
    segments: list[_Seg] = []
    position = 0
    for m in _SLOT_RE.finditer(template):
        segments.append((template[position : m.start()], None))
        slot, variant, bare = m.group(1), m.group(2), m.group(3)
        if slot in _FILLERS:
            segments.append((_FILLERS[slot](rng), None))
        else:
            produced = _SLOTS[slot](rng, variant)
            if bare:
                produced = [(text, replace(t, labelled=False) if t else None) for text, t in produced]
            segments.extend(produced)
        position = m.end()
    segments.append((template[position:], None))
    return segments


def _glued(text: str, start: int, end: int) -> bool:
    return bool((start > 0 and _CJK.match(text[start - 1])) or (end < len(text) and _CJK.match(text[end])))


def _assemble(number: int, scene: Scene, segments: list[_Seg]) -> Line:
    text_parts: list[str] = []
    spans: list[tuple[int, int, _Tag]] = []
    length = 0
    for text, tag in segments:
        if tag is not None:
            spans.append((length, length + len(text), tag))
        text_parts.append(text)
        length += len(text)
    text = "".join(text_parts)
    line = Line(number, scene.role, scene.name, text)
    for start, end, tag in spans:
        value = text[start:end]
        if tag.pii:
            cue = _CUES[tag.kind].search(text, max(0, start - CUE_WIDTH), start) is not None
            line.pii.append(
                Planted(tag.kind, tag.variant, value, start, end, tag.secret, _glued(text, start, end), cue)
            )
            continue
        ambiguous_as = None if tag.labelled else reads_as(value)
        target = line.ambiguous if ambiguous_as else line.lookalikes
        target.append(LookAlike(tag.kind, tag.variant, value, start, end, tag.labelled, ambiguous_as))
    return line


def _line(rng: Random, number: int, scene: Scene) -> Line:
    segments = _segments(rng, rng.choice(scene.templates))
    if scene.role == "buyer":
        greeted = segments[0][0].startswith(("亲", "你好", "您好"))
        prefix = "" if greeted else _weighted(rng, _BUYER_PREFIXES)
        segments = [(prefix, None), *segments, (_weighted(rng, _BUYER_SUFFIXES), None)]
    return _assemble(number, scene, segments)


def corpus(n: int, seed: int = 2026) -> list[Line]:
    """n labelled lines, the same for the same seed."""
    rng = Random(f"redaction-corpus:{GENERATOR_VERSION}:{seed}")
    weights = [s.weight for s in SCENES]
    return [_line(rng, i, rng.choices(SCENES, weights=weights)[0]) for i in range(n)]


# --- the message mix (throughput input) ------------------------------------------------------------------------

SHORT_BUYER: Final = ("您好", "在吗", "在吗？", "好的", "谢谢", "好的谢谢", "嗯嗯", "嗯", "好", "OK", "哦哦", "？",
                      "在不在", "[微笑]", "收到", "行", "知道了", "谢谢亲", "人呢")  # fmt: skip
SHORT_AGENT: Final = ("亲，在的呢", "好的亲", "不客气", "稍等", "亲，稍等一下哦", "在的", "收到", "好的", "[玫瑰]",
                      "亲，还有其他问题吗", "感谢您的支持")  # fmt: skip
# Cue words without data: what the detectors must not take for personal data.
CUES_NO_DATA: Final = (
    "电话号码写错了", "收件人改一下", "地址写错了怎么改", "我要改一下收货地址", "姓名写错了", "收货人信息不对",
    "亲，麻烦提供一下您的手机号", "亲，麻烦发一下新地址和收件人", "亲，海关要求实名，麻烦提供收件人姓名和身份证号哦",
    "亲，退款会原路退回到您的支付账户", "亲，平台不允许站外联系哦", "我微信付的款", "能发邮箱吗", "地址是对的",
    "亲，地址已经修改好了", "收件人就是我本人", "快递员电话打不通", "我在外地，晚几天发",
)  # fmt: skip
_PII_SLOTS: Final = tuple(f"{{{k}" for k in (*PII_KINDS, "paste"))
RETURN_ADDRESS: Final = (
    "亲，退货地址：浙江省杭州市余杭区仓前街道文一西路1500号 售后部 收，电话0571-88880000，请备注订单号"
)


@dataclass(frozen=True, slots=True)
class MixMessage:
    """One message of the throughput mix; `pii` says whether it was built with personal data in it."""

    role: str
    content: str
    pii: bool


def message_mix(n: int, seed: int = 2026) -> Iterator[MixMessage]:
    """n messages as a shop's chat log has them: mostly short or templated, a few per cent with personal data.

    About 30 % short repeated texts (您好/在吗/好的/谢谢), 55 % templated questions and answers (the import
    benchmark's templates), 3 % images and system lines, 1.5 % cue words without data, 7 % lines with look-alikes
    only (order ids, waybills, links, prices) and ~3.5 % with personal data (the corpus scenes).
    """
    rng = Random(f"redaction-mix:{GENERATOR_VERSION}:{seed}")
    chat = bench_import.ContentGenerator(seed, "jd-log")
    pii_scenes = [s for s in SCENES if any(k in t for t in s.templates for k in _PII_SLOTS)]
    other_scenes = [s for s in SCENES if s not in pii_scenes and s.name != "ambiguous"]
    pii_weights, other_weights = [s.weight for s in pii_scenes], [s.weight for s in other_scenes]
    for i in range(n):
        roll = rng.random()
        role = "buyer" if rng.random() < 0.52 else "agent"
        if roll < 0.30:
            yield MixMessage(role, rng.choice(SHORT_BUYER if role == "buyer" else SHORT_AGENT), False)
        elif roll < 0.85:
            templates = bench_import.BUYER_TEMPLATES if role == "buyer" else bench_import.AGENT_TEMPLATES
            suffixes = bench_import.BUYER_SUFFIXES if role == "buyer" else bench_import.AGENT_SUFFIXES
            yield MixMessage(role, chat.fill(rng.choice(templates)) + rng.choice(suffixes), False)
        elif roll < 0.88:
            system = rng.choice(bench_import.SYSTEM_LINES).format(agent="小美")
            path = f"{rng.randrange(10**8, 10**9)}/{rng.getrandbits(64):016x}.jpg"
            image = f"https://img30.360buyimg.com/imgzone/jfs/t1/{path}"
            yield MixMessage("system" if rng.random() < 0.5 else role, system if rng.random() < 0.5 else image, False)
        elif roll < 0.895:
            text = rng.choice(CUES_NO_DATA)
            yield MixMessage("agent" if text.startswith("亲") else "buyer", text, False)
        elif roll < 0.965:
            line = _line(rng, i, rng.choices(other_scenes, weights=other_weights)[0])
            yield MixMessage(line.role, line.text, False)
        elif roll < 0.967:
            yield MixMessage("agent", RETURN_ADDRESS, True)
        else:
            line = _line(rng, i, rng.choices(pii_scenes, weights=pii_weights)[0])
            yield MixMessage(line.role, line.text, bool(line.pii))


# --- scoring ---------------------------------------------------------------------------------------------------

_FOLD: Final = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_DIGIT_SEPARATORS: Final = re.compile(r"(?<=[0-9X])[\s\-()]+(?=[0-9X])")


def _joined(output: str) -> str:
    """The output folded to ASCII, upper-cased, with separators between digits removed (`138 1234` → `1381234`)."""
    return _DIGIT_SEPARATORS.sub("", output.translate(_FOLD).upper())


def _digit_secret(item: Planted) -> bool:
    return item.kind in DIGIT_KINDS or (item.kind == "wechat" and item.secret.isdigit())


def leak(item: Planted, output: str, mask: str | None = None) -> str | None:
    """How a planted item survives in a redacted output: None (gone), "untouched" or "partial".

    Numbers (phone, landline, 身份证, bank card, QQ, an all-digit WeChat id): leaked when the output — folded to
    ASCII, separators between digits removed — still holds the digit string or any 7-digit window of it (for
    numbers shorter than 7 digits: the digit string as a whole run). E-mail: the local part; name: the full name;
    address: the street and number (`科技路88号`); WeChat: the id (case-insensitive).

    `mask`, in mask mode, is what the mask is meant to leave of this item (`138****5678`): it is cut out of the
    output before the check, so the first and last digits a mask keeps by design never count as a leak.
    """
    if mask:
        output = output.replace(mask, "\x00")
    if _digit_secret(item):
        if re.search(rf"(?<![0-9]){re.escape(item.value)}(?![0-9])", output):
            return "untouched"
        digits, joined = item.secret.upper(), _joined(output)
        if len(digits) < WINDOW:
            return "partial" if re.search(rf"(?<![0-9]){digits}(?![0-9])", joined) else None
        windows = (digits[i : i + WINDOW] for i in range(len(digits) - WINDOW + 1))
        return "partial" if any(w in joined for w in windows) else None
    if item.value in output:
        return "untouched"
    haystack = output.translate(_FOLD).lower() if item.kind in ("email", "wechat") else output
    return "partial" if item.secret in haystack else None


def preserved(item: LookAlike, text: str, output: str) -> bool:
    """A look-alike is preserved when it appears verbatim in the output (as often as in the input)."""
    return output.count(item.value) >= text.count(item.value)


# --- CLI -----------------------------------------------------------------------------------------------------


def _write_jsonl(records: Iterable[dict[str, object]], out: Path | None) -> None:
    handle = out.open("w", encoding="utf-8") if out else sys.stdout
    try:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        if out:
            handle.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20_000, help="labelled lines")
    parser.add_argument("--mix", type=int, help="write this many chat messages (the throughput mix) instead")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("-o", "--output", type=Path, help="JSONL file (default: stdout)")
    args = parser.parse_args()
    if args.mix:
        _write_jsonl((asdict(m) for m in message_mix(args.mix, args.seed)), args.output)
    else:
        _write_jsonl((line.to_json() for line in corpus(args.n, args.seed)), args.output)


if __name__ == "__main__":
    main()
