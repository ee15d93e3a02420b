"""Hand-built conversations for report tests: Pinduoduo CSV exports with several agents, robots and transfers."""

from __future__ import annotations

import csv
from pathlib import Path

HEADER = ["会话ID", "买家ID", "买家昵称", "客服账号", "发送方", "发送人", "消息类型", "消息内容", "发送时间"]
ROLE_WORDS = {"buyer": "买家", "agent": "客服", "bot": "机器人", "system": "系统"}

# (conversation, role, "YYYY-MM-DD HH:MM:SS", content, agent nick or "", message type word or "")
Row = tuple[str, str, str, str, str, str]


def write_chats(path: Path, rows: list[Row]) -> Path:
    """One buyer per conversation (买家<conversation>); the agent column names the agent who sent or handles it."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for conversation, role, sent_at, content, agent, kind in rows:
            buyer = f"买家{conversation}"
            sender = {"buyer": buyer, "agent": agent, "bot": "小助手", "system": "系统"}[role]
            writer.writerow(
                [
                    conversation,
                    f"9{conversation}",
                    buyer,
                    agent,
                    ROLE_WORDS[role],
                    sender,
                    kind or "文本",
                    content,
                    sent_at,
                ]
            )
    return path
