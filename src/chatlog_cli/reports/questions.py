"""Top buyer questions (`chatlog report frequency`): questions told apart from chat, and near-identical ones merged.

A question's key is a normalised form (`question_key`): what differs only by punctuation, full-width letters,
emoticons, greetings and politeness, final particles, numbers (`#`), redacted values (`*`) or a common synonym
(啥时候/多久/几天 → 什么时候, 咋 → 怎么, 可以/能不能 → 能) has one key. Keys are then merged when they differ only
by filler words (我, 能, 一下 …; at least two characters must be left), by word order (发货什么时候 /
什么时候发货), or by one character added or left out when the shorter has six characters or more (什么时候到货 /
什么时候收到货). A different character is never merged: 怎么申请退货 and 怎么申请退款 are different questions.
"""

from __future__ import annotations

import heapq
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from chatlog_cli.reports.text_clean import (
    BRACKET_PATTERN,
    HAN,
    MASK_PATTERN,
    NOISE_PATTERN,
    NUMBER_PATTERN,
    PERSONAL_PATTERN,
    normalize,
)

# The most asked keys are compared with each other; every other key only joins one of them (or stays alone), so
# grouping is linear in the number of keys. Questions below the first few hundred are never shown anyway.
TOP_KEYS: Final = 400
# One character more or less merges two keys when the shorter has at least this many characters, filler words
# removed (什么时候收到货 / 什么时候到货). Shorter keys differ too much by one character: on JDDC buyer questions, 5
# merged 什么时候到账 (a refund) into 什么时候到 (a parcel), and 4 merged 什么时候退 and 什么时候换 into 什么时候.
MIN_LENGTH_FOR_EDIT: Final = 6

_PLACEHOLDERS: Final = re.compile(
    f"(?P<personal>{PERSONAL_PATTERN}|{MASK_PATTERN})|(?P<noise>{NOISE_PATTERN}|{BRACKET_PATTERN})"
    f"|(?P<number>{NUMBER_PATTERN})"
)
_MAYBE_PLACEHOLDER: Final = re.compile(r"[0-9A-Za-z\[*/#<&¥@_]")
_NOT_KEY: Final = re.compile(f"[^{HAN}a-z#*]+")
_REPEATS: Final = re.compile(r"([#*])\1+")
_SYNONYMS: Final = {
    "啥时候": "什么时候",
    "什么时间": "什么时候",
    "何时": "什么时候",
    "几时": "什么时候",
    "多久": "什么时候",
    "多长时间": "什么时候",
    "几天": "什么时候",
    "哪天": "什么时候",
    "啥": "什么",
    "咋": "怎么",
    "怎样": "怎么",
    "为啥": "为什么",
    "能不能": "能",
    "可不可以": "能",
    "可以不": "能",
    "可以": "能",
    "能否": "能",
    "可否": "能",
    "能够": "能",
    "是不是": "是",
    "是否": "是",
    "有没有": "有",
    "要不要": "要",
    "会不会": "会",
}
_SYNONYM: Final = re.compile("|".join(sorted(_SYNONYMS, key=len, reverse=True)))
_HAS_SYNONYM: Final = re.compile(f"[{''.join(sorted({word[0] for word in _SYNONYMS}))}]")
_GREETING_WORDS: Final = (
    "亲爱的|亲亲|亲|你们好|你好|您好|在吗|在么|在嘛|在不在|还在吗|还在么|还在|有人吗|有人在吗|有人|人呢|客服|老板|掌柜|店家|"
    "美女|小姐姐|"
    "hello|hi|哈喽|嗨|喂"
)
_POLITE_START: Final = re.compile(
    f"(?:{_GREETING_WORDS}|我想咨询一下|我想咨询下|咨询一下|咨询下|我想问一下|我想问下|我想问|想问一下|想问下|想问|"
    "麻烦问一下|麻烦问下|麻烦问|请问一下|请问下|请问|问一下|问下|麻烦|打扰一下|打扰了|嗯嗯|嗯|哦|噢|额|那个|就是|那|"
    "好的|谢谢)+"
)
# Stripped from the end, longest first, again and again: 发货了吗亲 → 发货. 么 also ends 什么 and 怎么, and 没/不 end
# statements too (还没, 要不), hence the conditions in `_strip_end`.
_POLITE_END: Final = (
    "谢谢亲", "谢谢你", "谢谢您", "麻烦你了", "麻烦您了", "麻烦了", "谢谢", "谢啦", "多谢", "亲亲", "亲", "没有",
    "吗", "么", "呢", "吧", "啊", "呀", "哦", "喔", "噢", "嘛", "哈", "啦", "呐", "捏", "哇", "了", "的", "没", "不",
)  # fmt: skip
_POLITE_END_BY_LAST: Final = {
    last: tuple(word for word in _POLITE_END if word[-1] == last) for last in {word[-1] for word in _POLITE_END}
}
# Words that change nothing about what is asked, removed before keys are merged (not from the key shown).
_FILLER: Final = re.compile(
    "看一下|看下|一下|我们|你们|你家|我的|这边|那边|这样|那样|这个|那个|我|你|您|的|了|能|是|想|帮|给|就|还|都|也|再|又|"
    "才|会|该|要|这|那|请"
)

_QUESTION_WORDS: Final = re.compile(
    "怎么|怎样|咋|什么|啥|多久|多长时间|多少|(?<!好)几[天号点个件时日月年次块码岁]|为什么|为啥|何时|哪|能否|可否|是否|如何|"
    f"([{HAN}])[不没]\\1|可以不|能不能"
)
# Phrases that hold a question word without asking: 没什么, 不怎么, 哪怕, 什么的 (“and so on”).
_NOT_ASKING: Final = re.compile("没什么|不怎么|哪怕|什么的|什么都")
# 么 ends 什么 and 怎么 too; 没/不 at the end ask after something (发货了没, 能便宜点不), not in 没有了 or 还不.
_FINAL_PARTICLE: Final = re.compile(
    "(?:吗|(?<![什怎这那多])么|呢|吧|嘛)[啊呀哦啦了的]*$|(?<=..)了(?:没有|没)$|(?<=..)(?<![还要])不$"
)
_ACKNOWLEDGEMENT: Final = re.compile(
    "(?:嗯|恩|哦|噢|额|啊|哈)*(?:那|就)?(?:(?:好|行|对|算了|走|是|那好|那行|也行|可以|这样|先这样)吧|好的?呢|好滴|好嘞)"
)
_GREETING_ONLY: Final = re.compile(f"(?:{_GREETING_WORDS}|请问|在|嗯|哦|啊|呀|吗|呢|么)+")


@dataclass(frozen=True)
class QuestionGroup:
    """Questions asked the same way: the key, how many messages, the most frequent text, how many texts.

    `cores` are the merged forms (`question_core`) of every text in the group: another period's question belongs to
    the group when its core is one of them.
    """

    key: str
    count: int
    example: str
    variants: int
    cores: frozenset[str] = field(default=frozenset(), compare=False)


def _placeholder(match: re.Match[str]) -> str:
    return "*" if match.lastgroup == "personal" else "#" if match.lastgroup == "number" else ""


def _clean(text: str) -> str:
    """Lower-cased NFKC text with redacted values as `*`, numbers as `#`, and no emoticons, links, punctuation."""
    text = normalize(text)
    if _MAYBE_PLACEHOLDER.search(text):  # most messages are Chinese and punctuation only: skip the long pattern
        text = _PLACEHOLDERS.sub(_placeholder, text)
    text = _NOT_KEY.sub("", text.lower())
    return _REPEATS.sub(r"\1", text) if "#" in text or "*" in text else text


def _strip_end(key: str) -> str:
    while key and key[-1] in _POLITE_END_BY_LAST:
        for word in _POLITE_END_BY_LAST[key[-1]]:
            if key.endswith(word):
                rest = key[: -len(word)]
                if word == "么" and rest[-1:] in ("什", "怎", "这", "那", "多"):
                    continue
                if word in ("没有", "没", "不") and (len(rest) < 2 or rest[-1] in ("还", "要")):
                    continue
                key = rest
                break
        else:
            return key
    return key


def is_question(text: str) -> bool:
    """Whether a buyer message asks something: a question mark, a final 吗/么/呢/吧, or a question word.

    Greetings (在吗, 在不在, 有人吗, 亲你好) and acknowledgements (好吧, 算了吧) are not questions.
    """
    core = _clean(text)
    if not core or _GREETING_ONLY.fullmatch(core):
        return False
    if "?" in text or "？" in text:
        return True
    if _ACKNOWLEDGEMENT.fullmatch(core):
        return False
    return bool(_FINAL_PARTICLE.search(core) or _QUESTION_WORDS.search(_NOT_ASKING.sub("", core)))


def question_key(text: str) -> str:
    """The normalised form that identical and near-identical questions share (empty for a bare greeting)."""
    key = _clean(text)
    if _HAS_SYNONYM.search(key):
        key = _SYNONYM.sub(lambda match: _SYNONYMS[match[0]], key)
    for _ in range(2):  # 亲，在吗？请问…谢谢亲: politeness on both sides, and again after the first pass
        start = _POLITE_START.match(key)
        stripped = _strip_end(key[start.end() :] if start else key)
        if stripped == key:
            break
        key = stripped
    return key


def _core(key: str) -> str:
    """The key without filler words; the key itself when one character or none would be left (发给你 is not 发)."""
    core = _FILLER.sub("", key)
    return core if len(core) >= 2 else key


def question_core(text: str) -> str:
    """The form near-identical questions share after merging filler words away ("" for a bare greeting)."""
    key = question_key(text)
    return _core(key) if key else ""


def _one_more(longer: str, shorter: str) -> bool:
    """Whether `shorter` is `longer` with one character left out."""
    for index, char in enumerate(shorter):
        if char != longer[index]:
            return longer[index + 1 :] == shorter[index:]
    return True


class _Roots:
    """The groups' first cores, indexed so that any core finds a root it may join with a few dictionary look-ups."""

    def __init__(self) -> None:
        self.rank: dict[str, int] = {}
        self._by_letters: dict[tuple[int, int], list[str]] = defaultdict(list)  # (length, Σ code points) → roots
        self._by_start: dict[tuple[int, str], list[str]] = defaultdict(list)  # (length, first character) → roots
        self._shorter: dict[str, list[str]] = defaultdict(list)  # a root with one character left out → roots

    def add(self, core: str) -> None:
        """Index `core` as a root."""
        self.rank[core] = len(self.rank)
        self._by_letters[len(core), sum(map(ord, core))].append(core)
        self._by_start[len(core), core[0]].append(core)
        if len(core) > MIN_LENGTH_FOR_EDIT:
            for index in range(len(core)):
                self._shorter[core[:index] + core[index + 1 :]].append(core)

    def find(self, core: str) -> str | None:
        """The most asked root with the same characters in another order, or one character more or less."""
        size = len(core)
        letters = self._by_letters.get((size, sum(map(ord, core))), ())
        found = [root for root in letters if sorted(root) == sorted(core)]
        found += self._shorter.get(core, ())
        if size > MIN_LENGTH_FOR_EDIT:
            # A root one character shorter starts with this core's first character, or with its second when the
            # extra character is the first.
            for first in {core[0], core[1]}:
                found += [root for root in self._by_start.get((size - 1, first), ()) if _one_more(core, root)]
        return min(found, key=self.rank.__getitem__) if found else None


def _merge(ordered: Sequence[str], tail: Iterable[str]) -> dict[str, str]:
    """Each core → the core of its group: `ordered` are the most asked cores, most first, `tail` all the others.

    A core joins the most asked root it can (`_Roots.find`); the roots are the cores of `ordered` that joined
    nobody. Tail cores are never roots, so merges do not chain and the tail is not compared with itself.
    """
    roots = _Roots()
    root_of: dict[str, str] = {}
    for core in ordered:
        root = roots.find(core)
        root_of[core] = root or core
        if root is None:
            roots.add(core)
    for core in tail:
        root_of[core] = roots.find(core) or core
    return root_of


def group_questions(texts: Sequence[str], weights: Sequence[int], *, limit: int = 20) -> list[QuestionGroup]:
    """The most asked questions, near-identical ones merged; most messages first.

    Args:
        texts: Distinct buyer questions (see `is_question`); texts with an empty key are skipped.
        weights: How many messages had each text.
        limit: How many groups to return.
    """
    keys: dict[str, str] = {}
    messages: dict[str, int] = {}
    by_core: dict[str, list[str]] = defaultdict(list)  # filler words removed from the key → texts
    totals: dict[str, int] = defaultdict(int)
    for text, weight in zip(texts, weights, strict=True):
        if text in keys:  # not distinct after all: add up
            messages[text] += weight
            key = keys[text]
            if key:
                totals[_core(key)] += weight
            continue
        key = keys[text] = question_key(text)
        messages[text] = weight
        if key:
            core = _core(key)
            by_core[core].append(text)
            totals[core] += weight
    # Only the most asked cores are compared with each other (in order: the first becomes the root); the order of
    # the others does not matter, as they only join a root or stay alone.
    ordered = heapq.nsmallest(TOP_KEYS, totals, key=lambda core: (-totals[core], core))
    top = set(ordered)

    group_totals: dict[str, int] = defaultdict(int)
    members: dict[str, list[str]] = defaultdict(list)
    cores: dict[str, set[str]] = defaultdict(set)
    for core, root in _merge(ordered, (core for core in totals if core not in top)).items():
        group_totals[root] += totals[core]
        members[root].extend(by_core[core])
        cores[root].add(core)
    result = []
    for root in heapq.nsmallest(limit, group_totals, key=lambda root: (-group_totals[root], root)):
        example = min(members[root], key=lambda text: (-messages[text], len(text), text))
        result.append(
            QuestionGroup(keys[example], group_totals[root], example, len(members[root]), frozenset(cores[root]))
        )
    result.sort(key=lambda group: (-group.count, group.key))
    return result
