"""`chatlog archive`: a month's redacted archive, for cron (non-interactive, one-line summary)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chatlog_cli.cli._options import StoreOpt
from chatlog_cli.cli._output import reported_errors, stdout_console
from chatlog_cli.cli.redact import AgentsOpt, KeyFileOpt, KindsOpt, Mode, ModeOpt, found_summary, make_redactor
from chatlog_cli.store.store import Store, resolve_store_dir

DEFAULT_ARCHIVE_DIR = Path("chatlog-archive")


@reported_errors
def archive_command(
    month: Annotated[
        str, typer.Option("--month", help="China-time calendar month, YYYY-MM (e.g. 2026-10).", show_default=False)
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Archive root; the month goes to OUT/YYYY-MM/ (replaced if it exists).", file_okay=False
        ),
    ] = DEFAULT_ARCHIVE_DIR,
    store: StoreOpt = None,
    mode: ModeOpt = Mode.mask,
    kinds: KindsOpt = None,
    key_file: KeyFileOpt = None,
    agents: AgentsOpt = False,
    xlsx: Annotated[
        bool, typer.Option("--xlsx", help="Also write 聊天记录.xlsx for people without Parquet tools.")
    ] = False,
    platform: Annotated[list[str] | None, typer.Option(help="Only these platforms (repeatable).")] = None,
    shop: Annotated[list[str] | None, typer.Option(help="Only these shops (repeatable).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing unless something fails.")] = False,
) -> None:
    """Write the redacted archive of one month: messages.parquet, sessions.parquet, optional XLSX, manifest.json.

    Safe to re-run (the month is replaced atomically); every archive is scanned for residual personal data
    before it is published. Exit codes: 0 published, 1 error (nothing changed), 2 bad options or key,
    3 residual personal data found (nothing published).
    """
    from chatlog_cli.redact.archive import archive_month

    redactor = make_redactor(mode, kinds, key_file)
    report = archive_month(
        Store.open(resolve_store_dir(store)), month, out, redactor, xlsx=xlsx, agents=agents,
        platforms=tuple(platform or ()), shops=tuple(shop or ()),
    )  # fmt: skip
    if quiet:
        return
    replaced = "，已替换旧归档" if report.replaced else ""
    key = "" if redactor.key_is_stable else "，临时密钥"
    stdout_console().print(
        f"chatlog archive {report.month}: {report.messages:,} 条消息，{report.conversations:,} 个会话，"
        f"{report.messages_changed:,} 条含个人信息已脱敏（{found_summary(report.counts)}）→ {report.path}"
        f"（{len(report.files)} 个文件，扫描无残留{replaced}{key}，{report.seconds:.1f} 秒）",
        highlight=False,
        soft_wrap=True,
    )
