"""search / show / sql against a fixture store with known answers (JD log fixture + Pinduoduo CSV fixture)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chatlog_cli.cli import app
from chatlog_cli.errors import UsageError
from chatlog_cli.find import timespec
from chatlog_cli.find.conversation import ConversationQuery, find_transcripts
from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.find.search import search
from chatlog_cli.find.sql import run_query
from chatlog_cli.find.timespec import SHANGHAI, parse_span, since_until
from chatlog_cli.store.store import Store
from conftest import FIXTURES, run_import

# A Wednesday afternoon, China time.
NOW = dt.datetime(2026, 11, 18, 15, 30, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("find") / "store"
    report = run_import([FIXTURES / "pinduoduo" / "basic.csv", FIXTURES / "jd" / "basic.log"], root)
    assert [f.status for f in report.files] == ["imported", "imported"]
    return Store.open(root)


def contents(store: Store, **options: object) -> list[str]:
    return [r["content"] for r in search(store, MessageFilter(**options), limit=None).rows]  # type: ignore[arg-type]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


# Time specs -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "start", "end"),
    [
        ("today", "2026-11-18", "2026-11-19"),
        ("yesterday", "2026-11-17", "2026-11-18"),
        ("this-week", "2026-11-16", "2026-11-23"),
        ("last-week", "2026-11-09", "2026-11-16"),
        ("2026-W46", "2026-11-09", "2026-11-16"),
        ("this-month", "2026-11-01", "2026-12-01"),
        ("last-month", "2026-10-01", "2026-11-01"),
        ("2026-11", "2026-11-01", "2026-12-01"),
        ("2026-12-31", "2026-12-31", "2027-01-01"),
        ("2026/1/5", "2026-01-05", "2026-01-06"),
        ("2026-11-01 09:00", "2026-11-01 09:00", "2026-11-01 09:01"),
        ("2026-11-01 09:00:30", "2026-11-01 09:00:30", "2026-11-01 09:00:31"),
        ("7d", "2026-11-11 15:30", "2026-11-18 15:30"),
        ("12h", "2026-11-18 03:30", "2026-11-18 15:30"),
        ("上周", "2026-11-09", "2026-11-16"),
    ],
)
def test_time_specs_are_china_time_spans(spec: str, start: str, end: str) -> None:
    span = parse_span(spec, NOW)
    assert (span.start, span.end) == (at(start), at(end))


def test_last_month_in_january_is_december_of_the_year_before() -> None:
    span = parse_span("last-month", dt.datetime(2027, 1, 10, tzinfo=SHANGHAI))
    assert (span.start, span.end) == (at("2026-12-01"), at("2027-01-01"))


@pytest.mark.parametrize("spec", ["next tuesday", "2026-13", "2026-02-30", "2026-W60", "tomorrow-ish"])
def test_bad_time_specs_say_what_is_accepted(spec: str) -> None:
    with pytest.raises(UsageError) as error:
        parse_span(spec, NOW)
    assert spec in error.value.message and "2026-W46" in error.value.message


def test_until_includes_its_whole_day_and_reversed_ranges_are_refused() -> None:
    assert since_until("2026-11-01", "2026-11-07", NOW) == (at("2026-11-01"), at("2026-11-08"))
    with pytest.raises(UsageError, match="晚于"):
        since_until("2026-11-08", "2026-11-07", NOW)


# Filters ----------------------------------------------------------------------------------------------------


def test_words_must_all_match_unless_any(store: Store) -> None:
    assert contents(store, words=("亲", "发货")) == ["亲，48小时内发货哦\n请耐心等待"]
    assert contents(store, words=("发票", "破的"), any_word=True) == [
        "发票怎么开",
        "亲，在订单详情页申请电子发票即可",
        '收到的杯子是破的，"太失望了"',
    ]


def test_regex_and_latin_case(store: Store) -> None:
    assert contents(store, words=("优惠券.*用",), regex=True) == ["优惠券怎么用不了", "亲，优惠券满99可用哦"]
    assert contents(store, words=("HTTPS://IMG30",)) == ["https://img30.360buyimg.com/n1/jfs/t1/abc.jpg"]
    with pytest.raises(UsageError, match="正则表达式"):
        contents(store, words=("(未闭合",), regex=True)


def test_time_range_platform_and_shop(store: Store) -> None:
    assert len(contents(store, since=at("2026-10-08"), until=at("2026-10-09"))) == 7
    assert len(contents(store, platforms=("pinduoduo",))) == 10
    assert len(contents(store, platforms=("jd", "pinduoduo"))) == 26
    assert contents(store, shops=("没有这个店",)) == []


def test_agent_buyer_order_role_and_type(store: Store) -> None:
    assert len(contents(store, agents=("阿花",))) == 6  # every message of S1001 and S1003
    assert contents(store, agents=("阿花",), roles=("客服",)) == [
        "亲，48小时内发货哦\n请耐心等待",
        "亲，优惠券满99可用哦",
    ]
    assert len(contents(store, buyers=("大**王",))) == 4
    assert contents(store, orders=("261101-123456789012345",)) == ["订单编号：261101-123456789012345"]
    # A whole number in the text, not part of a longer one (261101-123456789012345 contains 123456789012).
    assert contents(store, orders=("123456789012",)) == [
        "您选择了一个订单进行咨询（订单号：123456789012；商品编号：100012345678）"
    ]
    assert contents(store, orders=("12345",)) == []
    assert contents(store, types=("图片",)) == [
        "https://img30.360buyimg.com/n1/jfs/t1/abc.jpg",
        "https://img.pddpic.com/a/b.png",
    ]
    assert contents(store, roles=("system",)) == ["买家已确认收货"]
    with pytest.raises(UsageError, match="--role"):
        contents(store, roles=("老板",))


def test_filters_combine(store: Store) -> None:
    assert contents(store, agents=("阿花",), roles=("buyer",), since=at("2026-11-02")) == ["优惠券怎么用不了"]
    assert contents(store, words=("亲",), platforms=("jd",), agents=("阿杰",)) == ["好的亲"]
    assert contents(store, words=("亲",), platforms=("jd",), agents=("小美",), until=at("2026-10-08")) == [
        "亲，是橡胶底的哦\n耐磨防滑\n\n还有什么可以帮您？",
        "亲，帮您查一下物流哦",
    ]


def test_counts_limit_and_context(store: Store) -> None:
    result = search(store, MessageFilter(words=("亲",)), limit=2)
    assert (result.matches, result.conversations, result.shown_matches, result.limited) == (6, 5, 2, True)
    around = search(store, MessageFilter(words=("破的",)), context=1)
    assert [(r["content"][:4], r["match"], r["block"]) for r in around.rows] == [
        ("http", False, 1),
        ("收到的杯", True, 1),
        ("非常抱歉", False, 1),
    ]
    two = search(store, MessageFilter(words=("发货", "优惠券满"), any_word=True), context=1)
    assert [r["block"] for r in two.rows] == [1, 1, 1, 1, 2, 2]  # overlapping windows merge; one block each


def test_highlight_pattern_escapes_plain_words() -> None:
    assert MessageFilter(words=("1+1", "a")).highlight_pattern() == r"1\+1|a"
    assert MessageFilter(words=("优惠.*",), regex=True).highlight_pattern() == "(?:优惠.*)"


# CLI: search ------------------------------------------------------------------------------------------------


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_search_cli_relative_dates_are_pinned_to_now(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timespec, "now_in_china", lambda: dt.datetime(2026, 11, 4, 12, 0, tzinfo=SHANGHAI))
    code, output = cli("search", "--since", "this-week", "--store", str(store.root), "--format", "json")
    assert code == 0
    data = json.loads(output)
    assert data["matches"] == 6 and {r["conversation_id"] for r in data["rows"]} == {"S1002", "S1003"}


def test_search_cli_piped_output_is_csv_with_chinese_headers(store: Store) -> None:
    code, output = cli("search", "发货", "--store", str(store.root))
    assert code == 0
    rows = list(csv.reader(io.StringIO(output)))
    assert rows[0][:6] == ["时间", "平台", "店铺", "会话ID", "发送方身份", "发送人"]
    assert [r[9] for r in rows[1:]] == ["在吗,请问什么时候发货", "亲，48小时内发货哦\n请耐心等待"]
    assert rows[1][4] == "买家"


def test_search_cli_table_counts_and_no_match(store: Store) -> None:
    code, output = cli("search", "亲", "--store", str(store.root), "--format", "table", "--limit", "3")
    assert code == 0 and "找到 6 条消息，分布在 5 个会话中" in output and "显示前 3 条" in output
    code, output = cli("search", "没有这句话", "--store", str(store.root), "--format", "table")
    assert code == 0 and "没有找到匹配的消息" in output
    piped = CliRunner().invoke(app, ["search", "没有这句话", "--store", str(store.root)])
    assert piped.exit_code == 0 and piped.stdout.startswith("时间,平台") and len(piped.stdout.splitlines()) == 1
    assert "没有找到匹配的消息" in piped.stderr
    code, output = cli("search", "--since", "下个月", "--store", str(store.root))
    assert code == 2 and "看不懂时间" in output


def test_search_csv_neutralises_formulas(tmp_path: Path) -> None:
    path = tmp_path / "injection.csv"
    path.write_text(
        "会话ID,买家昵称,发送方,消息内容,发送时间\n"
        'S9,=cmd|x,买家,"=HYPERLINK(""http://x"",""点我"")",2026-11-01 10:00:00\n'
        "S9,=cmd|x,买家,+8613800000000,2026-11-01 10:00:01\n"
        "S9,=cmd|x,买家,@SUM(A1),2026-11-01 10:00:02\n"
        "S9,=cmd|x,买家,-1,2026-11-01 10:00:03\n",
        encoding="utf-8",
    )
    run_import([path], tmp_path / "store", format="pdd-csv")
    code, output = cli("search", "--store", str(tmp_path / "store"), "--format", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(output)))[1:]
    assert [r[9] for r in rows] == ['\'=HYPERLINK("http://x","点我")', "'+8613800000000", "'@SUM(A1)", "'-1"]
    assert {r[5] for r in rows} == {"'=cmd|x"}


# show -------------------------------------------------------------------------------------------------------


def test_show_by_id_prefix_order_and_buyer_day(store: Store) -> None:
    [by_id] = find_transcripts(store, ConversationQuery(conversation_id="S1001"))
    assert (by_id.messages, by_id.buyer, by_id.agents, by_id.first_response_seconds) == (
        4,
        "小**猫",
        "拼小喵-阿花",
        30.0,
    )
    assert [line.text for line in by_id.lines][-1] == "[订单卡片 261101-123456789012345]"
    [by_order] = find_transcripts(store, ConversationQuery(order="261101-123456789012345"))
    assert by_order.conversation_id == "S1001"
    [by_buyer] = find_transcripts(store, ConversationQuery(buyer="13****21", day="2026-10-07"))
    assert [line.text for line in by_buyer.lines] == [
        "我的快递怎么还没到",
        "亲，帮您查一下物流哦",
        "[图片] https://img30.360buyimg.com/n1/jfs/t1/abc.jpg",
        "[转接] 由 服务助手 转交给 山海小铺-阿杰",
    ]
    assert find_transcripts(store, ConversationQuery(buyer="13****21", day="2026-10-08")) == []
    with pytest.raises(UsageError):
        find_transcripts(store, ConversationQuery())


def test_show_marks_long_gaps_and_robot_replies_do_not_count_as_first_response(tmp_path: Path) -> None:
    path = tmp_path / "gap.csv"
    path.write_text(
        "会话ID,买家昵称,客服账号,发送方,消息内容,发送时间\n"
        "G1,甲,店-乙,买家,在吗,2026-11-01 10:00:00\n"
        "G1,甲,店-乙,机器人,您好，欢迎光临,2026-11-01 10:00:02\n"
        "G1,甲,店-乙,客服,在的,2026-11-01 10:25:00\n",
        encoding="utf-8",
    )
    run_import([path], tmp_path / "store", format="pdd-csv")
    [transcript] = find_transcripts(Store.open(tmp_path / "store"), ConversationQuery(conversation_id="G1"))
    assert transcript.first_response_seconds == 1500.0
    assert [line.gap_before_seconds for line in transcript.lines] == [None, None, 1498.0]
    code, output = cli("show", "G1", "--store", str(tmp_path / "store"))
    assert code == 0 and "首次响应时间" in output and "25 分 0 秒" in output and "间隔 24 分 58 秒" in output


# sql --------------------------------------------------------------------------------------------------------


def test_sql_reads_views(store: Store) -> None:
    table = run_query(
        store, "SELECT conversation_id, messages FROM conversations WHERE platform = 'pinduoduo' ORDER BY 1"
    )
    assert table.to_pylist() == [
        {"conversation_id": "S1001", "messages": 4},
        {"conversation_id": "S1002", "messages": 4},
        {"conversation_id": "S1003", "messages": 2},
    ]
    code, output = cli("sql", "SELECT count(*) AS n FROM messages", "--store", str(store.root), "--format", "csv")
    assert code == 0 and output == "n\n26\n"


@pytest.mark.parametrize(
    "query",
    [
        "COPY (SELECT * FROM messages) TO 'out.csv'",
        "CREATE TABLE t AS SELECT 1",
        "ATTACH 'other.db'",
        "INSTALL httpfs",
        "SET memory_limit = '1GB'",
        "SELECT 1; DROP VIEW messages",
    ],
)
def test_sql_refuses_statements_that_could_write(store: Store, query: str, tmp_path: Path) -> None:
    code, output = cli("sql", query, "--store", str(store.root))
    assert code == 2 and ("只读" in output or "一次只能运行一条" in output)
    assert not (tmp_path / "out.csv").exists() and not Path("out.csv").exists()


# export -----------------------------------------------------------------------------------------------------


def test_export_applies_filters_and_keeps_long_ids_as_text(tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "ids.csv"
    path.write_text(
        "会话ID,买家昵称,发送方,消息内容,发送时间,订单编号\n"
        "E1,甲,买家,这个订单什么时候到,2026-11-01 10:00:00,6912345678901234567\n"
        "E1,甲,买家,=1+1,2026-11-01 10:00:05,\n"
        "E2,乙,买家,别的事,2026-11-02 10:00:00,\n",
        encoding="utf-8",
    )
    run_import([path], tmp_path / "store", format="pdd-csv")
    target = tmp_path / "十一月.xlsx"
    code, output = cli("export", "-o", str(target), "--buyer", "甲", "--store", str(tmp_path / "store"))
    assert code == 0 and "已导出 2 条消息" in output
    sheet = openpyxl.load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("时间", "平台", "店铺")
    first = dict(zip(header, rows[1], strict=True))
    second = dict(zip(header, rows[2], strict=True))
    assert first["订单号"] == "6912345678901234567" and first["时间"] == dt.datetime(2026, 11, 1, 10, 0)
    assert second["消息内容"] == "'=1+1" and len(rows) == 3


def test_export_refuses_unknown_formats_before_writing(store: Store, tmp_path: Path) -> None:
    code, output = cli("export", "-o", str(tmp_path / "out.docx"), "--store", str(store.root))
    assert code == 2 and ".xlsx" in output
    assert list(tmp_path.iterdir()) == []
    code, _ = cli("export", "-o", str(tmp_path / "all.csv"), "--store", str(store.root), "--encoding", "gb18030")
    assert code == 0 and (tmp_path / "all.csv").read_bytes().decode("gb18030").count("\n") > 26


def test_search_table_highlights_matches_and_dims_context(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from chatlog_cli.cli import search as search_cli

    console = Console(record=True, force_terminal=True, color_system="truecolor", width=200)
    monkeypatch.setattr(search_cli, "stdout_console", lambda: console)
    code, _ = cli("search", "破的", "-C", "1", "--store", str(store.root), "--format", "table")
    assert code == 0
    rendered = console.export_text(styles=True)
    highlighted = "\x1b[1;30;48;2;255;255;0m破的\x1b[0m"  # bold black on yellow
    assert highlighted in rendered.replace("\x1b[1;30;43m破的\x1b[0m", highlighted)
    context_line = next(line for line in rendered.splitlines() if "非常抱歉" in line)
    assert "\x1b[2m" in context_line  # dimmed context row
