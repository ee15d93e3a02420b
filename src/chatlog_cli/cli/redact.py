"""`chatlog redact`: a redacted (脱敏) copy of the selected messages, plain-text redaction, and `init-key`."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from chatlog_cli.cli._filters import with_filter_options
from chatlog_cli.cli._options import StoreOpt
from chatlog_cli.cli._output import reported_errors, stderr_console, stderr_is_terminal, stdout_console
from chatlog_cli.errors import InputFileError, UsageError
from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.redact.keys import KEY_ENV_VAR, create_key_file, load_key
from chatlog_cli.redact.kinds import KINDS, LABELS
from chatlog_cli.redact.replace import Redactor
from chatlog_cli.store.store import Store, resolve_store_dir

redact_app = typer.Typer(
    invoke_without_command=True,
    add_completion=False,
    rich_markup_mode="rich",
    help="Redact (脱敏) personal data: phone, landline, 身份证, bank card, e-mail, WeChat, QQ, address, name.",
)


class Mode(StrEnum):
    """How personal data is replaced."""

    mask = "mask"
    label = "label"
    pseudonym = "pseudonym"


KindsOpt = Annotated[
    str | None,
    typer.Option(
        "--kinds",
        help=f"Comma-separated kinds to redact (default all): {','.join(KINDS)} (or 手机号,身份证,…).",
        show_default=False,
    ),
]
KeyFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help=f"Key for pseudonyms (made by `chatlog redact init-key`). Default: ${KEY_ENV_VAR}.",
        dir_okay=False,
        show_default=False,
    ),
]
ModeOpt = Annotated[
    Mode,
    typer.Option(
        "--mode",
        help="mask: 138****5678 · label: [手机号] · pseudonym: [手机号:7f3a9c21], the same value the same token "
        "under one key (needs --key-file).",
    ),
]
AgentsOpt = Annotated[bool, typer.Option("--agents", help="Also replace agents' nicks by tokens.")]


def parse_kinds(text: str | None) -> frozenset[str] | None:
    """`--kinds phone,身份证` → kind names; UsageError naming the unknown ones."""
    if not text:
        return None
    by_label = {label: kind for kind, label in LABELS.items()}
    chosen, unknown = set(), []
    for word in (w.strip() for w in text.replace("，", ",").split(",")):
        if not word:
            continue
        kind = word.lower() if word.lower() in KINDS else by_label.get(word)
        if kind is None:
            unknown.append(word)
        else:
            chosen.add(kind)
    if unknown or not chosen:
        raise UsageError(f"--kinds 中有不认识的类型：{', '.join(unknown) or text}。可选：{', '.join(KINDS)}。")
    return frozenset(chosen)


def make_redactor(mode: Mode, kinds: str | None, key_file: Path | None) -> Redactor:
    """The Redactor the options describe (the key from --key-file or the environment)."""
    return Redactor(mode.value, key=load_key(key_file), kinds=parse_kinds(kinds))


def found_summary(counts: dict[str, int]) -> str:
    """`手机号 12 · 身份证 1` (or 无)."""
    return " · ".join(f"{LABELS[k]} {n:,}" for k, n in counts.items()) or "无"


@redact_app.callback()
@reported_errors
@with_filter_options
def redact_command(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Target: a .xlsx/.csv/.jsonl/.parquet file, or a directory that becomes a redacted store "
            "(queryable with --store).",
            show_default=False,
        ),
    ] = None,
    store: StoreOpt = None,
    mode: ModeOpt = Mode.mask,
    kinds: KindsOpt = None,
    key_file: KeyFileOpt = None,
    agents: AgentsOpt = False,
    text: Annotated[
        str | None,
        typer.Option(
            "--text",
            help="Redact a plain-text FILE (or - for stdin) line by line to stdout instead of the store.",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be redacted and show redacted samples; write nothing.")
    ] = False,
    file_format: Annotated[
        str | None, typer.Option("--format", help="xlsx, csv, jsonl or parquet (default: from the extension).")
    ] = None,
    encoding: Annotated[str, typer.Option(help="CSV only: utf-8-sig (default) or gb18030.")] = "utf-8-sig",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    *,
    where: MessageFilter,
) -> None:
    """Write a redacted copy of the selected messages; the store itself is never changed.

    Buyers' nicks and ids always become tokens (买家_…); order ids, waybills, prices and times are kept.
    Exit codes: 0 done, 1 error, 2 bad options or key.
    """
    if ctx.invoked_subcommand is not None:
        return
    redactor = make_redactor(mode, kinds, key_file)
    if text is not None:
        _redact_text_lines(text, redactor, quiet=quiet)
        return
    opened = Store.open(resolve_store_dir(store))
    if dry_run:
        _dry_run(opened, where, redactor, agents=agents)
        return
    if output is None:
        raise UsageError("请用 -o 指定输出文件（.xlsx/.csv/.jsonl/.parquet）或目录；只想看统计请加 --dry-run。")
    from chatlog_cli.redact.run import redact_store

    if stderr_is_terminal() and not quiet:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        from chatlog_cli.find.export import count_messages

        total = count_messages(opened, where)
        columns = (TextColumn("脱敏中"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=stderr_console(), transient=True) as progress:
            task = progress.add_task("redact", total=total)
            report = redact_store(
                opened, where, output, redactor, agents=agents, format=file_format, encoding=encoding,
                on_rows=lambda n: progress.advance(task, n),
            )  # fmt: skip
    else:
        report = redact_store(opened, where, output, redactor, agents=agents, format=file_format, encoding=encoding)
    if not quiet:
        out = stdout_console()
        out.print(
            f"已脱敏 {report.messages:,} 条消息（{report.messages_changed:,} 条含个人信息）→ {report.path}"
            f"（{report.format}，{report.seconds:.1f} 秒）",
            highlight=False,
        )
        out.print(f"替换：{found_summary(report.kinds_found())}；买家昵称已替换为代号。", highlight=False)
        if not redactor.key_is_stable:
            out.print("提示：未指定密钥，买家代号只在本次输出内一致；要跨文件一致请用 --key-file。", highlight=False)


def _dry_run(store: Store, where: MessageFilter, redactor: Redactor, *, agents: bool) -> None:
    from chatlog_cli.redact.run import dry_run

    report = dry_run(store, where, redactor, agents=agents)
    out = stdout_console()
    out.print(
        f"将脱敏 {report.messages:,} 条消息，其中 {report.messages_changed:,} 条含个人信息（未写入任何文件）。",
        highlight=False,
    )
    out.print(f"按类型：{found_summary(report.kinds_found())}", highlight=False)
    if report.samples:
        out.print("示例（脱敏后）：", highlight=False)
        for sample in report.samples:
            out.print("  " + sample.replace("\n", " ⏎ "), highlight=False, markup=False)


def _lines(source: str) -> Iterator[str]:
    if source == "-":
        yield from sys.stdin
        return
    from chatlog_cli.io.decode import detect_encoding

    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"无法读取 {path}：{exc.strerror}。请检查路径。") from None
    encoding = detect_encoding(data[:65536], complete=len(data) <= 65536, file_label=str(path))
    yield from data.decode(encoding, errors="replace").splitlines(keepends=True)


def _redact_text_lines(source: str, redactor: Redactor, *, quiet: bool) -> None:
    """One output line per input line, line ends kept; counts on stderr."""
    totals: Counter[str] = Counter()
    write = sys.stdout.write
    for line in _lines(source):
        redacted, counts = redactor.redact_counted(line)
        write(redacted)
        totals.update(counts)
    sys.stdout.flush()
    if not quiet:
        ordered = {k: totals[k] for k in KINDS if totals[k]}
        stderr_console().print(f"替换：{found_summary(ordered)}", highlight=False)


@redact_app.command("init-key")
@reported_errors
def init_key_command(
    path: Annotated[Path, typer.Argument(help="Where to create the key file (readable by you only, 0600).")],
) -> None:
    """Create a random key for pseudonyms. Keep it secret and backed up: a new key changes every token."""
    path.parent.mkdir(parents=True, exist_ok=True)
    create_key_file(path)
    stdout_console().print(
        f"已生成密钥文件 {path}（仅本人可读）。使用：chatlog redact --mode pseudonym --key-file {path} …",
        highlight=False,
    )
