"""Taobao / Tmall 淘宝天猫 (千牛): the console's spreadsheet export, one row per message.

FORMATS.md: Medium evidence for the shape, Guess for the exact headers, so everything is by alias. Multiple
sheets (one per buyer) are all read; summary sheets (导出汇总) have no chat header and are skipped; the header
row is searched in the first rows. The other Taobao shapes have their own modules: the account TXT
(`taobao_txt`), the message-manager TXT (`taobao_im`) and the spreadsheet with one row per buyer and the whole
conversation in one cell (`taobao_conversation`).
"""

from __future__ import annotations

from chatlog_cli.platforms.tabular import TabularFormat

TAOBAO_MESSAGES = TabularFormat(
    name="taobao-sheet",
    platform="taobao",
    title="淘宝/天猫 千牛聊天记录表格（每行一条消息）",
    columns={
        "buyer": ("客户名", "买家昵称", "客户昵称", "买家", "顾客"),
        "sent_at": ("发送时间", "消息时间", "时间"),
        "date": ("日期", "发送日期"),
        "content": ("发送内容", "聊天内容", "消息内容", "内容"),
        "sender": ("发送账号", "发送人", "发送者"),
        "sender_role": ("账号类型", "发送方类型", "发送方", "角色"),
        "agent": ("客服", "客服账号", "接待客服", "子账号"),
        "conversation_id": ("会话ID", "会话编号"),
        "product_id": ("商品ID", "商品编号", "宝贝ID"),
        "order_id": ("订单号", "订单编号"),
    },
    roles={
        "客户": "buyer",
        "买家": "buyer",
        "顾客": "buyer",
        "客服": "agent",
        "卖家": "agent",
        "商家": "agent",
        "子账号": "agent",
        "主账号": "agent",
        "系统": "system",
        "机器人": "bot",
        "店小蜜": "bot",
        "阿里店小蜜": "bot",
    },
    signature=("客户名", "发送内容", "发送账号", "账号类型", "消息序号", "消息状态", "买家昵称", "宝贝ID"),
    min_signature=2,
    nick_prefixes=("cntaobao",),
    # Seller sub-accounts are `店铺:子账号` (half-width colon); the main account is the bare shop nick.
    agent_nick_pattern=r"^[^:\s]+:[^:\s]+$",
)

FORMATS = (TAOBAO_MESSAGES,)
