"""Rules files: format, merging with the built-in rules, hierarchy, fingerprints, and errors with line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatlog_cli.errors import RulesFileError
from chatlog_cli.tagging.rules import DEFAULT_RULES_LABEL, default_rules, load_rules

BASE = """defaults = "replace"

[[rule]]
tag = "售后处理"

[[rule]]
tag = "退换货"
parent = "售后处理"
keywords = ["退货", "换货"]
"""


def write(tmp_path: Path, text: str, name: str = "rules.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(RulesFileError) as caught:
        load_rules(write(tmp_path, text))
    assert caught.value.exit_code == 2
    return caught.value.message


def test_defaults_ship_the_three_levels_with_hundreds_of_keywords() -> None:
    rules = default_rules()
    tags = set(rules.by_tag)
    assert {"售前咨询", "售后处理", "会员服务"} <= tags
    assert {"物流-配送时效", "物流-破损丢件", "支付-退款未到账", "商品-质量", "商品-尺码", "优惠-优惠券/价格", "发票",
            "地址修改", "退换货"} <= tags  # fmt: skip
    assert {"风险-投诉", "风险-差评", "风险-假货", "风险-诈骗", "风险-法律", "风险-曝光"} <= tags
    assert rules.keyword_count >= 250
    assert rules.ancestors["物流-配送时效"][0] == "物流"
    assert rules.by_tag["风险-投诉"].priority == "urgent"
    assert all(r.roles == {"buyer"} for r in rules.rules)


def test_a_user_file_extends_overrides_and_disables_built_in_rules(tmp_path: Path) -> None:
    rules = load_rules(
        write(
            tmp_path,
            """[[rule]]
tag = "发票"
keywords = ["开票"]

[[rule]]
tag = "地址修改"
enabled = false

[[rule]]
tag = "直播间"
keywords = ["直播间"]
priority = "high"
""",
        )
    )
    assert rules.sources == (DEFAULT_RULES_LABEL, str(tmp_path / "rules.toml"))
    assert rules.by_tag["发票"].keywords == ("开票",)
    assert "地址修改" not in rules.by_tag
    assert list(rules.by_tag)[-1] == "直播间"
    assert len(rules.rules) == len(default_rules().rules)  # one replaced, one removed, one added


def test_replace_uses_only_the_file_and_resolves_the_hierarchy(tmp_path: Path) -> None:
    rules = load_rules(
        write(
            tmp_path,
            BASE
            + """
[[rule]]
tag = "物流"

[[rule]]
tag = "物流-破损丢件"
parent = ["物流", "售后处理"]
keywords = ["破损"]

[[rule]]
tag = "破损-外箱"
parent = "物流-破损丢件"
keywords = ["外箱"]
""",
        )
    )
    assert [r.tag for r in rules.rules] == ["售后处理", "退换货", "物流", "物流-破损丢件", "破损-外箱"]
    assert rules.ancestors["破损-外箱"] == ("物流-破损丢件", "物流", "售后处理")
    assert rules.ancestors["售后处理"] == ()


def test_fingerprint_follows_matching_not_wording(tmp_path: Path) -> None:
    first = load_rules(write(tmp_path, BASE))
    described = load_rules(write(tmp_path, BASE.replace('tag = "退换货"', 'tag = "退换货"\ndescription = "说明"')))
    more = load_rules(write(tmp_path, BASE.replace('"换货"]', '"换货", "七天无理由"]')))
    assert first.fingerprint == described.fingerprint
    assert first.fingerprint != more.fingerprint


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        (BASE + 'priority = "最高"\n', 10, "priority 须是 normal / high / urgent"),
        (BASE + 'colour = "red"\n', 10, "不认识的键 colour"),
        (BASE + 'roles = ["boss"]\n', 10, "roles 里的 boss 不认识"),
        (BASE + "regex = ['(?<=不)退款']\n", 10, "RE2 不支持"),
        (BASE + "regex = ['退(款']\n", 10, "正则表达式"),
        (BASE + 'exclude = ["", "不退"]\n', 10, "exclude 里有空白项"),
        (BASE + "exclude = 3\n", 10, "exclude 须是文字列表"),
        (BASE + '\n[[rule]]\ntag = "退换货"\nkeywords = ["退"]\n', 12, "标签重复（第 7 行已定义）"),
        (BASE + '\n[[rule]]\nkeywords = ["退"]\n', 11, "缺少 tag"),
        (BASE.replace('parent = "售后处理"', 'parent = "售后"'), 8, "上级“售后”不存在"),
        (BASE + '\n[[rule]]\ntag = "空规则"\n', 11, "永远不会命中"),
        (BASE.replace('defaults = "replace"', 'defaults = "merge"'), 1, "defaults 只能是"),
        ('title = "x"\n' + BASE, 1, "不认识的键 title"),
    ],
)
def test_rule_errors_name_the_file_the_line_and_the_problem(
    tmp_path: Path, text: str, line: int, expected: str
) -> None:
    message = error(tmp_path, text)
    assert f"rules.toml 第 {line} 行" in message
    assert expected in message


def test_hierarchy_cycles_are_refused_with_the_path(tmp_path: Path) -> None:
    message = error(
        tmp_path,
        BASE.replace('tag = "售后处理"\n', 'tag = "售后处理"\nparent = "退换货"\n'),
    )
    assert "上级关系成环" in message and "售后处理 → 退换货 → 售后处理" in message
    assert "第 5 行" in message


def test_syntax_errors_and_missing_files_are_clear(tmp_path: Path) -> None:
    assert "TOML 语法错误" in error(tmp_path, '[[rule]]\ntag = "x\n')
    assert "rules.toml 第 2 行" in error(tmp_path, '[[rule]]\ntag = "x\n')
    assert "没有规则" in error(tmp_path, 'defaults = "replace"\n')
    with pytest.raises(RulesFileError, match="找不到规则文件"):
        load_rules(tmp_path / "missing.toml")
    (tmp_path / "gbk.toml").write_bytes('[[rule]]\ntag = "发票"\nkeywords = ["开票"]\n'.encode("gbk"))
    with pytest.raises(RulesFileError, match="UTF-8"):
        load_rules(tmp_path / "gbk.toml")
