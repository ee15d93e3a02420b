"""The kinds of personal data chatlog redacts, with the labels shop owners read."""

from __future__ import annotations

from typing import Final

PHONE: Final = "phone"
LANDLINE: Final = "landline"
IDCARD: Final = "idcard"
BANKCARD: Final = "bankcard"
EMAIL: Final = "email"
WECHAT: Final = "wechat"
QQ: Final = "qq"
ADDRESS: Final = "address"
NAME: Final = "name"

# In detection priority order: when two detectors claim overlapping text, the earlier kind wins (a validated
# 身份证 beats a bank-card look-alike of the same digits).
KINDS: Final = (IDCARD, BANKCARD, PHONE, LANDLINE, EMAIL, WECHAT, QQ, ADDRESS, NAME)

LABELS: Final[dict[str, str]] = {
    PHONE: "手机号",
    LANDLINE: "电话",
    IDCARD: "身份证",
    BANKCARD: "银行卡",
    EMAIL: "邮箱",
    WECHAT: "微信",
    QQ: "QQ",
    ADDRESS: "地址",
    NAME: "姓名",
}
