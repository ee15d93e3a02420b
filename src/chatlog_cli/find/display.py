"""How a message reads to a person: typed messages as labels ([图片], [订单卡片 …]), roles in Chinese."""

from __future__ import annotations

from typing import Final

# Column headers of everything a shop owner opens in a spreadsheet (export, search CSV).
COLUMN_HEADERS: Final = {
    "sent_at": "时间", "platform": "平台", "shop": "店铺", "conversation_id": "会话ID", "sender_role": "发送方身份",
    "sender": "发送人", "buyer": "买家", "buyer_id": "买家ID", "agent": "客服", "msg_type": "消息类型",
    "content": "消息内容", "order_id": "订单号", "product_id": "商品ID", "source_file": "来源文件",
    "source_line": "行号", "message_id": "消息ID",
}  # fmt: skip
ROLE_LABELS: Final = {"buyer": "买家", "agent": "客服", "bot": "机器人", "system": "系统", "unknown": "未知"}
TYPE_LABELS: Final = {
    "text": "文本", "image": "图片", "link": "链接", "order_card": "订单卡片", "product_card": "商品卡片",
    "emoticon": "表情", "recall": "撤回", "transfer": "转接", "card": "卡片", "other": "其他",
}  # fmt: skip


def message_text(msg_type: str | None, content: str | None, order_id: str | None = None) -> str:
    """The content as a transcript shows it: text as is, other types behind a label."""
    content = content or ""
    if msg_type in (None, "text"):
        return content
    if msg_type == "order_card":
        return f"[订单卡片 {order_id}]" if order_id else f"[订单卡片] {content}".rstrip()
    if msg_type == "card":
        # The platforms' "cannot display here" placeholders say nothing more than the label.
        return "[卡片，导出文件中无法显示]"
    label = TYPE_LABELS.get(msg_type, msg_type)
    return f"[{label}] {content}".rstrip()


def role_label(role: str | None) -> str:
    """买家 / 客服 / 机器人 / 系统 / 未知."""
    return ROLE_LABELS.get(role or "unknown", role or "未知")


# Spreadsheet programs run a cell that starts with one of these as a formula (CSV/formula injection): a
# buyer's message `=HYPERLINK(…)` must stay text. OWASP's advice: prefix a single quote.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Text that Excel/WPS will show as text, never evaluate."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
