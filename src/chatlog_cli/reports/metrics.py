"""Service metrics: what a turn, a reply and a response time are. Every report and `chatlog alerts` use these.

Definitions (the platforms' own, as shops are measured on them; printed under the agents report):

- **Human reply**: a message of an agent (`sender_role = 'agent'`) that is not a transfer notice ("由 服务助手 转交给
  …" is written by the system in the agent's name). Robot (`bot`) and system messages never answer anyone.
- **Buyer turn** (咨询轮次): the buyer's consecutive messages until the next human reply — robot replies in between do
  not end it. A turn counts only if it asks for something: a turn of nothing but acknowledgements (好的, 谢谢, 嗯嗯,
  OK), emoticons or recalled messages expects no reply. The turn is *asked* at its first message that asks (an "好的"
  sent ten minutes before a new question does not start the clock).
- **Response time** (响应时间) of a turn: from the moment it was asked to the next human reply, in seconds. The turn
  belongs to the agent who replied; an unanswered turn to the agent who replied last before it, else the agent the
  export names for the conversation, else nobody (未接待).
- **Service window** (服务时间, default 08:00–24:00 China time): only turns asked inside it count for response times and
  the 3-minute share (a question asked at 03:00 and answered at 08:05 says nothing about the agent). A window whose
  start is after its end runs over midnight (20:00–02:00).
- **首次响应时间** (first response time) of a conversation: the response time of its first asking turn, when that turn
  was asked inside the service window and answered.
- **3 分钟回复率**: of the asking turns asked inside the window, the share answered within 180 s (an unanswered turn
  counts as not answered in time).
- **Unanswered conversation** (未回复会话): a conversation with an asking turn that no human ever replied to (at any
  hour).
- **Conversation period**: a conversation belongs to the day, week and hour in which it started (its first message),
  with all its messages, so a conversation crossing midnight or Sunday→Monday is counted once and whole.
- **Negative conversation**: labelled negative by `chatlog sentiment` (the buyer's last scored message below 0.2);
  the share is of scored conversations. **Satisfaction** (满意率): of sessions the buyer rated (the JD session list's
  满意度, "未评价" excluded), the share rated 满意 or 非常满意.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from chatlog_cli.errors import UsageError
from chatlog_cli.store.query import local_time_sql

# Buyer messages that close a topic rather than open one: after emoticon codes ([微笑], /:^_^), whitespace,
# punctuation and symbols are removed, nothing is left but these words (好的谢谢, 嗯嗯, ok~, 那我下单了).
ACKNOWLEDGEMENT_RE: Final = (
    "(好|好的|好滴|好嘞|好哒|好吧|嗯|恩|哦|噢|喔|额|谢谢|谢谢你|谢谢您|谢谢亲|谢啦|多谢|感谢|感恩|ok|okay|收到|明白|"
    "知道|了解|行|行吧|可以|还行|算了|没了|没有了|没事了|没问题|拜拜|再见|辛苦|麻烦|那|我|就|先|这样|下单|拍了|拍下|"
    "了|啦|吧|哈|嘿|亲|哈哈)*"
)
CLEAN_TEXT_SQL: Final = r"regexp_replace(lower(coalesce(content, '')), '\[[^\]]{1,8}\]|[\s\p{P}\p{S}]', '', 'g')"
# Types that ask for a reply even without words: a photo of the damage, a pasted order or product.
ASKING_TYPES: Final = ("text", "image", "link", "order_card", "product_card", "card")

WITHIN_SECONDS: Final = 180  # 3 分钟回复率
SATISFIED: Final = ("满意", "非常满意")
NOT_RATED: Final = ("未评价", "")
UNASSIGNED: Final = "（未接待）"


def asks_sql() -> str:
    """SQL over a message row: whether it asks for a reply (bind `ACKNOWLEDGEMENT_RE` as its one parameter)."""
    asking = ", ".join(f"'{t}'" for t in ASKING_TYPES)
    return f"(sender_role = 'buyer' AND msg_type IN ({asking}) AND NOT regexp_full_match({CLEAN_TEXT_SQL}, ?))"


REPLY_SQL: Final = "(sender_role = 'agent' AND msg_type IS DISTINCT FROM 'transfer')"
# Messages in conversation order: `seq` is their position (reports/scope.py numbers them once).
ORDER_SQL: Final = "seq"


@dataclass(frozen=True)
class ServiceWindow:
    """The hours agents are on duty, in minutes after midnight China time; `end` 1440 is midnight."""

    start: int = 8 * 60
    end: int = 24 * 60

    @classmethod
    def parse(cls, text: str) -> ServiceWindow:
        """`08:00-24:00`, `8-24`, `20:00-02:00` (over midnight); UsageError otherwise."""
        match = re.fullmatch(r"\s*(\d{1,2})(?::(\d{2}))?\s*[-~–]\s*(\d{1,2})(?::(\d{2}))?\s*", text)
        if not match:
            raise UsageError(f"服务时间“{text}”看不懂。写法：08:00-24:00 或 8-24（北京时间）。")
        start = int(match.group(1)) * 60 + int(match.group(2) or 0)
        end = int(match.group(3)) * 60 + int(match.group(4) or 0)
        if start > 24 * 60 or end > 24 * 60 or start == end or int(match.group(2) or 0) > 59:
            raise UsageError(f"服务时间“{text}”不成立：开始和结束须在 00:00–24:00 之间且不相同。")
        return cls(start, end)

    @classmethod
    def from_hours(cls, hours: tuple[int, int]) -> ServiceWindow:
        """From whole hours, like `settings.SERVICE_HOURS`."""
        return cls(hours[0] * 60, hours[1] * 60)

    @property
    def label(self) -> str:
        """`08:00–24:00`."""
        return f"{self.start // 60:02d}:{self.start % 60:02d}–{self.end // 60:02d}:{self.end % 60:02d}"

    def contains_sql(self, local_time: str) -> str:
        """SQL: whether a local TIMESTAMP expression falls inside the window."""
        minute = f"(hour({local_time}) * 60 + minute({local_time}))"
        if self.start < self.end:
            return f"({minute} >= {self.start} AND {minute} < {self.end})"
        return f"({minute} >= {self.start} OR {minute} < {self.end})"


def create_messages(con: Any, chosen: str, messages: str) -> None:
    """Create temp table `messages`: every message of the conversations in table `chosen` (platform, conversation_id).

    Adds what the metrics read: China local time (local_at), the buyer key (buyer id, else nick), whether the message
    asks for a reply (asks), and its position in the conversation (seq: time, then file and line).
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {messages} AS
        SELECT m.platform, m.shop, coalesce(m.conversation_id, '') AS conversation_id, m.message_id, m.sent_at,
               {local_time_sql("m.sent_at")} AS local_at, m.sender_role, m.sender, m.agent,
               coalesce(m.buyer_id, m.buyer) AS buyer_key, m.msg_type, m.content, m.source_file, m.source_line,
               {asks_sql()} AS asks,
               row_number() OVER (PARTITION BY m.platform, coalesce(m.conversation_id, '')
                                  ORDER BY m.sent_at, m.source_file, m.source_line) AS seq
        FROM messages m JOIN {chosen} c
          ON m.platform = c.platform AND coalesce(m.conversation_id, '') = coalesce(c.conversation_id, '')
        """,
        [ACKNOWLEDGEMENT_RE],
    )


def create_turns(con: Any, messages: str, turns: str, window: ServiceWindow) -> None:
    """Create temp table `turns` with one row per buyer turn of the messages in table `messages`.

    `messages` needs platform, conversation_id, message_id, seq (position in the conversation), sent_at, local_at,
    sender_role, sender, agent, msg_type and asks. Columns: platform, conversation_id, turn (0-based), asks,
    buyer_messages, asked_at, in_window, reply_at, replier, response_seconds, agent (who the turn belongs to),
    first_message_id, first_content.
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {turns} AS
        WITH o AS (
            SELECT *, {REPLY_SQL} AS is_reply,
                   count(*) FILTER (WHERE {REPLY_SQL}) OVER (
                       PARTITION BY platform, conversation_id ORDER BY {ORDER_SQL} ROWS UNBOUNDED PRECEDING) AS n
            FROM {messages}),
        replies AS (
            SELECT platform, conversation_id, n, sent_at AS reply_at, sender AS replier FROM o WHERE is_reply),
        t AS (
            SELECT platform, conversation_id, n AS turn, bool_or(asks) AS asks, count(*) AS buyer_messages,
                   coalesce(min(sent_at) FILTER (WHERE asks), min(sent_at)) AS asked_at,
                   coalesce(arg_min(local_at, {ORDER_SQL}) FILTER (WHERE asks),
                            arg_min(local_at, {ORDER_SQL})) AS asked_local,
                   coalesce(arg_min(message_id, {ORDER_SQL}) FILTER (WHERE asks),
                            arg_min(message_id, {ORDER_SQL})) AS first_message_id,
                   coalesce(arg_min(content, {ORDER_SQL}) FILTER (WHERE asks),
                            arg_min(content, {ORDER_SQL})) AS first_content,
                   arg_min(agent, {ORDER_SQL}) AS named_agent
            FROM o WHERE sender_role = 'buyer' GROUP BY platform, conversation_id, n)
        SELECT t.platform, t.conversation_id, t.turn, t.asks, t.buyer_messages, t.asked_at,
               {window.contains_sql("t.asked_local")} AS in_window, t.asked_local,
               r.reply_at, r.replier, epoch(r.reply_at) - epoch(t.asked_at) AS response_seconds,
               coalesce(r.replier, p.replier, t.named_agent, '{UNASSIGNED}') AS agent,
               t.first_message_id, t.first_content
        FROM t
        LEFT JOIN replies r ON r.platform = t.platform AND r.conversation_id = t.conversation_id AND r.n = t.turn + 1
        LEFT JOIN replies p ON p.platform = t.platform AND p.conversation_id = t.conversation_id AND p.n = t.turn
        """
    )


def create_conversation_metrics(con: Any, messages: str, turns: str, conversations: str) -> None:
    """Create temp table `conversations`: one row per conversation of `messages`, with its service figures.

    Columns: platform, shop, conversation_id, started_at, started_local, buyer, messages, buyer_messages,
    first_response_seconds (NULL when the first asking turn was outside the window or never answered),
    first_replier, answered_in_time_turns, window_turns, unanswered, unanswered_agent.
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {conversations} AS
        WITH firsts AS (
            SELECT platform, conversation_id, arg_min(t, turn) AS f
            FROM {turns} t WHERE asks GROUP BY ALL),
        open AS (
            SELECT platform, conversation_id, arg_min(agent, turn) AS unanswered_agent
            FROM {turns} WHERE asks AND reply_at IS NULL GROUP BY ALL),
        m AS (
            SELECT platform, conversation_id, any_value(shop) AS shop, min(sent_at) AS started_at,
                   min(local_at) AS started_local,
                   arg_min(buyer_key, {ORDER_SQL}) FILTER (WHERE buyer_key IS NOT NULL) AS buyer,
                   count(*) AS messages, count(*) FILTER (WHERE sender_role = 'buyer') AS buyer_messages
            FROM {messages} GROUP BY platform, conversation_id)
        SELECT m.*,
               CASE WHEN f.f.in_window THEN f.f.response_seconds END AS first_response_seconds,
               f.f.replier AS first_replier,
               open.conversation_id IS NOT NULL AS unanswered, open.unanswered_agent
        FROM m LEFT JOIN firsts f USING (platform, conversation_id)
        LEFT JOIN open USING (platform, conversation_id)
        """
    )


def create_conversation_agents(con: Any, messages: str, turns: str, name: str) -> None:
    """Create temp table `name` (platform, conversation_id, agent): who served each conversation.

    An agent served a conversation if they sent a human reply in it, an unanswered turn is theirs, or the export
    names them as its agent.
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {name} AS
        SELECT DISTINCT platform, conversation_id, agent FROM (
            SELECT platform, conversation_id, sender AS agent FROM {messages} WHERE {REPLY_SQL}
            UNION ALL SELECT platform, conversation_id, agent FROM {messages} WHERE agent IS NOT NULL
            UNION ALL SELECT platform, conversation_id, agent FROM {turns} WHERE asks AND reply_at IS NULL)
        WHERE agent IS NOT NULL
        """
    )


def agent_figures_sql(turns: str, conversations: str, served: str, extra: str) -> str:
    """SQL: one row per agent, plus a row with agent NULL for everybody (GROUPING SETS).

    `extra` is a table (platform, conversation_id, label, satisfaction) of per-conversation facts from other
    stages (sentiment, session lists). Columns: agent, conversations, answered_buyer_messages, first_response_median,
    first_response_p90, response_mean, within_share, window_turns, unanswered, negative_share, scored,
    satisfied_share, rated.
    """
    within = WITHIN_SECONDS
    rated = f"e.satisfaction IS NOT NULL AND e.satisfaction NOT IN {NOT_RATED!r}"
    return f"""
    WITH per_conversation AS (
        SELECT s.agent, count(*) AS conversations,
               count(*) FILTER (WHERE c.unanswered AND c.unanswered_agent = s.agent) AS unanswered,
               count(*) FILTER (WHERE e.label = 'negative') AS negative, count(e.label) AS scored,
               count(*) FILTER (WHERE {rated} AND e.satisfaction IN {SATISFIED!r}) AS satisfied,
               count(*) FILTER (WHERE {rated}) AS rated
        FROM {served} s JOIN {conversations} c USING (platform, conversation_id)
        LEFT JOIN {extra} e USING (platform, conversation_id)
        GROUP BY s.agent),
    everybody AS (
        SELECT NULL AS agent, count(*) AS conversations, count(*) FILTER (WHERE c.unanswered) AS unanswered,
               count(*) FILTER (WHERE e.label = 'negative') AS negative, count(e.label) AS scored,
               count(*) FILTER (WHERE {rated} AND e.satisfaction IN {SATISFIED!r}) AS satisfied,
               count(*) FILTER (WHERE {rated}) AS rated
        FROM {conversations} c LEFT JOIN {extra} e USING (platform, conversation_id)),
    per_turn AS (
        SELECT agent,
               sum(buyer_messages) FILTER (WHERE reply_at IS NOT NULL) AS answered_buyer_messages,
               avg(response_seconds) FILTER (WHERE asks AND in_window) AS response_mean,
               count(*) FILTER (WHERE asks AND in_window) AS window_turns,
               count(*) FILTER (WHERE asks AND in_window AND response_seconds <= {within}) AS within_turns
        FROM {turns} GROUP BY GROUPING SETS ((agent), ())),
    first_response AS (
        SELECT first_replier AS agent,
               quantile_cont(first_response_seconds, 0.5) AS first_response_median,
               quantile_cont(first_response_seconds, 0.9) AS first_response_p90
        FROM {conversations} WHERE first_response_seconds IS NOT NULL
        GROUP BY GROUPING SETS ((first_replier), ()))
    SELECT a.agent, a.conversations, coalesce(t.answered_buyer_messages, 0) AS answered_buyer_messages,
           f.first_response_median, f.first_response_p90, t.response_mean,
           t.within_turns / nullif(t.window_turns, 0) AS within_share, coalesce(t.window_turns, 0) AS window_turns,
           a.unanswered, a.negative / nullif(a.scored, 0) AS negative_share, a.scored,
           a.satisfied / nullif(a.rated, 0) AS satisfied_share, a.rated
    FROM (SELECT * FROM per_conversation UNION ALL SELECT * FROM everybody) a
    LEFT JOIN per_turn t ON t.agent IS NOT DISTINCT FROM a.agent
    LEFT JOIN first_response f ON f.agent IS NOT DISTINCT FROM a.agent
    """
