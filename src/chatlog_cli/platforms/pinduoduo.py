"""Pinduoduo 拼多多: the merchant console's chat CSV export (FORMATS.md: Low/Guess evidence).

Headers are parsed by alias only. The data model behind the export (msg_id, ts in Unix seconds, type codes
0 text / 1 image / 24, 31, 74 system / 41 source card, from.role user | mall_cs) is covered by aliases too,
so a raw API dump imports through the same declaration.
"""

from __future__ import annotations

from chatlog_cli.platforms.tabular import TabularFormat

PDD_CSV = TabularFormat(
    name="pdd-csv",
    platform="pinduoduo",
    title="拼多多 聊天记录 CSV",
    columns={
        "conversation_id": ("会话ID", "会话编号", "会话id", "session_id"),
        "buyer_id": ("买家ID", "买家id", "用户ID", "uid"),
        "buyer": ("买家昵称", "买家", "用户昵称", "nickname"),
        "agent": ("客服账号", "客服", "客服昵称", "接待客服", "cs_name"),
        "sender_role": ("发送方", "发送者身份", "发送人类型", "from.role", "role"),
        "sender": ("发送人", "发送者", "from.uid"),
        "msg_type": ("消息类型", "type"),
        "content": ("消息内容", "内容", "content"),
        "sent_at": ("发送时间", "消息时间", "时间", "ts"),
        "order_id": ("订单编号", "订单号", "orderSequenceNo", "order_sn"),
        "product_id": ("商品ID", "商品编号", "goods_id"),
    },
    roles={
        "买家": "buyer",
        "用户": "buyer",
        "消费者": "buyer",
        "user": "buyer",
        "客服": "agent",
        "商家": "agent",
        "mall_cs": "agent",
        "系统": "system",
        "平台": "system",
        "system": "system",
        "机器人": "bot",
        "自动回复": "bot",
        "智能客服": "bot",
    },
    types={
        "文本": "text",
        "0": "text",
        "图片": "image",
        "1": "image",
        "商品卡片": "product_card",
        "商品": "product_card",
        "41": "product_card",
        "goods_info_card": "product_card",
        "user_goods_card": "product_card",
        "订单卡片": "order_card",
        "订单": "order_card",
        "系统消息": "other",
        "24": "other",
        "31": "other",
        "74": "other",
        "表情": "emoticon",
        "撤回": "recall",
        "转接": "transfer",
        "链接": "link",
    },
    # Headers only Pinduoduo's export is known to use (FORMATS.md) and the API's field names. Generic ones
    # (发送方, 消息内容, 发送时间, 时间, 内容) occur in other platforms' sheets too and do not count.
    signature=(
        "买家ID",
        "买家昵称",
        "客服账号",
        "订单编号",
        "from.role",
        "orderSequenceNo",
        "template_name",
    ),
    min_signature=2,
)

FORMATS = (PDD_CSV,)
