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


A, B = "拼小店-阿花", "拼小店-小桃"
MON, SUN = "2026-11-02", "2026-11-08"  # ISO week 2026-W45
# ISO week 2026-W45 (Monday 2 … Sunday 8 November), one conversation in W46.
CHATS: list[Row] = [
    # A burst: the clock starts at the first message; answered 60 s later by A.
    ("BURST", "buyer", f"{MON} 10:00:00", "在吗", A, ""),
    ("BURST", "buyer", f"{MON} 10:00:30", "这个有现货吗", A, ""),
    ("BURST", "agent", f"{MON} 10:01:00", "有的亲", A, ""),
    # A robot answers at once; the person after 4 minutes: 240 s, not within 3 minutes.
    ("ROBOT", "buyer", f"{MON} 11:00:00", "能便宜点吗", A, ""),
    ("ROBOT", "bot", f"{MON} 11:00:01", "您好，客服马上来", A, ""),
    ("ROBOT", "agent", f"{MON} 11:04:00", "亲，已经是最低价了", A, ""),
    # Transferred: A answers the first turn (30 s); the transfer notice answers nothing; B answers the second (120 s).
    ("TRANSFER", "buyer", f"{MON} 12:00:00", "发什么快递", A, ""),
    ("TRANSFER", "agent", f"{MON} 12:00:30", "默认中通哦", A, ""),
    ("TRANSFER", "buyer", f"{MON} 12:01:00", "能开专票吗", A, ""),
    ("TRANSFER", "agent", f"{MON} 12:01:10", "由 拼小店-阿花 转交给 拼小店-小桃", A, "转接"),
    ("TRANSFER", "agent", f"{MON} 12:03:00", "可以开的", B, ""),
    # Asked at 02:00, answered at 09:00: outside the service window — no response time, not unanswered.
    ("NIGHT", "buyer", f"{MON} 02:00:00", "几点发货", B, ""),
    ("NIGHT", "agent", f"{MON} 09:00:00", "今天下午发", B, ""),
    # A second question nobody answers: unanswered, and it is B's (B replied last).
    ("OPEN", "buyer", f"{MON} 14:00:00", "尺码怎么选", B, ""),
    ("OPEN", "agent", f"{MON} 14:02:00", "看详情页尺码表", B, ""),
    ("OPEN", "buyer", f"{MON} 14:10:00", "165穿什么码？", B, ""),
    # Thanks and an emoticon at the end expect no reply; an "好的" before a new question does not start the clock.
    ("THANKS", "buyer", f"{MON} 15:00:00", "退货地址发我", A, ""),
    ("THANKS", "agent", f"{MON} 15:01:30", "好的亲，稍等", A, ""),
    ("THANKS", "buyer", f"{MON} 15:02:00", "好的", A, ""),
    ("THANKS", "buyer", f"{MON} 15:20:00", "还有，运费谁出", A, ""),
    ("THANKS", "agent", f"{MON} 15:22:00", "我们出", A, ""),
    ("THANKS", "buyer", f"{MON} 15:23:00", "好的谢谢~", A, ""),
    ("THANKS", "buyer", f"{MON} 15:23:10", "/:^_^", A, ""),
    # Starts Sunday 23:58 (inside the window), answered Monday 00:01 of the next week: one W45 conversation, 180 s.
    ("MIDNIGHT", "buyer", f"{SUN} 23:58:00", "还在吗", B, ""),
    ("MIDNIGHT", "agent", "2026-11-09 00:01:00", "在的", B, ""),
    ("MIDNIGHT", "buyer", "2026-11-09 00:05:00", "好的", B, ""),
    # Only a robot ever answers: unanswered, nobody's (the export names no agent).
    ("BOTONLY", "buyer", f"{MON} 16:00:00", "人呢？", "", ""),
    ("BOTONLY", "bot", f"{MON} 16:00:01", "客服正忙，请稍候", "", ""),
    # Next week: must not be in W45.
    ("NEXT", "buyer", "2026-11-09 10:00:00", "到哪了", A, ""),
    ("NEXT", "agent", "2026-11-09 10:00:20", "在路上了", A, ""),
]
