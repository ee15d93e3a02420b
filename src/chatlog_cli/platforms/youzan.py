"""Youzan 有赞: the 客服 → 历史会话 session-detail export (FORMATS.md: Guess evidence).

Shops choose which columns are exported (配置表头), so everything is parsed by header aliases; only time,
content and the sender role are required, and a missing optional column is simply absent.
"""

from __future__ import annotations

from chatlog_cli.platforms.tabular import TabularFormat

YOUZAN_XLSX = TabularFormat(
    name="youzan",
    platform="youzan",
    title="有赞 历史会话明细（xlsx/csv）",
    columns={
        "conversation_id": ("会话ID", "会话编号", "会话id"),
        "buyer": ("客户昵称", "客户", "客户名称", "粉丝昵称"),
        "buyer_id": ("客户ID", "客户id", "粉丝ID"),
        "agent": ("接待客服", "客服", "客服昵称"),
        "sender_role": ("发送方", "发送者", "消息来源"),
        "sender": ("发送人", "发送人昵称"),
        "content": ("消息内容", "内容", "聊天内容"),
        "sent_at": ("消息时间", "发送时间", "时间"),
        "msg_type": ("消息类型",),
        "order_id": ("订单号", "订单编号"),
        "shop": ("店铺", "店铺名称"),
    },
    roles={
        "客户": "buyer",
        "粉丝": "buyer",
        "顾客": "buyer",
        "买家": "buyer",
        "客服": "agent",
        "商家": "agent",
        "系统": "system",
        "系统消息": "system",
        "机器人": "bot",
        "智能客服": "bot",
        "自动回复": "bot",
    },
    types={
        "文本": "text",
        "图片": "image",
        "商品": "product_card",
        "商品卡片": "product_card",
        "订单": "order_card",
        "订单卡片": "order_card",
        "表情": "emoticon",
        "链接": "link",
        "语音": "other",
        "撤回": "recall",
        "系统消息": "other",
    },
    # Headers of Youzan's session export (FORMATS.md); generic ones (发送方, 消息内容, 时间) do not count.
    signature=("客户昵称", "接待客服", "会话来源", "结束方式", "消息时间", "客户", "粉丝昵称"),
    min_signature=2,
)

FORMATS = (YOUZAN_XLSX,)
