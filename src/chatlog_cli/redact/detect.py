r"""Finding personal data in one message: patterns, then validation, then context.

Every pattern runs on a *folded* copy of the text (full-width digits, letters and punctuation mapped to ASCII,
one character for one, so offsets are the original's). Digit boundaries are explicit look-arounds: `\b` does
not fire between a digit and a Chinese character in Python's Unicode mode, and buyers glue numbers to text
(`手机13812345678谢谢`).

Context decides the ambiguous cases. A number directly labelled as an order, waybill, item or SKU
(`订单号：…`, `运单号…`, `?id=…`) is kept; words such as 手机/电话/卡号/身份证 nearby make a digit run personal
even when it fails a checksum. Which digit runs are ambiguous, and why, is written in docs/redaction.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from chatlog_cli.redact import validate
from chatlog_cli.redact.kinds import (
    ADDRESS,
    BANKCARD,
    EMAIL,
    IDCARD,
    KINDS,
    LABELS,
    LANDLINE,
    NAME,
    PHONE,
    QQ,
    WECHAT,
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of personal data: its kind, its span in the original text, and a canonical value.

    `value` identifies the person's data whatever its spelling (digits only for numbers, lower-case e-mail), so
    `138 1234 5678` and `+86 13812345678` get the same pseudonym.
    """

    kind: str
    start: int
    end: int
    value: str


# --- folding ---------------------------------------------------------------------------------------------------

_FOLD: Final = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0xA0: 0x20}


def fold(text: str) -> str:
    """Full-width ASCII variants and odd spaces as plain ASCII, keeping every offset."""
    return text.translate(_FOLD)


def _cjk_except(excluded: str) -> str:
    """A character class of CJK ideographs without `excluded` (Python `re` has no class subtraction)."""
    ranges: list[str] = []
    start = 0x4E00
    for cp in sorted({ord(c) for c in excluded}):
        if cp > start:
            ranges.append(f"\\u{start:04x}-\\u{cp - 1:04x}")
        start = cp + 1
    ranges.append(f"\\u{start:04x}-\\u9fff")
    return "[" + "".join(ranges) + "]"


# --- context -----------------------------------------------------------------------------------------------------

# A label directly before a number that makes it an order, waybill, item or SKU id rather than personal data.
_ID_LABEL_BEFORE: Final = re.compile(
    r"(?:订单|单号|运单|快递单|物流单|(?:这个|这|的|下|个)单|包裹|商品|宝贝|货号|编号|编码|条码|型号|批次|工单|发票|券码?|"
    r"SKU|sku|"
    r"[Ii][Dd]|[A-Za-z_]*id=|item/|goods/|sku=)"
    r"[号码]?(?:编号|号)?(?:是|为|:)?\s*[:#=]?\s*$"
)
# Words that make nearby numbers ids rather than personal data, and words that make them personal.
_ID_WORDS: Final = re.compile(
    r"订单|单号|运单|快递|物流|包裹|商品|宝贝|货号|SKU|sku|编号|编码|条码|型号|工单|发票|税号"
)
_PHONE_WORDS: Final = re.compile(r"手机|电话|联系|号码|致电|打给|来电|短信|[Tt]el|TEL|微信|vx|VX|wx|WX")
_CARD_WORDS: Final = re.compile(r"卡号|银行|卡|账户|账号|储蓄|信用|借记|开户|转账|打款|汇款|收款|退款到|退到")
_ID_CARD_WORDS: Final = re.compile(r"身份证|证件|身份|证号")
_CONTEXT_WIDTH: Final = 16


def _last_end(pattern: re.Pattern[str], window: str) -> int:
    end = -1
    for m in pattern.finditer(window):
        end = m.end()
    return end


def _context_favours(folded: str, start: int, personal: re.Pattern[str]) -> int:
    """+1 when the nearest cue before `start` says personal, -1 when it says id, 0 when there is none."""
    window = folded[max(0, start - _CONTEXT_WIDTH) : start]
    up, down = _last_end(personal, window), _last_end(_ID_WORDS, window)
    if up < 0 and down < 0:
        return 0
    return 1 if up >= down else -1


def _labelled_as_id(folded: str, start: int) -> bool:
    return _ID_LABEL_BEFORE.search(folded[max(0, start - 12) : start]) is not None


# Waybill prefixes glued to digits (SF1234…, JT…, JDVA…): such digits are never a phone number.
_WAYBILL_PREFIX: Final = re.compile(r"(?:SF|YT|JT|JD[A-Z]{0,2}|ZTO|YD|YZ|DPK|KYE|TT|EMS|EA|DB|BS|HTKY|ZJS|UC)$", re.I)
_LETTERS_BEFORE: Final = re.compile(r"[A-Za-z]+$")


_TOKEN_CHARS: Final = re.compile(r"[A-Za-z0-9_]*")
_LONG_TOKEN: Final = 16


def _inside_hash(folded: str, start: int, end: int) -> bool:
    """Digits inside a long run of letters and digits (an image URL's hash, a session key) are not a number."""
    left = start
    while left > 0 and (folded[left - 1].isascii() and (folded[left - 1].isalnum() or folded[left - 1] == "_")):
        left -= 1
    right = _TOKEN_CHARS.match(folded, end)
    token_end = right.end() if right is not None else end
    if token_end - left < _LONG_TOKEN or (left == start and token_end == end):
        return False
    token = folded[left:token_end]
    return any(c.isalpha() for c in token) and sum(c.isdigit() for c in token) < len(token) - 1


def _after_waybill_prefix(folded: str, start: int) -> bool:
    letters = _LETTERS_BEFORE.search(folded[max(0, start - 6) : start])
    return letters is not None and _WAYBILL_PREFIX.fullmatch(letters.group()) is not None


# --- number detectors ------------------------------------------------------------------------------------------

_NOT_AFTER_DIGIT: Final = r"(?<![0-9])(?<![0-9]-)"
_NOT_BEFORE_DIGIT: Final = r"(?![0-9])(?!-[0-9])"

_MOBILE: Final = re.compile(
    _NOT_AFTER_DIGIT + r"(?:(?:\+|00)?86[ -]?)?(1[3-9][0-9])[ -]?([0-9]{4})[ -]?([0-9]{4})" + _NOT_BEFORE_DIGIT
)
_AREA: Final = r"0(?:10|2[0-9]|[3-9][0-9]{2})"
# Local numbers start with 2–9; written apart from its area code (`010-12345678`, `(010)…`) a number starting
# with 1 is taken too, since the separator already says "area code, then number".
_LANDLINE: Final = re.compile(
    _NOT_AFTER_DIGIT
    + rf"(?:\(({_AREA})\)[ -]?([1-9][0-9]{{6,7}})|({_AREA})[ -]([1-9][0-9]{{6,7}})|({_AREA})([2-9][0-9]{{6,7}}))"
    + r"(?:(?:-|转|ext\.?|#)[0-9]{1,5})?"
    + _NOT_BEFORE_DIGIT
)
_LOCAL_NUMBER: Final = re.compile(
    r"(?:电话|座机|固话|[Tt]el|TEL)[^0-9]{0,4}?" + _NOT_AFTER_DIGIT + r"([2-9][0-9]{6,7})(?![0-9])"
)
_ID18: Final = re.compile(
    _NOT_AFTER_DIGIT + r"([1-9][0-9]{5})[ -]?((?:18|19|20)[0-9]{6})[ -]?([0-9]{3}[0-9Xx])" + _NOT_BEFORE_DIGIT
)
_ID15: Final = re.compile(_NOT_AFTER_DIGIT + r"[1-9][0-9]{14}" + _NOT_BEFORE_DIGIT)
_DIGIT_RUN: Final = re.compile(_NOT_AFTER_DIGIT + r"[0-9](?:[ -]?[0-9]){14,18}" + _NOT_BEFORE_DIGIT)
_NON_DIGITS: Final = re.compile(r"[^0-9Xx]")


def _digits(text: str) -> str:
    return _NON_DIGITS.sub("", text).upper()


def _mobiles(folded: str) -> Iterator[Finding]:
    for m in _MOBILE.finditer(folded):
        number = m.group(1) + m.group(2) + m.group(3)
        if not validate.is_mobile(number) or _after_waybill_prefix(folded, m.start()):
            continue
        if _inside_hash(folded, m.start(), m.end()):
            continue
        if _labelled_as_id(folded, m.start()) and _context_favours(folded, m.start(), _PHONE_WORDS) <= 0:
            continue
        yield Finding(PHONE, m.start(), m.end(), number)


def _landlines(folded: str) -> Iterator[Finding]:
    for m in _LANDLINE.finditer(folded):
        if _labelled_as_id(folded, m.start()) or _after_waybill_prefix(folded, m.start()):
            continue
        if _inside_hash(folded, m.start(), m.end()):
            continue
        area, local = next((a, n) for a, n in ((1, 2), (3, 4), (5, 6)) if m.group(a))
        yield Finding(LANDLINE, m.start(), m.end(), m.group(area) + m.group(local))
    for m in _LOCAL_NUMBER.finditer(folded):
        yield Finding(LANDLINE, m.start(1), m.end(1), m.group(1))


def _id_cards(folded: str) -> Iterator[Finding]:
    for m in _ID18.finditer(folded):
        number = _digits(m.group())
        if not validate.is_id_shaped(number) or _inside_hash(folded, m.start(), m.end()):
            continue
        context = _context_favours(folded, m.start(), _ID_CARD_WORDS)
        if context > 0 or (validate.id_checksum_ok(number) and not _labelled_as_id(folded, m.start())):
            yield Finding(IDCARD, m.start(), m.end(), number)
    for m in _ID15.finditer(folded):
        number = m.group()
        if not validate.is_id_shaped(number) or _after_waybill_prefix(folded, m.start()):
            continue
        if _inside_hash(folded, m.start(), m.end()):
            continue
        if _context_favours(folded, m.start(), _ID_CARD_WORDS) >= 0 and not _labelled_as_id(folded, m.start()):
            yield Finding(IDCARD, m.start(), m.end(), number)


def _is_card(folded: str, start: int, number: str, grouped: bool) -> bool:
    """A 15–19 digit run is a bank card when context says so, or when its shape leaves no other reading.

    Bare 18–19 digit runs are usually Taobao order ids, so without context only a UnionPay `62` prefix or a
    16-digit Luhn-valid number of a card scheme counts; four-digit groups (`6222 0212 …`) are never an order id.
    """
    context = _context_favours(folded, start, _CARD_WORDS)
    if context > 0:
        return 16 <= len(number) <= 19 or (len(number) == 15 and number.startswith(("34", "37")))
    if context < 0 or _labelled_as_id(folded, start) or not 16 <= len(number) <= 19:
        return False
    if not validate.card_bin_plausible(number):
        return False
    # UnionPay (62…) numbers count without Luhn: some debit cards fail it, and no order id format starts so.
    if grouped or number.startswith("62"):
        return True
    return len(number) == 16 and validate.luhn_ok(number)


def _bank_cards(folded: str) -> Iterator[Finding]:
    for m in _DIGIT_RUN.finditer(folded):
        number = _digits(m.group())
        if _after_waybill_prefix(folded, m.start()) or _inside_hash(folded, m.start(), m.end()):
            continue
        if _is_card(folded, m.start(), number, grouped=len(number) != len(m.group())):
            yield Finding(BANKCARD, m.start(), m.end(), number)


# --- e-mail, WeChat, QQ ------------------------------------------------------------------------------------------

_EMAIL: Final = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,12}(?![A-Za-z0-9])"
)
_WECHAT_CUE: Final = (
    r"(?:微信号?|威信|薇信|维信|绿泡泡|[vV]信|[vV][xX]|[wW][xX]|weixin|WeChat|wechat|[+加] ?[vVwW]|[vV](?=号|:|\s))"
)
_WECHAT: Final = re.compile(
    rf"(?<![A-Za-z]){_WECHAT_CUE}\s*(?:号|id|ID)?\s*(?:是|为|:|=)?\s*"
    r"([A-Za-z][A-Za-z0-9_-]{5,19}|[0-9]{5,11})(?![A-Za-z0-9_-])"
)
_WXID: Final = re.compile(r"(?<![A-Za-z0-9_])wxid_[A-Za-z0-9]{6,20}(?![A-Za-z0-9_])")
_QQ: Final = re.compile(
    r"(?<![A-Za-z])(?:[Qq]{2}|扣扣|企鹅|[Qq](?=号|:|\s))\s*(?:号码?|群号?)?\s*(?:是|为|:|=)?\s*([1-9][0-9]{4,11})(?![0-9])"
)
_CHAT_HINT: Final = re.compile(
    "|".join(
        re.escape(w)
        for w in (
            "微信",
            "威信",
            "薇信",
            "维信",
            "v信",
            "V信",
            "weixin",
            "WeChat",
            "wechat",
            "Wechat",
            "扣扣",
            "企鹅",
            *(a + b for a in "vVwW" for b in "xX"),
            *(a + s + b for a in "+加" for s in ("", " ") for b in "vVwW"),
            *(a + b for a in "Qq" for b in "Qq"),
            "绿泡泡",
            *(a + b for a in "QqVv" for b in ("号", ":", " ")),
        )
    )
)


def _emails(folded: str) -> Iterator[Finding]:
    if "@" in folded:
        for m in _EMAIL.finditer(folded):
            yield Finding(EMAIL, m.start(), m.end(), m.group().lower())


def _chat_ids(folded: str) -> Iterator[Finding]:
    for m in _WECHAT.finditer(folded):
        yield Finding(WECHAT, m.start(1), m.end(1), m.group(1).lower())
    for m in _WXID.finditer(folded):
        yield Finding(WECHAT, m.start(), m.end(), m.group().lower())
    for m in _QQ.finditer(folded):
        yield Finding(QQ, m.start(1), m.end(1), m.group(1))


# --- addresses -------------------------------------------------------------------------------------------------

# Characters that end a place name in running text rather than belong to it (我在…, 寄到…, 的…).
_NOT_IN_PLACE: Final = "的是在到住寄送给为我你他她您请帮把就要或址呢吧吗啊哦呀了也还从往"
_HAN_PLACE: Final = _cjk_except(_NOT_IN_PLACE)
_PROVINCES: Final = (
    "北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|"
    "贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门"
)
_PROVINCE: Final = rf"(?:{_PROVINCES})(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)?"
_ADMIN_UNIT: Final = rf"{_HAN_PLACE}{{1,5}}?(?:市|自治州|州|盟|地区|新区|区|县|旗|镇|乡|街道)"
_PLACE_SUFFIXES: Final = (
    "大街", "大道", "胡同", "小区", "花园", "公寓", "大厦", "广场", "家园", "新村", "社区", "园区", "工业园", "工业区",
    "开发区", "商城", "公馆", "宿舍", "路", "街", "巷", "弄", "村", "屯", "苑", "庄", "城", "府", "湾", "坊", "园",
    "区",
)  # fmt: skip
_PLACE: Final = rf"(?:{_HAN_PLACE}|[A-Za-z0-9]){{1,12}}?(?:{'|'.join(_PLACE_SUFFIXES)})"
_NUMERAL_START: Final = "[0-9一二三四五六七八九十百零〇两A-Za-z]"
_NUMERAL: Final = r"(?:[0-9]{1,5}|[一二三四五六七八九十百零〇两]{1,4}|[A-Za-z])"
_UNIT: Final = r"(?:号楼|号院|号|弄|栋|幢|座|楼|单元|室|层|户|组|排|期)"
# An estate without a road word, anchored on its building and unit (碧桂园6栋3单元303, 融创壹号院六号楼四单元302).
_BUILDING_ADDRESS: Final = re.compile(
    rf"(?:{_PROVINCE} ?)?(?:{_ADMIN_UNIT} ?){{0,4}}(?:{_HAN_PLACE}|[A-Za-z0-9]){{0,12}}?"
    rf"{_NUMERAL}(?:号楼|栋|幢|座)(?:-?{_NUMERAL}{_UNIT}){{1,4}}(?:-?[0-9]{{2,5}}(?:室|房|号)?)?(?![0-9])"
)
_PROVINCE_NAME: Final = re.compile(_PROVINCES)
_STREET_ADDRESS: Final = re.compile(
    rf"(?:{_PROVINCE} ?)?(?:{_ADMIN_UNIT} ?){{0,4}}{_PLACE}(?:-?{_NUMERAL}{_UNIT}){{1,6}}"
    r"(?:-?[0-9]{2,5}(?:室|房|号)?)?(?![0-9])"
)
_ADDRESS_CUE: Final = re.compile(
    r"(?:收货地址|收件地址|寄件地址|详细地址|地址|寄到|送到|发到|住在|住址)(?:是|为|改为|改成|:)?\s*"
)
_ADDRESS_TAIL: Final = re.compile(r"[^\s,.;!?，。；！？、\[]{4,60}")
_ADDRESS_ENDS_AT: Final = re.compile(r"电话|手机|联系|收货人|收件人|姓名|微信|谢谢|麻烦|[0-9]{7,}")
_ADDRESS_NUMBER: Final = re.compile(r"[0-9]|号|栋|幢|室|单元")
_ADDRESS_WORD: Final = re.compile(r"省|市|区|县|镇|乡|村|路|街|巷|弄|号|栋|幢|室|单元|小区")
_ADDRESS_CUES: Final = ("地址", "寄到", "送到", "发到", "住在", "住址")
_BUILDING_WORDS: Final = ("号楼", "栋", "幢", "单元")
_ADDRESS_CUE_HINT: Final = re.compile("|".join(_ADDRESS_CUES))
# Hints are flat alternations of literals: Python's `re` then scans for their first characters only, five
# times faster than a group or a class up front (measured on JDDC text).
_STREET_HINT: Final = re.compile("|".join(f"{c}-?{_NUMERAL_START}" for c in sorted({w[-1] for w in _PLACE_SUFFIXES})))
_BUILDING_HINT: Final = re.compile("|".join(_BUILDING_WORDS))
_PLACE_HINT: Final = re.compile("|".join([_STREET_HINT.pattern, *_ADDRESS_CUES, *_BUILDING_WORDS]))


def _address_start(folded: str, start: int) -> int:
    """Where an address match really starts: at a province name a few characters in (地址改成河南省… → 河南省)."""
    province = _PROVINCE_NAME.search(folded, start + 1, start + 4)
    return province.start() if province is not None else start


def _addresses(folded: str) -> Iterator[Finding]:
    # The address patterns backtrack a lot; each runs only when the word it is anchored on is there.
    for pattern, hint in ((_STREET_ADDRESS, _STREET_HINT), (_BUILDING_ADDRESS, _BUILDING_HINT)):
        if not hint.search(folded):
            continue
        for m in pattern.finditer(folded):
            start = _address_start(folded, m.start())
            yield Finding(ADDRESS, start, m.end(), folded[start : m.end()])
    for cue in _ADDRESS_CUE.finditer(folded) if _ADDRESS_CUE_HINT.search(folded) else ():
        tail = _ADDRESS_TAIL.match(folded, cue.end())
        if tail is None:
            continue
        end = tail.end()
        stop = _ADDRESS_ENDS_AT.search(folded, tail.start(), end)
        if stop is not None:
            end = stop.start()
        text = folded[tail.start() : end]
        if len(text) >= 4 and _ADDRESS_WORD.search(text) and _ADDRESS_NUMBER.search(text):
            start = _address_start(folded, tail.start())
            yield Finding(ADDRESS, start, end, folded[start:end])


# --- names -------------------------------------------------------------------------------------------------------

# Common surnames (the great majority of the population); a name cue followed by a non-surname is usually a
# phrase (姓名写错了, 收货人信息), not a name.
_SURNAMES: Final = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫严段雷侯龙史陶黎贺顾毛郝龚邵万钱覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏"
    "席卫米柏宗瞿桂佟臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝封谈匡鞠惠荆冀郁胥班储"
    "栗燕楚鄢劳谌奚皮粟冼蔺闻厉伊仝郜阚权帅屠朴盖练廉禹井祖漆巴丰支卿狄计索宣晋芮扈晁阙浦戈伏鹿薄邸雍辜"
    "羊乌母裘亓修邰赫杭况逯隆茹诸战慕危亢嵇湛宾戎勾茅利於呼揭尉冶斯束檀衣昝奉植衡富尧"
)
_COMPOUND_SURNAMES: Final = (
    "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|长孙|夏侯|轩辕|令狐|宇文|司徒|端木|独孤|南宫|西门|申屠"
)
_HAN_NAME: Final = _cjk_except(_NOT_IN_PLACE + "电手地联收身微先女士号码姓名信息写错有误填空栏")
_PERSON: Final = rf"(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}]){_HAN_NAME}{{1,2}}"
_NAME_CUES: Final = (
    "收件人", "收货人", "联系人", "寄件人", "签收人", "持卡人", "开户名", "开户人", "户名", "真实姓名", "姓名", "名字",
    "我叫", "叫我", "本人",
)  # fmt: skip
_RELATIVE: Final = (
    r"(?:我的?(?:老婆|老公|爱人|妈妈?|爸爸?|朋友|同事|家人|女朋友|男朋友|儿子|女儿|姐姐?|哥哥?|弟弟|妹妹))?"
)
# A cue, then either the name or a short phrase ending in a verb (收件人写错了，应该是唐敏 / 收件人已改为刘欣妍).
_NAME: Final = re.compile(
    f"(?:{'|'.join(_NAME_CUES)})"
    r"(?:[^。.!！?？\n]{0,8}?(?:应该是|改为|改成|换成|写成|写|是|为|叫))?\s*:?\s*" + _RELATIVE + r"\s*"
    rf"({_PERSON})"
)
# 我是陈强，… : a self-introduction counts only when the name ends there (not 我是江苏的).
_NAME_SELF: Final = re.compile(rf"我是({_PERSON})(?=[\s,.;:!?，。；：！？]|$)")
_NAME_ENDS_AT: Final = re.compile(r"先生|小姐|女士|同学|老师|师傅|老板|亲")
# Words that start with a surname character but are not names (two characters: a name's first two are checked).
_NOT_NAMES: Final = frozenset(
    [
        "谢谢", "麻烦", "马上", "方便", "收到", "辛苦", "费心", "师傅", "包裹", "包邮", "快递", "查询",
        "付款", "支付", "修改", "申请", "尚未", "解决", "成功", "凌晨", "周末", "时间", "金额", "余额",
        "颜色", "单号", "邮费", "商品", "商家", "信息", "关于", "关注", "任何", "于是", "万一", "常用",
        "顾客", "安装", "安全", "高兴", "白色", "黄色", "金色", "蓝色", "许多", "曾经", "严重", "温馨",
        "文件", "范围", "陆续", "符合", "舒服", "尤其", "费用", "沙发", "祝您", "衣服", "程序", "司机",
        "路上", "车上", "向您", "方式", "方法",
    ]
)  # fmt: skip
_NAME_HINT: Final = re.compile("|".join([*_NAME_CUES, "我是"]))
# A bare name directly beside a phone number, 身份证 or card (pasted receiver blocks: 陈海燕 18112345678), bounded by
# the start of the text or a separator on its other side.
_NAME_BEFORE_NUMBER: Final = re.compile(rf"(?:^|(?<=[\s,;:!?，。；：！？、]))({_PERSON})[\s,;:，；：]*$")
_NAME_AFTER_NUMBER: Final = re.compile(rf"^[\s,;:，；：、]+({_PERSON})(?![\u4e00-\u9fff])")
# Place names start with surname characters too (江苏省, 安徽省 合肥市): never a name.
_PLACE_NAME: Final = re.compile(rf"^(?:{_PROVINCES})|[省市区县镇乡村路街]$")
_NAME_NEIGHBOURS: Final = frozenset({PHONE, LANDLINE, IDCARD, BANKCARD})


def _trim_name(name: str) -> str:
    stop = _NAME_ENDS_AT.search(name, 1)
    name = name[: stop.start()] if stop is not None else name
    if len(name) < 2 or name[:2] in _NOT_NAMES or _PLACE_NAME.search(name):
        return ""
    return name


def _names(folded: str) -> Iterator[Finding]:
    for pattern in (_NAME, _NAME_SELF):
        for m in pattern.finditer(folded):
            name = _trim_name(m.group(1))
            if name:
                yield Finding(NAME, m.start(1), m.start(1) + len(name), name)


def _names_beside(folded: str, numbers: list[Finding]) -> Iterator[Finding]:
    for f in numbers:
        before = _NAME_BEFORE_NUMBER.search(folded, max(0, f.start - 8), f.start)
        if before is not None and (name := _trim_name(before.group(1))):
            yield Finding(NAME, before.start(1), before.start(1) + len(name), name)
        after = _NAME_AFTER_NUMBER.match(folded[f.end : f.end + 10])
        if after is not None and (name := _trim_name(after.group(1))):
            yield Finding(NAME, f.end + after.start(1), f.end + after.start(1) + len(name), name)


# --- resolution ----------------------------------------------------------------------------------------------------

_PRIORITY: Final = {kind: i for i, kind in enumerate((EMAIL, *(k for k in KINDS if k != EMAIL)))}
# Our own output (`[手机号]`, `[手机号:7f3a9c21]`) is never detected again, so redacting twice changes nothing.
_OWN_TOKEN: Final = re.compile(r"\[(?:" + "|".join(map(re.escape, LABELS.values())) + r")(?::[0-9a-f]{8})?\]")
# Detectors whose spans may be clipped where a higher-priority finding overlaps them (an address glued to a
# phone number keeps its street part); number detectors are all-or-nothing.
_CLIPPABLE: Final = frozenset({ADDRESS, NAME})


def _free_parts(start: int, end: int, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    parts = [(start, end)]
    for t_start, t_end in taken:
        parts = [
            piece
            for p_start, p_end in parts
            for piece in ((p_start, min(p_end, t_start)), (max(p_start, t_end), p_end))
            if piece[1] > piece[0]
        ]
    return parts


_NEEDS_FOLD: Final = re.compile("[\uff01-\uff5e\u3000\u00a0]")
_DIGIT_RUNS: Final = re.compile(r"[0-9]+")
# The fewest digits each number detector can match: a landline's local part has 7, a 身份证 or card 15+.
_FEWEST_DIGITS_LANDLINE: Final = 7
_FEWEST_DIGITS_MOBILE: Final = 11
_FEWEST_DIGITS_LONG: Final = 15


def _candidates(folded: str) -> list[Finding]:
    found: list[Finding] = []
    if "@" in folded:
        found.extend(_emails(folded))
    digits = sum(map(len, _DIGIT_RUNS.findall(folded)))
    if digits >= _FEWEST_DIGITS_LONG:
        found.extend(_id_cards(folded))
        found.extend(_bank_cards(folded))
    if digits >= _FEWEST_DIGITS_MOBILE:
        found.extend(_mobiles(folded))
    if digits >= _FEWEST_DIGITS_LANDLINE:
        found.extend(_landlines(folded))
    if _CHAT_HINT.search(folded):
        found.extend(_chat_ids(folded))
    if _PLACE_HINT.search(folded):
        found.extend(_addresses(folded))
    if _NAME_HINT.search(folded):
        found.extend(_names(folded))
    return found


def _resolve(folded: str, candidates: list[Finding]) -> list[Finding]:
    """Non-overlapping findings: higher-priority kinds first; addresses and names may be clipped around them."""
    taken = [m.span() for m in _OWN_TOKEN.finditer(folded)]
    if len(candidates) == 1 and not taken:
        return candidates
    candidates.sort(key=lambda f: (_PRIORITY[f.kind], f.start, -f.end))
    accepted: list[Finding] = []
    for f in candidates:
        parts = _free_parts(f.start, f.end, taken)
        if parts == [(f.start, f.end)]:
            accepted.append(f)
        elif f.kind in _CLIPPABLE and parts:
            start, end = max(parts, key=lambda p: p[1] - p[0])
            piece = folded[start:end]
            # What is left of a clipped address must still look like one (not a trailing `[微笑]`).
            if end - start < 2 or (f.kind == ADDRESS and not _ADDRESS_NUMBER.search(piece)):
                continue
            accepted.append(Finding(f.kind, start, end, f.value if f.kind != ADDRESS else piece))
        else:
            continue
        taken.append((accepted[-1].start, accepted[-1].end))
    accepted.sort(key=lambda f: f.start)
    return accepted


def find_pii(text: str, kinds: Iterable[str] | None = None) -> list[Finding]:
    """All personal data in `text`, as non-overlapping findings in text order."""
    if not text:
        return []
    folded = fold(text) if _NEEDS_FOLD.search(text) else text
    candidates = _candidates(folded)
    if not candidates:
        return []
    numbers = [f for f in candidates if f.kind in _NAME_NEIGHBOURS]
    if numbers:
        candidates.extend(_names_beside(folded, numbers))
    accepted = _resolve(folded, candidates)
    if kinds is not None:
        wanted = frozenset(kinds)
        accepted = [f for f in accepted if f.kind in wanted]
    return accepted
