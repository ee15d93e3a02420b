"""Option types shared by commands."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from chatlog_cli.settings import STORE_ENV_VAR

StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help=f"Store directory. Default: ${STORE_ENV_VAR}, else ./chatlog-data.",
        show_default=False,
        file_okay=False,
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")]


class TableOrJson(StrEnum):
    """`--format` of commands that print a table on a terminal or JSON for programs."""

    table = "table"
    json = "json"


TableOrJsonOpt = Annotated[TableOrJson, typer.Option("--format", help="table or json.")]
