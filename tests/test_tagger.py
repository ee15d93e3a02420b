"""Matching: overlapping keywords, exclusions, roles, roll-up, folding, regexes, explanations, batch = single."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pytest

from chatlog_cli.tagging.rules import load_rules
from chatlog_cli.tagging.tagger import Tagger

RULES = """defaults = "replace"

[[rule]]
tag = "售后处理"

[[rule]]
tag = "退换货"
parent = "售后处理"
keywords = ["换货", "退款", "退货", "七天无理由"]
exclude = ["不退款", "不想退货", "退款已到账"]

[[rule]]
tag = "支付-退款未到账"
parent = ["支付", "售后处理"]
keywords = ["退款没到", "退款还没到"]
regex = ['退款.{0,4}(没|未)到账']

[[rule]]
tag = "支付"

[[rule]]
tag = "联系方式"
keywords = ["QQ", "微信"]

[[rule]]
tag = "风险"
priority = "high"

[[rule]]
tag = "风险-投诉"
parent = "风险"
priority = "urgent"
keywords = ["投诉", "12315"]
exclude = ["不会投诉"]

[[rule]]
tag = "客服-话术"
roles = ["agent", "bot"]
keywords = ["亲亲"]
"""


@pytest.fixture(scope="module")
def tagger(tmp_path_factory: pytest.TempPathFactory) -> Tagger:
    path = tmp_path_factory.mktemp("rules") / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    return Tagger(load_rules(path))


def test_adjacent_and_overlapping_keywords_are_all_found(tagger: Tagger) -> None:
    assert tagger.tags_of_text("想换货退款") == ["退换货", "售后处理"]
    found = [(e.pattern, e.start, e.end) for e in tagger.explain("想换货退款")]
    assert found == [("换货", 1, 3), ("退款", 3, 5)]
    # 退款还没到 contains 退款 and 退款没到-like phrases: both rules fire, each keyword reported.
    assert tagger.tags_of_text("退款还没到") == ["退换货", "支付-退款未到账", "售后处理", "支付"]
    patterns = {e.pattern for e in tagger.explain("退款还没到")}
    assert patterns == {"退款", "退款还没到"}


def test_exclusions_cancel_only_the_occurrence_they_contain(tagger: Tagger) -> None:
    assert tagger.tags_of_text("我不退款了") == []
    assert tagger.tags_of_text("不退款了，换货退款") == ["退换货", "售后处理"]
    assert tagger.tags_of_text("退款已到账，谢谢") == []
    assert tagger.tags_of_text("我不会投诉的") == []
    assert tagger.tags_of_text("不会投诉？我要打12315") == ["风险-投诉", "风险"]
    cancelled = [e for e in tagger.explain("我不退款了") if e.kind == "keyword"]
    assert [(e.pattern, e.excluded_by, e.counts) for e in cancelled] == [("退款", "不退款", False)]


def test_rules_apply_to_their_roles_only(tagger: Tagger) -> None:
    assert tagger.tags_of_text("亲亲，可以换货", "buyer") == ["退换货", "售后处理"]
    assert tagger.tags_of_text("亲亲，可以换货", "agent") == ["客服-话术"]
    assert tagger.tags_of_text("亲亲，可以换货", "bot") == ["客服-话术"]
    assert tagger.tags_of_text("亲亲，可以换货", "system") == []
    explained = {e.tag: e.applies for e in tagger.explain("亲亲，可以换货", "agent")}
    assert explained == {"客服-话术": True, "退换货": False}


def test_ancestors_roll_up_once_and_keep_their_own_priority(tagger: Tagger) -> None:
    table = tagger.tag_table(
        pa.table({"message_id": ["m1"], "content": ["换货，退款还没到，投诉"], "sender_role": ["buyer"]})
    )
    rows = {r["tag"]: r for r in table.to_pylist()}
    assert set(rows) == {"退换货", "支付-退款未到账", "风险-投诉", "售后处理", "支付", "风险"}
    assert rows["售后处理"]["rule"] == "退换货"  # rolled up from the first rule that reached it
    assert rows["风险"]["priority"] == "high" and rows["风险-投诉"]["priority"] == "urgent"
    assert rows["退换货"]["keyword"] == "换货"  # the first occurrence is the evidence


def test_latin_is_case_insensitive_and_full_width_is_half_width(tagger: Tagger) -> None:
    for text in ("加我qq", "加我QQ", "加我ＱＱ", "加我Ｑq"):
        assert tagger.tags_of_text(text) == ["联系方式"], text
    assert tagger.tags_of_text("打１２３１５") == ["风险-投诉", "风险"]
    [match] = tagger.explain("加我ＱＱ")
    assert match.matched == "ＱＱ" and (match.start, match.end) == (2, 4)


def test_regex_rules_find_what_keywords_cannot(tagger: Tagger) -> None:
    assert tagger.tags_of_text("我的退款三天了还没到账") == ["退换货", "支付-退款未到账", "售后处理", "支付"]
    [regex] = [e for e in tagger.explain("退款一直未到账") if e.kind == "regex"]
    assert regex.matched == "退款一直未到账"


def test_empty_null_and_untagged_messages_give_no_rows(tagger: Tagger) -> None:
    table = pa.table(
        {
            "message_id": ["a", "b", "c", "d"],
            "content": ["", None, "好的谢谢", "换货"],
            "sender_role": ["buyer", "buyer", "buyer", None],
        }
    )
    assert tagger.tag_table(table).num_rows == 0  # d has no role: no rule applies to it


def test_a_batch_tags_exactly_like_one_message_at_a_time(tagger: Tagger) -> None:
    phrases = [
        "换货",
        "退款",
        "不退款",
        "QQ",
        "ｑｑ",
        "投诉",
        "不会投诉",
        "亲亲",
        "退款还没到",
        "，",
        "好的",
        "12315",
        "x",
    ]
    rng = random.Random(7)
    texts = ["".join(rng.choice(phrases) for _ in range(rng.randint(0, 6))) for _ in range(3000)]
    roles = [rng.choice(["buyer", "agent", "bot", "system"]) for _ in texts]
    table = pa.table({"message_id": [str(i) for i in range(len(texts))], "content": texts, "sender_role": roles})
    batch: dict[str, list[str]] = {}
    for row in tagger.tag_table(table).to_pylist():
        batch.setdefault(row["message_id"], []).append(row["tag"])
    for i, (text, role) in enumerate(zip(texts, roles, strict=True)):
        assert sorted(batch.get(str(i), [])) == sorted(tagger.tags_of_text(text, role)), text


def test_repeated_keywords_across_rules_count_for_each(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        'defaults = "replace"\n[[rule]]\ntag = "甲"\nkeywords = ["退款"]\n[[rule]]\ntag = "乙"\nkeywords = ["退款"]\n'
        'exclude = ["不退款"]\n',
        encoding="utf-8",
    )
    tagger = Tagger(load_rules(path))
    assert tagger.tags_of_text("退款") == ["甲", "乙"]
    assert tagger.tags_of_text("不退款") == ["甲"]  # an exclusion belongs to its own rule


def test_large_alphabets_emoji_and_any_character_match_like_plain_substring_search(tmp_path: Path) -> None:
    # More than 1,023 distinct keyword characters need three symbols per character in the automaton's encoding.
    rng = random.Random(11)
    chars = [chr(c) for c in range(0x4E00, 0x4E00 + 1500)]
    keywords = sorted({"".join(rng.choice(chars) for _ in range(rng.randint(1, 3))) for _ in range(900)})
    keywords += ["😡", "Ωmega", "ß"]
    lines = [
        'defaults = "replace"',
        "[[rule]]",
        'tag = "多"',
        "keywords = [" + ", ".join(f'"{k}"' for k in keywords) + "]",
    ]
    path = tmp_path / "rules.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tagger = Tagger(load_rules(path))
    assert tagger.matcher._width == 3
    pool = [*chars[:200], "😡", "ω", "MEGA", "ẞ", " ", "\n"]
    for _ in range(300):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 30)))
        expected = {(k, i) for k in keywords for i in range(len(text)) if text.lower().startswith(k.lower(), i)}
        found = {(e.pattern, e.start) for e in tagger.explain(text)}
        assert found == expected, text
