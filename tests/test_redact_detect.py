"""PII detectors: every kind and format, the look-alikes that must survive, mixed and edge-case lines.

All values are synthetic (the 身份证 numbers are made up with valid check digits; phone numbers use the 138
0000 block). The seeded evaluation corpus in benchmarks/ measures recall and preservation at scale.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from chatlog_cli.redact.detect import find_pii
from chatlog_cli.redact.replace import Redactor, mask_value
from chatlog_cli.redact.table import candidates
from chatlog_cli.redact.validate import id_checksum_ok, is_id_shaped, luhn_ok


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in find_pii(text)]


def label(text: str) -> str:
    return Redactor("label").redact_text(text)


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("手机13800001234谢谢", "13800001234"),
        ("电话 138 0000 1234", "138 0000 1234"),
        ("打138-0000-1234", "138-0000-1234"),
        ("+86 13800001234", "+86 13800001234"),
        ("86-13800001234", "86-13800001234"),
        ("0086 138 0000 1234", "0086 138 0000 1234"),
        ("我的号码是１３８００００１２３４", "１３８００００１２３４"),
        ("vx13800001234", "13800001234"),
        ("13800001234", "13800001234"),
        ("订单号：2836521843926543791，手机13800001234", "13800001234"),
    ],
)
def test_mobile_numbers_in_every_spelling(text: str, span: str) -> None:
    assert ("phone", span) in found(text)


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("座机010-62345678", "010-62345678"),
        ("座机010-12345678", "010-12345678"),  # the issue's example: a local number after a separate area code
        ("电话(0755)2345678", "(0755)2345678"),
        ("（０７５５）２３４５６７８", "（０７５５）２３４５６７８"),
        ("打0755-86001234转802", "0755-86001234转802"),
        ("公司电话 87654321", "87654321"),
    ],
)
def test_landlines_with_area_codes_or_context(text: str, span: str) -> None:
    assert ("landline", span) in found(text)


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("身份证110101199003077571", "110101199003077571"),
        ("证件号 11010119900307757X 谢谢", None),  # wrong check digit, but 证件号 says what it is
        ("11010519491231002X", "11010519491231002X"),  # valid checksum, no context
        ("身份证号码是110101 19900307 7571", "110101 19900307 7571"),
        ("老身份证110101900307757", "110101900307757"),
    ],
)
def test_id_cards(text: str, span: str | None) -> None:
    kinds = found(text)
    assert kinds and kinds[0][0] == "idcard"
    if span:
        assert kinds[0][1] == span


def test_id_card_validation() -> None:
    assert id_checksum_ok("110101199003077571") and id_checksum_ok("11010519491231002X")
    assert not id_checksum_ok("110101199003077579")
    assert is_id_shaped("110101199003077571") and not is_id_shaped("990101199003077578")
    assert not is_id_shaped("110101199013077578")  # month 13
    # A checksum-failing 18-digit run without 身份证 context is an order id, not an id card.
    assert found("2101011990030775799") == []


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("卡号6222021234567890123", "6222021234567890123"),
        ("银行卡 6222 0212 3456 7890", "6222 0212 3456 7890"),
        ("退到这张卡吧 6217001234567890", "6217001234567890"),
        ("4111111111111111", "4111111111111111"),  # Visa test number, Luhn-valid
        ("6222 0212 3456 7890 123", "6222 0212 3456 7890 123"),
        ("账户：6228480012345678901", "6228480012345678901"),  # UnionPay, Luhn not required with context
    ],
)
def test_bank_cards(text: str, span: str) -> None:
    assert ("bankcard", span) in found(text)
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")


@pytest.mark.parametrize(
    ("text", "kind", "span"),
    [
        ("邮箱abc.d_1@qq.com谢谢", "email", "abc.d_1@qq.com"),
        ("发到13800001234@163.com", "email", "13800001234@163.com"),
        ("微信：wx_abc123", "wechat", "wx_abc123"),
        ("加v abcd1234", "wechat", "abcd1234"),
        ("vx号是Zhang_San88", "wechat", "Zhang_San88"),
        ("wxid_a1b2c3d4e5", "wechat", "wxid_a1b2c3d4e5"),
        ("QQ 123456789", "qq", "123456789"),
        ("扣扣:10001", "qq", "10001"),
    ],
)
def test_email_wechat_qq(text: str, kind: str, span: str) -> None:
    assert (kind, span) in found(text)


@pytest.mark.parametrize(
    ("text", "street"),
    [
        ("寄到北京市朝阳区建国路88号院3号楼2单元501室", "建国路88号院3号楼2单元501室"),
        ("地址：广东省深圳市南山区科技园科苑路15号", "科苑路15号"),
        ("我住在成都市武侯区人民南路四段27号", "人民南路四段27号"),
        ("收货地址是阳光小区3栋2单元1201", "阳光小区3栋2单元1201"),
        ("浙江省杭州市西湖区文三路168号", "文三路168号"),
        ("改成河南省郑州市金水区农业路72号院", "农业路72号院"),
    ],
)
def test_addresses(text: str, street: str) -> None:
    spans = [span for kind, span in found(text) if kind == "address"]
    assert spans and street in spans[0]
    assert street not in label(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("收件人：张三", "张三"),
        ("收货人李小明，电话13800001234", "李小明"),
        ("联系人王芳 地址…", "王芳"),
        ("我叫欧阳娜娜", "欧阳娜娜"),
        ("姓名:赵四", "赵四"),
        ("收货人改成王成", "王成"),
        ("收件人黄先生", None),  # a surname and a title is not a name
    ],
)
def test_names_in_context(text: str, name: str | None) -> None:
    names = [span for kind, span in found(text) if kind == "name"]
    assert names == ([name] if name else [])


@pytest.mark.parametrize(
    "text",
    [
        "订单号：2836521843926543791",  # Taobao 19 digits
        "订单 183652184392654379",  # Taobao 18 digits
        "拼多多订单231115-123456789012345",  # Pinduoduo
        "京东订单号 281234567890",  # JD 12 digits
        "订单号：13812345678",  # JD 11 digits that look like a mobile number, labelled as an order
        "运单号SF1234567890123",
        "顺丰 SF 1400123456789",
        "中通快递 75312345678901",
        "圆通 YT1234567890123",
        "极兔 JT0001234567890",
        "京东物流 JDVA13812345678",
        "EMS EA123456789CN",
        "商品ID 612345678901",
        "https://item.taobao.com/item.htm?id=13812345678",
        "https://item.jd.com/100012345678.html",
        "SKU:100012345678",
        "2026-10-07 13:12:45 下单的",
        "20261007131245",
        "1696645200000",
        "价格¥138.00，满199减20",
        "优惠券码 A1B2C3D4E5",
        "发票税号91310000MA1FL1234X",
        "",
        "您好，在吗？",
    ],
)
def test_look_alikes_are_untouched(text: str) -> None:
    assert found(text) == []
    assert label(text) == text


def test_several_values_in_one_line_are_all_redacted() -> None:
    text = (
        "收货人张三电话13800001234地址广东省深圳市南山区科技路88号3栋501，身份证110101199003077571，"
        "备用13800005678，邮箱a@b.cn，卡号6222021234567890123，订单号2836521843926543791"
    )
    out = label(text)
    for value in ("张三", "13800001234", "科技路88号", "110101199003077571", "13800005678", "a@b.cn",
                  "6222021234567890123"):  # fmt: skip
        assert value not in out
    assert "2836521843926543791" in out
    assert out.count("[手机号]") == 2


def test_empty_and_very_long_messages() -> None:
    assert find_pii("") == []
    long = ("好的亲 " * 20_000) + "手机13800001234" + (" 谢谢" * 20_000)
    assert label(long).count("[手机号]") == 1
    many = "，".join(f"1380000{i:04d}" for i in range(500))
    assert label(many).count("[手机号]") == 500


def test_redacting_twice_changes_nothing() -> None:
    text = "微信 wx_abc123 QQ 123456789 手机13800001234 收货人张三 地址北京市朝阳区建国路88号"
    for mode in ("mask", "label"):
        once = Redactor(mode).redact_text(text)  # type: ignore[arg-type]
        assert Redactor(mode).redact_text(once) == once  # type: ignore[arg-type]
    pseudo = Redactor("pseudonym", key=b"k" * 32)
    once = pseudo.redact_text(text)
    assert pseudo.redact_text(once) == once
    assert find_pii(once) == []


def test_masks_keep_what_the_issue_shows() -> None:
    assert mask_value("phone", "13812345678") == "138****5678"
    assert mask_value("idcard", "110101199003071234") == "110101********1234"
    assert mask_value("name", "张三") == "张*"
    assert mask_value("bankcard", "6222021234567890123") == "6222***********0123"
    assert mask_value("email", "abc@qq.com") == "a***@qq.com"
    assert mask_value("address", "北京市朝阳区建国路88号") == "北京市朝阳区****"


def test_kinds_can_be_chosen() -> None:
    text = "手机13800001234 邮箱a@b.cn"
    assert Redactor("label", kinds=["email"]).redact_text(text) == "手机13800001234 邮箱[邮箱]"


def test_prefilter_never_hides_a_finding() -> None:
    lines = [
        "手机13800001234", "１３８００００１２３４", "邮箱a@b.cn", "a＠b.cn", "微信：wx_abc123", "ｖｘ abcdef1",
        "QQ 123456789", "收件人：张三", "我叫王芳", "寄到北京市朝阳区建国路88号", "阳光小区3栋2单元",
        "公司电话 87654321",
        "身份证110101199003077571", "卡号 6222 0212 3456 7890", "wxid_a1b2c3d4e5", "加V abcdef12", "好的", "在吗",
    ]  # fmt: skip
    passed = set(candidates(pa.array(lines)).tolist())
    for i, line in enumerate(lines):
        if find_pii(line):
            assert i in passed, line
