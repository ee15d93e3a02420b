"""The message-filter options shared by `search` and `export` (and later the reports), declared once.

`with_filter_options` adds the options to a command's signature (typer reads signatures) and hands the
command one `MessageFilter` argument named `where` instead.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.find.timespec import since_until

F = TypeVar("F", bound=Callable[..., Any])

_TIME_HELP = "China time: 2026-11-01, '2026-11-01 09:00', 2026-11, 2026-W46, today, yesterday, this-week, "
_OPTIONS: dict[str, tuple[Any, Any]] = {
    "since": (
        Annotated[str | None, typer.Option(help=_TIME_HELP + "last-week, this-month, 7d, 12h.", show_default=False)],
        None,
    ),
    "until": (
        Annotated[str | None, typer.Option(help="End of the range (inclusive of that day/week/month).")],
        None,
    ),
    "platform": (
        Annotated[list[str] | None, typer.Option(help="jd, taobao, pinduoduo, youzan, … (repeatable).")],
        None,
    ),
    "shop": (Annotated[list[str] | None, typer.Option(help="Shop name (repeatable).")], None),
    "agent": (
        Annotated[list[str] | None, typer.Option(help="Agent nick or part of it, e.g. 小美 (repeatable).")],
        None,
    ),
    "buyer": (Annotated[list[str] | None, typer.Option(help="Buyer nick/id or part of it (repeatable).")], None),
    "order": (
        Annotated[list[str] | None, typer.Option(help="Order id: the order column or the message text (repeatable).")],
        None,
    ),
    "tag": (
        Annotated[
            list[str] | None,
            typer.Option(
                help="Tag from `chatlog tag`, e.g. 退换货, 物流 (all 物流-…) or 投诉 (风险-投诉) (repeatable)."
            ),
        ],
        None,
    ),
    "role": (
        Annotated[list[str] | None, typer.Option(help="buyer/agent/bot/system/unknown or 买家/客服/机器人.")],
        None,
    ),
    "msg_type": (
        Annotated[list[str] | None, typer.Option("--type", help="text/image/order_card/… or 文本/图片/订单卡片.")],
        None,
    ),
    "regex": (Annotated[bool, typer.Option("--regex", help="TEXT is a regular expression (RE2 syntax).")], False),
    "any_word": (Annotated[bool, typer.Option("--any", help="Match any of the words instead of all.")], False),
}


def with_filter_options(command: F) -> F:
    """Add the filter options to `command`, which takes `words: list[str] | None` and `where: MessageFilter`."""
    signature = inspect.signature(command)
    # Resolve the command's annotations (strings under `from __future__ import annotations`) in its own
    # module: typer would otherwise evaluate them in this one.
    hints = typing.get_type_hints(command, include_extras=True)
    kept = [p.replace(annotation=hints[name]) for name, p in signature.parameters.items() if name != "where"]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
        for name, (annotation, default) in _OPTIONS.items()
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        options = {name: kwargs.pop(name) for name in _OPTIONS}
        kwargs["where"] = build_filter(kwargs.get("words") or [], **options)
        return command(*args, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=[*kept, *added])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in [*kept, *added]}
    return wrapper  # type: ignore[return-value]


def build_filter(words: list[str], **options: Any) -> MessageFilter:
    """A MessageFilter from option values (times parsed relative to now, in China time)."""
    since, until = since_until(options.get("since"), options.get("until"))

    def many(name: str) -> tuple[str, ...]:
        return tuple(options.get(name) or ())

    return MessageFilter(
        words=tuple(w for w in words if w),
        any_word=bool(options.get("any_word")),
        regex=bool(options.get("regex")),
        since=since,
        until=until,
        platforms=many("platform"),
        shops=many("shop"),
        agents=many("agent"),
        buyers=many("buyer"),
        orders=many("order"),
        roles=many("role"),
        tags=many("tag"),
        types=many("msg_type"),
    )
