"""Render the JDDC 2019 sample (real JD customer-service turns) into the JD chat-log export layout.

The corpus has no timestamps and no agent names; both are synthesized deterministically so the rendered
file looks like a real `.log` export while the corpus's per-turn agent flag stays the ground truth.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

BANNER = "/*****************以下为一通会话************************************/"
AGENTS = tuple(
    f"京东自营-{name}"
    for name in ("小美", "阿杰", "小雨", "大伟", "晓晓", "阿强", "小鹿", "明明", "小周", "阿芳", "小陈", "佳佳")
)
_HEADER_LIKE = re.compile(r"^\S.*[ \t]\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{1,2}:\d{1,2}[ \t]*$")


def _number(text: str) -> int:
    return int(hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()[:8], 16)


def buyer_alias(customer_id: str) -> str:
    """`USERID_10480447` → `u****447` (masked like real JD buyer pins)."""
    return f"u****{customer_id[-3:]}"


def render_jddc_as_jd_log(
    corpus_file: Path, out_file: Path, *, max_sessions: int | None = None
) -> list[tuple[str, str, str]]:
    """Write the corpus as a JD log; return (sender, 'YYYY-MM-DD HH:MM:SS', role) per message in file order."""
    sessions: dict[str, list[tuple[str, str, str]]] = {}
    for line in corpus_file.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 7:
            continue
        sessions.setdefault(parts[0], []).append((parts[1], parts[2], parts[6]))
    truth: list[tuple[str, str, str]] = []
    out: list[str] = []
    start = dt.datetime(2026, 10, 1, 8, 0, 0)
    for index, (session_id, turns) in enumerate(sessions.items()):
        if max_sessions is not None and index >= max_sessions:
            break
        seed = _number(session_id)
        agent = AGENTS[seed % len(AGENTS)]
        transfer_at = len(turns) // 2 if seed % 17 == 0 else None  # a few sessions move to a second agent
        when = start + dt.timedelta(minutes=(index * 43) % (30 * 24 * 60), seconds=seed % 60)
        out.append(BANNER)
        for turn, (customer, is_agent, content) in enumerate(turns):
            if transfer_at is not None and turn == transfer_at:
                agent = AGENTS[(seed + 1) % len(AGENTS)]
            sender, role = (agent, "agent") if is_agent == "1" else (buyer_alias(customer), "buyer")
            stamp = when.strftime("%Y-%m-%d %H:%M:%S")
            out.append(f"{sender} {stamp}")
            text = content.strip() or "[空]"
            # Guard: a content line must never look like a header or a banner.
            if _HEADER_LIKE.match(text) or "以下为一通会话" in text or "会话结束" in text:
                text = "> " + text
            out.append(text)
            truth.append((sender, stamp, role))
            when += dt.timedelta(seconds=5 + _number(f"{session_id}{turn}") % 86)
        out.append(f"/*****************会话结束_时间:{when:%Y-%m-%d %H:%M:%S}******************/")
    out_file.write_text("\n".join(out) + "\n", encoding="utf-8")
    return truth
