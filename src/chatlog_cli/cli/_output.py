"""Consoles, error reporting and small rendering helpers shared by commands."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from chatlog_cli.errors import ChatlogError

P = ParamSpec("P")
R = TypeVar("R")


def stdout_console() -> Console:
    """Results: tables on a terminal; in pipes and logs a wide, colourless console so nothing is cut."""
    if sys.stdout.isatty():
        return Console(soft_wrap=True)
    return Console(soft_wrap=True, width=200, no_color=True, color_system=None)


def stderr_console() -> Console:
    """Progress, warnings and errors (soft_wrap so messages are not cut at 80 columns)."""
    return Console(stderr=True, soft_wrap=True)


def stderr_is_terminal() -> bool:
    """Whether progress bars make sense."""
    return sys.stderr.isatty()


def reported_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn `ChatlogError` into a one-line red message on stderr and the error's exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ChatlogError as exc:
            stderr_console().print(f"[bold red]错误：[/]{exc.message}", markup=True, highlight=False)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def print_json(data: Any) -> None:
    """Machine-readable output on stdout (UTF-8, not ASCII-escaped, so Chinese stays readable)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


@contextmanager
def rows_progress(label: str, *, shown: bool) -> Iterator[Callable[[int], None] | None]:
    """A transient rows-done counter on stderr (a terminal only); yields the callback to advance it, or None."""
    if not shown or not stderr_is_terminal():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), console=stderr_console(),
                  transient=True) as progress:  # fmt: skip
        task = progress.add_task(label, total=None)
        yield lambda n: progress.advance(task, n)
