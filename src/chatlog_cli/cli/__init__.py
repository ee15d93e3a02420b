"""The `chatlog` command line: one small module per command, composed here."""

from __future__ import annotations

from typing import Annotated

import typer

from chatlog_cli import __version__
from chatlog_cli.cli import (
    alerts,
    archive,
    export,
    formats,
    import_,
    info,
    redact,
    rejects,
    report,
    scan,
    search,
    sentiment,
    show,
    sql,
    tag,
)

app = typer.Typer(
    name="chatlog",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    help="Import, query and report on customer-service chat records (聊天记录) exported from "
    "Taobao/Tmall, JD, Pinduoduo and Youzan.",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"chatlog {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Import, query and report on customer-service chat records (聊天记录)."""


app.command("import")(import_.import_command)
app.command("info")(info.info_command)
app.command("formats")(formats.formats_command)
app.command("rejects")(rejects.rejects_command)
app.command("search")(search.search_command)
app.command("show")(show.show_command)
app.command("export")(export.export_command)
app.command("sql")(sql.sql_command)
app.add_typer(redact.redact_app, name="redact")
app.command("scan")(scan.scan_command)
app.command("archive")(archive.archive_command)
app.add_typer(tag.tag_app, name="tag")
app.add_typer(sentiment.sentiment_app, name="sentiment")
app.command("alerts")(alerts.alerts_command)
app.add_typer(report.report_app, name="report")


def main() -> None:
    """Console-script entry point; a closed pipe (`chatlog … | head`) ends quietly."""
    try:
        app()
    except BrokenPipeError:
        import os
        import sys

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(1) from None
