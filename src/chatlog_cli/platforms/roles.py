"""Role inference rules shared by parsers (FORMATS.md, "Roles are often not labelled")."""

from __future__ import annotations

import re
from typing import Final

# Robots: JD's `jimi_vender_<digits>` and other `jimi_…`, and names containing 机器人/智能客服/小蜜.
ROBOT_NAME_PATTERN: Final = r"^jimi_|机器人|智能客服|小蜜|智能助手"
ROBOT_NAME_RE: Final = re.compile(ROBOT_NAME_PATTERN)

# A sender who appears in sessions with at least this many different buyers is an agent.
AGENT_MIN_BUYERS: Final = 3


def agent_prefix(sender: str) -> str | None:
    """`店铺前缀-昵称` → `店铺前缀-` (JD agents), None when the nick has no such prefix."""
    head, sep, tail = sender.partition("-")
    return head + sep if sep and head and tail else None
