"""`chatlog sentiment`: snownlp scores (情绪值) per buyer message and conversation; `train` and `eval` a model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from chatlog_cli.cli._filters import with_filter_options
from chatlog_cli.cli._options import QuietOpt, StoreOpt, TableOrJson, TableOrJsonOpt
from chatlog_cli.cli._output import print_json, reported_errors, rows_progress, stderr_console, stdout_console
from chatlog_cli.errors import UsageError
from chatlog_cli.find.display import role_label
from chatlog_cli.find.filters import ROLE_WORDS, MessageFilter
from chatlog_cli.settings import SENTIMENT_NEGATIVE_BELOW, SENTIMENT_POSITIVE_ABOVE
from chatlog_cli.store.store import Store, resolve_store_dir

if TYPE_CHECKING:
    from chatlog_cli.sentiment.aggregate import Thresholds
    from chatlog_cli.sentiment.evaluate import Evaluation
    from chatlog_cli.sentiment.models import ModelChoice
    from chatlog_cli.sentiment.run import SentimentRunReport
    from chatlog_cli.sentiment.scorer import Explanation, SentimentScorer

sentiment_app = typer.Typer(
    invoke_without_command=True,
    add_completion=False,
    rich_markup_mode="rich",
    help="Sentiment (情绪值) of buyer messages and conversations with snownlp; train and evaluate a shop model.",
)

ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="Switch the store's model from now on: default (snownlp's), trained (the store's trained model) or a "
        "snownlp model FILE (copied into the store).",
        show_default=False,
    ),
]


def _thresholds(negative_below: float, positive_above: float) -> Thresholds:
    from chatlog_cli.sentiment.aggregate import Thresholds

    try:
        return Thresholds(negative_below, positive_above)
    except ValueError:
        raise UsageError(
            f"阈值不合理：--negative-below {negative_below} 应不大于 --positive-above {positive_above}，"
            "且都在 0 到 1 之间。"
        ) from None


@sentiment_app.callback()
@reported_errors
@with_filter_options
def sentiment_command(
    ctx: typer.Context,
    store: StoreOpt = None,
    model: ModelOpt = None,
    score_roles: Annotated[
        list[str] | None,
        typer.Option(
            "--score-role",
            help="Roles whose messages are scored (repeatable): 买家/buyer (default), 客服/agent, 机器人/bot. "
            "Conversation figures always use the buyer's messages.",
            show_default=False,
        ),
    ] = None,
    negative_below: Annotated[
        float, typer.Option("--negative-below", help="A conversation is 负面 when its score is below this.")
    ] = SENTIMENT_NEGATIVE_BELOW,
    positive_above: Annotated[
        float, typer.Option("--positive-above", help="A conversation is 正面 when its score is above this.")
    ] = SENTIMENT_POSITIVE_ABOVE,
    top: Annotated[int, typer.Option("--top", min=0, help="List this many most negative conversations.")] = 10,
    text: Annotated[
        str | None,
        typer.Option(
            "--text", help="Score this text and show the words behind it (nothing is stored).", show_default=False
        ),
    ] = None,
    explain: Annotated[
        str | None,
        typer.Option(
            "--explain", metavar="MESSAGE_ID", help="Show a stored message's score and its words.", show_default=False
        ),
    ] = None,
    output: TableOrJsonOpt = TableOrJson.table,
    quiet: QuietOpt = False,
    *,
    where: MessageFilter,
) -> None:
    """Score the selected buyer messages (all by default) and summarise sentiment per conversation.

    Only messages not yet scored with the current model are scored, so re-running is cheap. A conversation's
    score is its buyer's last score; labels 负面/中性/正面 use --negative-below/--positive-above.
    """
    if ctx.invoked_subcommand is not None:
        # `chatlog sentiment --store X train …` means the same as `chatlog sentiment train --store X …`.
        ctx.obj = {"store": store, "format": output}
        return
    if text is not None and explain is not None:
        raise UsageError("--text 和 --explain 只能选一个。")
    from chatlog_cli.sentiment.models import choose_model, load_scorer

    if text is not None and store is None and model is None:
        scorer, choice = _scorer_for_text()
        _print_explanation(scorer.explain(text), choice, output)
        return
    opened = Store.open(resolve_store_dir(store))
    if model is not None:
        choice = choose_model(opened, model)
        if not quiet and output is TableOrJson.table:
            stderr_console().print(f"情感模型已切换为：{choice.label}", highlight=False)
    scorer, choice = load_scorer(opened)
    if text is not None:
        _print_explanation(scorer.explain(text), choice, output)
        return
    if explain is not None:
        _explain_message(opened, explain, scorer, choice, output)
        return
    roles = tuple(_role(r) for r in (score_roles or ["buyer"]))
    thresholds = _thresholds(negative_below, positive_above)
    from chatlog_cli.sentiment.run import score_store

    with rows_progress("情感打分", shown=not quiet and output is TableOrJson.table) as on_rows:
        report = score_store(opened, scorer, where, roles=roles, thresholds=thresholds, top=top, on_rows=on_rows)
    if output is TableOrJson.json:
        print_json(_report_json(report, choice, thresholds))
    elif not quiet:
        _print_report(report, choice, thresholds)


def _scorer_for_text() -> tuple[SentimentScorer, ModelChoice]:
    """The store's model when the default store exists, else snownlp's (--text works without any store)."""
    from chatlog_cli.errors import StoreError
    from chatlog_cli.sentiment.models import load_scorer

    try:
        opened: Store | None = Store.open(resolve_store_dir(None))
    except StoreError:
        opened = None
    return load_scorer(opened)


def _role(word: str) -> str:
    role = ROLE_WORDS.get(word.strip())
    if role is None or role in ("system", "unknown"):
        raise UsageError(f"--score-role 不认识“{word}”。可用：买家、客服、机器人（或 buyer、agent、bot）。")
    return role


def _score_text(score: float | None) -> Text:
    if score is None:
        return Text("—", style="dim")
    style = "red" if score < SENTIMENT_NEGATIVE_BELOW else "green" if score > SENTIMENT_POSITIVE_ABOVE else ""
    return Text(f"{score:.3f}", style=style)


def _print_report(report: SentimentRunReport, choice: ModelChoice, thresholds: Thresholds) -> None:
    from chatlog_cli.sentiment.aggregate import NEGATIVE, NEUTRAL, POSITIVE
    from chatlog_cli.sentiment.run import label_zh

    out = stdout_console()
    roles = "、".join(role_label(r) for r in report.roles)
    if report.files_scored:
        out.print(
            f"已打分：{report.messages_scored:,} 条{roles}消息（读取 {report.messages_read:,} 条，"
            f"{report.distinct_texts:,} 种不同文本，{report.files_scored} 个文件，{report.seconds:.1f} 秒），"
            f"模型：{choice.label}。",
            highlight=False,
        )
    else:
        out.print(f"情绪值已是最新（模型：{choice.label}），没有需要重新打分的消息。", highlight=False)
    if report.files_elsewhere:
        out.print(
            f"提示：筛选范围外还有 {report.files_elsewhere} 个文件没有用这个模型打分；"
            "不加筛选运行 chatlog sentiment 可全部更新。",
            highlight=False,
        )
    summary = report.summary
    if not summary.conversations:
        out.print("筛选范围内没有消息。")
        return
    if not summary.scored_conversations:
        out.print(f"筛选范围内的 {summary.conversations:,} 个会话都没有可打分的买家文字消息。")
        return
    mean = f"{summary.mean:.3f}" if summary.mean is not None else "—"
    out.print(
        f"{summary.scored_conversations:,} 个会话有买家情绪值（共 {summary.conversations:,} 个会话，"
        f"{summary.scored_messages:,} 条买家消息），会话平均情绪值 {mean}。",
        highlight=False,
    )
    cutoffs = f"负面 < {thresholds.negative_below}，正面 > {thresholds.positive_above}"
    labels = Table(title=f"会话情绪（按买家最后一句：{cutoffs}）", title_justify="left")
    for header in ("情绪", "会话数", "占比"):
        labels.add_column(header, justify="left" if header == "情绪" else "right")
    for label in (NEGATIVE, NEUTRAL, POSITIVE):
        n = summary.labels.get(label, 0)
        labels.add_row(label_zh(label), f"{n:,}", f"{n / summary.scored_conversations:.1%}")
    out.print(labels)
    if not summary.most_negative:
        return
    table = Table(title="情绪最差的会话", title_justify="left")
    for header, justify in (("开始时间", "left"), ("平台", "left"), ("买家", "left"), ("客服", "left"),
                            ("情绪值(最后)", "right"), ("最低", "right"), ("均值", "right"), ("变化", "right"),
                            ("最低的一句", "left")):  # fmt: skip
        table.add_column(header, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for row in summary.most_negative:
        table.add_row(
            row.started_at, row.platform, Text(row.buyer or "—"), Text(row.agents or "—"), _score_text(row.last),
            _score_text(row.min), _score_text(row.mean), f"{row.change:+.2f}", Text(_snippet(row.lowest_text)),
        )  # fmt: skip
    out.print(table)


def _snippet(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _report_json(report: SentimentRunReport, choice: ModelChoice, thresholds: Thresholds) -> dict[str, Any]:
    summary = report.summary
    return {
        "model": {"name": choice.name, "label": choice.label, "stamp": report.model, **choice.info},
        "scored_roles": list(report.roles),
        "thresholds": {"negative_below": thresholds.negative_below, "positive_above": thresholds.positive_above},
        "files_scored": report.files_scored,
        "files_up_to_date": report.files_current,
        "files_outside_selection_not_current": report.files_elsewhere,
        "messages_read_now": report.messages_read,
        "messages_scored_now": report.messages_scored,
        "distinct_texts_now": report.distinct_texts,
        "seconds": round(report.seconds, 3),
        "conversations": summary.conversations,
        "scored_conversations": summary.scored_conversations,
        "scored_buyer_messages": summary.scored_messages,
        "mean_conversation_score": summary.mean,
        "labels": summary.labels,
        "most_negative": [vars(r) for r in summary.most_negative],
    }


def _print_explanation(explanation: Explanation, choice: ModelChoice, output: TableOrJson) -> None:
    if output is TableOrJson.json:
        print_json(
            {"text": explanation.text, "score": explanation.score, "model": choice.name,
             "words": list(explanation.words), "stopwords_removed": list(explanation.dropped),
             "weights": [{"word": w.word, "log_odds": w.weight} for w in explanation.weights]}
        )  # fmt: skip
        return
    out = stdout_console()
    if explanation.score is None:
        out.print("这段文字没有中文，不打分（表情、数字、链接等不计情绪）。")
        return
    out.print(
        Text.assemble("情绪值：", _score_text(explanation.score), f"（0 最负面，1 最正面；模型：{choice.label}）")
    )
    out.print(Text("分词：" + " / ".join(explanation.words)))
    if explanation.dropped:
        out.print(Text("停用词（不计）：" + " / ".join(explanation.dropped), style="dim"))
    table = Table(title="各词的影响（对数几率，正数偏正面，负数偏负面）", title_justify="left")
    table.add_column("词")
    table.add_column("影响", justify="right")
    for weight in explanation.weights[:15]:
        style = "green" if weight.weight > 0 else "red" if weight.weight < 0 else ""
        table.add_row(Text(weight.word), Text(f"{weight.weight:+.2f}", style=style))
    out.print(table)


def _explain_message(
    store: Store, message_id: str, scorer: SentimentScorer, choice: ModelChoice, output: TableOrJson
) -> None:
    from chatlog_cli.sentiment.run import stored_score
    from chatlog_cli.tagging.run import find_message

    message = find_message(store, message_id)
    if message is None:
        raise UsageError(f"数据目录里没有编号为 {message_id} 的消息。")
    stored = stored_score(store, message.message_id)
    explanation = scorer.explain(message.content)
    if output is TableOrJson.json:
        print_json(
            {"message_id": message.message_id, "sent_at": message.sent_at, "role": message.sender_role,
             "stored_score": stored, "score": explanation.score, "model": choice.name,
             "words": list(explanation.words),
             "weights": [{"word": w.word, "log_odds": w.weight} for w in explanation.weights]}
        )  # fmt: skip
        return
    out = stdout_console()
    out.print(
        f"消息 {message.message_id}（{message.sent_at}，{message.platform}，{role_label(message.sender_role)}）",
        highlight=False,
    )
    out.print(Text("内容：" + message.content))
    if stored is None:
        out.print("已存情绪值：无（还没有打分，或这条消息不打分；运行 chatlog sentiment）", highlight=False)
    else:
        out.print(f"已存情绪值：{stored:.3f}", highlight=False)
    _print_explanation(explanation, choice, output)


@sentiment_app.command("train")
@reported_errors
def train_command(
    ctx: typer.Context,
    pos: Annotated[Path, typer.Option("--pos", help="Positive examples, one per line (UTF-8 or GBK).", dir_okay=False)],
    neg: Annotated[Path, typer.Option("--neg", help="Negative examples, one per line (UTF-8 or GBK).", dir_okay=False)],
    store: StoreOpt = None,
    output: TableOrJsonOpt = TableOrJson.table,
) -> None:
    """Train a sentiment model (snownlp's Bayes format) on your own examples and use it from now on.

    The model is kept in the store (models/sentiment.marshal.3, loadable by snownlp.sentiment.load) and used by
    the next `chatlog sentiment`, which re-scores everything. `chatlog sentiment --model default` goes back.
    """
    from chatlog_cli.sentiment.models import install_trained
    from chatlog_cli.sentiment.training import train_from_files

    store, output = _group_options(ctx, store, output)
    opened = Store.open(resolve_store_dir(store))
    trained = train_from_files(pos, neg)
    choice = install_trained(opened, trained.model, trained.info)
    if output is TableOrJson.json:
        print_json({"model": choice.name, "path": str(choice.path), **trained.info})
        return
    info = trained.info
    stdout_console().print(
        f"已训练并启用新模型：正面 {info['positive_examples']:,} 条、负面 {info['negative_examples']:,} 条，"
        f"词表 {info['vocabulary']:,} 个词，用时 {info['seconds']:.1f} 秒。\n"
        "下次运行 chatlog sentiment 会用它重新打分；用 chatlog sentiment eval 标注文件.csv 检查准确率，"
        "chatlog sentiment --model default 换回默认模型。",
        highlight=False,
    )


@sentiment_app.command("eval")
@reported_errors
def eval_command(
    ctx: typer.Context,
    labelled: Annotated[
        Path,
        typer.Argument(
            help="CSV with a text column and a label column (1/0, pos/neg, 正面/负面).",
            dir_okay=False,
            show_default=False,
        ),
    ],
    store: StoreOpt = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Evaluate this model instead of the store's: default, trained or a FILE.",
            show_default=False,
        ),
    ] = None,
    threshold: Annotated[
        float, typer.Option("--threshold", min=0.0, max=1.0, help="Positive when score > this.")
    ] = 0.5,
    output: TableOrJsonOpt = TableOrJson.table,
) -> None:
    """Accuracy, precision/recall per class and the confusion table of a model on labelled texts."""
    from chatlog_cli.sentiment.evaluate import evaluate, read_labelled

    store, output = _group_options(ctx, store, output)
    scorer, label = _scorer_to_evaluate(store, model)
    labelled_texts = read_labelled(labelled)
    result = evaluate(scorer, labelled_texts, threshold=threshold)
    if output is TableOrJson.json:
        print_json(_evaluation_json(result, label))
    else:
        _print_evaluation(result, label, labelled)


def _group_options(ctx: typer.Context, store: Path | None, output: TableOrJson) -> tuple[Path | None, TableOrJson]:
    """--store and --format given before the subcommand name, unless given after it too."""
    given = ctx.obj if isinstance(ctx.obj, dict) else {}
    if store is None:
        store = given.get("store")
    if output is TableOrJson.table:
        output = given.get("format", output)
    return store, output


def _scorer_to_evaluate(store: Path | None, model: str | None) -> tuple[SentimentScorer, str]:
    from chatlog_cli.errors import StoreError
    from chatlog_cli.sentiment.models import DEFAULT, MODEL_FILE, TRAINED, load_scorer
    from chatlog_cli.sentiment.scorer import SentimentScorer

    if model == DEFAULT:
        return SentimentScorer.load(), "snownlp 默认模型"
    if model not in (None, TRAINED):
        return SentimentScorer.load(Path(model)), f"模型文件 {model}"
    try:
        opened: Store | None = Store.open(resolve_store_dir(store))
    except StoreError:
        if model == TRAINED:
            raise
        opened = None
    if model == TRAINED:
        assert opened is not None
        path = opened.models_dir / MODEL_FILE
        if not path.exists():
            raise UsageError("这个数据目录还没有训练过的模型。请先运行 chatlog sentiment train。")
        return SentimentScorer.load(path), "本店训练的模型"
    scorer, choice = load_scorer(opened)
    return scorer, choice.label


def _print_evaluation(result: Evaluation, label: str, path: Path) -> None:
    out = stdout_console()
    out.print(
        f"{path.name}：{result.total:,} 条（跳过 {result.skipped} 条无中文或空行），模型：{label}，"
        f"分数 > {result.threshold} 判为正面。",
        highlight=False,
    )
    out.print(f"准确率 {result.accuracy:.1%}，平衡准确率 {result.balanced_accuracy:.1%}", highlight=False)
    figures = Table(title="各类别", title_justify="left")
    for header in ("类别", "样本数", "预测数", "精确率", "召回率"):
        figures.add_column(header, justify="left" if header == "类别" else "right")
    for c, name in zip(result.classes, ("负面", "正面"), strict=True):
        figures.add_row(name, f"{c.support:,}", f"{c.predicted:,}", f"{c.precision:.1%}", f"{c.recall:.1%}")
    out.print(figures)
    confusion = Table(title="混淆矩阵（行：实际，列：预测）", title_justify="left")
    for header in ("", "预测负面", "预测正面"):
        confusion.add_column(header, justify="right")
    for name, row in zip(("实际负面", "实际正面"), result.confusion, strict=True):
        confusion.add_row(name, f"{row[0]:,}", f"{row[1]:,}")
    out.print(confusion)


def _evaluation_json(result: Evaluation, label: str) -> dict[str, Any]:
    return {
        "model": label,
        "threshold": result.threshold,
        "texts": result.total,
        "skipped": result.skipped,
        "accuracy": result.accuracy,
        "balanced_accuracy": result.balanced_accuracy,
        "classes": {
            name: {"support": c.support, "predicted": c.predicted, "precision": c.precision, "recall": c.recall}
            for name, c in zip(("negative", "positive"), result.classes, strict=True)
        },
        "confusion": {
            "rows_true_columns_predicted": [list(r) for r in result.confusion],
            "order": ["negative", "positive"],
        },
    }
