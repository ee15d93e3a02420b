"""Typed non-text messages recognised from content (FORMATS.md, "Non-text messages").

Rules are data: (msg_type, RE2 pattern matched against the whole cleaned content), first match wins.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

_IMAGE_EXT: Final = r"\.(?:jpe?g|png|gif|webp|bmp|heic)(?:[?#]\S*)?"

CONTENT_RULES: Final[tuple[tuple[str, str], ...]] = (
    # Order card: 您选择了一个订单进行咨询（订单号：…；商品编号：…） (JD, Medium evidence).
    ("order_card", r"^您选择了一个订单进行咨询|^\[?订单(?:卡片|信息)\]?[:：]?\s*\S*订单(?:号|编号)[:：]"),
    # JD welcome card / rich-text answer the export cannot show; Taobao web placeholders (High).
    ("card", r"^【此消息为欢迎卡片或富文本模板答案|请在客户端查看原始聊天记录|^目前版本不支持该功能"),
    ("recall", r"撤回了一条消息$"),
    ("transfer", r"^由\s*\S+\s*转交给|^用户发起转人工|^会话已转接|^已为您转接"),
    ("emoticon", r"^(?:#E-[a-z]\d+\s*)+$|^\[(?:表情|动画表情)\]$"),
    ("image", r"^(?:<img\b[^>]*>|\[图片\]|https?://\S+" + _IMAGE_EXT + r"|https?://\S*360buyimg\.com/\S+)$"),
    (
        "product_card",
        r"^https?://(?:item\.jd\.com|item\.taobao\.com|detail\.tmall\.com|mobile\.yangkeduo\.com/goods)\S*$|^\[商品(?:卡片)?\]",
    ),
    ("link", r"^https?://\S+$"),
    ("other", r"^<recognition>|^\[(?:语音|视频|文件|位置)\]$"),
)

_ORDER_ID_IN_CARD: Final = r"订单(?:号|编号)[:：]\s*(?P<order>[0-9A-Za-z][0-9A-Za-z-]{5,40})"
_PRODUCT_ID_IN_CARD: Final = r"商品(?:编号|ID|id)[:：]\s*(?P<product>\d{4,20})"
_PRODUCT_ID_IN_URL: Final = r"(?:item\.jd\.com/|[?&]id=|goods_id=)(?P<product>\d{4,20})"


# Every rule above needs one of these near the start of the message, or ends with 撤回了一条消息; plain text
# (most messages) is recognised by this one scan and skips the per-rule passes.
_MAYBE_TYPED: Final = (
    r"^(?:您选择|\[|【|<|#E-|https?://|由|用户发起|会话已|已为您|目前版本)|请在客户端|撤回了一条消息$|订单(?:号|编号)"
)


def classify(content: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The `msg_type` implied by each message's content (`text` when no rule matches; null content → other)."""
    if isinstance(content, pa.ChunkedArray):
        content = content.combine_chunks()
    maybe = pc.fill_null(pc.match_substring_regex(content, _MAYBE_TYPED), False)
    result = pc.if_else(pc.is_null(content), pa.scalar("other"), pa.scalar("text"))
    if not pc.any(maybe).as_py():
        return result
    candidates = pc.filter(content, maybe)
    typed: pa.Array = pa.nulls(len(candidates), pa.string())
    for msg_type, pattern in CONTENT_RULES:
        hit = pc.fill_null(pc.match_substring_regex(candidates, pattern), False)
        typed = pc.if_else(pc.and_(hit, pc.is_null(typed)), pa.scalar(msg_type), typed)
    return pc.replace_with_mask(result, maybe, pc.fill_null(typed, "text"))


def extract_order_ids(content: pa.Array | pa.ChunkedArray, msg_type: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Order ids quoted inside order cards (null elsewhere)."""
    return _extract(content, _ORDER_ID_IN_CARD, "order", pc.equal(msg_type, "order_card"))


def extract_product_ids(content: pa.Array | pa.ChunkedArray, msg_type: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Product ids from order cards and product links (null elsewhere)."""
    in_card = _extract(content, _PRODUCT_ID_IN_CARD, "product", pc.equal(msg_type, "order_card"))
    in_url = _extract(content, _PRODUCT_ID_IN_URL, "product", pc.equal(msg_type, "product_card"))
    return pc.coalesce(in_card, in_url)


def _extract(
    content: pa.Array | pa.ChunkedArray, pattern: str, group: str, where: pa.Array | pa.ChunkedArray
) -> pa.Array:
    candidates = pc.if_else(pc.fill_null(where, False), content, pa.scalar(None, pa.string()))
    if candidates.null_count == len(candidates):
        return pa.nulls(len(content), pa.string())
    # extract_regex fails on non-matching values; filter to matches first.
    matched = pc.fill_null(pc.match_substring_regex(candidates, pattern), False)
    found = pc.extract_regex(pc.if_else(matched, candidates, pa.scalar(None, pa.string())), pattern)
    values = pc.struct_field(found, group)
    return pc.if_else(matched, values, pa.scalar(None, pa.string()))
