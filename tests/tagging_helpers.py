"""Hand-built chats for tagging and alert tests: Pinduoduo CSV exports written from compact tuples."""

from __future__ import annotations

import csv
from pathlib import Path

PDD_HEADER = ["会话ID", "买家ID", "买家昵称", "客服账号", "发送方", "消息类型", "消息内容", "发送时间", "订单编号"]
ROLE_WORDS = {"buyer": "买家", "agent": "客服", "bot": "机器人", "system": "系统"}

# (conversation, role, "YYYY-MM-DD HH:MM:SS", content)
Message = tuple[str, str, str, str]


def write_pdd_csv(path: Path, messages: list[Message]) -> Path:
    """A Pinduoduo chat export with one buyer per conversation (buyer 买家<conversation>)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(PDD_HEADER)
        for conversation, role, sent_at, content in messages:
            buyer = f"买家{conversation}"
            writer.writerow(
                [conversation, f"9{conversation}", buyer, "拼小店-阿花", ROLE_WORDS[role], "文本", content, sent_at, ""]
            )
    return path


RULES = """defaults = "replace"

[[rule]]
tag = "售后处理"

[[rule]]
tag = "退换货"
parent = "售后处理"
keywords = ["换货", "退款", "退货"]
exclude = ["不退款"]

[[rule]]
tag = "物流"

[[rule]]
tag = "物流-配送时效"
parent = "物流"
keywords = ["还没收到", "什么时候到"]

[[rule]]
tag = "风险"
priority = "high"

[[rule]]
tag = "风险-投诉"
parent = "风险"
priority = "urgent"
keywords = ["投诉", "12315"]

[[rule]]
tag = "风险-差评"
parent = "风险"
priority = "high"
keywords = ["差评"]
"""


def write_rules(path: Path, extra: str = "") -> Path:
    """The test rule set (replacing the built-in rules), optionally with more rules appended."""
    path.write_text(RULES + extra, encoding="utf-8")
    return path
