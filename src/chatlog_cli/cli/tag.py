"""`chatlog tag`: keyword rules → tags in the store; `--text`/`--explain` show why; `tag rules` lists them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from chatlog_cli.cli._filters import with_filter_options
from chatlog_cli.cli._options import QuietOpt, StoreOpt, TableOrJson, TableOrJsonOpt
from chatlog_cli.cli._output import print_json, reported_errors, rows_progress, stdout_console
from chatlog_cli.errors import UsageError
from chatlog_cli.find.display import role_label
from chatlog_cli.find.filters import ROLE_WORDS, MessageFilter
from chatlog_cli.store.store import Store, resolve_store_dir
from chatlog_cli.tagging.rules import PRIORITY_LABELS, RuleSet, load_rules
from chatlog_cli.tagging.tagger import Explanation, Tagger

if TYPE_CHECKING:
    from chatlog_cli.tagging.run import TagRunReport

tag_app = typer.Typer(
    invoke_without_command=True,
    add_completion=False,
    rich_markup_mode="rich",
    help="Tag messages by keyword rules (服务类型, 问题类别, 风险) and count the tags.",
)

RULES_ENV_VAR = "CHATLOG_RULES"
RulesOpt = Annotated[
    Path | None,
    typer.Option(
        "--rules",
        help="Rules file (TOML, see docs/tagging.md): extends the built-in rules, or replaces them with "
        f'defaults = "replace". Default: ${RULES_ENV_VAR}, else the built-in rules.',
        envvar=RULES_ENV_VAR,
        dir_okay=False,
        show_default=False,
    ),
]


_KIND_LABELS = {"keyword": "关键词", "regex": "正则", "exclude": "排除词"}


@tag_app.callback()
@reported_errors
@with_filter_options
def tag_command(
    ctx: typer.Context,
    store: StoreOpt = None,
    rules: RulesOpt = None,
    text: Annotated[
        str | None,
        typer.Option(
            "--text", help="Show which keyword of which rule matches this text (nothing is stored).", show_default=False
        ),
    ] = None,
    explain: Annotated[
        str | None,
        typer.Option(
            "--explain", metavar="MESSAGE_ID", help="Show why a stored message has its tags.", show_default=False
        ),
    ] = None,
    output: TableOrJsonOpt = TableOrJson.table,
    quiet: QuietOpt = False,
    *,
    where: MessageFilter,
) -> None:
    """Tag the selected messages (all by default) and print counts per tag.

    Re-running with the same rules changes nothing; new or changed rules re-tag. `--role` sets the sender role
    for --text (default buyer).
    """
    if ctx.invoked_subcommand is not None:
        return
    if text is not None and explain is not None:
        raise UsageError("--text 和 --explain 只能选一个。")
    tagger = Tagger(load_rules(rules))
    if text is not None:
        role = ROLE_WORDS.get(where.roles[0], where.roles[0]) if where.roles else "buyer"
        _print_explanation(text, role, tagger, output)
        return
    opened = Store.open(resolve_store_dir(store))
    if explain is not None:
        _explain_message(opened, explain, tagger, output)
        return
    from chatlog_cli.tagging.run import tag_store

    with rows_progress("打标签", shown=not quiet and output is TableOrJson.table) as on_rows:
        report = tag_store(opened, tagger, where, on_rows=on_rows)
    if output is TableOrJson.json:
        print_json(_report_json(report, tagger.rules))
    elif not quiet:
        _print_report(report, tagger.rules)


def _rules_label(rules: RuleSet) -> str:
    return f"{' + '.join(rules.sources)}（{len(rules.rules)} 条规则，{rules.keyword_count} 个关键词）"


def _print_report(report: TagRunReport, rules: RuleSet) -> None:
    out = stdout_console()
    summary = report.summary
    if report.files_tagged:
        out.print(
            f"已打标签：{report.messages_read:,} 条消息（{report.files_tagged} 个文件，{report.seconds:.1f} 秒），"
            f"规则：{_rules_label(rules)}。",
            highlight=False,
        )
    else:
        out.print(f"标签已是最新（规则：{_rules_label(rules)}），没有需要重新打标签的消息。", highlight=False)
    if report.files_elsewhere:
        out.print(
            f"提示：筛选范围外还有 {report.files_elsewhere} 个文件的标签不是用这套规则打的（或还没有标签）；"
            "不加筛选运行 chatlog tag 可全部更新。",
            highlight=False,
        )
    if not summary.messages:
        out.print("筛选范围内没有消息。")
        return
    title = (
        f"标签统计：{summary.messages:,} 条消息、{summary.conversations:,} 个会话，"
        f"其中 {summary.tagged_conversations:,} 个会话有标签"
    )
    table = Table(title=title, title_justify="left")
    for header, justify in (("标签", "left"), ("优先级", "left"), ("会话数", "right"), ("会话占比", "right"),
                            ("消息数", "right")):  # fmt: skip
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for count in summary.counts:
        share = count.conversations / summary.conversations if summary.conversations else 0.0
        table.add_row(
            count.tag, PRIORITY_LABELS.get(count.priority, count.priority), f"{count.conversations:,}",
            f"{share:.1%}", f"{count.messages:,}",
        )  # fmt: skip
    out.print(table)


def _report_json(report: TagRunReport, rules: RuleSet) -> dict[str, Any]:
    summary = report.summary
    return {
        "rules": {"sources": list(rules.sources), "fingerprint": rules.fingerprint, "rules": len(rules.rules)},
        "files_tagged": report.files_tagged,
        "files_up_to_date": report.files_current,
        "files_outside_selection_not_current": report.files_elsewhere,
        "messages_tagged_now": report.messages_read,
        "seconds": round(report.seconds, 3),
        "messages": summary.messages,
        "conversations": summary.conversations,
        "tagged_messages": summary.tagged_messages,
        "tagged_conversations": summary.tagged_conversations,
        "tags": [vars(c) for c in summary.counts],
    }


def _print_explanation(text: str, role: str, tagger: Tagger, output: TableOrJson) -> None:
    explanations = tagger.explain(text, role)
    tags = tagger.tags_of_text(text, role)
    if output is TableOrJson.json:
        print_json({"text": text, "role": role, "tags": tags, "matches": [_explanation_json(e) for e in explanations]})
        return
    out = stdout_console()
    out.print(f"标签（{role_label(role)}）：{'、'.join(tags) or '无'}", highlight=False)
    if not explanations:
        out.print("没有任何规则的关键词出现在这段文字里。")
        return
    table = Table(show_lines=False)
    for header in ("位置", "找到", "规则", "类型", "写法", "结果"):
        table.add_column(header, overflow="fold")
    for e in explanations:
        table.add_row(
            f"{e.start + 1}-{e.end}", Text(e.matched), e.tag, _KIND_LABELS[e.kind], Text(e.pattern), _verdict(e, role)
        )
    out.print(table)


def _verdict(e: Explanation, role: str) -> Text:
    if e.kind == "exclude":
        return Text("排除词：它包含的关键词不计", style="dim")
    if e.excluded_by is not None:
        return Text(f"✗ 被排除词“{e.excluded_by}”抵消", style="yellow")
    if not e.applies:
        return Text(f"✗ 规则不适用于{role_label(role)}", style="yellow")
    rolled = f"（并计入 {'、'.join(e.ancestors)}）" if e.ancestors else ""
    return Text(f"✓ 计入 {e.tag}{rolled}", style="green")


def _explanation_json(e: Explanation) -> dict[str, Any]:
    return {
        "tag": e.tag, "kind": e.kind, "pattern": e.pattern, "matched": e.matched, "start": e.start, "end": e.end,
        "excluded_by": e.excluded_by, "applies": e.applies, "counts": e.counts, "ancestors": list(e.ancestors),
        "priority": e.priority,
    }  # fmt: skip


def _explain_message(store: Store, message_id: str, tagger: Tagger, output: TableOrJson) -> None:
    from chatlog_cli.tagging.run import find_message

    message = find_message(store, message_id)
    if message is None:
        raise UsageError(f"数据目录里没有编号为 {message_id} 的消息。")
    current = message.tagged_with == tagger.rules.fingerprint
    if output is TableOrJson.json:
        print_json(
            {"message_id": message.message_id, "sent_at": message.sent_at, "role": message.sender_role,
             "stored_tags": list(message.tags), "stored_with_these_rules": current,
             "matches": [_explanation_json(e) for e in tagger.explain(message.content, message.sender_role)]}
        )  # fmt: skip
        return
    out = stdout_console()
    out.print(
        f"消息 {message.message_id}（{message.sent_at}，{message.platform}，{role_label(message.sender_role)}）",
        highlight=False,
    )
    stored = "、".join(message.tags) or "无"
    if message.tagged_with is None:
        note = "（这条消息还没有打过标签）"
    elif current:
        note = "（用当前规则打的）"
    else:
        note = "（用另一套规则打的；运行 chatlog tag 更新）"
    out.print(f"已存标签：{stored}{note}", highlight=False)
    out.print(Text("内容：" + message.content))
    _print_explanation(message.content, message.sender_role, tagger, output)


@tag_app.command("rules")
@reported_errors
def rules_command(rules: RulesOpt = None, output: TableOrJsonOpt = TableOrJson.table) -> None:
    """Print the active rules: tags, parents, priorities, roles, keywords and exclusions."""
    active = load_rules(rules)
    if output is TableOrJson.json:
        print_json(
            {"sources": list(active.sources), "fingerprint": active.fingerprint,
             "rules": [r.canonical() | {"description": r.description, "ancestors": list(active.ancestors[r.tag])}
                       for r in active.rules]}
        )  # fmt: skip
        return
    table = Table(title=f"标签规则：{_rules_label(active)}", title_justify="left", show_lines=True, expand=True)
    columns: list[tuple[str, dict[str, Any]]] = [
        ("标签", {"ratio": 2}), ("上级", {"ratio": 1}), ("优先级", {"no_wrap": True}), ("适用", {"no_wrap": True}),
        ("关键词 / 正则", {"ratio": 5}), ("排除", {"ratio": 3}),
    ]  # fmt: skip
    for header, options in columns:
        table.add_column(header, overflow="fold", **options)
    for rule in active.rules:
        words = "、".join(rule.keywords) + "".join(f"  /{p}/" for p in rule.regex)
        table.add_row(
            Text(rule.tag) + (Text("\n" + rule.description, style="dim") if rule.description else Text("")),
            "、".join(rule.parents),
            PRIORITY_LABELS[rule.priority],
            "、".join(role_label(r) for r in sorted(rule.roles)),
            Text(words or "（分组：由下级规则汇总）"),
            Text("、".join(rule.exclude)),
        )
    stdout_console().print(table)
