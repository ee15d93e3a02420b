"""Metric definitions (reports/metrics.py) on hand-built conversations: buyer bursts, robot replies, transfers,
acknowledgements, replies outside the service window, conversations spanning midnight and a week boundary."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.conftest import run_import
from tests.report_helpers import CHATS, A, B, write_chats

from chatlog_cli.errors import UsageError
from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.reports.agents import agent_rows
from chatlog_cli.reports.context import ReportContext, ReportOptions
from chatlog_cli.reports.metrics import UNASSIGNED, ServiceWindow
from chatlog_cli.reports.weekly import week_period
from chatlog_cli.settings import CHINA_TZ
from chatlog_cli.store import Store

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=CHINA_TZ)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("metrics")
    run_import([write_chats(root / "chats.csv", CHATS)], root / "store")
    return Store.open(root / "store")


def _week(store: Store, window: ServiceWindow | None = None) -> ReportContext:
    period = week_period("2026-W45", NOW)
    options = ReportOptions(window=window or ServiceWindow(), now=NOW)
    return ReportContext(store, MessageFilter(), options, period=period, compare=False)


def _turns(ctx: ReportContext) -> dict[tuple[str, int], tuple[Any, ...]]:
    rows = ctx.rows(
        f"SELECT conversation_id, turn, asks, buyer_messages, in_window, response_seconds, agent "
        f"FROM {ctx.current.turns}"
    )
    return {(r[0], r[1]): r[2:] for r in rows}


def test_turns_follow_the_platform_definition(store: Store) -> None:
    with _week(store) as ctx:
        turns = _turns(ctx)
    # (asks, buyer messages, in window, response seconds, agent)
    assert turns[("BURST", 0)] == (True, 2, True, 60.0, A)
    assert turns[("ROBOT", 0)] == (True, 1, True, 240.0, A)
    assert turns[("TRANSFER", 0)] == (True, 1, True, 30.0, A)
    assert turns[("TRANSFER", 1)] == (True, 1, True, 120.0, B)  # 12:01:00 → 12:03:00; the notice is no reply
    assert turns[("NIGHT", 0)] == (True, 1, False, 25200.0, B)
    assert turns[("OPEN", 1)] == (True, 1, True, None, B)
    assert turns[("THANKS", 1)] == (True, 2, True, 120.0, A)  # clock starts at 15:20, not at the "好的" of 15:02
    assert turns[("THANKS", 2)][:2] == (False, 2)  # thanks + emoticon: no reply expected
    assert turns[("MIDNIGHT", 0)] == (True, 1, True, 180.0, B)
    assert turns[("BOTONLY", 0)] == (True, 1, True, None, UNASSIGNED)
    assert not any(conversation == "NEXT" for conversation, _ in turns)


def test_conversation_figures(store: Store) -> None:
    with _week(store) as ctx:
        rows = ctx.rows(
            f"SELECT conversation_id, messages, first_response_seconds, unanswered, unanswered_agent "
            f"FROM {ctx.current.conversations_table} ORDER BY conversation_id"
        )
        assert ctx.current.conversations == 8
    figures = {r[0]: r[1:] for r in rows}
    assert figures["MIDNIGHT"] == (3, 180.0, False, None)  # all three messages, across midnight and the week end
    assert figures["NIGHT"] == (2, None, False, None)  # outside the window: no first response time
    assert figures["OPEN"] == (3, 120.0, True, B)
    assert figures["BOTONLY"] == (2, None, True, UNASSIGNED)
    assert figures["THANKS"][1:] == (90.0, False, None)


def test_agent_figures_and_the_row_for_everybody(store: Store) -> None:
    with _week(store) as ctx:
        people, everybody = agent_rows(ctx, ctx.current)
    rows = {r[0]: r for r in people}
    # columns: agent, conversations, answered buyer messages, first response median, p90, mean response,
    # 3-minute share, window turns, unanswered, negative share, satisfied share, rated
    a = rows[A]
    # First responses BURST 60, ROBOT 240, TRANSFER 30, THANKS 90 → median (60+90)/2, P90 90 + 0.7·(240−90).
    # Turns in the window: 60 ✓, 240 ✗, 30 ✓, 90 ✓, 120 ✓ → mean 108, 4 of 5 within 3 minutes.
    # Buyer messages answered: BURST 2 + ROBOT 1 + TRANSFER 1 + THANKS 1 + 2.
    assert a[1:9] == (4, 7, 75.0, pytest.approx(195.0), pytest.approx(108.0), pytest.approx(0.8), 5, 0)
    b = rows[B]
    # B: NIGHT (outside), OPEN (120 first, then unanswered), MIDNIGHT (180), TRANSFER (second turn 120).
    assert b[1] == 4
    assert b[7] == 4 and b[6] == pytest.approx(3 / 4)  # OPEN 120 ✓, OPEN unanswered ✗, MIDNIGHT 180 ✓, TRANSFER 120 ✓
    assert b[8] == 1
    assert rows[UNASSIGNED][8] == 1
    assert everybody is not None
    assert everybody[1] == 8 and everybody[8] == 2  # OPEN and BOTONLY
    assert everybody[7] == 10  # A 5 + B 4 + BOTONLY 1


def test_service_window_changes_what_counts(store: Store) -> None:
    with _week(store, ServiceWindow.parse("00:00-24:00")) as ctx:
        turns = _turns(ctx)
        figures = dict(
            ctx.rows(f"SELECT conversation_id, first_response_seconds FROM {ctx.current.conversations_table}")
        )
    assert turns[("NIGHT", 0)][2] is True
    assert figures["NIGHT"] == 25200.0
    with _week(store, ServiceWindow.parse("9-18")) as ctx:
        figures = dict(
            ctx.rows(f"SELECT conversation_id, first_response_seconds FROM {ctx.current.conversations_table}")
        )
    assert figures["MIDNIGHT"] is None and figures["BURST"] == 60.0


@pytest.mark.parametrize(
    ("text", "window"),
    [("08:00-24:00", (480, 1440)), ("8-24", (480, 1440)), ("20:00-02:00", (1200, 120)), ("9:30~18", (570, 1080))],
)
def test_service_window_parse(text: str, window: tuple[int, int]) -> None:
    parsed = ServiceWindow.parse(text)
    assert (parsed.start, parsed.end) == window


@pytest.mark.parametrize("text", ["8", "25-26", "08:00-08:00", "8:70-9", "早上"])
def test_bad_service_window_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError):
        ServiceWindow.parse(text)


def test_overnight_window_contains_late_and_early_hours(store: Store) -> None:
    with _week(store, ServiceWindow.parse("20:00-03:00")) as ctx:
        turns = _turns(ctx)
    assert turns[("NIGHT", 0)][2] is True  # 02:00
    assert turns[("BURST", 0)][2] is False  # 10:00


def test_iso_weeks_are_monday_to_monday_in_china_time() -> None:
    week = week_period("2026-W45", NOW)
    assert week.start == dt.datetime(2026, 11, 2, tzinfo=CHINA_TZ)
    assert week.end == dt.datetime(2026, 11, 9, tzinfo=CHINA_TZ)
    assert week.label == "2026-W45"
    assert week.previous().label == "2026-W44"
    assert week_period(None, NOW).label == "2026-W46"  # last complete week
    assert week_period("2026-11-04", NOW).label == "2026-W45"
    assert week_period("2027-W01", NOW).start == dt.datetime(2027, 1, 4, tzinfo=CHINA_TZ)
