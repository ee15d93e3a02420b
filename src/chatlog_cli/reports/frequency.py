"""`chatlog report frequency`: top words of buyer messages, top tags and top buyer questions.

Each with its share and the change versus the previous period of the same length.

Words are counted on redacted text (label mode), so phone numbers, names and addresses never become words; numbers,
ids, links and emoticon codes are removed before cutting (words.py). A word counts once per message: "12 % of buyer
messages mention 发货" is what a shop owner can act on.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pyarrow as pa

from chatlog_cli.redact.replace import Redactor
from chatlog_cli.redact.table import candidates
from chatlog_cli.reports.context import ReportContext, change
from chatlog_cli.reports.model import Chart, Column, Report, Section, Table
from chatlog_cli.reports.questions import QuestionGroup, group_questions, is_question, question_core
from chatlog_cli.reports.scope import Loaded
from chatlog_cli.reports.words import WordCounter
from chatlog_cli.store.query import conversation_tags_sql

DEFAULT_TOP: Final = 20


@dataclass(frozen=True)
class FrequencyOptions:
    """The word counter's files and how many rows each table shows."""

    top: int = DEFAULT_TOP
    user_dicts: tuple[Path, ...] = ()
    stopword_files: tuple[Path, ...] = ()
    default_stopwords: bool = True


@dataclass
class BuyerTexts:
    """The distinct redacted texts of a period's buyer text messages, with how many messages had each."""

    texts: list[str] = field(default_factory=list)
    weights: list[int] = field(default_factory=list)

    @property
    def messages(self) -> int:
        """Buyer text messages."""
        return sum(self.weights)


def buyer_texts(ctx: ReportContext, loaded: Loaded, redactor: Redactor) -> BuyerTexts:
    """The period's buyer text messages, redacted, distinct."""
    table = ctx.con.sql(
        f"""SELECT content, count(*) AS n FROM {loaded.messages}
            WHERE sender_role = 'buyer' AND msg_type = 'text' AND content IS NOT NULL AND content <> ''
            GROUP BY content"""
    ).to_arrow_table()
    texts: list[str] = table.column("content").to_pylist()
    weights: list[int] = table.column("n").to_pylist()
    for i in candidates(pa.array(texts, pa.string())).tolist():
        texts[i] = redactor.redact_text(texts[i])
    merged: Counter[str] = Counter()
    for text, n in zip(texts, weights, strict=True):
        merged[text] += n
    return BuyerTexts(list(merged), list(merged.values()))


def word_messages(counter: WordCounter, texts: BuyerTexts) -> Counter[str]:
    """For each word, how many messages contain it."""
    return counter.count(texts.texts, texts.weights)


def _with_change(current: int, previous: int | None) -> tuple[int | None, float | None]:
    if previous is None:
        return None, None
    return previous, change(current, previous)


def ranked_rows(current: Counter[str], previous: Counter[str] | None, total: int, top: int) -> list[tuple[Any, ...]]:
    """The `top` most counted: (name, count, share of `total`, previous count, change), ties by name."""
    rows: list[tuple[Any, ...]] = []
    for name, n in sorted(current.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
        prev, delta = _with_change(n, previous.get(name, 0) if previous is not None else None)
        rows.append((name, n, n / total if total else None, prev, delta))
    return rows


# Every ranked list ends with the previous period's count and the change (the rows come from `ranked_rows`).
_VERSUS_PREVIOUS: Final = (Column("previous", "上期", "int"), Column("change", "变化", "change"))


def words_table(counter: WordCounter, now: BuyerTexts, before: BuyerTexts | None, top: int) -> Table:
    """Top words by the messages that contain them."""
    current = word_messages(counter, now)
    previous = word_messages(counter, before) if before is not None else None
    return Table(
        key="words",
        title="买家消息热词",
        columns=(
            Column("word", "词"),
            Column("messages", "消息数", "int"),
            Column("share", "占买家消息", "share"),
            *_VERSUS_PREVIOUS,
        ),
        rows=ranked_rows(current, previous, now.messages, top),
        notes=[
            f"{counter.mode}。一条消息里出现多次只算一次；先脱敏再分词。",
            f"买家文字消息 {now.messages:,} 条。",
        ],
        chart=Chart("bar", "买家消息热词", "word", ("messages",)),
    )


def tag_counts(ctx: ReportContext, loaded: Loaded) -> Counter[str]:
    """Conversations per tag."""
    rows = ctx.rows(f"SELECT tag, count(*) FROM ({conversation_tags_sql(loaded.conversations_table)}) GROUP BY tag")
    return Counter({tag: int(n) for tag, n in rows})


def tags_table(ctx: ReportContext, top: int) -> Table:
    """Top tags by conversations, with their share of all conversations."""
    current = tag_counts(ctx, ctx.current)
    previous = tag_counts(ctx, ctx.previous) if ctx.previous else None
    return Table(
        key="tags",
        title="标签",
        columns=(
            Column("tag", "标签"),
            Column("conversations", "会话数", "int"),
            Column("share", "占会话", "share"),
            *_VERSUS_PREVIOUS,
        ),
        rows=ranked_rows(current, previous, ctx.current.conversations, top),
        notes=["一个会话可有多个标签；一级标签（物流）包含其下的二级标签（物流-发货）。"],
        chart=Chart("bar", "标签", "tag", ("conversations",)),
    )


def _questions(texts: BuyerTexts) -> tuple[list[str], list[int]]:
    chosen = [(t, n) for t, n in zip(texts.texts, texts.weights, strict=True) if is_question(t)]
    return [t for t, _ in chosen], [n for _, n in chosen]


def questions_table(now: BuyerTexts, before: BuyerTexts | None, top: int) -> Table:
    """The most asked buyer questions, identical and near-identical ones grouped."""
    texts, weights = _questions(now)
    asked = sum(weights)
    groups: list[QuestionGroup] = group_questions(texts, weights, limit=top)
    previous: Counter[str] | None = None
    if before is not None:
        previous = Counter()
        for text, n in zip(*_questions(before), strict=True):
            previous[question_core(text)] += n
    rows: list[tuple[Any, ...]] = []
    for g in groups:
        prev_count = sum(previous.get(core, 0) for core in g.cores) if previous is not None else None
        prev, delta = _with_change(g.count, prev_count)
        rows.append((g.example, g.count, g.variants, g.count / asked if asked else None, prev, delta))
    return Table(
        key="questions",
        title="买家常问问题",
        columns=(
            Column("question", "问题（示例）"),
            Column("messages", "次数", "int"),
            Column("variants", "不同问法", "int"),
            Column("share", "占提问", "share"),
            *_VERSUS_PREVIOUS,
        ),
        rows=rows,
        notes=[
            f"提问 {asked:,} 条（带问号或疑问词的买家文字消息）；相同和几乎相同的问法合为一组，示例为最常见的问法。"
        ],
    )


def frequency_tables(ctx: ReportContext, options: FrequencyOptions, redactor: Redactor | None = None) -> list[Table]:
    """Words, tags (when tagged) and questions of the current period."""
    counter = WordCounter.load(options.user_dicts, options.stopword_files, default_stopwords=options.default_stopwords)
    redactor = redactor or Redactor("label")
    now = buyer_texts(ctx, ctx.current, redactor)
    before = buyer_texts(ctx, ctx.previous, redactor) if ctx.previous else None
    tables = [words_table(counter, now, before, options.top)]
    if ctx.available.tags:
        tables.append(tags_table(ctx, options.top))
    tables.append(questions_table(now, before, options.top))
    return tables


def frequency_report(ctx: ReportContext, options: FrequencyOptions) -> Report:
    """The frequency report."""
    report = ctx.new_report("frequency", "热词、标签与常见问题")
    report.sections.append(Section("frequency", "热词与问题", frequency_tables(ctx, options)))
    if ctx.previous is None:
        report.notes.append("没有给出 --since，不与上期比较（给出 --since/--until 后与等长的上一期比较）。")
    report.notes.extend(ctx.available.notes())
    return report
